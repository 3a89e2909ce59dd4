"""GET /api/auth/me: the user with the fields of their role, loaded on every request."""
from tests.factories import auth, make_admin, make_class, make_student, make_teacher
from tests.helpers import assert_error


def me(client, user):
    response = client.get("/api/auth/me", headers=auth(user))
    assert response.status_code == 200
    return response.get_json()


def test_admin_sees_the_account_without_role_fields(client):
    body = me(client, make_admin(name="Ada Admin"))
    assert body["role"] == "admin" and body["name"] == "Ada Admin"
    assert not {"classes", "class", "registration_number", "password_hash", "password"} & body.keys()


def test_teacher_sees_their_classes_and_profile(client):
    mine = make_class("Class 10", section="A")
    make_class("Class 11")
    body = me(client, make_teacher(classes=[mine]))
    assert body["role"] == "teacher" and body["subject"] == "Mathematics"
    assert [(c["id"], c["name"], c["section"]) for c in body["classes"]] == [(mine.id, "Class 10", "A")]


def test_student_sees_class_registration_number_and_claim_status(client):
    school_class = make_class("Class 9")
    body = me(client, make_student(school_class, registration_number="STU2024042"))
    assert body["registration_number"] == "STU2024042"
    assert body["is_account_claimed"] is True
    assert body["class"] == {"id": school_class.id, "name": "Class 9", "section": "A", "academic_year": "2026-2027"}


def test_student_without_a_class_sees_null(client):
    assert me(client, make_student(None))["class"] is None


def test_role_change_takes_effect_on_the_next_request(client):
    admin, teacher = make_admin(), make_teacher()
    teacher_headers = auth(teacher)
    assert_error(client.get("/api/users", headers=teacher_headers), 403)
    assert client.put(f"/api/users/{teacher.id}", headers=auth(admin), json={"role": "admin"}).status_code == 200
    assert client.get("/api/users", headers=teacher_headers).status_code == 200
    assert client.get("/api/auth/me", headers=teacher_headers).get_json()["role"] == "admin"


def test_deactivation_takes_effect_on_the_next_request(client):
    admin, teacher = make_admin(), make_teacher()
    teacher_headers = auth(teacher)
    client.delete(f"/api/users/{teacher.id}", headers=auth(admin))
    assert_error(client.get("/api/auth/me", headers=teacher_headers), 401, "TOKEN_REVOKED")
