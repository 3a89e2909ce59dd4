import pytest

from app.extensions import db
from app.users.models import User
from tests.factories import PASSWORD, auth, make_admin, make_student, tokens_for
from tests.helpers import assert_error


def login(client, identifier, password=PASSWORD):
    return client.post("/api/auth/login", json={"email_or_reg_no": identifier, "password": password})


def test_login_by_email_returns_tokens_and_user(client):
    admin = make_admin()
    response = login(client, admin.email.upper())
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    assert body["user"]["id"] == admin.id
    assert {"access_token", "refresh_token"} <= body.keys()


def test_login_by_registration_number_is_case_insensitive(client):
    student = make_student(registration_number="STU2024001")
    response = login(client, "stu2024001")
    assert response.status_code == 200
    assert response.get_json()["user"]["registration_number"] == "STU2024001"
    assert response.get_json()["user"]["id"] == student.id


def test_unknown_user_and_wrong_password_answer_identically(client):
    make_admin(email="known@school.test")
    wrong_password = login(client, "known@school.test", "not-the-password")
    unknown = login(client, "nobody@school.test", "not-the-password")
    assert wrong_password.status_code == unknown.status_code == 401
    a, b = wrong_password.get_json(), unknown.get_json()
    for key in ("timestamp", "request_id"):  # per response by design
        a.pop(key), b.pop(key)
    assert a == b


def test_unclaimed_account_cannot_log_in(client):
    make_student(claimed=False, registration_number="STU9")
    assert_error(login(client, "STU9", ""), 422)
    assert_error(login(client, "STU9", "anything-long"), 401, "INVALID_CREDENTIALS")


def test_repeated_failed_logins_end_in_429_with_headers(client):
    make_admin(email="target@school.test")
    statuses = [login(client, "target@school.test", "wrong-password").status_code for _ in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    response = login(client, "target@school.test", "wrong-password")
    body = assert_error(response, 429, "RATE_LIMITED")
    assert body["message"]
    assert "Retry-After" in response.headers
    assert "X-RateLimit-Limit" in response.headers


def test_failed_logins_on_one_account_do_not_block_another(client):
    make_admin(email="a@school.test")
    other = make_admin(email="b@school.test")
    for _ in range(6):
        login(client, "a@school.test", "wrong-password")
    assert login(client, other.email).status_code == 200


def test_me_requires_a_token(client):
    assert_error(client.get("/api/auth/me"), 401, "TOKEN_MISSING")


def test_me_with_tampered_token_is_401(client):
    admin = make_admin()
    token = tokens_for(admin)["access_token"]
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {tampered}"}), 401)


def test_logout_revokes_the_access_token(client):
    admin = make_admin()
    headers = auth(admin)
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    assert_error(client.get("/api/auth/me", headers=headers), 401, "TOKEN_REVOKED")


def test_refresh_rotates_and_reuse_revokes_the_family(client):
    admin = make_admin()
    first = tokens_for(admin)["refresh_token"]
    rotated = client.post("/api/auth/refresh", json={"refresh_token": first})
    assert rotated.status_code == 200
    second = rotated.get_json()["refresh_token"]
    assert second != first
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": first}), 401, "TOKEN_REUSED")
    # the thief's reuse killed the legitimate successor too
    assert_error(client.post("/api/auth/refresh", headers={"Authorization": f"Bearer {second}"}), 401)


def test_refresh_token_is_not_an_access_token(client):
    admin = make_admin()
    refresh = tokens_for(admin)["refresh_token"]
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {refresh}"}), 401)


def test_deactivated_account_answers_like_a_wrong_password(client):
    make_admin(email="gone@school.test", is_active=False)
    make_admin(email="here@school.test")
    gone, wrong = login(client, "gone@school.test"), login(client, "here@school.test", "not-the-password")
    a, b = assert_error(gone, 401), assert_error(wrong, 401)
    for key in ("timestamp", "request_id"):  # per response by design
        a.pop(key), b.pop(key)
    assert a == b


def test_login_records_the_last_login(client):
    admin = make_admin()
    assert db.session.get(User, admin.id).last_login is None
    login(client, admin.email)
    db.session.expire_all()
    assert db.session.get(User, admin.id).last_login is not None


def test_login_body_is_validated(client):
    body = assert_error(client.post("/api/auth/login", json={"email_or_reg_no": "x"}), 422, "VALIDATION_ERROR")
    assert body["details"] == {"password": ["Missing data for required field."]}
    assert_error(client.post("/api/auth/login", json={"email_or_reg_no": "x", "password": "y", "extra": 1}), 422)


@pytest.mark.parametrize("path, body", [
    ("/api/auth/login", {"email_or_reg_no": "x@school.test", "password": "whatever-it-is"}),
    ("/api/auth/claim-account",
     {"registration_number": "STU1", "password": "abcdefgh1", "confirm_password": "abcdefgh1"}),
    ("/api/auth/forgot-password", {"email": "x@school.test"}),
    ("/api/auth/verify-reset-code", {"email": "x@school.test", "code": "123456"}),
    ("/api/auth/reset-password", {"email": "x@school.test", "code": "123456", "new_password": "abcdefgh1"}),
])
def test_auth_routes_carry_rate_limit_headers(client, path, body):
    response = client.post(path, json=body)
    for header in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert header in response.headers, (path, dict(response.headers))


@pytest.mark.parametrize("role", ["teacher", "student", "admin"])
def test_login_returns_the_same_user_object_as_me(client, role):
    from tests.factories import make_class, make_teacher

    school_class = make_class()
    user = {"teacher": lambda: make_teacher(classes=[school_class]),
            "student": lambda: make_student(school_class),
            "admin": make_admin}[role]()
    body = login(client, user.email).get_json()
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).get_json()
    assert body["user"] == me
    if role == "teacher":
        assert [c["id"] for c in body["user"]["classes"]] == [school_class.id]
    if role == "student":
        assert body["user"]["class"]["id"] == school_class.id
