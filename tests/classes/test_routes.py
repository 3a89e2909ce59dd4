from sqlalchemy import select

from app.attempts.models import QuizAttempt
from app.classes.models import SchoolClass, TeacherClass
from app.common import events
from app.extensions import db
from app.quizzes.models import QuizClass
from app.students.models import Student
from app.users.models import User
from tests.factories import (
    auth,
    make_admin,
    make_attempt,
    make_class,
    make_question,
    make_quiz,
    make_student,
    make_teacher,
)
from tests.helpers import assert_error
from tests.students.helpers import audit_actions, captured

# --- create, read, update -------------------------------------------------------------

def test_admin_creates_class_and_gets_it_back(client):
    admin = make_admin()
    response = client.post("/api/classes", json={"name": "Class 11", "section": "B", "academic_year": "2026-2027"},
                           headers=auth(admin))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["name"] == "Class 11" and body["section"] == "B" and body["academic_year"] == "2026-2027"
    assert body["student_count"] == 0 and body["students"] == [] and body["teachers"] == []
    assert body["teacher"] is None
    assert body["created_at"].endswith("Z")
    assert audit_actions(body["id"]) == ["class_created"]


def test_same_name_section_and_year_is_conflict_whatever_the_case(client):
    admin = make_admin()
    make_class("Class 11", section="B", academic_year="2026-2027")
    response = client.post("/api/classes", json={"name": "class 11", "section": "b", "academic_year": "2026-2027"},
                           headers=auth(admin))
    assert_error(response, 409, "CLASS_EXISTS")


def test_missing_section_and_year_count_as_equal_for_uniqueness(client):
    admin = make_admin()
    make_class("Robotics Club", section=None, academic_year=None)
    response = client.post("/api/classes", json={"name": "Robotics Club"}, headers=auth(admin))
    assert_error(response, 409, "CLASS_EXISTS")
    other_year = client.post("/api/classes", json={"name": "Robotics Club", "academic_year": "2027-2028"},
                             headers=auth(admin))
    assert other_year.status_code == 201


def test_blank_name_and_unknown_fields_are_422(client):
    admin = make_admin()
    body = assert_error(client.post("/api/classes", json={"name": "  "}, headers=auth(admin)), 422)
    assert "name" in body["details"]
    body = assert_error(client.post("/api/classes", json={"name": "X", "colour": "red"}, headers=auth(admin)), 422)
    assert "colour" in body["details"]


