"""Attempt resets (seed 000 §3): archive, grant extra attempts, and what is left.

A reset keeps every attempt row (marked `is_reset`) and copies it to
`attempt_history`; remaining attempts are the quiz's `max_attempts` plus the latest
reset's `additional_attempts_granted`, minus the attempts not reset. Attempt numbers
keep increasing across resets.
"""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.attempts.allowance import attempt_allowance
from app.attempts.integrity import review_fields
from app.attempts.lifecycle import close_attempt
from app.attempts.models import AttemptHistory, QuizAttempt
from app.attempts.queries import attempt_item
from app.attempts.services import in_progress_attempt
from app.common import events
from app.common.audit import record_audit
from app.common.authz import get_managed_quiz, get_visible_quiz, get_visible_student
from app.errors import InvalidState, ValidationFailed
from app.extensions import db
from app.quizzes.effective import effective_settings, student_fields


def reset_attempts(data: dict, *, actor, now) -> dict:
    quiz = get_managed_quiz(data["quiz_id"], actor)
    # Another class's student is "not found", like an unknown id, never "nothing to reset".
    student = get_visible_student(data["student_id"], actor)
    current = in_progress_attempt(quiz.id, student.id)
    if current is not None:
        close_attempt(current, now=now)
    attempts = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.student_id == student.id)
        .order_by(QuizAttempt.attempt_number).with_for_update()
    ).all()
    if not attempts:
        raise InvalidState("This student has no attempts at this quiz to reset", error_code="NOTHING_TO_RESET")
    fresh = [a for a in attempts if not a.is_reset]
    # With nothing new since the last reset, the latest reset carries the new grant.
    for attempt in fresh or attempts[-1:]:
        _mark_reset(attempt, data, actor, now, archive=attempt in fresh)
    record_audit(actor, "attempt_reset", "quiz_attempt", quiz.id,
                 old={"attempts": len(fresh), "max_attempts": quiz.max_attempts},
                 new={"student_id": student.id, "additional_attempts_granted": data["additional_attempts"],
                      "reason": data["reason"]})
    events.publish(events.attempt_reset, quiz_id=quiz.id, student_id=student.id, actor_id=actor.id,
                   additional_attempts=data["additional_attempts"], reason=data["reason"])
    db.session.flush()
    allowance = attempt_allowance(quiz, student.id, max_attempts=effective_settings(quiz, student.id).max_attempts)
    return {
        "success": True,
        "message": f"Successfully granted {data['additional_attempts']} additional attempt(s) to {student.user.name}",
        "new_max_attempts": allowance.allowed, "archived_attempts": len(fresh),
        "remaining_attempts": allowance.remaining,
    }


def _mark_reset(attempt: QuizAttempt, data: dict, actor, now, *, archive: bool) -> None:
    if archive:
        db.session.add(AttemptHistory(
            attempt_id=attempt.id, quiz_id=attempt.quiz_id, student_id=attempt.student_id,
            attempt_number=attempt.attempt_number, status=attempt.status, score=attempt.score,
            total_marks=attempt.total_marks, percentage=attempt.percentage,
            total_violations=attempt.total_violations,
            auto_submitted_due_to_violations=attempt.auto_submitted_due_to_violations,
            started_at=attempt.started_at, submitted_at=attempt.submitted_at, archived_at=now,
            is_active=False, reset_by=actor.id, reset_reason=data["reason"],
        ))
        attempt.original_max_attempts = attempt.quiz.max_attempts
    attempt.is_reset = True
    attempt.reset_by = actor.id
    attempt.reset_at = now
    attempt.reset_reason = data["reason"]
    attempt.additional_attempts_granted = data["additional_attempts"]


def attempt_history(params: dict, *, actor, now) -> dict:
    quiz = get_visible_quiz(params["quiz_id"], actor)
    student_id = params.get("student_id") or (actor.id if actor.is_student else None)
    if student_id is None:
        raise ValidationFailed("student_id is required", details={"student_id": ["Required."]})
    student_id = get_visible_student(student_id, actor).id
    current = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.student_id == student_id,
                                  QuizAttempt.is_reset.is_(False))
        .options(joinedload(QuizAttempt.quiz), joinedload(QuizAttempt.student))
        .order_by(QuizAttempt.attempt_number)
    ).all()
    archived = db.session.scalars(
        select(AttemptHistory).where(AttemptHistory.quiz_id == quiz.id, AttemptHistory.student_id == student_id)
        .order_by(AttemptHistory.archived_at.desc(), AttemptHistory.attempt_number.desc())
    ).all()
    return {"current_attempts": [attempt_item(a, now) for a in current], "archived_attempts": archived,
            "total_current": len(current), "total_archived": len(archived)}


def available_attempts(quiz_id: str, *, actor) -> dict:
    """The caller's attempts left at the quiz, by their effective `max_attempts`."""
    quiz = get_visible_quiz(quiz_id, actor)
    settings = effective_settings(quiz, actor.id)
    allowance = attempt_allowance(quiz, actor.id, max_attempts=settings.max_attempts)
    return {"quiz_id": quiz.id, "remaining_attempts": allowance.remaining, "max_attempts": allowance.allowed,
            "used_attempts": allowance.used, "additional_granted": allowance.additional_granted,
            "in_progress_attempt_id": allowance.in_progress_id,
            **student_fields(settings, allowance.remaining)}


def categorized_attempts(quiz_id: str, *, actor, now) -> dict:
    quiz = get_managed_quiz(quiz_id, actor)
    attempts = db.session.scalars(
        select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id)
        .options(joinedload(QuizAttempt.quiz), joinedload(QuizAttempt.student))
        .order_by(QuizAttempt.started_at, QuizAttempt.id)
    ).all()
    groups = {"in_progress": [], "auto_submitted": [], "manual_submitted": [], "reset": []}
    for attempt in attempts:
        if attempt.is_reset:
            group = "reset"
        elif attempt.is_in_progress:
            group = "in_progress"
        else:
            group = "auto_submitted" if attempt.auto_submit_reason else "manual_submitted"
        groups[group].append({**attempt_item(attempt, now), **review_fields(attempt)})
    return {**groups, "total": len(attempts)}
