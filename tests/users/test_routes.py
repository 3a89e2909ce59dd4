"""/api/users: the admin's user management (seed 001 §5.2)."""
import pytest

from app.common.audit import AuditLog
from app.extensions import db
from app.users.models import User
from tests.factories import PASSWORD, auth, make_admin, make_class, make_student, make_teacher, tokens_for
from tests.helpers import assert_error

NEW_TEACHER = {"email": "New.Teacher@School.test", "name": "New Teacher", "password": "temp-pass-2026",
               "role": "teacher", "subject": "Physics", "phone": "+441234567", "department": "Science",
               "bio": "Teaches physics."}


@pytest.fixture
def admin():
    return make_admin(name="Root Admin")


@pytest.fixture
def headers(admin):
    return auth(admin)


def audit_actions(entity_id: str) -> list[str]:
    return db.session.scalars(db.select(AuditLog.action).where(AuditLog.entity_id == entity_id)
                              .order_by(AuditLog.created_at)).all()


def login(client, identifier, password=PASSWORD):
    return client.post("/api/auth/login", json={"email_or_reg_no": identifier, "password": password})


# --- list -------------------------------------------------------------------------

def test_list_is_a_page_with_totals(client, headers):
    for _ in range(4):
        make_teacher()
    body = client.get("/api/users?page=2&limit=2", headers=headers).get_json()
    assert (body["total"], body["page"], body["limit"], body["pages"]) == (5, 2, 2, 3)
    assert len(body["items"]) == 2


def test_list_accepts_page_size_as_an_alias(client, headers):
    make_teacher(), make_teacher()
    body = client.get("/api/users?page_size=1", headers=headers).get_json()
    assert body["limit"] == 1 and len(body["items"]) == 1 and body["pages"] == 3


def test_list_filters_by_role_and_activity(client, headers):
    teacher = make_teacher()
    make_teacher(is_active=False)
    make_student()
    by_role = client.get("/api/users?role=teacher&is_active=true", headers=headers).get_json()
    assert [u["id"] for u in by_role["items"]] == [teacher.id]
    inactive = client.get("/api/users?is_active=false", headers=headers).get_json()
    assert [u["role"] for u in inactive["items"]] == ["teacher"]


@pytest.mark.parametrize("search", ["john", "SMITH", "jsmith@", "stu2024"])
def test_list_searches_name_email_and_registration_number(client, headers, search):
    make_teacher(name="John Smith", email="jsmith@school.test")
    make_student(name="John Doe", email="doe@school.test", registration_number="STU2024777")
    make_teacher(name="Amina Haddad")
    names = {u["name"] for u in client.get(f"/api/users?search={search}", headers=headers).get_json()["items"]}
    expected = {"john": {"John Smith", "John Doe"}, "SMITH": {"John Smith"}, "jsmith@": {"John Smith"},
                "stu2024": {"John Doe"}}[search]
    assert names == expected


def test_search_wildcards_are_taken_literally(client, headers):
    make_teacher(name="Under_score")
    make_teacher(name="Underxscore")
    names = [u["name"] for u in client.get("/api/users?search=r_s", headers=headers).get_json()["items"]]
    assert names == ["Under_score"]


def test_list_orders_by_the_requested_fields(client, headers):
    for name in ("Carla", "Aaron", "Bea"):
        make_teacher(name=name)
    ascending = client.get("/api/users?role=teacher&ordering=name", headers=headers).get_json()["items"]
    descending = client.get("/api/users?role=teacher&ordering=-name", headers=headers).get_json()["items"]
    assert [u["name"] for u in ascending] == ["Aaron", "Bea", "Carla"]
    assert [u["name"] for u in descending] == ["Carla", "Bea", "Aaron"]


def test_unknown_ordering_or_filter_is_422(client, headers):
    assert "ordering" in assert_error(client.get("/api/users?ordering=password_hash", headers=headers), 422)["details"]
    assert "role" in assert_error(client.get("/api/users?role=janitor", headers=headers), 422)["details"]
    assert "limit" in assert_error(client.get("/api/users?limit=101", headers=headers), 422)["details"]


