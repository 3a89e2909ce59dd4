import re

from app.auth.passwords import hash_code
from app.common import events
from app.extensions import db, mail
from app.students.models import Student
from app.users.models import User
from tests.factories import assign_teacher, auth, make_class, make_student, tokens_for
from tests.helpers import assert_error
from tests.students.helpers import audit_actions, captured, claim

NEW = {"name": "New Student", "email": "NewStudent@School.test", "registration_number": "STU2024010",
       "date_of_birth": "2008-05-15", "parent_email": "parent@email.test", "parent_phone": "+1234567890"}


# --- reading ---------------------------------------------------------------------------

def test_get_student_carries_its_class_object(client, school):
    student = school.student_a
    response = client.get(f"/api/students/{student.id}", headers=auth(school.admin))
    assert response.status_code == 200
    body = response.get_json()
    assert body["name"] == "Alice Johnson" and body["registration_number"] == "STU2024001"
    assert body["class"] == {"id": school.class_a.id, "name": "Class 10", "section": "A",
                             "academic_year": "2026-2027"}
    assert body["is_account_claimed"] is True and body["is_active"] is True
    assert body["created_at"].endswith("Z")


def test_teacher_gets_404_for_another_teachers_student_and_student_gets_403(client, school):
    other = school.student_b
    assert_error(client.get(f"/api/students/{other.id}", headers=auth(school.teacher_a)), 404, "NOT_FOUND")
    assert client.get(f"/api/students/{school.student_a.id}", headers=auth(school.teacher_a)).status_code == 200
    student_headers = auth(school.student_a)
    assert_error(client.get(f"/api/students/{school.student_a.id}", headers=student_headers), 403)
    assert_error(client.get("/api/students", headers=student_headers), 403)
    assert_error(client.post("/api/students", json=NEW, headers=student_headers), 403)
    assert_error(client.get("/api/students/export", headers=student_headers), 403)


def test_teacher_lists_only_students_of_their_classes(client, school):
    body = client.get("/api/students", headers=auth(school.teacher_a)).get_json()
    assert [s["id"] for s in body["items"]] == [school.student_a.id]
    filtered = client.get(f"/api/students?class_id={school.class_b.id}", headers=auth(school.teacher_a))
    assert filtered.get_json()["items"] == []


