"""Claiming a student account: registration number + one-time claim code + a new password."""
import pytest

from app.common.audit import AuditLog
from app.extensions import db
from app.students.models import Student
from tests.factories import make_class, make_student
from tests.helpers import assert_error

NEW_PASSWORD = "my-own-passphrase"


def claim(client, registration_number, claim_code="CLAIM-123", password=NEW_PASSWORD, confirm=None):
    body = {"registration_number": registration_number, "password": password,
            "confirm_password": confirm if confirm is not None else password}
    if claim_code is not None:
        body["claim_code"] = claim_code
    return client.post("/api/auth/claim-account", json=body)


def login(client, identifier, password=NEW_PASSWORD):
    return client.post("/api/auth/login", json={"email_or_reg_no": identifier, "password": password})


def test_claim_sets_the_password_and_the_student_can_log_in(client):
    student = make_student(make_class(), claimed=False, registration_number="STU2024006")
    assert_error(login(client, "STU2024006"), 401)
    response = claim(client, "stu2024006")
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == "Account claimed successfully"
    assert body["user"]["id"] == student.id
    assert body["user"]["is_account_claimed"] is True
    assert login(client, "STU2024006").status_code == 200


def test_claim_spends_the_code_and_writes_an_audit_row(client):
    student = make_student(claimed=False, registration_number="STU7")
    claim(client, "STU7")
    stored = db.session.get(Student, student.id)
    assert stored.claim_code_hash is None and stored.claimed_at is not None
    assert db.session.scalar(db.select(AuditLog.action).where(AuditLog.entity_id == student.id)) == "account_claimed"


@pytest.mark.parametrize("case", ["unknown", "wrong_code", "no_code", "already_claimed", "deactivated"])
def test_every_refused_claim_answers_with_the_same_401(client, case):
    make_student(claimed=False, registration_number="STU-OPEN")
    make_student(claimed=True, registration_number="STU-TAKEN")
    make_student(claimed=False, registration_number="STU-GONE", is_active=False)
    reference = claim(client, "STU-NOBODY")
    response = {
        "unknown": lambda: claim(client, "STU-NOBODY-2"),
        "wrong_code": lambda: claim(client, "STU-OPEN", claim_code="WRONG-1"),
        "no_code": lambda: claim(client, "STU-OPEN", claim_code=None),
        "already_claimed": lambda: claim(client, "STU-TAKEN"),
        "deactivated": lambda: claim(client, "STU-GONE"),
    }[case]()
    body = assert_error(response, 401, "CLAIM_REFUSED")
    expected = reference.get_json()
    for key in ("timestamp", "request_id"):  # per response by design
        body.pop(key), expected.pop(key)
    assert body == expected


def test_an_account_cannot_be_claimed_twice(client):
    make_student(claimed=False, registration_number="STU8")
    assert claim(client, "STU8").status_code == 200
    assert_error(claim(client, "STU8", password="a-different-passphrase"), 401, "CLAIM_REFUSED")
    assert login(client, "STU8").status_code == 200


def test_claim_refuses_mismatched_confirmation(client):
    make_student(claimed=False, registration_number="STU9")
    body = assert_error(claim(client, "STU9", confirm="not-the-same-one"), 422)
    assert "confirm_password" in body["details"]


@pytest.mark.parametrize("password", ["short", "password123", "x" * 129])
def test_claim_applies_the_password_policy(client, password):
    make_student(claimed=False, registration_number="STU10")
    assert "password" in assert_error(claim(client, "STU10", password=password), 422)["details"]
    assert_error(claim(client, "STU10", password="still-wrong-code", claim_code="NOPE"), 401)


def test_claim_code_can_be_switched_off_by_configuration(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "CLAIM_CODE_REQUIRED", False)
    make_student(claimed=False, registration_number="STU11")
    assert claim(client, "STU11", claim_code=None).status_code == 200


def test_claim_is_rate_limited_per_registration_number(client):
    make_student(claimed=False, registration_number="STU12")
    statuses = [claim(client, "STU12", claim_code="WRONG").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert claim(client, "STU13-OTHER", claim_code="WRONG").status_code == 401


def test_a_claim_signs_the_student_in_like_a_login(client):
    school_class = make_class()
    make_student(school_class, claimed=False, registration_number="STU55")
    body = claim(client, "STU55").get_json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200 and body["user"] == me.get_json()
    assert body["user"]["class"]["id"] == school_class.id
    refreshed = client.post("/api/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200
