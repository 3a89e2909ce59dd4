"""Real concurrency: threads with their own sessions against MariaDB/MySQL."""
import threading

import pytest
from sqlalchemy import func, select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.extensions import db
from tests.attempts.conftest import quiz_for
from tests.factories import auth

pytestmark = pytest.mark.mysql_only(
    reason="SQLite serialises every writer, so races need MariaDB/MySQL (set TEST_DATABASE_URL)")
THREADS = 20


def _in_parallel(app, request_fn) -> list:
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS

    def run(i):
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = request_fn(client, i)
            results[i] = (response.status_code, response.get_json())
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_simultaneous_starts_create_exactly_one_attempt(app, school):
    quiz = quiz_for(school, max_attempts=3)
    quiz_id, headers = quiz.id, auth(school.student_a)
    results = _in_parallel(app, lambda client, _i: client.post(f"/api/quizzes/{quiz_id}/start", headers=headers))
    codes = sorted(code for code, _body in results)
    assert codes == [200] * (THREADS - 1) + [201], results
    assert len({body["attempt_id"] for _code, body in results}) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(QuizAttempt.id)).where(QuizAttempt.quiz_id == quiz_id)) == 1


def test_simultaneous_starts_after_a_finished_attempt_create_one_next_attempt(app, school, client):
    quiz = quiz_for(school, max_attempts=3)
    quiz_id, headers = quiz.id, auth(school.student_a)
    first = client.post(f"/api/quizzes/{quiz_id}/start", headers=headers).get_json()["attempt_id"]
    assert client.post(f"/api/attempts/{first}/submit", headers=headers).status_code == 200
    results = _in_parallel(app, lambda c, _i: c.post(f"/api/quizzes/{quiz_id}/start", headers=headers))
    assert sorted(code for code, _b in results) == [200] * (THREADS - 1) + [201], results
    assert {body["attempt_number"] for _c, body in results} == {2}


def test_simultaneous_saves_of_one_answer_leave_one_row_with_a_sent_value(app, school, client):
    quiz = quiz_for(school)
    headers = auth(school.student_a)
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    question_id = school.q.mcq.id
    results = _in_parallel(app, lambda c, i: c.post(
        f"/api/attempts/{attempt_id}/answer", headers=headers,
        json={"question_id": question_id, "answer_option": i % 4}))
    assert [code for code, _b in results] == [200] * THREADS, results
    db.session.rollback()
    rows = db.session.scalars(select(StudentAnswer).where(StudentAnswer.attempt_id == attempt_id)).all()
    assert len(rows) == 1 and rows[0].answer_option in range(4)


def test_simultaneous_submits_close_the_attempt_once(app, school, client):
    quiz = quiz_for(school)
    headers = auth(school.student_a)
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    results = _in_parallel(app, lambda c, _i: c.post(f"/api/attempts/{attempt_id}/submit", headers=headers))
    assert sorted(code for code, _b in results) == [200] + [409] * (THREADS - 1), results


def test_parallel_retries_of_one_violation_count_once(app, school, client):
    quiz = quiz_for(school, max_violations=50)
    headers = auth(school.student_a)
    attempt_id = client.post(f"/api/quizzes/{quiz.id}/start", headers=headers).get_json()["attempt_id"]
    results = _in_parallel(app, lambda c, _i: c.post(
        f"/api/attempts/{attempt_id}/violations", headers=headers,
        json={"violation_type": "tab_switch", "client_event_id": "same-event"}))
    assert [code for code, _b in results] == [200] * THREADS, results
    assert len({body["violation_id"] for _c, body in results}) == 1
    db.session.rollback()
    assert db.session.get(QuizAttempt, attempt_id).total_violations == 1


def test_parallel_sweeps_close_each_abandoned_attempt_once(app, school):
    from datetime import timedelta

    from app.attempts.services import close_expired
    from app.common.clock import utcnow
    from tests.factories import make_attempt, make_student

    quiz = quiz_for(school, time_limit_minutes=5)
    for _ in range(12):
        make_attempt(quiz, make_student(school.class_a), started_at=utcnow() - timedelta(hours=1))
    totals, barrier = [], threading.Barrier(4)

    def sweep():
        with app.app_context():
            barrier.wait()
            totals.append(close_expired(utcnow(), batch=3))
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(totals) == 12 and len(totals) == 4
    db.session.rollback()
    assert db.session.scalar(select(func.count(QuizAttempt.id)).where(QuizAttempt.status == "in_progress")) == 0
