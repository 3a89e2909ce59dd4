"""An attempt's clock and its closing: the one path every submission takes.

Submit, the time-expired refusal of a late save, the violation threshold, a reset
and the `close-expired` sweep all close an attempt through `close_attempt`, so they
grade identically and only one of them can ever win.

Closed attempts end `graded` (nothing left to mark) or `submitted` (descriptive
answers wait for a teacher), whatever closed them; `auto_submit_reason` says why an
attempt was closed without the student asking. The enum's `auto_submitted` value is
kept for the seed's schema but never written.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import events
from app.common.clock import isoformat
from app.common.db import keep_changes_if_refused
from app.errors import InvalidState
from app.extensions import db
from app.grading.scoring import auto_grade, quiz_marks, recompute_totals


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["ATTEMPT_GRACE_SECONDS"])


def deadline_for(quiz, started_at: datetime) -> datetime:
    deadline = started_at + timedelta(minutes=quiz.time_limit_minutes)
    return min(deadline, quiz.end_date) if quiz.end_date else deadline


def is_past_grace(attempt: QuizAttempt, now: datetime) -> bool:
    return now > attempt.deadline_at + grace()


def time_fields(attempt: QuizAttempt, now: datetime) -> dict:
    """What every attempt response carries: the server's clock decides."""
    remaining = 0
    if attempt.status == "in_progress":
        remaining = max(0, int((attempt.deadline_at - now).total_seconds()))
    return {"server_time": now, "expires_at": attempt.deadline_at, "time_remaining_seconds": remaining}


def state_details(attempt: QuizAttempt) -> dict:
    """The attempt's state, for the body of a 409."""
    return {
        "attempt_id": attempt.id, "status": attempt.status,
        "submitted_at": isoformat(attempt.submitted_at),
        "auto_submit_reason": attempt.auto_submit_reason,
        "score": None if attempt.score is None else float(attempt.score),
        "total_marks": attempt.total_marks,
    }


def refuse_closed(attempt: QuizAttempt) -> None:
    if not attempt.is_in_progress:
        raise InvalidState("This attempt is already submitted", error_code="ATTEMPT_CLOSED",
                           details=state_details(attempt))


def _claim(attempt: QuizAttempt, now: datetime, reason: str | None, violations: bool) -> bool:
    """Flip in_progress → submitted with a conditional UPDATE: exactly one closer wins."""
    values = {"status": "submitted", "in_progress_key": None, "submitted_at": now,
              "auto_submit_reason": reason, "auto_submitted_due_to_violations": violations}
    won = db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, QuizAttempt.status == "in_progress")
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount == 1
    if won:
        for key, value in values.items():
            set_committed_value(attempt, key, value)
    else:  # a locking refresh: the winner's commit may be newer than our snapshot
        db.session.refresh(attempt, with_for_update=True)
    return won


def _locked_answers(attempt: QuizAttempt) -> dict:
    # A locking read sees the latest committed answers even when this transaction's
    # snapshot is older (REPEATABLE READ): a save acknowledged just before the close
    # is graded, never skipped.
    rows = db.session.scalars(
        select(StudentAnswer).where(StudentAnswer.attempt_id == attempt.id).with_for_update()
    )
    return {a.question_id: a for a in rows}


def close_attempt(attempt: QuizAttempt, *, now: datetime, reason: str | None = None,
                  violations: bool = False) -> list[str] | None:
    """Submit and auto-grade an in-progress attempt.

    Returns the question ids waiting for manual grading, or None when another
    request (or the sweep) closed it first.
    """
    if not _claim(attempt, now, reason, violations):
        return None
    quiz = attempt.quiz
    marks = quiz_marks(quiz.id)
    answers = _locked_answers(attempt)
    for question_id, answer in answers.items():
        if question_id in marks:
            question, question_marks = marks[question_id]
            auto_grade(answer, question, question_marks)
        answer.is_final = True
    pending = recompute_totals(attempt, quiz.passing_percentage, marks, answers)
    attempt.status = "submitted" if pending else "graded"
    if pending:
        attempt.passed = None  # decided once a teacher has marked everything
    events.publish(
        events.attempt_submitted, attempt_id=attempt.id, quiz_id=attempt.quiz_id,
        student_id=attempt.student_id, status=attempt.status, auto_submit_reason=reason,
        score=float(attempt.score), total_marks=attempt.total_marks,
        percentage=float(attempt.percentage), pending_manual_grading=len(pending),
    )
    return pending


def expire_attempt(attempt: QuizAttempt, now: datetime) -> None:
    """Close an attempt whose deadline and grace have passed, for good.

    The caller usually goes on to refuse its request (409); the closing is kept all the
    same (`keep_changes_if_refused`): the attempt is over whatever the answer says.
    """
    close_attempt(attempt, now=now, reason="time_expired")
    keep_changes_if_refused()
