#!/usr/bin/env bash
# Generates TypeScript types from the app's OpenAPI document and type-checks the small
# client in src/ against them (`.ci/run` calls this). Needs node and npm, and the
# project's .venv (`make setup`).
#   clients/typescript/generate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

echo "== the OpenAPI document, as /api/openapi.json serves it"
(cd "$root" && .venv/bin/python - "$here/openapi.json" <<'PY'
import json
import sys

from app import create_app

app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
with app.test_client() as client:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200, response.status_code
    with open(sys.argv[1], "w") as out:
        json.dump(response.get_json(), out, indent=1)
PY
)

echo "== npm ci (pinned in package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

echo "== openapi-typescript"
npx --no-install openapi-typescript openapi.json --output src/schema.d.ts

echo "== tsc --noEmit (strict)"
npx --no-install tsc --noEmit -p .
echo "typescript client: types generated and type-checked"
