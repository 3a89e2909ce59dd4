import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.common import clock, events
from app.common.audit import AuditLog
from app.extensions import db
from app.quizzes.models import Quiz
from app.quizzes.services import CODE_ALPHABET
from tests.factories import (
    assign_teacher,
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


def new_quiz(**kw):
    return {"title": "Biology basics", "subject": "Science", "time_limit_minutes": 45,
            "start_date": "2030-01-10T10:00:00Z", "end_date": "2030-01-20T18:00:00Z", **kw}


def create(client, user, body):
    return client.post("/api/quizzes", json=body, headers=auth(user))


def test_create_keeps_question_order_and_generates_a_readable_code(client, school):
    school_class, teacher, q1, q2 = school.class_a, school.teacher_a, school.q.mcq, school.q.essay
    response = create(client, teacher, new_quiz(class_ids=[school_class.id], question_ids=[q2.id, q1.id]))
    assert response.status_code == 201
    body = response.get_json()
    assert [(q["id"], q["order_index"]) for q in body["questions"]] == [(q2.id, 0), (q1.id, 1)]
    assert (body["status"], body["total_marks"], body["question_count"]) == ("draft", 6, 2)
    assert [c["id"] for c in body["classes"]] == [school_class.id]
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{8}}", body["access_code"])
    assert (body["max_violations"], body["max_attempts"], body["passing_percentage"]) == (3, 1, 40)
    assert body["questions"][1]["correct_answer"] == q1.correct_answer


def test_marks_override_counts_in_total_marks(client, school):
    teacher, q1, q2 = school.teacher_a, school.q.mcq, school.q.essay
    body = create(client, teacher, new_quiz(questions=[{"question_id": q1.id, "marks_override": 10},
                                                       {"question_id": q2.id}])).get_json()
    assert body["total_marks"] == 14
    assert [q["marks"] for q in body["questions"]] == [10, 4]


def test_settings_are_stored(client, school):
    settings = {"passing_percentage": 60, "max_attempts": 3, "max_violations": 5, "randomize_questions": True,
                "randomize_options": True, "show_answers_after_submission": True, "allow_review": False}
    body = create(client, school.teacher_a, new_quiz(**settings)).get_json()
    assert {key: body[key] for key in settings} == settings


def test_teacher_chosen_code_is_accepted_when_free_and_409_when_taken(client, school):
    teacher = school.teacher_a
    assert create(client, teacher, new_quiz(access_code="math2030")).get_json()["access_code"] == "MATH2030"
    assert_error(create(client, teacher, new_quiz(access_code="MATH2030")), 409, "ACCESS_CODE_TAKEN")


@pytest.mark.parametrize("changes, field", [
    ({"end_date": "2030-01-10T09:00:00Z"}, "end_date"),
    ({"time_limit_minutes": 0}, "time_limit_minutes"),
    ({"passing_percentage": 101}, "passing_percentage"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"max_violations": 0}, "max_violations"),
    ({"access_code": "AB"}, "access_code"),
    ({"title": ""}, "title"),
])
def test_invalid_quiz_is_422(client, school, changes, field):
    assert field in assert_error(create(client, school.teacher_a, new_quiz(**changes)), 422)["details"]


def test_both_question_forms_or_a_repeated_question_is_422(client, school):
    teacher, q1 = school.teacher_a, school.q.mcq
    both = new_quiz(question_ids=[q1.id], questions=[{"question_id": q1.id}])
    assert "questions" in assert_error(create(client, teacher, both), 422)["details"]
    assert "question_ids" in assert_error(create(client, teacher, new_quiz(question_ids=[q1.id, q1.id])),
                                          422)["details"]


def test_teacher_cannot_use_other_teachers_questions_or_classes(client, school):
    teacher = school.teacher_a
    other = make_teacher(classes=[make_class()])
    foreign_question = make_question(other)
    foreign_class = make_class()
    response = create(client, teacher, new_quiz(question_ids=[foreign_question.id]))
    assert "questions" in assert_error(response, 422)["details"]
    response = create(client, teacher, new_quiz(class_ids=[foreign_class.id]))
    assert "class_ids" in assert_error(response, 422)["details"]
    assert db.session.scalar(select(Quiz)) is None


def test_admin_may_use_any_question_and_class(client, school):
    school_class, q1 = school.class_a, school.q.mcq
    response = create(client, make_admin(), new_quiz(question_ids=[q1.id], class_ids=[school_class.id]))
    assert response.status_code == 201


def test_archived_question_cannot_join_a_quiz(client, school):
    teacher = school.teacher_a
    archived = make_question(teacher, is_archived=True)
    assert "questions" in assert_error(create(client, teacher, new_quiz(question_ids=[archived.id])), 422)["details"]