def test_list_shows_role_profiles(client, headers):
    make_teacher(name="Tina Teacher")
    make_student(make_class(), name="Sam Student", registration_number="STU555")
    items = {u["name"]: u for u in client.get("/api/users", headers=headers).get_json()["items"]}
    assert items["Tina Teacher"]["subject"] == "Mathematics"
    assert items["Sam Student"]["registration_number"] == "STU555"
    assert "password_hash" not in items["Sam Student"] and "registration_number" not in items["Tina Teacher"]


def test_list_query_count_does_not_grow_with_the_page(client, headers, count_queries):
    def queries() -> int:
        with count_queries() as counted:
            assert client.get("/api/users?limit=100", headers=headers).status_code == 200
        return counted.count

    make_teacher(), make_student()
    few = queries()
    for _ in range(6):
        make_teacher(), make_student()
    assert queries() == few


# --- get / create -----------------------------------------------------------------

def test_get_returns_the_user(client, headers):
    teacher = make_teacher(name="Tom")
    body = client.get(f"/api/users/{teacher.id}", headers=headers).get_json()
    assert (body["id"], body["name"], body["role"], body["subject"]) == (teacher.id, "Tom", "teacher", "Mathematics")


def test_get_unknown_user_is_404(client, headers):
    assert_error(client.get("/api/users/00000000-0000-0000-0000-000000000000", headers=headers), 404, "NOT_FOUND")


def test_create_teacher_with_profile_fields(client, headers, admin):
    response = client.post("/api/users", headers=headers, json=NEW_TEACHER)
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "new.teacher@school.test" and body["role"] == "teacher"
    assert {k: body[k] for k in ("subject", "phone", "department", "bio")} == {
        "subject": "Physics", "phone": "+441234567", "department": "Science", "bio": "Teaches physics."}
    assert "password" not in body
    assert login(client, "new.teacher@school.test", "temp-pass-2026").status_code == 200
    entry = db.session.scalar(db.select(AuditLog).where(AuditLog.entity_id == body["id"]))
    assert (entry.action, entry.user_id) == ("user_created", admin.id)


def test_create_admin(client, headers):
    body = {"email": "second@school.test", "name": "Second", "password": "temp-pass-2026", "role": "admin"}
    assert client.post("/api/users", headers=headers, json=body).get_json()["role"] == "admin"


def test_create_refuses_a_taken_email(client, headers):
    make_teacher(email="new.teacher@school.test")
    assert_error(client.post("/api/users", headers=headers, json=NEW_TEACHER), 409, "EMAIL_TAKEN")


@pytest.mark.parametrize("change, field", [
    ({"password": "short"}, "password"),
    ({"password": "password1"}, "password"),
    ({"role": "student"}, "role"),
    ({"email": "not-an-email"}, "email"),
    ({"name": "   "}, "name"),
    ({"role": "admin"}, "subject"),
    ({"is_superuser": True}, "is_superuser"),
])
def test_create_validates_the_body(client, headers, change, field):
    response = client.post("/api/users", headers=headers, json={**NEW_TEACHER, **change})
    assert field in assert_error(response, 422, "VALIDATION_ERROR")["details"]


# --- update -----------------------------------------------------------------------

def test_update_changes_name_and_email_and_is_audited(client, headers):
    teacher = make_teacher(name="Old Name")
    response = client.put(f"/api/users/{teacher.id}", headers=headers,
                          json={"name": "Updated Name", "email": "NewEmail@School.test", "subject": "History"})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["email"], body["subject"]) == ("Updated Name", "newemail@school.test", "History")
    entry = db.session.scalar(db.select(AuditLog).where(AuditLog.action == "user_updated"))
    assert entry.old_value["name"] == "Old Name" and entry.new_value["name"] == "Updated Name"


def test_update_refuses_another_users_email(client, headers):
    make_teacher(email="taken@school.test")
    teacher = make_teacher()
    assert_error(client.put(f"/api/users/{teacher.id}", headers=headers, json={"email": "taken@school.test"}), 409)


def test_update_refuses_teacher_fields_on_an_admin(client, headers):
    other = make_admin()
    assert "subject" in assert_error(
        client.put(f"/api/users/{other.id}", headers=headers, json={"subject": "Art"}), 422)["details"]


def test_update_refuses_an_empty_body(client, headers):
    assert_error(client.put(f"/api/users/{make_teacher().id}", headers=headers, json={}), 422)


