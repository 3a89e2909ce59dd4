"""Refresh (header or body, rotated, reuse detected) and logout (really revokes)."""
from datetime import timedelta

from app.auth.models import RefreshToken
from app.common import clock
from app.extensions import db
from tests.factories import auth, make_admin, tokens_for
from tests.helpers import assert_error


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refresh_by_body(client, token):
    return client.post("/api/auth/refresh", json={"refresh_token": token})


def refresh_by_header(client, token):
    return client.post("/api/auth/refresh", headers=bearer(token))


def test_refresh_by_header_returns_a_working_new_pair(client):
    pair = tokens_for(make_admin())
    response = refresh_by_header(client, pair["refresh_token"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["refresh_token"] != pair["refresh_token"]
    assert client.get("/api/auth/me", headers=bearer(body["access_token"])).status_code == 200


def test_refresh_by_body_keeps_the_token_family(client):
    user = make_admin()
    pair = tokens_for(user)
    rotated = refresh_by_body(client, pair["refresh_token"]).get_json()
    families = db.session.scalars(db.select(RefreshToken.family_id).where(RefreshToken.user_id == user.id)).all()
    assert len(families) == 2 and len(set(families)) == 1
    assert refresh_by_body(client, rotated["refresh_token"]).status_code == 200


def test_reusing_a_rotated_refresh_token_by_header_revokes_the_family(client):
    pair = tokens_for(make_admin())
    successor = refresh_by_header(client, pair["refresh_token"]).get_json()["refresh_token"]
    assert_error(refresh_by_header(client, pair["refresh_token"]), 401, "TOKEN_REUSED")
    assert_error(refresh_by_body(client, successor), 401)


def test_refresh_without_a_token_is_401(client):
    assert_error(client.post("/api/auth/refresh"), 401, "TOKEN_MISSING")
    assert_error(client.post("/api/auth/refresh", json={}), 401, "TOKEN_MISSING")


def test_refresh_with_garbage_is_401(client):
    assert_error(refresh_by_body(client, "not.a.token"), 401, "TOKEN_INVALID")


def test_refresh_token_past_its_stored_expiry_is_401(client):
    pair = tokens_for(make_admin())
    clock.set_frozen(clock.utcnow() + timedelta(days=7, minutes=1))
    assert_error(refresh_by_body(client, pair["refresh_token"]), 401, "TOKEN_INVALID")


def test_refresh_of_a_deactivated_user_is_401(client):
    admin, user = make_admin(), make_admin()
    pair = tokens_for(user)
    assert client.delete(f"/api/users/{user.id}", headers=auth(admin)).status_code == 200
    assert_error(refresh_by_body(client, pair["refresh_token"]), 401)


def test_logout_without_a_refresh_token_leaves_the_refresh_token_usable(client):
    pair = tokens_for(make_admin())
    assert client.post("/api/auth/logout", headers=bearer(pair["access_token"])).status_code == 200
    assert_error(client.get("/api/auth/me", headers=bearer(pair["access_token"])), 401, "TOKEN_REVOKED")
    assert refresh_by_body(client, pair["refresh_token"]).status_code == 200


def test_logout_with_the_refresh_token_revokes_both(client):
    pair = tokens_for(make_admin())
    response = client.post("/api/auth/logout", headers=bearer(pair["access_token"]),
                           json={"refresh_token": pair["refresh_token"]})
    assert response.get_json() == {"message": "Logged out successfully"}
    assert_error(refresh_by_body(client, pair["refresh_token"]), 401)


def test_logout_cannot_revoke_another_users_refresh_token(client):
    mine, theirs = tokens_for(make_admin()), tokens_for(make_admin())
    client.post("/api/auth/logout", headers=bearer(mine["access_token"]),
                json={"refresh_token": theirs["refresh_token"]})
    assert refresh_by_body(client, theirs["refresh_token"]).status_code == 200


def test_logout_needs_a_valid_token(client):
    assert_error(client.post("/api/auth/logout"), 401, "TOKEN_MISSING")
    pair = tokens_for(make_admin())
    client.post("/api/auth/logout", headers=bearer(pair["access_token"]))
    assert_error(client.post("/api/auth/logout", headers=bearer(pair["access_token"])), 401, "TOKEN_REVOKED")
