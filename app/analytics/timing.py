"""How long a quiz's finished attempts took, each against its student's own time limit.

A student with extra time or an override is measured against their effective limit
(app.quizzes.effective), not the quiz's: 40 minutes on a 30-minute quiz is within
time for a student who had 45. The limits are worked out in Python by that module,
so this reads four columns per finished attempt rather than restating the rule in SQL.
"""
from sqlalchemy import select

from app.analytics.counting import counted, num, rate
from app.attempts.models import QuizAttempt
from app.extensions import db
from app.quizzes.effective import effective_settings_for_students
from app.quizzes.models import Quiz
from app.students.models import Student


def minutes_between(start, end) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds() / 60


def time_usage(quiz: Quiz) -> dict:
    rows = db.session.execute(
        select(QuizAttempt.student_id, Student.class_id, QuizAttempt.started_at, QuizAttempt.submitted_at)
        .join(Student, Student.id == QuizAttempt.student_id)
        .where(QuizAttempt.quiz_id == quiz.id, counted())
    ).all()
    limits = effective_settings_for_students(quiz, {row.student_id: row.class_id for row in rows})
    durations = [(minutes_between(row.started_at, row.submitted_at), limits[row.student_id].time_limit_minutes)
                 for row in rows if row.submitted_at is not None]
    over = sum(1 for taken, limit in durations if taken > limit)
    return {
        "timed_attempts": len(durations),
        "average_minutes": num(sum(t for t, _ in durations) / len(durations)) if durations else None,
        "average_time_used_percent": (num(sum(100 * t / limit for t, limit in durations) / len(durations))
                                      if durations else None),
        "attempts_with_extra_time": sum(1 for _, limit in durations if limit > quiz.time_limit_minutes),
        "attempts_over_time_limit": over,
        "over_time_limit_rate": rate(over, len(durations)),
    }
