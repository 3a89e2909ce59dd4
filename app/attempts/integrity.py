"""Integrity review: the violation timeline of an attempt and a person's verdict on it.

Only the quiz's teachers and admins read or set it (`get_managed_attempt`); no
student payload carries any of it.
"""
from datetime import timedelta

from sqlalchemy import func, select

from app.attempts.models import QuizAttempt, Violation
from app.common.audit import record_audit
from app.common.authz import get_managed_attempt
from app.extensions import db

# A browser fires several identical events for one act (blur, then visibilitychange…):
# the same type at the same question within this window counts once.
REPEAT_WINDOW = timedelta(seconds=2)


def recent_repeat(attempt_id: str, data: dict, now) -> Violation | None:
    """The violation this report repeats, by the server's clock, if any."""
    return db.session.scalar(
        select(Violation).where(
            Violation.attempt_id == attempt_id, Violation.violation_type == data["violation_type"],
            Violation.question_index.is_(None) if data.get("question_index") is None
            else Violation.question_index == data["question_index"],
            Violation.detected_at >= now - REPEAT_WINDOW,
        ).order_by(Violation.detected_at.desc()).limit(1)
    )


def review_fields(attempt: QuizAttempt) -> dict:
    """What a teacher's list of attempts shows of the review."""
    return {"review_status": attempt.review_status, "flagged_for_review": attempt.flagged_at is not None,
            "flagged_at": attempt.flagged_at}


def _timeline(attempt_id: str) -> list[Violation]:
    return list(db.session.scalars(
        select(Violation).where(Violation.attempt_id == attempt_id).order_by(Violation.detected_at, Violation.id)))


def _counts(attempt_id: str) -> dict:
    return dict(db.session.execute(
        select(Violation.violation_type, func.count(Violation.id)).where(Violation.attempt_id == attempt_id)
        .group_by(Violation.violation_type)).all())


def integrity_report(attempt: QuizAttempt) -> dict:
    quiz = attempt.quiz
    return {
        "attempt_id": attempt.id, "quiz_id": attempt.quiz_id, "student_id": attempt.student_id,
        "status": attempt.status, "auto_submit_reason": attempt.auto_submit_reason,
        "violation_action": quiz.violation_action, "max_violations": quiz.max_violations,
        "total_violations": attempt.total_violations, "counts_by_type": _counts(attempt.id),
        "timeline": _timeline(attempt.id), **review_fields(attempt),
        "review": {"review_status": attempt.review_status, "note": attempt.review_note,
                   "reviewed_by": attempt.reviewed_by, "reviewed_at": attempt.reviewed_at},
    }


def attempt_integrity(attempt_id: str, *, actor) -> dict:
    return integrity_report(get_managed_attempt(attempt_id, actor))


def review_attempt(attempt_id: str, data: dict, *, actor, now) -> dict:
    """Record a person's verdict on the attempt's integrity (audited)."""
    attempt = get_managed_attempt(attempt_id, actor, for_update=True)
    old = {"review_status": attempt.review_status, "note": attempt.review_note}
    attempt.review_status = data["review_status"]
    attempt.review_note = data.get("note")
    attempt.reviewed_by = actor.id
    attempt.reviewed_at = now
    record_audit(actor, "attempt_reviewed", "quiz_attempt", attempt.id, old=old,
                 new={"review_status": attempt.review_status, "note": attempt.review_note})
    db.session.flush()
    return integrity_report(attempt)
