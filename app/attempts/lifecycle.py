"""An attempt's clock and its closing: the one path every submission takes.

Submit, the time-expired refusal of a late save, the violation threshold, a reset,
a teacher's force-submit and the `close-expired` sweep all close an attempt through
`close_attempt`, so they grade identically and only one of them can ever win. A
teacher's extension (`move_deadline`) and reopening (`reopen`) change the same row
with the same kind of conditional UPDATE, so each of them also has one winner against
every closer.

Closed attempts end `graded` (nothing left to mark) or `submitted` (descriptive
answers wait for a teacher), whatever closed them; `auto_submit_reason` says why an
attempt was closed without the student asking. The enum's `auto_submitted` value is
kept for the seed's schema but never written.
"""
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import events
from app.common.clock import isoformat
from app.common.db import keep_changes_if_refused
from app.errors import InvalidState
from app.extensions import db
from app.grading.scoring import attempt_marks, auto_grade, recompute_totals


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
    return _conditional_update(attempt, (QuizAttempt.status == "in_progress",), {
        "status": "submitted", "in_progress_key": None, "submitted_at": now,
        "auto_submit_reason": reason, "auto_submitted_due_to_violations": violations})


# Closings a teacher may undo: nobody chose to hand the attempt in.
REOPENABLE_REASONS = ("time_expired", "violations", "teacher")


def _conditional_update(attempt: QuizAttempt, conditions: tuple, values: dict) -> bool:
    """UPDATE the attempt's row only while `conditions` hold; True when this call won."""
    won = db.session.execute(
        update(QuizAttempt).where(QuizAttempt.id == attempt.id, *conditions)
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount == 1
    if won:
        for key, value in values.items():
            set_committed_value(attempt, key, value)
    else:  # a locking refresh: the winner's commit may be newer than our snapshot
        db.session.refresh(attempt, with_for_update=True)
    return won


def move_deadline(attempt: QuizAttempt, deadline: datetime) -> bool:
    """Give an attempt still in progress a new deadline; False when a closer won first."""
    return _conditional_update(attempt, (QuizAttempt.status == "in_progress",), {"deadline_at": deadline})


def manually_graded(attempt_id: str):
    """A teacher has marked an answer of the attempt: its result is a person's, not the clock's."""
    return exists().where(StudentAnswer.attempt_id == attempt_id, StudentAnswer.graded_by.isnot(None))


def refuse_unreopenable(attempt: QuizAttempt) -> None:
    reasons = []
    if attempt.is_in_progress:
        reasons.append("The attempt is in progress.")
    elif attempt.auto_submit_reason not in REOPENABLE_REASONS:
        reasons.append("The student submitted this attempt.")
    if attempt.is_reset:
        reasons.append("The attempt was reset.")
    if db.session.scalar(select(manually_graded(attempt.id))):
        reasons.append("A teacher has graded this attempt by hand.")
    if reasons:
        raise InvalidState("This attempt cannot be reopened", error_code="ATTEMPT_NOT_REOPENABLE",
                           details={**state_details(attempt), "reasons": reasons})


def reopen(attempt: QuizAttempt, *, deadline: datetime) -> bool:
    """Closed by the clock, violations or a teacher, and graded by nobody → in progress again.

    The answers stay (no longer final, their automatic marks cleared with the score
    until the attempt closes again); the violation allowance starts over. False when
    the row changed first (a grade, a reset, another reopen).
    """
    won = _conditional_update(attempt, (
        QuizAttempt.status.in_(("submitted", "graded")), QuizAttempt.is_reset.is_(False),
        QuizAttempt.auto_submit_reason.in_(REOPENABLE_REASONS), ~manually_graded(attempt.id),
    ), {
        "status": "in_progress",
        "in_progress_key": QuizAttempt.in_progress_key_for(attempt.quiz_id, attempt.student_id),
        "deadline_at": deadline, "submitted_at": None, "auto_submit_reason": None,
        "auto_submitted_due_to_violations": False, "score": None, "percentage": None, "passed": None,
        "violations_before_reopen": attempt.total_violations or 0,
    })
    if won:
        db.session.execute(
            update(StudentAnswer).where(StudentAnswer.attempt_id == attempt.id)
            .values(is_final=False, is_correct=None, marks_awarded=None)
            .execution_options(synchronize_session=False))
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
    marks = attempt_marks(attempt)
    answers = _locked_answers(attempt)
    for question_id, answer in answers.items():
        if question_id in marks:
            question, question_marks = marks[question_id]
            auto_grade(answer, question, question_marks, order=(attempt.option_order or {}).get(question_id),
                       negative_percent=quiz.negative_marking_percent)
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
