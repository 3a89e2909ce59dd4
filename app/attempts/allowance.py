"""How many attempts a student has left at a quiz, and which one is in progress."""
from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, select

from app.attempts.models import QuizAttempt
from app.extensions import db


@dataclass
class Allowance:
    max_attempts: int
    additional_granted: int
    used: int
    last_number: int
    in_progress_id: str | None = None

    @property
    def allowed(self) -> int:
        return self.max_attempts + self.additional_granted

    @property
    def remaining(self) -> int:
        return max(0, self.allowed - self.used)


def attempt_allowance(quiz, student_id: str, *, max_attempts: int) -> Allowance:
    """Seed 000 §3: the student's attempts (their effective `max_attempts`) plus the latest
    reset's grant, minus attempts not reset.

    The same query names the attempt in progress, if any (`in_progress_id`): only that
    one has an `in_progress_key`, so start learns both in one statement. It runs on the
    session's connection without an autoflush: a caller that changed attempts in this
    transaction flushes first (`reset_attempts` does).
    """
    row = db.session.connection().execute(ALLOWANCE, {"quiz_id": quiz.id, "student_id": student_id}).one()
    return allowance_from_row(row, max_attempts=max_attempts)


def allowance_from_row(row, *, max_attempts: int) -> Allowance:
    """The allowance from `ALLOWANCE`'s columns (used, last number, in progress, grant)."""
    used, last_number, in_progress_id, granted = row
    return Allowance(max_attempts, granted or 0, int(used or 0), last_number or 0, in_progress_id)


def _allowance_statement():
    """Four scalar subqueries and no FROM of its own, so that start's one read can take
    its columns beside the quiz's (app.attempts.start_read)."""
    mine = (QuizAttempt.quiz_id == bindparam("quiz_id"), QuizAttempt.student_id == bindparam("student_id"))

    def of_mine(column):
        return select(column).where(*mine).scalar_subquery()

    latest_grant = (
        select(QuizAttempt.additional_attempts_granted).where(*mine, QuizAttempt.is_reset.is_(True))
        .order_by(QuizAttempt.reset_at.desc(), QuizAttempt.attempt_number.desc()).limit(1).scalar_subquery()
    )
    return select(of_mine(func.sum(case((QuizAttempt.is_reset.is_(False), 1), else_=0))),
                  of_mine(func.max(QuizAttempt.attempt_number)),
                  of_mine(func.max(case((QuizAttempt.in_progress_key.is_not(None), QuizAttempt.id)))),
                  latest_grant)


# Built once, bound by `quiz_id` and `student_id`: start runs it on every call, inside its
# one read (app.attempts.start_read).
ALLOWANCE = _allowance_statement()
