"""Who is asking is settled before what is asked: 401/403 before 422, 405 before 404."""
from tests.factories import auth, make_class, make_student, make_teacher
from tests.helpers import assert_error


def test_anonymous_invalid_body_is_401_not_422(client):
    assert_error(client.post("/api/questions", json={"type": "nonsense"}), 401, "TOKEN_MISSING")
    assert_error(client.post("/api/auth/change-password", json={"unknown": 1}), 401, "TOKEN_MISSING")


def test_wrong_role_with_invalid_body_is_403_not_422(client):
    student = make_student(make_class())
    assert_error(client.post("/api/questions", json={"type": "nonsense"}, headers=auth(student)), 403)
    assert_error(client.post("/api/users", json={}, headers=auth(make_teacher())), 403)


def test_allowed_role_with_invalid_body_is_still_422(client):
    assert_error(client.post("/api/questions", json={"type": "nonsense"}, headers=auth(make_teacher())), 422)


def test_method_on_a_path_shadowed_by_a_parameter_route_is_405_with_exact_allow(client):
    response = client.get("/api/attempts/reset")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    response = client.delete("/api/students/export")
    assert_error(response, 405)
    assert "DELETE" not in response.headers["Allow"]


def test_options_lists_only_the_methods_of_that_path(client):
    allow = set(client.options("/api/notifications/unread-count").headers["Allow"].split(", "))
    assert allow == {"GET", "HEAD", "OPTIONS"}
