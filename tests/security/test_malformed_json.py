"""Malformed JSON is a 400 `INVALID_JSON` on every route that reads a JSON body, never a 500.

The routes are every POST/PUT/PATCH of the app's URL map whose documented request body
is JSON, each called by a role the authorization matrix lets through (anonymous where
the route allows it: login, claim, password reset), on that role's own objects, so the
body is what gets refused. The bodies: nesting past the parser's depth, an integer of
5,000 digits, `NaN`, and the route's real body (from authz_matrix.yaml) with a lone
surrogate in a string, in a key, or as raw UTF-8 bytes. Nothing of them may reach a
service or the database.
"""
import json

import pytest
from sqlalchemy import func, select

from app.common.strict_json import LONE_SURROGATE, NOT_A_NUMBER, NOT_JSON, TOO_DEEP, TOO_MANY_DIGITS
from app.extensions import db
from tests.helpers import assert_error
from tests.security.matrix import app_routes, fill_body, fill_path, load_rows, route_endpoints
from tests.security.world import build_world

ROWS = {row.key: row for row in load_rows()}
CALLERS = ("anonymous", "student_a", "teacher_a", "admin")
SURROGATE = "\ud800"
DEEP = 100_000  # far past the interpreter's recursion limit


def _fixed_bodies() -> dict:
    return {
        "nested past the parser's depth": (b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}", TOO_DEEP),
        "an integer of 5,000 digits": (b'{"a": 1' + b"0" * 5000 + b"}", TOO_MANY_DIGITS),
        "NaN": (b'{"a": NaN}', NOT_A_NUMBER),
        "not JSON at all": (b'{"a": ', NOT_JSON),
    }


def _poison_first_string(body):
    """The body with a lone surrogate appended to its first string (or a new field holding one)."""
    if isinstance(body, dict):
        for key, value in body.items():
            poisoned, done = _poison_first_string(value)
            if done:
                return {**body, key: poisoned}, True
        return body, False
    if isinstance(body, list):
        for index, value in enumerate(body):
            poisoned, done = _poison_first_string(value)
            if done:
                return body[:index] + [poisoned] + body[index + 1:], True
        return body, False
    if isinstance(body, str):
        return body + SURROGATE, True
    return body, False


def _surrogate_bodies(real_body) -> dict:
    real_body = real_body if isinstance(real_body, dict) else {}
    in_value, done = _poison_first_string(real_body)
    if not done:
        in_value = {**real_body, "note": SURROGATE}
    return {
        "a lone surrogate escape in a string": (json.dumps(in_value).encode(), LONE_SURROGATE),
        "a lone surrogate escape in a key": (json.dumps({**real_body, SURROGATE: 1}).encode(), LONE_SURROGATE),
        # json.loads(bytes) would decode these with "surrogatepass" and accept them.
        "a lone surrogate as raw UTF-8 bytes": (
            json.dumps(in_value, ensure_ascii=False).encode("utf-8", "surrogatepass"), NOT_JSON),
    }


def json_body_routes(app, client) -> list[str]:
    """'METHOD /path' of every write route whose OpenAPI request body is JSON."""
    served = app_routes(app)
    found = []
    for path, operations in client.get("/api/openapi.json").get_json()["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch"):  # also "parameters", a list
                continue
            content = (operation.get("requestBody") or {}).get("content", {})
            key = f"{method.upper()} {path}"
            if "application/json" in content and key in served:
                found.append(key)
    return sorted(found)


def blueprint_of(app, key: str) -> str:
    return route_endpoints(app)[key].split(".")[0]


# Blueprints whose every write takes a multipart upload, never a JSON body.
UPLOAD_ONLY_BLUEPRINTS = {"media"}


def blueprints_with_writes(app) -> set[str]:
    return {blueprint_of(app, key) for key in app_routes(app)
            if key.split(" ")[0] in ("POST", "PUT", "PATCH")} - UPLOAD_ONLY_BLUEPRINTS


