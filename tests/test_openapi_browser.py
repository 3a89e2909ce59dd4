"""`/api/docs` rendered by a real browser with no network beyond this server.

Headless Chromium (Debian's `chromium`, installed by `.ci/run`) loads the page from a
server on a free loopback port, with every other host unresolvable, runs Swagger UI's
JavaScript and dumps the rendered DOM: the operations of the document must be listed.
A screenshot is kept in `artifacts/api-docs.png` (gitignored) for a person to look at.
"""
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")]


@pytest.fixture
def docs_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


def chromium(url: str, *extra: str) -> str:
    """Run headless Chromium on `url`, offline: only 127.0.0.1 resolves."""
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--no-first-run", "--disable-extensions", "--disable-background-networking",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--virtual-time-budget=20000", "--window-size=1280,2400", *extra, url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_the_docs_render_offline_and_list_the_operations(client, docs_server):
    document = client.get("/api/openapi.json").get_json()
    summaries = [operation["summary"] for item in document["paths"].values()
                 for method, operation in item.items() if isinstance(operation, dict) and "summary" in operation]

    dom = chromium(f"{docs_server}/api/docs", "--dump-dom")

    assert "swagger-ui" in dom and "opblock" in dom, dom[:2000]
    assert "Failed to load API definition" not in dom
    listed = [summary for summary in summaries if summary in dom]
    assert len(listed) == len(summaries), f"not rendered: {sorted(set(summaries) - set(listed))[:10]}"

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "api-docs.png"
    screenshot.unlink(missing_ok=True)
    chromium(f"{docs_server}/api/docs", f"--screenshot={screenshot}")
    assert screenshot.exists() and screenshot.stat().st_size > 20_000
