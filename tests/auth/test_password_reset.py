"""Forgot / verify / reset: a hashed 6-digit code by e-mail, 10 minutes, single use, 5 tries."""
import re
from datetime import timedelta

import pytest

from app.auth.models import PasswordResetToken
from app.common import clock
from app.common.audit import AuditLog
from app.extensions import db, mail
from tests.factories import PASSWORD, auth, make_admin, make_student
from tests.helpers import assert_error

NEW_PASSWORD = "a-brand-new-passphrase"


@pytest.fixture
def generous_limits(app, monkeypatch):
    """Per-account limits out of the way, for tests about the code's own try counter."""
    monkeypatch.setitem(app.config, "RATELIMIT_AUTH_PER_ACCOUNT", "100 per minute")


def forgot(client, email):
    return client.post("/api/auth/forgot-password", json={"email": email})


def verify(client, email, code):
    return client.post("/api/auth/verify-reset-code", json={"email": email, "code": code})


def reset(client, **body):
    return client.post("/api/auth/reset-password", json={"new_password": NEW_PASSWORD, **body})


def login(client, email, password):
    return client.post("/api/auth/login", json={"email_or_reg_no": email, "password": password})


def request_code(client, email) -> str:
    response = forgot(client, email)
    assert response.status_code == 200
    return response.get_json()["token"]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def without_timestamp(response) -> dict:
    body = response.get_json()
    body.pop("timestamp", None)
    body.pop("request_id", None)  # per response by design
    return body


def test_forgot_password_mails_a_six_digit_code(client):
    user = make_admin(email="reset@school.test")
    with mail.record_messages() as outbox:
        code = request_code(client, "Reset@School.test")
    assert re.fullmatch(r"\d{6}", code)
    assert len(outbox) == 1
    assert outbox[0].recipients == [user.email]
    assert code in outbox[0].body


