import uuid
from types import SimpleNamespace

from sqlalchemy import select

from app.attempts.models import AttemptHistory, QuizAttempt
from app.common import events
from app.common.audit import AuditLog
from app.extensions import db
from tests.attempts.conftest import captured, quiz_for, start
from tests.factories import auth, make_admin, make_attempt, make_class, make_override, make_student, make_teacher
from tests.helpers import assert_error


def _reset(client, user, quiz, student, additional=1, reason="Power cut"):
    return client.post("/api/attempts/reset", headers=auth(user), json={
        "student_id": student.id, "quiz_id": quiz.id, "additional_attempts": additional, "reason": reason})


def _available(client, student, quiz):
    return client.get(f"/api/attempts/available?quiz_id={quiz.id}", headers=auth(student)).get_json()


def test_reset_archives_grants_and_lets_the_student_start_again(client, school):
    quiz = quiz_for(school, max_attempts=1)
    make_attempt(quiz, school.student_a, status="graded", score=1, total_marks=6)
    assert _available(client, school.student_a, quiz)["remaining_attempts"] == 0
    with captured(events.attempt_reset) as received:
        response = _reset(client, school.teacher_a, quiz, school.student_a, additional=1)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True and body["new_max_attempts"] == 2 and body["archived_attempts"] == 1
    available = _available(client, school.student_a, quiz)
    assert {key: available[key] for key in ("quiz_id", "remaining_attempts", "max_attempts", "used_attempts",
                                            "additional_granted", "in_progress_attempt_id")} == {
        "quiz_id": quiz.id, "remaining_attempts": 2, "max_attempts": 2, "used_attempts": 0,
        "additional_granted": 1, "in_progress_attempt_id": None}
    assert available["attempts_remaining"] == 2 and available["effective_max_attempts"] == 1
    history = db.session.scalars(select(AttemptHistory)).all()
    assert len(history) == 1 and history[0].is_active is False and float(history[0].score) == 1.0
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "attempt_reset")).one()
    assert audit.user_id == school.teacher_a.id
    assert received == [{"quiz_id": quiz.id, "student_id": school.student_a.id, "actor_id": school.teacher_a.id,
                         "additional_attempts": 1, "reason": "Power cut"}]
    started = start(client, quiz, school.student_a)
    assert started.status_code == 201 and started.get_json()["attempt_number"] == 2
    assert _available(client, school.student_a, quiz)["remaining_attempts"] == 1


def test_reset_closes_an_attempt_in_progress(client, school):
    quiz = quiz_for(school)
    attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
    assert _reset(client, school.teacher_a, quiz, school.student_a).status_code == 200
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status == "graded" and attempt.is_reset and attempt.in_progress_key is None
    assert start(client, quiz, school.student_a).get_json()["attempt_number"] == 2


def test_second_reset_without_new_attempts_replaces_the_grant(client, school):
    quiz = quiz_for(school, max_attempts=1)
    make_attempt(quiz, school.student_a, status="graded")
    _reset(client, school.teacher_a, quiz, school.student_a, additional=1)
    body = _reset(client, school.teacher_a, quiz, school.student_a, additional=3).get_json()
    assert body["archived_attempts"] == 0 and body["new_max_attempts"] == 4
    assert _available(client, school.student_a, quiz)["remaining_attempts"] == 4
    assert len(db.session.scalars(select(AttemptHistory)).all()) == 1


def test_reset_is_for_the_quizs_teacher_or_an_admin(client, school):
    quiz = quiz_for(school)
    make_attempt(quiz, school.student_a, status="graded")
    assert_error(_reset(client, make_teacher(classes=[school.class_a]), quiz, school.student_a), 404)
    assert_error(_reset(client, school.student_a, quiz, school.student_a), 403)
    assert _reset(client, make_admin(), quiz, school.student_a).status_code == 200


def test_reset_of_another_class_student_is_not_found_like_an_unknown_id(client, school):
    quiz = quiz_for(school)
    outsider = make_student(make_class())
    foreign = assert_error(_reset(client, school.teacher_a, quiz, outsider), 404, "NOT_FOUND")
    nobody = SimpleNamespace(id=str(uuid.uuid4()))
    unknown = assert_error(_reset(client, school.teacher_a, quiz, nobody), 404, "NOT_FOUND")
    assert (foreign["message"], foreign["details"]) == (unknown["message"], unknown["details"])


