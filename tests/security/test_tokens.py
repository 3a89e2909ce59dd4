"""Token attacks (RFC 8725): forged, tampered, mis-typed and revoked tokens all get 401.

Tokens are forged with PyJWT from the claims of a genuine token, so each test changes
exactly one thing about an otherwise valid token.
"""
import base64
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import jwt
import pytest

from app.auth.models import RefreshToken
from app.extensions import db
from tests.factories import PASSWORD, auth, make_admin, make_student, tokens_for
from tests.helpers import assert_error

ROOT = Path(__file__).resolve().parents[2]


def _claims(app, token: str) -> dict:
    return jwt.decode(token, app.config["JWT_SECRET_KEY"], algorithms=["HS256"],
                      audience=app.config["JWT_DECODE_AUDIENCE"], issuer=app.config["JWT_DECODE_ISSUER"])


def _sign(app, claims: dict, key: str | None = None) -> str:
    return jwt.encode(claims, key or app.config["JWT_SECRET_KEY"], algorithm="HS256")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _me(client, token: str):
    return client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def genuine(app):
    user = make_admin()
    access = tokens_for(user)["access_token"]
    return user, access, _claims(app, access)


def test_genuine_forgery_baseline_is_accepted(app, client, genuine):
    # The forging helpers produce tokens the app accepts; every attack below changes one thing.
    _user, _access, claims = genuine
    assert _me(client, _sign(app, claims)).status_code == 200


def test_alg_none_token_is_401(client, genuine):
    _user, _access, claims = genuine
    for alg in ("none", "None", "NONE"):
        token = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}."
        assert_error(_me(client, token), 401, "TOKEN_INVALID")


def test_token_signed_with_another_key_is_401(app, client, genuine):
    _user, _access, claims = genuine
    assert_error(_me(client, _sign(app, claims, key="another-secret-of-at-least-32-bytes!")), 401, "TOKEN_INVALID")


@pytest.mark.filterwarnings("ignore:The HMAC key")
def test_token_signed_with_another_algorithm_is_401(app, client, genuine):
    _user, _access, claims = genuine
    token = jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS512")
    assert_error(_me(client, token), 401, "TOKEN_INVALID")


def test_tampered_claims_with_the_old_signature_are_401(client, genuine):
    _user, access, claims = genuine
    header, _payload, signature = access.split(".")
    other = make_admin()
    for change in ({"sub": other.id}, {"role": "admin", "sub": make_student().id}, {"exp": claims["exp"] + 86400}):
        forged = f"{header}.{_b64({**claims, **change})}.{signature}"
        assert_error(_me(client, forged), 401, "TOKEN_INVALID")


def test_expired_token_is_401(app, client, genuine):
    _user, _access, claims = genuine
    now = int(time.time())
    token = _sign(app, {**claims, "iat": now - 3600, "nbf": now - 3600, "exp": now - 60})
    assert_error(_me(client, token), 401, "TOKEN_EXPIRED")


def test_not_yet_valid_token_is_401(app, client, genuine):
    _user, _access, claims = genuine
    now = int(time.time())
    token = _sign(app, {**claims, "nbf": now + 3600, "exp": now + 7200})
    assert_error(_me(client, token), 401, "TOKEN_INVALID")


@pytest.mark.parametrize("claim, value", [
    ("iss", "someone-else"), ("aud", "another-api"), ("iss", None), ("aud", None),
])
def test_wrong_or_missing_issuer_or_audience_is_401(app, client, genuine, claim, value):
    _user, _access, claims = genuine
    forged = {**claims, claim: value} if value is not None else {k: v for k, v in claims.items() if k != claim}
    assert_error(_me(client, _sign(app, forged)), 401, "TOKEN_INVALID")


def test_token_of_an_unknown_user_is_401(app, client, genuine):
    _user, _access, claims = genuine
    assert_error(_me(client, _sign(app, {**claims, "sub": "00000000-0000-0000-0000-000000000000"})), 401)


def test_refresh_token_used_as_access_token_is_401(client):
    refresh = tokens_for(make_admin())["refresh_token"]
    assert_error(_me(client, refresh), 401)
    assert_error(client.get("/api/users", headers={"Authorization": f"Bearer {refresh}"}), 401)