def test_list_filters_by_class_search_and_claim_status(client, school):
    headers = auth(school.admin)
    unclaimed = make_student(school.class_a, claimed=False, name="Chloé Dubois", email="chloe@mail.test")

    def ids(query):
        response = client.get(f"/api/students?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [s["id"] for s in response.get_json()["items"]]

    assert ids(f"class_id={school.class_b.id}") == [school.student_b.id]
    assert ids("search=alice") == [school.student_a.id]
    assert ids("search=CHLOE@") == [unclaimed.id]
    assert ids("search=stu2024002") == [school.student_b.id]
    assert ids("claimed=false") == [unclaimed.id]
    assert set(ids("claimed=true")) == {school.student_a.id, school.student_b.id}


def test_list_paginates_orders_and_hides_deactivated_unless_asked(client, school):
    headers = auth(school.admin)
    gone = make_student(school.class_a, name="Zed Gone", is_active=False)
    body = client.get("/api/students?ordering=-name&limit=1", headers=headers).get_json()
    assert body["total"] == 2 and body["pages"] == 2 and body["limit"] == 1
    assert body["items"][0]["name"] == "Bilal Rahman"
    second = client.get("/api/students?ordering=-name&page_size=1&page=2", headers=headers).get_json()
    assert second["items"][0]["name"] == "Alice Johnson"
    inactive = client.get("/api/students?is_active=false", headers=headers).get_json()
    assert [s["id"] for s in inactive["items"]] == [gone.id]
    assert_error(client.get("/api/students?ordering=password_hash", headers=headers), 422)
    assert_error(client.get("/api/students?limit=101", headers=headers), 422)


def test_student_list_takes_the_same_queries_for_any_page_size(client, school, count_queries):
    headers = auth(school.admin)
    with count_queries() as few:
        client.get("/api/students", headers=headers)
    for n in range(10):
        make_student(school.class_a if n % 2 else None)
    with count_queries() as many:
        body = client.get("/api/students", headers=headers).get_json()
    assert len(body["items"]) == 12
    assert many.count == few.count <= 3


# --- creating -----------------------------------------------------------------------------

def test_admin_creates_student_with_a_one_time_claim_code(client, school):
    payload = {**NEW, "class_id": school.class_a.id}
    with captured(events.student_added_to_class) as received:
        response = client.post("/api/students", json=payload, headers=auth(school.admin))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["email"] == "newstudent@school.test"
    assert body["class"]["id"] == school.class_a.id
    assert body["is_account_claimed"] is False and body["date_of_birth"] == "2008-05-15"
    code = body["claim_code"]
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", code)
    stored = db.session.get(Student, body["id"])
    assert stored.claim_code_hash == hash_code(code) and code not in stored.claim_code_hash
    assert stored.registration_key == "stu2024010"
    assert db.session.get(User, body["id"]).password_hash is None
    assert received == [{"student_ids": [body["id"]], "class_id": school.class_a.id,
                         "actor_id": school.admin.id}]
    assert audit_actions(body["id"]) == ["student_created"]
    fetched = client.get(f"/api/students/{body['id']}", headers=auth(school.admin)).get_json()
    assert "claim_code" not in fetched
    assert claim(client, "stu2024010", "WRONGCODE1").status_code == 401
    assert claim(client, "stu2024010", code.lower()).status_code == 200


def test_admin_may_create_an_unassigned_student_without_an_event(client, school):
    with captured(events.student_added_to_class) as received:
        response = client.post("/api/students", json=NEW, headers=auth(school.admin))
    assert response.status_code == 201
    assert response.get_json()["class"] is None and received == []


def test_teacher_creates_only_in_their_own_class(client, school):
    teacher = school.teacher_a
    own = client.post("/api/students", json={**NEW, "class_id": school.class_a.id}, headers=auth(teacher))
    assert own.status_code == 201
    foreign = client.post("/api/students", json={**NEW, "email": "x@school.test", "registration_number": "X1",
                                                 "class_id": school.class_b.id}, headers=auth(teacher))
    assert_error(foreign, 404)
    none = client.post("/api/students", json={**NEW, "email": "y@school.test", "registration_number": "Y1"},
                       headers=auth(teacher))
    assert "class_id" in assert_error(none, 422)["details"]


def test_duplicate_email_or_registration_number_is_conflict(client, school):
    headers = auth(school.admin)
    taken_email = {**NEW, "email": school.student_a.email.upper()}
    assert_error(client.post("/api/students", json=taken_email, headers=headers), 409, "EMAIL_TAKEN")
    taken_number = {**NEW, "registration_number": "stu2024001"}
    assert_error(client.post("/api/students", json=taken_number, headers=headers), 409, "REGISTRATION_NUMBER_TAKEN")


def test_create_validates_fields(client, school):
    headers = auth(school.admin)
    body = assert_error(client.post("/api/students", json={**NEW, "email": "not-an-email",
                                                           "date_of_birth": "2999-01-01"}, headers=headers), 422)
    assert {"email", "date_of_birth"} <= set(body["details"])
    body = assert_error(client.post("/api/students", json={"name": "Only a name"}, headers=headers), 422)
    assert {"email", "registration_number"} <= set(body["details"])


def test_claim_code_is_mailed_after_commit_when_mail_is_configured(app, client, school, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.school.test")
    with mail.record_messages() as outbox:
        response = client.post("/api/students", json=NEW, headers=auth(school.admin))
    assert response.status_code == 201
    assert len(outbox) == 1
    assert outbox[0].recipients == ["newstudent@school.test"]
    assert response.get_json()["claim_code"] in outbox[0].body


def test_no_mail_is_sent_when_creation_fails(app, client, school, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.school.test")
    with mail.record_messages() as outbox:
        response = client.post("/api/students", json={**NEW, "registration_number": "STU2024001"},
                               headers=auth(school.admin))
    assert response.status_code == 409 and outbox == []


# --- updating and moving -------------------------------------------------------------------

def test_admin_moves_a_student_and_the_new_class_is_announced(client, school):
    student = school.student_a
    with captured(events.student_added_to_class) as received:
        response = client.put(f"/api/students/{student.id}", json={"class_id": school.class_b.id,
                                                                  "name": "Alice J."},
                              headers=auth(school.admin))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["class"]["id"] == school.class_b.id and body["name"] == "Alice J."
    assert received == [{"student_ids": [student.id], "class_id": school.class_b.id,
                         "actor_id": school.admin.id}]
    assert audit_actions(student.id) == ["student_updated"]


def test_teacher_cannot_move_a_student_to_a_class_they_do_not_teach(client, school):
    student = school.student_a
    response = client.put(f"/api/students/{student.id}", json={"class_id": school.class_b.id},
                          headers=auth(school.teacher_a))
    assert_error(response, 404)
    db.session.expire_all()
    assert db.session.get(Student, student.id).class_id == school.class_a.id


def test_teacher_moves_between_their_own_classes(client, school):
    extra = make_class("Class 11")
    teacher = school.teacher_a
    assign_teacher(teacher, extra)
    response = client.put(f"/api/students/{school.student_a.id}", json={"class_id": extra.id},
                          headers=auth(teacher))
    assert response.status_code == 200 and response.get_json()["class_id"] == extra.id


def test_update_refuses_taken_email_and_registration_number(client, school):
    student, other = school.student_a, school.student_b
    headers = auth(school.admin)
    url = f"/api/students/{student.id}"
    assert_error(client.put(url, json={"email": other.email}, headers=headers), 409, "EMAIL_TAKEN")
    assert_error(client.put(url, json={"registration_number": "stu2024002"}, headers=headers), 409)
    renumbered = client.put(url, json={"registration_number": "STU2024001-B"}, headers=headers)
    assert renumbered.status_code == 200
    assert db.session.get(Student, student.id).registration_key == "stu2024001-b"
    assert_error(client.put(url, json={}, headers=headers), 422)


def test_teacher_cannot_update_another_teachers_student(client, school):
    response = client.put(f"/api/students/{school.student_b.id}", json={"name": "Hacked"},
                          headers=auth(school.teacher_a))
    assert_error(response, 404)


# --- deactivation, restore, claim codes -------------------------------------------------------

def test_delete_deactivates_and_revokes_tokens_and_restore_brings_back(client, school):
    student = school.student_a
    student_headers = {"Authorization": f"Bearer {tokens_for(student)['access_token']}"}
    assert client.get("/api/auth/me", headers=student_headers).status_code == 200
    response = client.delete(f"/api/students/{student.id}", headers=auth(school.teacher_a))
    assert response.status_code == 200
    body = response.get_json()
    assert body["deleted"] is True and body["id"] == student.id and body["deleted_at"].endswith("Z")
    assert body["message"] == "Student deleted"
    assert client.get("/api/auth/me", headers=student_headers).status_code == 401
    db.session.expire_all()
    assert db.session.get(User, student.id).is_active is False
    restored = client.post(f"/api/students/{student.id}/restore", headers=auth(school.admin))
    assert restored.status_code == 200 and restored.get_json()["is_active"] is True
    assert_error(client.post(f"/api/students/{student.id}/restore", headers=auth(school.admin)), 409)
    assert audit_actions(student.id) == ["student_deactivated", "student_restored"]


def test_regenerated_claim_code_replaces_the_old_one(client, school):
    student = make_student(school.class_a, claimed=False, claim_code="OLDCODE234")
    response = client.post(f"/api/students/{student.id}/regenerate-claim-code", headers=auth(school.teacher_a))
    assert response.status_code == 200
    code = response.get_json()["claim_code"]
    number = student.student.registration_number
    assert claim(client, number, "OLDCODE234").status_code == 401
    assert claim(client, number, code).status_code == 200
    assert "student_claim_code_regenerated" in audit_actions(student.id)


def test_claimed_students_get_no_new_claim_code(client, school):
    response = client.post(f"/api/students/{school.student_a.id}/regenerate-claim-code",
                           headers=auth(school.admin))
    assert_error(response, 409, "ALREADY_CLAIMED")
    other = client.post(f"/api/students/{school.student_b.id}/regenerate-claim-code",
                        headers=auth(school.teacher_a))
    assert_error(other, 404)

