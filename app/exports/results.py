"""Quiz results as CSV or XLSX: one row per attempt (seed 001 §9.2).

One query for the attempts and two for the students' effective time limits (their
overrides and extra time, app.quizzes.effective), whatever the number of rows.
"""
import re

from sqlalchemy import select

from app.analytics.counting import awaiting_marks
from app.analytics.timing import minutes_between
from app.attempts.models import QuizAttempt
from app.classes.models import SchoolClass
from app.common.spreadsheets import table_response
from app.extensions import db
from app.quizzes.effective import effective_settings_for_students
from app.quizzes.models import Quiz
from app.students.models import Student
from app.users.models import User

HEADERS = (
    "Student Name", "Registration Number", "Class", "Quiz Title", "Attempt Number", "Score", "Total Marks",
    "Percentage", "Status", "Passed", "Violations", "Auto-submit Reason", "Started At", "Submitted At",
    "Time Used (min)", "Effective Time Limit (min)", "Reset", "Review Status",
)


def slug(text: str, fallback: str = "quiz") -> str:
    """An ASCII file-name part: safe in a Content-Disposition header on every browser."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", "_", text or "").strip("_").lower()
    return cleaned[:60] or fallback


def results_rows(quiz: Quiz, *, include_reset: bool = False):
    stmt = (
        select(QuizAttempt, User.name, Student.registration_number, Student.class_id, SchoolClass.name,
               SchoolClass.section, awaiting_marks().label("awaiting"))
        .join(Student, Student.id == QuizAttempt.student_id).join(User, User.id == Student.id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(QuizAttempt.quiz_id == quiz.id)
        .order_by(User.name, Student.registration_number, QuizAttempt.attempt_number)
    )
    if not include_reset:
        stmt = stmt.where(QuizAttempt.is_reset.is_(False))
    rows = db.session.execute(stmt).all()
    limits = effective_settings_for_students(quiz, {row.QuizAttempt.student_id: row.class_id for row in rows})
    for attempt, name, reg, _class_id, class_name, section, awaiting in rows:
        final = attempt.status != "in_progress" and not awaiting
        used = minutes_between(attempt.started_at, attempt.submitted_at)
        yield (
            name, reg, " ".join(p for p in (class_name, section) if p), quiz.title, attempt.attempt_number,
            attempt.score, attempt.total_marks, attempt.percentage,
            attempt.status,
            attempt.passed if final else None, attempt.total_violations, attempt.auto_submit_reason,
            attempt.started_at, attempt.submitted_at, None if used is None else round(used, 1),
            limits[attempt.student_id].time_limit_minutes, attempt.is_reset, attempt.review_status,
        )


def results_download(quiz: Quiz, fmt: str, *, include_reset: bool, now):
    return table_response(HEADERS, results_rows(quiz, include_reset=include_reset), fmt=fmt,
                          basename=f"quiz_results_{slug(quiz.title)}_{now:%Y%m%d}", sheet_title="Results")