def test_access_token_used_as_refresh_token_is_401(client):
    access = tokens_for(make_admin())["access_token"]
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": access}), 401, "TOKEN_INVALID")
    assert_error(client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {access}"}), 401, "TOKEN_INVALID")


def test_reset_token_is_not_an_access_token(client):
    user = make_admin(email="reset-me@school.test")
    code = client.post("/api/auth/forgot-password", json={"email": user.email}).get_json()["token"]
    reset_token = client.post("/api/auth/verify-reset-code",
                              json={"email": user.email, "code": code}).get_json()["reset_token"]
    assert_error(_me(client, reset_token), 401)


@pytest.mark.parametrize("param", ["access_token", "jwt", "token"])
def test_token_in_the_query_string_is_401(client, param):
    access = tokens_for(make_admin())["access_token"]
    assert_error(client.get(f"/api/auth/me?{param}={access}"), 401, "TOKEN_MISSING")


def test_token_in_a_cookie_is_401(client):
    access = tokens_for(make_admin())["access_token"]
    client.set_cookie("access_token_cookie", access)
    assert_error(client.get("/api/auth/me"), 401, "TOKEN_MISSING")
    assert_error(client.post("/api/auth/logout"), 401, "TOKEN_MISSING")


def test_malformed_authorization_headers_are_401(client):
    access = tokens_for(make_admin())["access_token"]
    for header in (access, f"Basic {access}", "Bearer", "Bearer ", f"Bearer {access}.x", "Bearer a.b.c"):
        assert_error(client.get("/api/auth/me", headers={"Authorization": header}), 401)


# --- revocation ----------------------------------------------------------------

def _refresh(client, token):
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def test_logout_revokes_access_and_refresh_on_the_next_request(client):
    pair = tokens_for(make_admin())
    headers = {"Authorization": f"Bearer {pair['access_token']}"}
    response = client.post("/api/auth/logout", headers=headers, json={"refresh_token": pair["refresh_token"]})
    assert response.status_code == 200
    assert_error(_me(client, pair["access_token"]), 401, "TOKEN_REVOKED")
    assert_error(_refresh(client, pair["refresh_token"]), 401)


def test_password_reset_revokes_every_token(client):
    user = make_admin(email="victim@school.test")
    first, second = tokens_for(user), tokens_for(user)
    code = client.post("/api/auth/forgot-password", json={"email": user.email}).get_json()["token"]
    response = client.post("/api/auth/reset-password",
                           json={"email": user.email, "code": code, "new_password": "a-brand-new-passphrase"})
    assert response.status_code == 200
    for pair in (first, second):
        assert_error(_me(client, pair["access_token"]), 401, "TOKEN_REVOKED")
        assert_error(_refresh(client, pair["refresh_token"]), 401)


def test_password_change_revokes_other_tokens_but_not_the_new_pair(client):
    user = make_admin()
    old = tokens_for(user)
    response = client.post("/api/auth/change-password", headers={"Authorization": f"Bearer {old['access_token']}"},
                           json={"current_password": PASSWORD, "new_password": "another-long-passphrase"})
    assert response.status_code == 200
    assert_error(_me(client, old["access_token"]), 401, "TOKEN_REVOKED")
    assert_error(_refresh(client, old["refresh_token"]), 401)
    assert _me(client, response.get_json()["access_token"]).status_code == 200


def test_deactivation_revokes_every_token(client):
    admin, victim = make_admin(), make_admin()
    pair = tokens_for(victim)
    assert client.delete(f"/api/users/{victim.id}", headers=auth(admin)).status_code == 200
    assert_error(_me(client, pair["access_token"]), 401, "TOKEN_REVOKED")
    assert_error(_refresh(client, pair["refresh_token"]), 401)
    # restoring the account does not bring old tokens back to life
    assert client.post(f"/api/users/{victim.id}/restore", headers=auth(admin)).status_code == 200
    assert_error(_me(client, pair["access_token"]), 401, "TOKEN_REVOKED")


def test_role_change_takes_effect_on_the_next_request(client):
    admin, other = make_admin(), make_admin()
    headers = auth(other)
    assert client.get("/api/users", headers=headers).status_code == 200
    assert client.put(f"/api/users/{other.id}", headers=auth(admin), json={"role": "teacher"}).status_code == 200
    assert_error(client.get("/api/users", headers=headers), 403)


_SECOND_PROCESS = """
import json, sys
from app import create_app
app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
client = app.test_client()
out = {}
for name, token in json.loads(sys.argv[2]).items():
    out[name] = client.get("/api/auth/me", headers={"Authorization": "Bearer " + token}).status_code
print(json.dumps(out))
"""


def test_revocation_holds_in_another_process_sharing_the_database(client, database_url):
    admin = make_admin()
    alive, logged_out, deactivated, reset = (make_admin(email=f"p{i}@school.test") for i in range(4))
    tokens = {name: tokens_for(user)["access_token"] for name, user in
              (("alive", alive), ("logged_out", logged_out), ("deactivated", deactivated), ("reset", reset))}
    # the second process first proves it accepts tokens minted here
    before = _run_second_process(database_url, tokens)
    assert before == {"alive": 200, "logged_out": 200, "deactivated": 200, "reset": 200}

    client.post("/api/auth/logout", headers={"Authorization": f"Bearer {tokens['logged_out']}"})
    client.delete(f"/api/users/{deactivated.id}", headers=auth(admin))
    code = client.post("/api/auth/forgot-password", json={"email": reset.email}).get_json()["token"]
    client.post("/api/auth/reset-password", json={"email": reset.email, "code": code,
                                                  "new_password": "a-brand-new-passphrase"})
    after = _run_second_process(database_url, tokens)
    assert after == {"alive": 200, "logged_out": 401, "deactivated": 401, "reset": 401}


def _run_second_process(database_url: str, tokens: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", _SECOND_PROCESS, database_url, json.dumps(tokens)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "APP_ENV": "testing"})
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.mysql_only(reason="needs concurrent transactions with row locks (MariaDB); "
                                "SQLite serialises writers, so the race cannot happen there")
def test_ten_parallel_refreshes_of_one_token_at_most_one_succeeds(app):
    refresh = tokens_for(make_admin())["refresh_token"]
    barrier = threading.Barrier(10)
    statuses = []

    def spend():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/auth/refresh", json={"refresh_token": refresh}).status_code)

    threads = [threading.Thread(target=spend) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(statuses) == 10
    assert statuses.count(200) <= 1, statuses
    assert set(statuses) <= {200, 401}, statuses
    db.session.expire_all()
    issued = db.session.query(RefreshToken).count()
    assert issued <= 2  # the original and at most one successor


def test_sequential_reuse_of_a_refresh_token_fails(client):
    refresh = tokens_for(make_admin())["refresh_token"]
    statuses = [_refresh(client, refresh).status_code for _ in range(10)]
    assert statuses == [200] + [401] * 9