def test_students_cannot_author_quizzes(client, school):
    school_class, teacher = school.class_a, school.teacher_a
    student = make_student(school_class)
    quiz = make_quiz(teacher, classes=[school_class])
    assert_error(create(client, student, new_quiz()), 403)
    assert_error(client.put(f"/api/quizzes/{quiz.id}", json={"title": "x"}, headers=auth(student)), 403)
    assert_error(client.post(f"/api/quizzes/{quiz.id}/publish", headers=auth(student)), 403)


def test_another_teachers_quiz_is_not_found(client, school):
    quiz = make_quiz(school.teacher_a, status="draft")
    headers = auth(make_teacher())
    assert_error(client.get(f"/api/quizzes/{quiz.id}", headers=headers), 404)
    assert_error(client.put(f"/api/quizzes/{quiz.id}", json={"title": "x"}, headers=headers), 404)
    assert_error(client.delete(f"/api/quizzes/{quiz.id}", headers=headers), 404)
    assert_error(client.post(f"/api/quizzes/{quiz.id}/publish", headers=headers), 404)


def test_update_replaces_questions_while_nobody_attempted(client, school):
    teacher, q1, q2 = school.teacher_a, school.q.mcq, school.q.essay
    quiz = make_quiz(teacher, questions=[q1, q2], status="draft")
    response = client.put(f"/api/quizzes/{quiz.id}", json={"questions": [{"question_id": q2.id, "marks_override": 9}]},
                          headers=auth(teacher))
    assert response.status_code == 200, response.get_json()
    assert [(q["id"], q["marks"]) for q in response.get_json()["questions"]] == [(q2.id, 9)]


def test_questions_and_marks_are_frozen_once_attempted_but_settings_are_not(client, school):
    school_class, teacher, q1, q2 = school.class_a, school.teacher_a, school.q.mcq, school.q.essay
    quiz = make_quiz(teacher, questions=[q1, q2], classes=[school_class])
    make_attempt(quiz, make_student(school_class))
    headers = auth(teacher)
    url = f"/api/quizzes/{quiz.id}"
    assert_error(client.put(url, json={"question_ids": [q1.id]}, headers=headers), 409, "QUIZ_HAS_ATTEMPTS")
    marks = {"questions": [{"question_id": q1.id, "marks_override": 4}, {"question_id": q2.id}]}
    assert_error(client.put(url, json=marks, headers=headers), 409, "QUIZ_HAS_ATTEMPTS")
    same = client.put(url, json={"question_ids": [q1.id, q2.id], "title": "Renamed", "max_attempts": 2,
                                 "end_date": "2031-01-01T00:00:00Z", "description": "New"}, headers=headers)
    assert same.status_code == 200, same.get_json()
    assert (same.get_json()["title"], same.get_json()["max_attempts"]) == ("Renamed", 2)


def test_update_window_must_stay_ordered(client, school):
    quiz = make_quiz(school.teacher_a, start=datetime(2030, 1, 1), end=datetime(2030, 2, 1))
    response = client.put(f"/api/quizzes/{quiz.id}", json={"end_date": "2029-12-31T00:00:00Z"},
                          headers=auth(school.teacher_a))
    assert "end_date" in assert_error(response, 422)["details"]


def test_delete_is_refused_once_attempted(client, school):
    school_class, teacher, q1 = school.class_a, school.teacher_a, school.q.mcq
    quiz = make_quiz(teacher, questions=[q1], classes=[school_class])
    make_attempt(quiz, make_student(school_class), status="submitted")
    body = assert_error(client.delete(f"/api/quizzes/{quiz.id}", headers=auth(teacher)), 409, "QUIZ_HAS_ATTEMPTS")
    assert body["details"]["actions"] == ["archive"]


def test_delete_removes_an_unattempted_quiz(client, school):
    school_class, teacher, q1 = school.class_a, school.teacher_a, school.q.mcq
    quiz = make_quiz(teacher, questions=[q1], classes=[school_class], status="draft")
    response = client.delete(f"/api/quizzes/{quiz.id}", headers=auth(teacher))
    assert response.get_json() == {"message": "Quiz deleted"}
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id) is None


def test_publish_needs_a_question_and_a_class(client, school):
    teacher = school.teacher_a
    quiz = make_quiz(teacher, status="draft")
    body = assert_error(client.post(f"/api/quizzes/{quiz.id}/publish", headers=auth(teacher)), 409, "QUIZ_NOT_READY")
    assert {"questions", "class_ids"} <= set(body["details"])


