"""Cross-cutting conventions: the error envelope everywhere, standard headers, OpenAPI, health."""
import base64
import json
import logging
import re
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from flask import request
from flask_jwt_extended.exceptions import NoAuthorizationError
from openapi_spec_validator import validate

from app.extensions import db
from app.users import services as user_services
from tests.factories import PASSWORD, auth, make_admin, make_student, tokens_for
from tests.helpers import assert_error

ENVELOPE_KEYS = {"error", "error_code", "message", "details", "timestamp", "request_id"}


# --- the error envelope ---------------------------------------------------------------

def test_unknown_api_route_is_404_envelope(client):
    body = assert_error(client.get("/api/no-such-thing"), 404, "NOT_FOUND")
    assert body["timestamp"].endswith("Z")


def test_unknown_route_outside_the_api_is_also_an_envelope(client):
    assert_error(client.get("/no-such-page"), 404, "NOT_FOUND")


def test_wrong_method_is_405_with_allow(client):
    response = client.get("/api/auth/login")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in response.headers["Allow"]


def test_unexpected_error_is_500_with_an_error_id_in_the_log(client, monkeypatch, caplog):
    def boom(_user_id):
        raise RuntimeError("SELECT secret FROM users -- internal detail")

    monkeypatch.setattr(user_services, "get_user", boom)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/users/some-id", headers=auth(make_admin()))
    body = assert_error(response, 500, "INTERNAL_ERROR")
    assert re.fullmatch(r"[0-9a-f]{32}", body["error_id"])
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "SELECT" not in text and "RuntimeError" not in text
    assert any(body["error_id"] in record.getMessage() for record in caplog.records)
    assert response.headers["Cache-Control"] == "no-store"


def test_malformed_json_is_400(client):
    response = client.post("/api/auth/login", data='{"email_or_reg_no": ', content_type="application/json")
    assert_error(response, 400, "INVALID_JSON")


@pytest.mark.parametrize("content_type, data", [
    ("application/x-www-form-urlencoded", "email_or_reg_no=a&password=b"),
    ("text/plain", '{"email_or_reg_no": "a", "password": "b"}'),
    ("application/xml", "<login/>"),
])
def test_a_body_that_is_not_json_is_415(client, content_type, data):
    assert_error(client.post("/api/auth/login", data=data, content_type=content_type), 415, "UNSUPPORTED_MEDIA_TYPE")


def test_a_json_body_of_the_wrong_shape_is_422(client):
    body = assert_error(client.post("/api/auth/login", json=["a", "b"]), 422, "VALIDATION_ERROR")
    assert body["details"]


def test_unknown_body_fields_are_422_per_field(client):
    response = client.post("/api/auth/forgot-password", json={"email": "a@school.test", "role": "admin"})
    assert assert_error(response, 422)["details"] == {"role": ["Unknown field."]}


def test_a_body_over_the_size_limit_is_413(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64)
    response = client.post("/api/auth/forgot-password", json={"email": "a" * 100 + "@school.test"})
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_an_anonymous_caller_gets_401_before_any_body_validation(client):
    assert_error(client.post("/api/auth/change-password", json={"unexpected": 1}), 401, "TOKEN_MISSING")
    assert_error(client.post("/api/users", json={"unexpected": 1}), 401, "TOKEN_MISSING")


def test_forbidden_role_is_403_envelope(client):
    assert_error(client.get("/api/users", headers=auth(make_student())), 403, "FORBIDDEN")


# --- every JWT failure is a 401 envelope -------------------------------------------------

def _encode_unsigned(claims: dict) -> str:
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _forged_tokens(app, client) -> dict:
    user = make_admin()
    pair = tokens_for(user)
    secret = app.config["JWT_SECRET_KEY"]
    claims = jwt.decode(pair["access_token"], secret, algorithms=["HS256"],
                        audience=app.config["JWT_DECODE_AUDIENCE"], issuer=app.config["JWT_DECODE_ISSUER"])
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    code = client.post("/api/auth/forgot-password", json={"email": user.email}).get_json()["token"]
    reset_token = client.post("/api/auth/verify-reset-code",
                              json={"email": user.email, "code": code}).get_json()["reset_token"]
    sign = lambda c, key=secret: jwt.encode(c, key, algorithm="HS256")  # noqa: E731
    return {
        "expired": sign({**claims, "iat": past - timedelta(hours=1), "nbf": past - timedelta(hours=1), "exp": past}),
        "tampered": pair["access_token"][:-3] + ("abc" if not pair["access_token"].endswith("abc") else "xyz"),
        "other key": sign(claims, "another-secret-of-at-least-32-bytes!!"),
        "wrong issuer": sign({**claims, "iss": "someone-else"}),
        "wrong audience": sign({**claims, "aud": "another-api"}),
        "alg none": _encode_unsigned(claims),
        "refresh as access": pair["refresh_token"],
        "reset token as access": reset_token,
        "garbage": "garbage",
    }


EXPECTED_CODES = {"expired": "TOKEN_EXPIRED", "refresh as access": None, "reset token as access": None}


