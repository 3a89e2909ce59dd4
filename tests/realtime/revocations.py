"""The ways a user's access ends, as real requests: through Flask's test client or a live server."""
import requests

from tests.factories import PASSWORD, make_admin, tokens_for

NEW_PASSWORD = "a-brand-new-passphrase"


class InProcess:
    """Requests through Flask's test client."""

    def __init__(self, client):
        self.client = client

    def __call__(self, method, path, token=None, json=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=method, json=json, headers=headers)
        return response.status_code, response.get_json()


class Live:
    """Requests to a running server."""

    def __init__(self, url):
        self.url = url

    def __call__(self, method, path, token=None, json=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = requests.request(method, f"{self.url}{path}", json=json, headers=headers, timeout=10)
        return response.status_code, response.json()


def access_token(user) -> str:
    return tokens_for(user)["access_token"]


def logout(api, user):
    # A token of its own: the sockets' tokens are not the one presented at logout.
    return api("POST", "/api/auth/logout", access_token(user))


def change_password(api, user):
    return api("POST", "/api/auth/change-password", access_token(user),
               {"current_password": PASSWORD, "new_password": NEW_PASSWORD})


def reset_password(api, user):
    status, body = api("POST", "/api/auth/forgot-password", json={"email": user.email})
    assert status == 200 and body.get("token"), body
    return api("POST", "/api/auth/reset-password",
               json={"email": user.email, "code": body["token"], "new_password": NEW_PASSWORD})


def set_password_as_admin(api, user):
    return api("PUT", f"/api/users/{user.id}", access_token(make_admin()), {"password": NEW_PASSWORD})


def deactivate(api, user):
    path = f"/api/students/{user.id}" if user.is_student else f"/api/users/{user.id}"
    return api("DELETE", path, access_token(make_admin()))


def change_role(api, user):
    return api("PUT", f"/api/users/{user.id}", access_token(make_admin()), {"role": "admin"})


FOR_EVERYONE = {"logout": logout, "password change": change_password, "password reset": reset_password,
                "deactivation": deactivate}
FOR_STAFF = {**FOR_EVERYONE, "password set by an admin": set_password_as_admin, "role change": change_role}


def revoke(api, kind, user):
    status, body = FOR_STAFF[kind](api, user)
    assert status == 200, (kind, status, body)