def test_history_of_another_class_student_is_not_found_for_a_teacher(client, school):
    quiz = quiz_for(school)
    outsider = make_student(make_class())
    response = client.get(f"/api/attempts/history?quiz_id={quiz.id}&student_id={outsider.id}",
                          headers=auth(school.teacher_a))
    assert_error(response, 404, "NOT_FOUND")


def test_reset_without_attempts_is_conflict(client, school):
    assert_error(_reset(client, school.teacher_a, quiz_for(school), school.student_a), 409, "NOTHING_TO_RESET")


def test_reset_needs_a_reason(client, school):
    quiz = quiz_for(school)
    response = client.post("/api/attempts/reset", headers=auth(school.teacher_a), json={
        "student_id": school.student_a.id, "quiz_id": quiz.id, "additional_attempts": 1})
    assert "reason" in assert_error(response, 422)["details"]


def test_history_lists_current_and_archived_attempts(client, school):
    quiz = quiz_for(school, max_attempts=1)
    make_attempt(quiz, school.student_a, status="graded")
    _reset(client, school.teacher_a, quiz, school.student_a)
    start(client, quiz, school.student_a)
    for user, url in ((school.teacher_a, f"?quiz_id={quiz.id}&student_id={school.student_a.id}"),
                      (school.student_a, f"?quiz_id={quiz.id}")):
        body = client.get(f"/api/attempts/history{url}", headers=auth(user)).get_json()
        assert (body["total_current"], body["total_archived"]) == (1, 1), body
        assert body["current_attempts"][0]["attempt_number"] == 2
        assert body["archived_attempts"][0]["attempt_number"] == 1


def test_history_of_someone_else_is_not_found(client, school):
    quiz = quiz_for(school)
    other = make_student(school.class_a)
    response = client.get(f"/api/attempts/history?quiz_id={quiz.id}&student_id={other.id}",
                          headers=auth(school.student_a))
    assert_error(response, 404)
    teacher_missing_student = client.get(f"/api/attempts/history?quiz_id={quiz.id}", headers=auth(school.teacher_a))
    assert_error(teacher_missing_student, 422)


def test_available_counts_an_attempt_in_progress(client, school):
    quiz = quiz_for(school, max_attempts=2)
    attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
    body = _available(client, school.student_a, quiz)
    assert (body["remaining_attempts"], body["used_attempts"], body["in_progress_attempt_id"]) == (1, 1, attempt_id)
    outsider = make_student(make_class())
    assert_error(client.get(f"/api/attempts/available?quiz_id={quiz.id}", headers=auth(outsider)), 404)


def test_categorized_splits_attempts_by_how_they_ended(client, school):
    quiz = quiz_for(school)
    students = [make_student(school.class_a) for _ in range(4)]
    make_attempt(quiz, students[0])
    make_attempt(quiz, students[1], status="graded", auto_submit_reason="violations",
                 auto_submitted_due_to_violations=True)
    make_attempt(quiz, students[2], status="graded")
    make_attempt(quiz, students[3], status="submitted", is_reset=True)
    body = client.get(f"/api/attempts/quiz/{quiz.id}/categorized", headers=auth(school.teacher_a)).get_json()
    assert [len(body[k]) for k in ("in_progress", "auto_submitted", "manual_submitted", "reset")] == [1, 1, 1, 1]
    assert body["total"] == 4
    assert_error(client.get(f"/api/attempts/quiz/{quiz.id}/categorized", headers=auth(school.student_a)), 403)
    other = make_teacher(classes=[school.class_a])
    assert_error(client.get(f"/api/attempts/quiz/{quiz.id}/categorized", headers=auth(other)), 404)


def test_a_reset_grant_adds_to_the_students_overridden_attempts(client, school):
    quiz = quiz_for(school, max_attempts=1)
    make_override(quiz, student=school.student_a, max_attempts=2)
    make_attempt(quiz, school.student_a, status="graded", score=1, total_marks=6)
    make_attempt(quiz, school.student_a, status="graded", score=1, total_marks=6, attempt_number=2)
    assert _available(client, school.student_a, quiz)["remaining_attempts"] == 0
    body = _reset(client, school.teacher_a, quiz, school.student_a, additional=1).get_json()
    assert body["new_max_attempts"] == 3 and body["remaining_attempts"] == 3