@pytest.mark.parametrize("case", [
    "expired", "tampered", "other key", "wrong issuer", "wrong audience", "alg none", "refresh as access",
    "reset token as access", "garbage",
])
def test_every_bad_token_is_a_401_envelope(app, client, case):
    token = _forged_tokens(app, client)[case]
    response = client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    body = assert_error(response, 401, EXPECTED_CODES.get(case, "TOKEN_INVALID"))
    assert body["error_code"].startswith("TOKEN_")


def test_missing_token_is_a_401_envelope(client):
    assert_error(client.get("/api/auth/me"), 401, "TOKEN_MISSING")


# --- headers ----------------------------------------------------------------------------

def test_api_responses_carry_no_store_nosniff_and_a_request_id(client):
    for response in (client.get("/api/health"), client.get("/api/nothing-here")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_well_formed_request_id_is_kept_and_a_bad_one_replaced(client):
    kept = client.get("/api/health", headers={"X-Request-ID": "proxy-id-12345678"})
    assert kept.headers["X-Request-ID"] == "proxy-id-12345678"
    replaced = client.get("/api/health", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])


def test_a_trailing_slash_answers_like_the_route_without_a_redirect(client):
    admin = make_admin()
    response = client.post("/api/auth/login/", json={"email_or_reg_no": admin.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/api/users/", headers=auth(admin)).status_code == 200
    assert client.get("/api/health/").status_code == 200


def test_cors_allows_configured_origins(client):
    response = client.get("/api/health", headers={"Origin": "http://localhost:3000"})
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "http://localhost:3000")
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("path", ["/api/users", "/api/users/some-id/restore", "/api/auth/me"])
def test_cors_preflight_of_a_protected_route_answers_without_a_token(client, path):
    response = client.options(path, headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "Authorization"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" in response.headers


# --- health, OpenAPI and docs -----------------------------------------------------------

def test_health_reports_the_database(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert {"timestamp", "version", "redis"} <= body.keys()


def test_openapi_document_is_valid_openapi_3(client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_openapi_document_lists_every_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(("api-docs.", "docs_assets.")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        missing += [(path, m) for m in rule.methods - {"HEAD", "OPTIONS"} if (path, m) not in documented]
    assert missing == []


def test_openapi_documents_the_error_envelope_and_bearer_auth(client):
    spec = client.get("/api/openapi.json").get_json()
    assert ENVELOPE_KEYS <= set(spec["components"]["schemas"]["Error"]["properties"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/auth/login"]["post"]["security"] == []


@pytest.mark.parametrize("path", ["/api/docs", "/api/docs/"])
def test_docs_ui_is_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "swagger-ui" in response.get_data(as_text=True)
    assert "openapi.json" in response.get_data(as_text=True)


def test_unknown_query_parameter_is_refused_with_its_name(client):
    admin = make_admin()
    response = client.get("/api/users?bogus=1", headers=auth(admin))
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert "bogus" in body["details"]


def test_the_rate_limit_check_runs_for_limited_views_and_not_for_the_autosave(database_url, monkeypatch):
    """flask-limiter's per-request check is gated on `not_rate_limited` (the autosave):
    it still runs for every other view, the login's limits among them."""
    from app import create_app
    from app.extensions import limiter

    checked = []
    monkeypatch.setattr(limiter, "_check_request_limit", lambda *a, **k: checked.append(request.endpoint))
    gated = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    with gated.test_request_context("/api/attempts/a1/answer", method="POST"):
        with pytest.raises(NoAuthorizationError):  # the hooks after the limiter's ran too
            gated.preprocess_request()
    with gated.test_request_context("/api/auth/login", method="POST"):
        gated.preprocess_request()
    with gated.app_context():
        db.engine.dispose()
    assert checked == ["auth.login"]


def test_no_cookie_session_is_read_or_written(client):
    response = client.get("/api/health", headers={"Cookie": "session=eyJ4Ijp7fX0.forged.sig"})
    assert "Set-Cookie" not in response.headers
    with client.application.test_request_context("/"):
        from flask import session
        with pytest.raises(RuntimeError):  # a NullSession refuses writes
            session["user"] = "someone"


def test_the_private_library_names_the_app_relies_on_keep_their_shape():
    """app.extensions.JWTManager overrides and calls private flask-jwt-extended names:
    an upgrade that renames or reshapes one must fail here, not in production."""
    import inspect

    from flask_jwt_extended import JWTManager
    from flask_jwt_extended.config import config
    from flask_jwt_extended.tokens import _decode_jwt

    assert list(inspect.signature(JWTManager._decode_jwt_from_config).parameters) == [
        "self", "encoded_token", "csrf_value", "allow_expired"]
    assert set(inspect.signature(_decode_jwt).parameters) == {
        "algorithms", "allow_expired", "audience", "csrf_value", "encoded_token", "identity_claim_key",
        "issuer", "leeway", "secret", "verify_aud", "verify_sub"}
    assert "_decode_key_callback" in vars(JWTManager(add_context_processor=False))
    for name in ("decode_algorithms", "decode_audience", "identity_claim_key", "decode_issuer", "leeway",
                 "decode_key", "verify_sub"):
        assert isinstance(getattr(type(config), name), property), name