def test_publish_answers_the_code_stamps_audits_and_announces(client, school):
    school_class, teacher, q1 = school.class_a, school.teacher_a, school.q.mcq
    quiz = make_quiz(teacher, questions=[q1], classes=[school_class], status="draft")
    received = []
    with clock.freeze(datetime(2026, 3, 1, 9, 0)), \
            events.quiz_published.connected_to(lambda sender, **payload: received.append(payload)):
        response = client.post(f"/api/quizzes/{quiz.id}/publish", headers=auth(teacher))
    assert response.status_code == 200
    assert response.get_json() == {"message": "Quiz published", "access_code": quiz.access_code}
    db.session.expire_all()
    stored = db.session.get(Quiz, quiz.id)
    assert (stored.status, stored.published_at) == ("published", datetime(2026, 3, 1, 9, 0))
    assert received == [{"quiz_id": quiz.id, "actor_id": teacher.id}]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "quiz_published",
                                                    AuditLog.entity_id == quiz.id)) is not None
    assert_error(client.post(f"/api/quizzes/{quiz.id}/publish", headers=auth(teacher)), 409, "ALREADY_PUBLISHED")


def test_refused_publish_announces_nothing(client, school):
    quiz = make_quiz(school.teacher_a, status="draft")
    received = []
    with events.quiz_published.connected_to(lambda sender, **payload: received.append(payload)):
        client.post(f"/api/quizzes/{quiz.id}/publish", headers=auth(school.teacher_a))
    assert received == []


def test_archive(client, school):
    quiz = make_quiz(school.teacher_a)
    response = client.post(f"/api/quizzes/{quiz.id}/archive", headers=auth(school.teacher_a))
    assert response.get_json() == {"message": "Quiz archived"}
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).status == "archived"


def test_duplicate_is_a_draft_with_a_new_code_and_the_same_content(client, school):
    school_class, teacher, q1, q2 = school.class_a, school.teacher_a, school.q.mcq, school.q.essay
    quiz = make_quiz(teacher, questions=[q2, q1], classes=[school_class], max_attempts=3)
    response = client.post(f"/api/quizzes/{quiz.id}/duplicate", headers=auth(teacher))
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] != quiz.id and body["access_code"] != quiz.access_code
    assert (body["status"], body["published_at"], body["max_attempts"]) == ("draft", None, 3)
    assert [q["id"] for q in body["questions"]] == [q2.id, q1.id]
    assert [c["id"] for c in body["classes"]] == [school_class.id]


def test_status_change_through_put_uses_the_same_rules(client, school):
    quiz = make_quiz(school.teacher_a, status="draft")
    response = client.put(f"/api/quizzes/{quiz.id}", json={"status": "published"}, headers=auth(school.teacher_a))
    assert_error(response, 409, "QUIZ_NOT_READY")


def test_classes_and_code_can_change_after_attempts_but_not_to_a_taken_code(client, school):
    school_class, teacher, q1 = school.class_a, school.teacher_a, school.q.mcq
    second = make_class()
    assign_teacher(teacher, second)
    quiz = make_quiz(teacher, questions=[q1], classes=[school_class])
    make_attempt(quiz, make_student(school_class))
    make_quiz(teacher, access_code="TAKEN123")
    url, headers = f"/api/quizzes/{quiz.id}", auth(teacher)
    response = client.put(url, json={"class_ids": [school_class.id, second.id], "access_code": "fresh42"},
                          headers=headers)
    assert response.status_code == 200, response.get_json()
    assert {c["id"] for c in response.get_json()["classes"]} == {school_class.id, second.id}
    assert response.get_json()["access_code"] == "FRESH42"
    assert_error(client.put(url, json={"access_code": "taken123"}, headers=headers), 409, "ACCESS_CODE_TAKEN")


def test_back_to_draft_is_refused_once_attempted(client, school):
    school_class, teacher, q1 = school.class_a, school.teacher_a, school.q.mcq
    quiz = make_quiz(teacher, questions=[q1], classes=[school_class])
    make_attempt(quiz, make_student(school_class))
    response = client.put(f"/api/quizzes/{quiz.id}", json={"status": "draft"}, headers=auth(teacher))
    assert_error(response, 409, "QUIZ_HAS_ATTEMPTS")


def test_a_window_without_a_zone_is_refused_and_an_offset_is_converted(client, school):
    teacher = school.teacher_a
    body = assert_error(create(client, teacher, new_quiz(start_date="2030-01-10T10:00:00")), 422)
    assert list(body["details"]) == ["start_date"]
    created = create(client, teacher, new_quiz(start_date="2030-01-10T10:00:00.250+02:00"))
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["start_date"] == "2030-01-10T08:00:00.250Z"