def caller_for(key: str) -> str:
    """The first caller, anonymous first, whom the matrix lets past authentication and role;
    anonymous where every caller gets the same 401 (a reset code refused, not a token)."""
    expect = ROWS[key].expect
    return next((role for role in CALLERS if expect[role]["own"] not in (401, 403)), "anonymous")


def row_counts() -> dict:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def test_every_json_route_of_every_blueprint_refuses_malformed_json_with_400(app, client):
    world = build_world()
    routes = json_body_routes(app, client)
    covered = {blueprint_of(app, key) for key in routes}
    assert blueprints_with_writes(app) <= covered, "a blueprint with write routes reads no JSON body?"
    before, wrong = row_counts(), []
    for key in routes:
        row, role = ROWS[key], caller_for(key)
        path = fill_path(world, row, role, "own")
        real_body = fill_body(world, row.body, role, "own")
        for name, (data, reason) in {**_fixed_bodies(), **_surrogate_bodies(real_body)}.items():
            response = client.open(path, method=row.method, data=data, content_type="application/json",
                                   headers=world.headers(role))
            body = response.get_json(silent=True) or {}
            if (response.status_code, body.get("error_code"), body.get("details")) != \
                    (400, "INVALID_JSON", {"json": [reason]}):
                wrong.append(f"{key} as {role}, {name}: {response.status_code} {body}")
    assert not wrong, "\n".join(wrong)
    assert row_counts() == before  # nothing written, not even an audit row


@pytest.mark.parametrize("text", [f"An answer{SURROGATE}", f"{SURROGATE}", f"x{SURROGATE}y\udfff"])
def test_a_lone_surrogate_in_an_autosaved_answer_text_is_400_and_nothing_is_saved(client, text):
    world = build_world()
    attempt, question = world.get("attempt_open", "a"), world.get("question_short", "a")
    data = json.dumps({"question_id": question.id, "answer_text": text}).encode()
    response = client.post(f"/api/attempts/{attempt.id}/answer", data=data, content_type="application/json",
                           headers=world.headers("student_a"))
    body = assert_error(response, 400, "INVALID_JSON")
    assert body["details"] == {"json": [LONE_SURROGATE]}
    db.session.expire_all()
    assert not [a for a in attempt.answers if a.question_id == question.id]


@pytest.mark.parametrize("role, path, body", [
    ("anonymous", "/api/auth/login", {"email_or_reg_no": f"REGA001{SURROGATE}", "password": "a-long-passphrase"}),
    ("anonymous", "/api/auth/claim-account", {
        "registration_number": f"NEWA001{SURROGATE}", "password": "a-long-passphrase",
        "confirm_password": "a-long-passphrase", "claim_code": "CLAIM-123"}),
    ("anonymous", "/api/auth/forgot-password", {"email": f"student_a{SURROGATE}@school.test"}),
    ("teacher_a", "/api/questions", {"text": f"Why{SURROGATE}?", "type": "descriptive", "marks": 2}),
])
def test_a_lone_surrogate_in_a_named_field_is_the_same_400(client, role, path, body):
    world = build_world()
    before = row_counts()
    response = client.post(path, data=json.dumps(body).encode(), content_type="application/json",
                           headers=world.headers(role))
    assert assert_error(response, 400, "INVALID_JSON")["details"] == {"json": [LONE_SURROGATE]}
    assert row_counts() == before


@pytest.mark.parametrize("text, value", [
    ('"\\ud83d\\ude00"', "\U0001F600"),  # a pair of escapes is one character: accepted
    ('"\\\\ud800"', "\\ud800"),  # an escaped backslash, then letters: accepted
    ('{"a": [1, 2.5, true, null]}', {"a": [1, 2.5, True, None]}),
    ('1' + '0' * 4000, 10 ** 4000),  # long, but within int()'s limit: the schemas judge it
])
def test_valid_json_still_decodes(text, value):
    from app.common.strict_json import loads

    assert loads(text) == value
    assert loads(text.encode()) == value
