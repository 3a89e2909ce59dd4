"""A teacher's controls racing the student and the sweep: exactly one outcome, no lost answer.

Real threads with their own sessions; SQLite serialises every writer, so these run on
MariaDB/MySQL only.
"""
import os
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.attempts.services import close_expired
from app.common.clock import utcnow
from app.extensions import db
from tests.attempts.conftest import quiz_for
from tests.factories import auth, make_answer, make_attempt, make_student

pytestmark = [
    pytest.mark.mysql_only,
    pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                       reason="SQLite serialises every writer, so races need MariaDB/MySQL (set TEST_DATABASE_URL)"),
]
ROUNDS = 6


def race(app, *contenders):
    """Run each contender(client) in its own thread and session, released together."""
    barrier = threading.Barrier(len(contenders))
    results = [None] * len(contenders)

    def run(i, contender):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            results[i] = contender(client)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    db.session.rollback()
    return results


def posting(url, headers, body=None):
    """A contender that POSTs and returns (status, body)."""
    def contender(client):
        response = client.post(url, headers=headers, json=body)
        return response.status_code, response.get_json()
    return contender


def test_extend_against_the_sweep_has_one_winner(app, school):
    quiz = quiz_for(school, time_limit_minutes=5)
    teacher = auth(school.teacher_a)
    outcomes = set()
    for _ in range(ROUNDS):
        attempt = make_attempt(quiz, make_student(school.class_a), started_at=utcnow() - timedelta(minutes=10))
        attempt_id = attempt.id
        extended, closed = race(
            app,
            posting(f"/api/attempts/{attempt_id}/extend", teacher, {"minutes": 5, "reason": "Fire alarm"}),
            lambda _c: close_expired(utcnow()),
        )
        attempt = db.session.get(QuizAttempt, attempt_id)
        if extended[0] == 200:
            assert closed == 0 and attempt.status == "in_progress", (extended, closed)
            assert attempt.deadline_at > utcnow()
        else:
            assert extended[0] == 409 and extended[1]["error_code"] == "ATTEMPT_CLOSED", extended
            assert closed == 1 and attempt.auto_submit_reason == "time_expired"
        outcomes.add(extended[0])
    assert outcomes <= {200, 409}


def test_reopen_against_a_late_save_has_one_outcome_and_keeps_an_acknowledged_answer(app, school):
    quiz = quiz_for(school, time_limit_minutes=5)
    teacher, question_id = auth(school.teacher_a), school.q.mcq.id
    for round_ in range(ROUNDS):
        student = make_student(school.class_a)
        # Timed out and not swept: the save closes it (409) or lands after the reopen (200).
        attempt = make_attempt(quiz, student, started_at=utcnow() - timedelta(minutes=10))
        make_answer(attempt, school.q.tf, option=0)
        attempt_id, headers = attempt.id, auth(student)
        reopened, saved = race(
            app,
            posting(f"/api/attempts/{attempt_id}/reopen", teacher, {"minutes": 10, "reason": "Network down"}),
            posting(f"/api/attempts/{attempt_id}/answer", headers,
                    {"question_id": question_id, "answer_option": round_ % 4}),
        )
        assert reopened[0] == 200, reopened
        assert saved[0] in (200, 409), saved
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.status == "in_progress" and attempt.deadline_at > utcnow()
        answers = {a.question_id: a.answer_option for a in db.session.scalars(
            select(StudentAnswer).where(StudentAnswer.attempt_id == attempt_id))}
        assert answers[school.q.tf.id] == 0  # the answer from before the time-out is kept
        if saved[0] == 200:
            assert answers[question_id] == round_ % 4
        else:
            assert saved[1]["error_code"] in ("TIME_EXPIRED", "ATTEMPT_CLOSED") and question_id not in answers


def test_force_submit_against_submit_closes_once_with_every_saved_answer(app, school, client):
    quiz = quiz_for(school)
    teacher = auth(school.teacher_a)
    for _ in range(ROUNDS):
        student = make_student(school.class_a)
        headers = auth(student)
        attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
        client.post(f"/api/attempts/{attempt_id}/answer", headers=headers,
                    json={"question_id": school.q.mcq.id, "answer_option": 1})
        forced, submitted = race(
            app,
            posting(f"/api/attempts/{attempt_id}/force-submit", teacher, {"reason": "Time"}),
            posting(f"/api/attempts/{attempt_id}/submit", headers),
        )
        assert sorted((forced[0], submitted[0])) == [200, 409], (forced, submitted)
        attempt = db.session.get(QuizAttempt, attempt_id)
        assert attempt.auto_submit_reason == ("teacher" if forced[0] == 200 else None)
        assert float(attempt.score) == 2.0  # the saved answer was graded, whoever closed it
