"""Changing one's password: needs the current one, applies the policy, revokes old tokens."""
import pytest

from app.common.audit import AuditLog
from app.extensions import db
from tests.factories import PASSWORD, auth, make_admin, make_student
from tests.helpers import assert_error

NEW_PASSWORD = "a-fresh-passphrase"


def change(client, headers, current=PASSWORD, new=NEW_PASSWORD, **extra):
    return client.post("/api/auth/change-password", headers=headers,
                       json={"current_password": current, "new_password": new, **extra})


def login(client, identifier, password):
    return client.post("/api/auth/login", json={"email_or_reg_no": identifier, "password": password})


def test_change_password_returns_a_new_token_pair_and_revokes_the_old_ones(client):
    user = make_admin()
    old_headers = auth(user)
    response = change(client, old_headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] and body["token_type"] == "bearer"
    assert_error(client.get("/api/auth/me", headers=old_headers), 401, "TOKEN_REVOKED")
    new_headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get("/api/auth/me", headers=new_headers).status_code == 200
    assert login(client, user.email, NEW_PASSWORD).status_code == 200
    assert_error(login(client, user.email, PASSWORD), 401)


def test_change_password_needs_the_current_password(client):
    user = make_admin()
    body = assert_error(change(client, auth(user), current="not-my-password"), 422)
    assert "current_password" in body["details"]
    assert login(client, user.email, PASSWORD).status_code == 200


def test_change_password_needs_a_token(client):
    assert_error(change(client, {}), 401, "TOKEN_MISSING")


@pytest.mark.parametrize("new", ["seven77", "qwertyuiop", "y" * 129])
def test_change_password_applies_the_policy(client, new):
    assert "new_password" in assert_error(change(client, auth(make_admin()), new=new), 422)["details"]


def test_change_password_checks_the_confirmation(client):
    response = change(client, auth(make_admin()), confirm_password="something-else")
    assert "confirm_password" in assert_error(response, 422)["details"]


def test_change_password_writes_an_audit_row(client):
    user = make_student()
    change(client, auth(user))
    assert db.session.scalar(db.select(AuditLog.user_id).where(AuditLog.action == "password_changed")) == user.id


def test_long_passwords_are_not_truncated(client):
    user = make_admin()
    long_password = "p" * 80 + "-the-end"
    assert change(client, auth(user), new=long_password).status_code == 200
    assert login(client, user.email, long_password).status_code == 200
    # bcrypt alone would read only the first 72 bytes and accept this one too
    assert_error(login(client, user.email, "p" * 80 + "-other!!"), 401)


def test_the_longest_allowed_password_works(client):
    user = make_admin()
    longest = "é" * 128  # 128 characters, 256 bytes
    assert change(client, auth(user), new=longest).status_code == 200
    assert login(client, user.email, longest).status_code == 200
