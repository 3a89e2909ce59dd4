from datetime import datetime, timedelta

from app.attempts.models import QuizAttempt
from app.common import clock
from app.extensions import db
from tests.attempts.conftest import quiz_for
from tests.factories import make_answer, make_attempt, make_student

NOW = datetime(2026, 3, 2, 9, 0, 0)


def test_close_expired_closes_and_grades_abandoned_attempts_only(app, school):
    with clock.freeze(NOW):
        quiz = quiz_for(school, time_limit_minutes=30)
    abandoned = make_attempt(quiz, school.student_a, started_at=NOW - timedelta(hours=2))
    make_answer(abandoned, school.q.mcq, option=1)
    in_grace = make_attempt(quiz, make_student(school.class_a), started_at=NOW - timedelta(minutes=30, seconds=10))
    running = make_attempt(quiz, make_student(school.class_a), started_at=NOW - timedelta(minutes=5))
    ids = (abandoned.id, in_grace.id, running.id)
    runner = app.test_cli_runner()
    with clock.freeze(NOW):
        result = runner.invoke(args=["attempts", "close-expired"])
        again = runner.invoke(args=["attempts", "close-expired"])
    assert result.exit_code == 0, result.output
    assert "Closed 1 expired attempt(s)." in result.output
    assert "Closed 0 expired attempt(s)." in again.output
    db.session.rollback()
    abandoned, in_grace, running = (db.session.get(QuizAttempt, i) for i in ids)
    assert (abandoned.status, abandoned.auto_submit_reason) == ("graded", "time_expired")
    assert float(abandoned.score) == 2.0 and abandoned.in_progress_key is None
    assert in_grace.status == "in_progress" and running.status == "in_progress"
