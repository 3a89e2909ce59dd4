"""Archiving a quiz while students are taking it: they finish, nobody starts anew."""
from datetime import datetime

from sqlalchemy import func, select

from app.attempts.models import QuizAttempt
from app.common import clock
from app.extensions import db
from tests.attempts.conftest import quiz_for, start
from tests.factories import auth, make_student
from tests.helpers import assert_error

NOW = datetime(2026, 3, 2, 9, 0, 0)


def _archive(client, school, quiz):
    response = client.post(f"/api/quizzes/{quiz.id}/archive", headers=auth(school.teacher_a))
    assert response.status_code == 200, response.get_json()


def _attempt_count(quiz) -> int:
    return db.session.scalar(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id))


def test_a_student_mid_attempt_reads_resumes_saves_and_submits_after_the_quiz_is_archived(client, school):
    quiz = quiz_for(school, max_attempts=2)
    attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
    _archive(client, school, quiz)

    read = client.get(f"/api/quizzes/{quiz.id}", headers=auth(school.student_a))
    assert read.status_code == 200, read.get_json()
    resumed = start(client, quiz, school.student_a)
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["attempt_id"] == attempt_id and _attempt_count(quiz) == 1
    saved = client.post(f"/api/attempts/{attempt_id}/answer", headers=auth(school.student_a),
                        json={"question_id": school.q.mcq.id, "answer_option": 1})
    assert saved.status_code == 200, saved.get_json()
    submitted = client.post(f"/api/attempts/{attempt_id}/submit", headers=auth(school.student_a))
    assert submitted.status_code == 200, submitted.get_json()

    # Submitted, with an attempt left: the archived quiz is gone for this student too.
    assert_error(start(client, quiz, school.student_a), 404, "NOT_FOUND")
    assert_error(client.get(f"/api/quizzes/{quiz.id}", headers=auth(school.student_a)), 404, "NOT_FOUND")
    assert _attempt_count(quiz) == 1


def test_nobody_starts_a_new_attempt_of_an_archived_quiz(client, school):
    classmate = make_student(school.class_a)
    quiz = quiz_for(school)
    start(client, quiz, school.student_a)
    _archive(client, school, quiz)
    assert_error(start(client, quiz, classmate), 404, "NOT_FOUND")
    assert_error(client.get(f"/api/quizzes/{quiz.id}", headers=auth(classmate)), 404, "NOT_FOUND")
    listed = client.get("/api/quizzes", headers=auth(classmate)).get_json()
    assert quiz.id not in [item["id"] for item in listed["items"]]
    assert _attempt_count(quiz) == 1


def test_an_archived_quiz_is_listed_only_to_the_student_still_taking_it(client, school):
    quiz = quiz_for(school)
    start(client, quiz, school.student_a)
    _archive(client, school, quiz)
    listed = client.get("/api/quizzes", headers=auth(school.student_a)).get_json()
    assert quiz.id in [item["id"] for item in listed["items"]]


def test_resuming_an_expired_attempt_of_an_archived_quiz_closes_it_and_starts_nothing(client, school):
    with clock.freeze(NOW) as frozen:
        quiz = quiz_for(school, time_limit_minutes=10, max_attempts=3)
        attempt_id = start(client, quiz, school.student_a).get_json()["attempt_id"]
        _archive(client, school, quiz)
        frozen.advance(minutes=20)
        assert_error(start(client, quiz, school.student_a), 409, "QUIZ_NOT_OPEN")
    db.session.rollback()
    attempt = db.session.get(QuizAttempt, attempt_id)
    assert attempt.status != "in_progress" and attempt.auto_submit_reason == "time_expired"
    assert _attempt_count(quiz) == 1