def test_teacher_and_student_cannot_create_classes(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    for user in (teacher, student):
        assert_error(client.post("/api/classes", json={"name": "New"}, headers=auth(user)), 403, "FORBIDDEN")


def test_student_is_refused_every_class_endpoint(client):
    school_class = make_class()
    student = make_student(school_class)
    headers = auth(student)
    assert_error(client.get("/api/classes", headers=headers), 403)
    assert_error(client.get(f"/api/classes/{school_class.id}", headers=headers), 403)
    assert_error(client.post(f"/api/classes/{school_class.id}/assign-students",
                             json={"student_ids": [student.id]}, headers=headers), 403)
    assert_error(client.delete(f"/api/classes/{school_class.id}/students/{student.id}", headers=headers), 403)


def test_anonymous_is_401(client):
    assert_error(client.get("/api/classes"), 401)


def test_class_detail_lists_teachers_active_students_and_count(client):
    school_class = make_class("Class 10", section="A")
    teacher = make_teacher(classes=[school_class], name="John Teacher")
    alice = make_student(school_class, name="Alice")
    make_student(school_class, name="Gone", is_active=False)
    make_student(make_class(), name="Elsewhere")
    body = client.get(f"/api/classes/{school_class.id}", headers=auth(make_admin())).get_json()
    assert body["student_count"] == 1
    assert [s["id"] for s in body["students"]] == [alice.id]
    assert body["students"][0]["registration_number"] == alice.student.registration_number
    assert body["teacher"] == {"id": teacher.id, "name": "John Teacher", "email": teacher.email,
                               "subject": "Mathematics"}
    assert [t["id"] for t in body["teachers"]] == [teacher.id]


def test_teacher_lists_only_their_classes_and_gets_404_for_another(client):
    mine, theirs = make_class("Mine"), make_class("Theirs")
    teacher = make_teacher(classes=[mine])
    make_teacher(classes=[theirs])
    body = client.get("/api/classes", headers=auth(teacher)).get_json()
    assert [c["id"] for c in body["items"]] == [mine.id]
    assert body["total"] == 1
    assert_error(client.get(f"/api/classes/{theirs.id}", headers=auth(teacher)), 404, "NOT_FOUND")
    assert client.get(f"/api/classes/{mine.id}", headers=auth(teacher)).status_code == 200


def test_class_list_searches_paginates_and_orders(client):
    admin = make_admin()
    for name in ("Class 9", "Class 10", "Science Club"):
        make_class(name)
    body = client.get("/api/classes?search=class&ordering=-name&limit=1&page=2", headers=auth(admin)).get_json()
    assert body["total"] == 2 and body["pages"] == 2 and body["limit"] == 1 and body["page"] == 2
    assert [c["name"] for c in body["items"]] == ["Class 10"]
    assert_error(client.get("/api/classes?ordering=colour", headers=auth(admin)), 422)


def test_class_list_counts_students_in_constant_queries(client, count_queries):
    admin = make_admin()
    headers = auth(admin)

    def fill(n):
        for _ in range(n):
            school_class = make_class()
            make_teacher(classes=[school_class])
            make_student(school_class)

    fill(2)
    with count_queries() as few:
        first = client.get("/api/classes", headers=headers)
    fill(8)
    with count_queries() as many:
        second = client.get("/api/classes", headers=headers)
    assert len(first.get_json()["items"]) == 2 and len(second.get_json()["items"]) == 10
    assert all(item["student_count"] == 1 and len(item["teachers"]) == 1 for item in second.get_json()["items"])
    assert many.count == few.count


def test_admin_renames_class_and_a_clash_is_conflict(client):
    admin = make_admin()
    school_class = make_class("Class 9", section="A")
    make_class("Class 10", section="A")
    response = client.put(f"/api/classes/{school_class.id}", json={"name": "Class 9 Renamed"}, headers=auth(admin))
    assert response.status_code == 200 and response.get_json()["name"] == "Class 9 Renamed"
    clash = client.put(f"/api/classes/{school_class.id}", json={"name": "class 10"}, headers=auth(admin))
    assert_error(clash, 409, "CLASS_EXISTS")
    assert audit_actions(school_class.id) == ["class_updated"]


def test_teacher_cannot_update_or_delete_their_class(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    assert_error(client.put(f"/api/classes/{school_class.id}", json={"name": "X"}, headers=auth(teacher)), 403)
    assert_error(client.delete(f"/api/classes/{school_class.id}", headers=auth(teacher)), 403)


# --- delete -------------------------------------------------------------------------

def test_deleting_a_class_unassigns_students_unlinks_quizzes_and_keeps_attempts(client):
    admin = make_admin()
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    quiz = make_quiz(teacher, questions=[make_question(teacher)], classes=[school_class])
    attempt = make_attempt(quiz, student, status="submitted")
    response = client.delete(f"/api/classes/{school_class.id}", headers=auth(admin))
    assert response.status_code == 200
    assert response.get_json() == {"message": "Class deleted"}
    db.session.expire_all()
    assert db.session.get(SchoolClass, school_class.id) is None
    assert db.session.get(Student, student.id).class_id is None
    assert db.session.get(User, student.id).is_active
    assert db.session.scalar(select(QuizClass).where(QuizClass.quiz_id == quiz.id)) is None
    assert db.session.scalar(select(TeacherClass).where(TeacherClass.teacher_id == teacher.id)) is None
    assert db.session.get(QuizAttempt, attempt.id) is not None
    assert "class_deleted" in audit_actions(school_class.id)


def test_deleting_an_unknown_class_is_404(client):
    assert_error(client.delete("/api/classes/00000000-0000-0000-0000-000000000000", headers=auth(make_admin())), 404)


# --- teachers of a class --------------------------------------------------------------

def test_admin_assigns_a_teacher_once(client):
    admin = make_admin()
    school_class = make_class()
    teacher = make_teacher()
    for _ in range(2):
        response = client.post(f"/api/classes/{school_class.id}/assign-teacher", json={"teacher_id": teacher.id},
                               headers=auth(admin))
        assert response.status_code == 200
        assert response.get_json() == {"message": "Teacher assigned successfully"}
    links = db.session.scalars(select(TeacherClass).where(TeacherClass.class_id == school_class.id)).all()
    assert [link.teacher_id for link in links] == [teacher.id]
    assert audit_actions(school_class.id) == ["class_teacher_assigned"]
    assert client.get(f"/api/classes/{school_class.id}", headers=auth(teacher)).status_code == 200


def test_assigning_a_non_teacher_is_404(client):
    admin = make_admin()
    school_class = make_class()
    student = make_student(school_class)
    response = client.post(f"/api/classes/{school_class.id}/assign-teacher", json={"teacher_id": student.id},
                           headers=auth(admin))
    assert_error(response, 404)


def test_admin_unassigns_a_teacher(client):
    admin = make_admin()
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    url = f"/api/classes/{school_class.id}/teachers/{teacher.id}"
    assert client.delete(url, headers=auth(admin)).status_code == 200
    assert_error(client.delete(url, headers=auth(admin)), 404)
    assert_error(client.get(f"/api/classes/{school_class.id}", headers=auth(teacher)), 404)


# --- students of a class --------------------------------------------------------------

def test_assign_students_moves_them_and_announces_each_once(client):
    admin = make_admin()
    old, new = make_class(), make_class()
    movers = [make_student(old), make_student(None)]
    stays = make_student(new)
    ids = [s.id for s in movers] + [stays.id, movers[0].id]
    with captured(events.student_added_to_class) as received:
        response = client.post(f"/api/classes/{new.id}/assign-students", json={"student_ids": ids},
                               headers=auth(admin))
    assert response.status_code == 200, response.get_json()
    assert sorted(response.get_json()["student_ids"]) == sorted(s.id for s in movers)
    db.session.expire_all()
    assert {db.session.get(Student, s.id).class_id for s in movers + [stays]} == {new.id}
    assert received == [{"student_ids": sorted(s.id for s in movers), "class_id": new.id, "actor_id": admin.id}]
    assert audit_actions(new.id) == ["class_students_assigned"]


def test_teacher_assigns_between_their_classes_but_not_others_students(client):
    first, second, foreign = make_class(), make_class(), make_class()
    teacher = make_teacher(classes=[first, second])
    make_teacher(classes=[foreign])
    mine, theirs = make_student(first), make_student(foreign)
    url = f"/api/classes/{second.id}/assign-students"
    refused = client.post(url, json={"student_ids": [mine.id, theirs.id]}, headers=auth(teacher))
    body = assert_error(refused, 404)
    assert body["details"]["student_ids"] == [theirs.id]
    db.session.expire_all()
    assert db.session.get(Student, mine.id).class_id == first.id
    assert client.post(url, json={"student_ids": [mine.id]}, headers=auth(teacher)).status_code == 200
    assert_error(client.post(f"/api/classes/{foreign.id}/assign-students", json={"student_ids": [mine.id]},
                             headers=auth(teacher)), 404)


def test_assign_students_needs_a_non_empty_list(client):
    school_class = make_class()
    response = client.post(f"/api/classes/{school_class.id}/assign-students", json={"student_ids": []},
                           headers=auth(make_admin()))
    assert "student_ids" in assert_error(response, 422)["details"]


def test_removing_a_student_leaves_them_unassigned(client):
    school_class = make_class()
    teacher = make_teacher(classes=[school_class])
    student = make_student(school_class)
    url = f"/api/classes/{school_class.id}/students/{student.id}"
    response = client.delete(url, headers=auth(teacher))
    assert response.status_code == 200
    assert response.get_json() == {"message": "Student removed from class"}
    db.session.expire_all()
    assert db.session.get(Student, student.id).class_id is None
    assert db.session.get(User, student.id) is not None
    assert_error(client.delete(url, headers=auth(make_admin())), 404)
    assert audit_actions(school_class.id) == ["class_student_removed"]
