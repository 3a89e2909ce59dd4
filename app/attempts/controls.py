"""A teacher's live controls on attempts: extend, force-submit, reopen (one or a quiz's).

Each goes through the attempt lifecycle's conditional UPDATEs (app.attempts.lifecycle),
so a control racing a submit, a late save or the sweep has exactly one winner; each is
audited and announced with `attempt_updated` once committed.
"""
from datetime import timedelta

from sqlalchemy import select

from app.attempts.lifecycle import (
    close_attempt,
    move_deadline,
    refuse_closed,
    refuse_unreopenable,
    reopen,
    state_details,
)
from app.attempts.models import QuizAttempt, is_past_grace
from app.common import events
from app.common.audit import record_audit
from app.common.authz import get_managed_attempt, get_managed_quiz
from app.common.clock import isoformat
from app.errors import InvalidState
from app.extensions import db


def _announce(attempt: QuizAttempt, action: str, actor, reason: str) -> None:
    events.publish(events.attempt_updated, attempt_id=attempt.id, quiz_id=attempt.quiz_id,
                   student_id=attempt.student_id, action=action, status=attempt.status,
                   expires_at=attempt.deadline_at, actor_id=actor.id, reason=reason)


def extended_deadline(attempt: QuizAttempt, minutes: int, now):
    """`minutes` more than it had; an attempt whose time already ran out (the sweep has
    not closed it yet) gets `minutes` from now, which is what "five more minutes" means."""
    return max(attempt.deadline_at, now) + timedelta(minutes=minutes)


def _extend(attempt: QuizAttempt, minutes: int, reason: str, *, actor, now) -> bool:
    old = attempt.deadline_at
    if not move_deadline(attempt, extended_deadline(attempt, minutes, now)):
        return False
    record_audit(actor, "attempt_extended", "quiz_attempt", attempt.id, old={"deadline_at": isoformat(old)},
                 new={"deadline_at": isoformat(attempt.deadline_at), "minutes": minutes, "reason": reason})
    _announce(attempt, "extended", actor, reason)
    return True


def extend_attempt(attempt_id: str, data: dict, *, actor, now) -> QuizAttempt:
    """Move an in-progress attempt's deadline, past the quiz's window if need be."""
    attempt = get_managed_attempt(attempt_id, actor, for_update=True)
    refuse_closed(attempt)
    if not _extend(attempt, data["minutes"], data["reason"], actor=actor, now=now):
        refuse_closed(attempt)
    return attempt


def force_submit_attempt(attempt_id: str, data: dict, *, actor, now) -> QuizAttempt:
    """Close an attempt now, graded like any other closing (`auto_submit_reason` "teacher")."""
    attempt = get_managed_attempt(attempt_id, actor, for_update=True)
    refuse_closed(attempt)
    if close_attempt(attempt, now=now, reason="teacher") is None:
        refuse_closed(attempt)
    record_audit(actor, "attempt_force_submitted", "quiz_attempt", attempt.id,
                 old={"status": "in_progress"}, new={"status": attempt.status, "reason": data["reason"]})
    _announce(attempt, "force_submitted", actor, data["reason"])
    return attempt


def reopen_attempt(attempt_id: str, data: dict, *, actor, now) -> QuizAttempt:
    """Back to in progress with a deadline `minutes` from now: an attempt the clock, the
    violation threshold or a teacher closed, and that nobody has graded by hand."""
    attempt = get_managed_attempt(attempt_id, actor, for_update=True)
    if attempt.is_in_progress and is_past_grace(attempt, now):
        # Timed out but not swept yet: it closes as the sweep would have, then reopens.
        close_attempt(attempt, now=now, reason="time_expired")
    refuse_unreopenable(attempt)
    other = _other_attempt_in_progress(attempt)
    if other is not None:
        raise InvalidState("The student has another attempt at this quiz in progress",
                           error_code="ATTEMPT_IN_PROGRESS", details={"attempt_id": other.id})
    old = state_details(attempt)
    if not reopen(attempt, deadline=now + timedelta(minutes=data["minutes"])):
        refuse_unreopenable(attempt)
    record_audit(actor, "attempt_reopened", "quiz_attempt", attempt.id, old=old,
                 new={"deadline_at": isoformat(attempt.deadline_at), "minutes": data["minutes"],
                      "reason": data["reason"]})
    _announce(attempt, "reopened", actor, data["reason"])
    return attempt


def _other_attempt_in_progress(attempt: QuizAttempt) -> QuizAttempt | None:
    # A locking read: this transaction's snapshot may predate a start (or this very
    # attempt's closing) committed since, and the unique in_progress_key must not be
    # left to refuse the reopen with an error.
    key = QuizAttempt.in_progress_key_for(attempt.quiz_id, attempt.student_id)
    return db.session.scalar(select(QuizAttempt).where(
        QuizAttempt.in_progress_key == key, QuizAttempt.id != attempt.id).with_for_update())


def extend_quiz_attempts(quiz_id: str, data: dict, *, actor, now) -> list[QuizAttempt]:
    """Extend every in-progress attempt at the quiz, or those of `student_ids`.

    Ids of students without an attempt in progress here (or whom the caller cannot
    see) are passed over like any other: the answer lists the attempts extended.
    """
    quiz = get_managed_quiz(quiz_id, actor)
    stmt = select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == "in_progress")
    if data.get("student_ids") is not None:
        stmt = stmt.where(QuizAttempt.student_id.in_(data["student_ids"]))
    attempts = db.session.scalars(stmt.order_by(QuizAttempt.id).with_for_update()).all()
    return [a for a in attempts if _extend(a, data["minutes"], data["reason"], actor=actor, now=now)]