def test_forgot_password_answers_identically_for_unknown_emails_without_echo(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ECHO_RESET_CODE", False)
    make_admin(email="known@school.test")
    with mail.record_messages() as outbox:
        known, unknown = forgot(client, "known@school.test"), forgot(client, "nobody@school.test")
    assert known.status_code == unknown.status_code == 200
    assert known.get_json() == unknown.get_json()
    assert "token" not in known.get_json()
    assert [m.recipients for m in outbox] == [["known@school.test"]]


def test_unknown_email_gets_no_code_even_when_echo_is_on(client):
    body = forgot(client, "nobody@school.test").get_json()
    assert "token" not in body and body["message"]


def test_unclaimed_and_deactivated_accounts_get_no_code(client):
    make_student(claimed=False, email="unclaimed@school.test")
    make_admin(email="gone@school.test", is_active=False)
    with mail.record_messages() as outbox:
        assert "token" not in forgot(client, "unclaimed@school.test").get_json()
        assert "token" not in forgot(client, "gone@school.test").get_json()
    assert outbox == []


def test_the_code_is_stored_hashed_with_an_expiry(client):
    make_admin(email="hashed@school.test")
    code = request_code(client, "hashed@school.test")
    stored = db.session.scalars(db.select(PasswordResetToken)).one()
    assert code not in stored.code_hash
    assert timedelta(minutes=9) < stored.expires_at - clock.utcnow() <= timedelta(minutes=10)


def test_verify_then_reset_with_the_reset_token_changes_the_password(client):
    user = make_admin(email="flow@school.test")
    code = request_code(client, user.email)
    verified = verify(client, user.email, code)
    assert verified.status_code == 200
    response = reset(client, reset_token=verified.get_json()["reset_token"], confirm_password=NEW_PASSWORD)
    assert response.status_code == 200
    assert login(client, user.email, NEW_PASSWORD).status_code == 200
    assert_error(login(client, user.email, PASSWORD), 401)
    assert db.session.scalar(db.select(AuditLog).where(AuditLog.action == "password_reset")).user_id == user.id


def test_reset_with_email_and_code_changes_the_password(client):
    user = make_admin(email="direct@school.test")
    code = request_code(client, user.email)
    assert reset(client, email=user.email, code=code).status_code == 200
    assert login(client, user.email, NEW_PASSWORD).status_code == 200


def test_reset_needs_a_token_or_email_and_code(client):
    body = assert_error(reset(client, email="someone@school.test"), 422, "VALIDATION_ERROR")
    assert "reset_token" in body["details"]


def test_reset_refuses_a_confirmation_that_differs(client):
    user = make_admin(email="confirm@school.test")
    code = request_code(client, user.email)
    body = assert_error(reset(client, email=user.email, code=code, confirm_password="something-else"), 422)
    assert "confirm_password" in body["details"]


def test_reset_applies_the_password_policy(client):
    user = make_admin(email="policy@school.test")
    code = request_code(client, user.email)
    response = client.post("/api/auth/reset-password",
                           json={"email": user.email, "code": code, "new_password": "password"})
    assert "new_password" in assert_error(response, 422)["details"]


def test_a_code_is_single_use(client):
    user = make_admin(email="once@school.test")
    code = request_code(client, user.email)
    assert reset(client, email=user.email, code=code).status_code == 200
    assert_error(reset(client, email=user.email, code=code), 401, "RESET_CODE_INVALID")
    assert_error(verify(client, user.email, code), 401, "RESET_CODE_INVALID")


def test_a_reset_token_is_single_use(client):
    user = make_admin(email="token-once@school.test")
    reset_token = verify(client, user.email, request_code(client, user.email)).get_json()["reset_token"]
    assert reset(client, reset_token=reset_token).status_code == 200
    assert_error(reset(client, reset_token=reset_token), 401, "RESET_TOKEN_INVALID")


def test_an_access_token_is_not_a_reset_token(client):
    user = make_admin(email="access@school.test")
    access = auth(user)["Authorization"].split()[1]
    assert_error(reset(client, reset_token=access), 401, "RESET_TOKEN_INVALID")
    assert_error(reset(client, reset_token="not-a-token"), 401, "RESET_TOKEN_INVALID")


def test_a_code_expires_after_ten_minutes(client):
    user = make_admin(email="late@school.test")
    with clock.freeze(clock.utcnow()) as frozen:
        code = request_code(client, user.email)
        frozen.advance(minutes=10, seconds=1)
        assert_error(verify(client, user.email, code), 401, "RESET_CODE_INVALID")


def test_a_code_still_works_just_before_it_expires(client):
    user = make_admin(email="in-time@school.test")
    with clock.freeze(clock.utcnow()) as frozen:
        code = request_code(client, user.email)
        frozen.advance(minutes=9, seconds=50)
        assert verify(client, user.email, code).status_code == 200


def test_five_wrong_tries_void_the_code(client, generous_limits):
    user = make_admin(email="guess@school.test")
    code = request_code(client, user.email)
    for _ in range(5):
        assert_error(verify(client, user.email, wrong(code)), 401, "RESET_CODE_INVALID")
    assert_error(verify(client, user.email, code), 401, "RESET_CODE_INVALID")
    assert_error(reset(client, email=user.email, code=code), 401)


def test_four_wrong_tries_leave_the_code_usable(client, generous_limits):
    user = make_admin(email="typo@school.test")
    code = request_code(client, user.email)
    for _ in range(4):
        verify(client, user.email, wrong(code))
    assert verify(client, user.email, code).status_code == 200


def test_a_new_code_voids_the_old_one(client):
    user = make_admin(email="twice@school.test")
    first = request_code(client, user.email)
    second = request_code(client, user.email)
    if first != second:  # one chance in a million they coincide
        assert_error(verify(client, user.email, first), 401, "RESET_CODE_INVALID")
    assert verify(client, user.email, second).status_code == 200


def test_wrong_code_and_unknown_email_answer_identically(client):
    user = make_admin(email="same@school.test")
    code = request_code(client, user.email)
    wrong_code = verify(client, user.email, wrong(code))
    unknown = verify(client, "nobody@school.test", code)
    assert wrong_code.status_code == unknown.status_code == 401
    assert without_timestamp(wrong_code) == without_timestamp(unknown)


def test_reset_revokes_every_token_of_the_user(client):
    user = make_admin(email="revoke@school.test")
    headers = auth(user)
    code = request_code(client, user.email)
    assert reset(client, email=user.email, code=code).status_code == 200
    assert_error(client.get("/api/auth/me", headers=headers), 401, "TOKEN_REVOKED")


def test_a_password_change_after_verification_voids_the_reset_token(client):
    user = make_admin(email="changed@school.test")
    reset_token = verify(client, user.email, request_code(client, user.email)).get_json()["reset_token"]
    changed = client.post("/api/auth/change-password", headers=auth(user),
                          json={"current_password": PASSWORD, "new_password": "another-good-passphrase"})
    assert changed.status_code == 200
    assert_error(reset(client, reset_token=reset_token), 401, "RESET_TOKEN_INVALID")


def test_code_must_be_six_digits(client):
    body = assert_error(verify(client, "x@school.test", "12345"), 422)
    assert "code" in body["details"]
