"""Mirror attempt events to the quiz's monitors the moment they are committed, push
stored notifications and unread counts to their users, and end a user's sockets when
their access ends.

Socket.IO delivers at most once: these pushes only mirror what is already stored,
and a monitor that missed one catches up with the next `quiz_status`.
"""
from sqlalchemy import select

from app.attempts.models import QuizAttempt
from app.attempts.progress import current_question_number
from app.common import events
from app.common.clock import utcnow
from app.extensions import db
from app.realtime import push
from app.users.models import User


def connect() -> None:
    events.attempt_started.connect(on_attempt_started, weak=False)
    events.answer_saved.connect(on_answer_saved, weak=False)
    events.violation_recorded.connect(on_violation, weak=False)
    events.attempt_submitted.connect(on_attempt_submitted, weak=False)
    events.attempt_updated.connect(on_attempt_updated, weak=False)
    events.access_revoked.connect(on_access_revoked, weak=False)
    events.notification_stored.connect(on_notification_stored, weak=False)
    events.unread_count_changed.connect(on_unread_count_changed, weak=False)


def _student_name(student_id: str) -> str | None:
    return db.session.scalar(select(User.name).where(User.id == student_id))


def on_attempt_started(_sender, *, attempt_id, quiz_id, student_id, student_name, attempt_number,
                       total_questions, started_at, expires_at, **_):
    # No query: a whole year group starts at once on exam day.
    push.to_quiz_monitors("attempt_started", {
        "quiz_id": quiz_id, "attempt_id": attempt_id, "student_id": student_id, "student_name": student_name,
        "attempt_number": attempt_number, "total_questions": total_questions,
        "started_at": started_at, "expires_at": expires_at,
    }, quiz_id)


def on_answer_saved(_sender, *, attempt_id, quiz_id, student_id, student_name, question_id, question_index,
                    answered_count, question_count, **_):
    # No query: the autosave path is the hottest one in the system (its locking read
    # brought the name).
    push.to_quiz_monitors("answer_saved", {
        "quiz_id": quiz_id, "attempt_id": attempt_id, "student_id": student_id, "student_name": student_name,
        "question_id": question_id, "current_question": current_question_number(question_index),
        "current_question_index": question_index,
        "answered_count": answered_count, "total_questions": question_count,
        "progress": round(100 * answered_count / question_count) if question_count else 0,
        "timestamp": utcnow(),
    }, quiz_id)


def on_violation(_sender, *, attempt_id, quiz_id, student_id, violation_type, total_violations,
                 max_violations, auto_submitted, severity=None, violation_id=None, student_name=None,
                 flagged=False, **_):
    # The attempt's owner raised it, so the service passes their name: no query after the commit.
    push.to_quiz_monitors("violation", {
        "quiz_id": quiz_id, "attempt_id": attempt_id, "student_id": student_id,
        "student_name": student_name if student_name is not None else _student_name(student_id),
        "violation_id": violation_id,
        "violation_type": violation_type, "severity": severity, "total_violations": total_violations,
        "max_violations": max_violations, "auto_submitted": auto_submitted, "flagged_for_review": flagged,
        "timestamp": utcnow(),
    }, quiz_id)


def on_attempt_submitted(_sender, *, attempt_id, quiz_id, student_id, status, auto_submit_reason=None,
                         score=None, total_marks=None, percentage=None, pending_manual_grading=False, **_):
    row = db.session.execute(
        select(QuizAttempt.submitted_at, User.name)
        .join(User, User.id == QuizAttempt.student_id).where(QuizAttempt.id == attempt_id)
    ).first()
    push.to_quiz_monitors("attempt_submitted", {
        "quiz_id": quiz_id, "attempt_id": attempt_id, "student_id": student_id,
        "student_name": row.name if row else None,
        "submitted_at": row.submitted_at if row and row.submitted_at else utcnow(),
        "status": "pending" if pending_manual_grading else "graded", "attempt_status": status,
        "auto_submit_reason": auto_submit_reason,
        "score": None if pending_manual_grading else score, "total_marks": total_marks,
        "percentage": None if pending_manual_grading else percentage,
    }, quiz_id)


def on_attempt_updated(_sender, *, attempt_id, quiz_id, student_id, action, status, expires_at,
                       actor_id=None, reason=None, **_):
    """A teacher's control, to the student at once (their new clock) and to the monitors.
    The student hears what changed, never the teacher's reason."""
    now = utcnow()
    remaining = max(0, int((expires_at - now).total_seconds())) if status == "in_progress" else 0
    change = {"quiz_id": quiz_id, "attempt_id": attempt_id, "action": action, "status": status,
              "expires_at": expires_at, "server_time": now,
              "time_remaining_seconds": remaining}
    push.to_user("attempt_updated", change, student_id)
    push.to_quiz_monitors("attempt_updated", {
        **change, "student_id": student_id, "student_name": _student_name(student_id),
        "actor_id": actor_id, "reason": reason}, quiz_id)


SESSION_ENDED = {
    "logout": "You have signed out",
    "deactivated": "The account has been deactivated",
    "password_changed": "The password has changed; sign in again",
    "role_changed": "The account's role has changed; connect again",
}


def on_access_revoked(_sender, *, user_id, reason, **_):
    # Pushes are never re-checked against the token per event: ending the sockets is
    # what stops them reaching someone who may no longer see them.
    push.end_user_sockets(user_id, {"message": SESSION_ENDED[reason], "error_code": "SESSION_ENDED"})


def on_notification_stored(_sender, *, user_id, notification, **_):
    push.to_user("notification", notification, user_id)


def on_unread_count_changed(_sender, *, user_id, unread_count, **_):
    push.to_user("unread_count", {"unread_count": unread_count}, user_id)