def test_role_change_to_teacher_adds_a_profile(client, headers):
    other = make_admin()
    body = client.put(f"/api/users/{other.id}", headers=headers, json={"role": "teacher", "subject": "Art"}).get_json()
    assert (body["role"], body["subject"]) == ("teacher", "Art")


def test_admin_cannot_change_own_role(client, headers, admin):
    assert "role" in assert_error(client.put(f"/api/users/{admin.id}", headers=headers, json={"role": "teacher"}),
                                  422)["details"]


def test_student_role_cannot_change(client, headers):
    student = make_student()
    assert_error(client.put(f"/api/users/{student.id}", headers=headers, json={"role": "teacher"}), 422)


def test_password_set_by_the_admin_revokes_the_users_tokens(client, headers):
    teacher = make_teacher()
    teacher_headers = auth(teacher)
    response = client.put(f"/api/users/{teacher.id}", headers=headers, json={"password": "set-by-the-admin"})
    assert response.status_code == 200
    assert_error(client.get("/api/auth/me", headers=teacher_headers), 401, "TOKEN_REVOKED")
    assert login(client, teacher.email, "set-by-the-admin").status_code == 200
    assert "user_password_set" in audit_actions(teacher.id)


# --- delete (deactivate) and restore -------------------------------------------------

def test_delete_deactivates_and_revokes_every_token(client, headers):
    teacher = make_teacher()
    pair = tokens_for(teacher)
    response = client.delete(f"/api/users/{teacher.id}", headers=headers)
    assert response.get_json() == {"message": "User deleted successfully"}
    stored = db.session.get(User, teacher.id)
    assert stored is not None and not stored.is_active and stored.deleted_at is not None
    assert_error(client.get("/api/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"}), 401)
    assert_error(client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401)
    assert_error(login(client, teacher.email), 401, "INVALID_CREDENTIALS")
    assert "user_deactivated" in audit_actions(teacher.id)


def test_deleted_user_is_still_listed_as_inactive(client, headers):
    teacher = make_teacher()
    client.delete(f"/api/users/{teacher.id}", headers=headers)
    body = client.get(f"/api/users/{teacher.id}", headers=headers).get_json()
    assert body["is_active"] is False and body["deleted_at"].endswith("Z")


def test_admin_cannot_delete_themselves(client, headers, admin):
    assert_error(client.delete(f"/api/users/{admin.id}", headers=headers), 409, "SELF_DEACTIVATION")


def test_restore_reactivates_the_account(client, headers):
    teacher = make_teacher()
    client.delete(f"/api/users/{teacher.id}", headers=headers)
    response = client.post(f"/api/users/{teacher.id}/restore", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["is_active"] is True and response.get_json()["deleted_at"] is None
    assert login(client, teacher.email).status_code == 200
    assert "user_restored" in audit_actions(teacher.id)


def test_restore_of_an_active_user_is_409(client, headers):
    assert_error(client.post(f"/api/users/{make_teacher().id}/restore", headers=headers), 409, "ALREADY_ACTIVE")


def test_delete_and_restore_of_unknown_user_are_404(client, headers):
    missing = "00000000-0000-0000-0000-000000000000"
    assert_error(client.delete(f"/api/users/{missing}", headers=headers), 404)
    assert_error(client.post(f"/api/users/{missing}/restore", headers=headers), 404)


# --- who may ----------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/users", None),
    ("post", "/api/users", NEW_TEACHER),
    ("get", "/api/users/{id}", None),
    ("put", "/api/users/{id}", {"name": "X"}),
    ("delete", "/api/users/{id}", None),
    ("post", "/api/users/{id}/restore", None),
]


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
@pytest.mark.parametrize("role", ["teacher", "student"])
def test_teachers_and_students_are_forbidden(client, role, method, path, body):
    target = make_teacher()
    caller = make_teacher() if role == "teacher" else make_student()
    response = getattr(client, method)(path.format(id=target.id), headers=auth(caller), json=body)
    assert_error(response, 403, "FORBIDDEN")
    assert db.session.get(User, target.id).is_active


@pytest.mark.parametrize("method, path, body", ENDPOINTS)
def test_anonymous_callers_get_401(client, method, path, body):
    target = make_teacher()
    assert_error(getattr(client, method)(path.format(id=target.id), json=body), 401, "TOKEN_MISSING")
