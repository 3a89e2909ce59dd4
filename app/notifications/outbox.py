"""E-mail for high-priority notifications, sent from the `notification_events` outbox.

A dispatcher claims an event by moving its lease forward with a conditional UPDATE:
of two dispatchers racing for one row, exactly one changes it, so nothing is sent
twice by concurrent runs. A failed send keeps the row for a later run (with back-off)
until `max_attempts`; a crash mid-send leaves the lease to expire and the event retried.
"""
import logging
from datetime import timedelta

from flask import current_app
from flask_mail import Message
from sqlalchemy import or_, select, update

from app.common.clock import utcnow
from app.extensions import db, mail
from app.notifications.models import Notification, NotificationEvent
from app.users.models import User

log = logging.getLogger(__name__)


def _due(now, max_attempts: int):
    return (
        NotificationEvent.email_required.is_(True),
        NotificationEvent.email_sent_at.is_(None),
        NotificationEvent.email_attempts < max_attempts,
        or_(NotificationEvent.locked_until.is_(None), NotificationEvent.locked_until <= now),
    )


def claim_events(now, *, limit: int, lease_seconds: int, max_attempts: int) -> list[str]:
    """Claim up to `limit` due events for this dispatcher (the caller commits)."""
    candidates = db.session.scalars(
        select(NotificationEvent.id).where(*_due(now, max_attempts))
        .order_by(NotificationEvent.created_at).limit(limit)
    ).all()
    claimed = []
    for event_id in candidates:
        won = db.session.execute(
            update(NotificationEvent).where(NotificationEvent.id == event_id, *_due(now, max_attempts))
            .values(locked_until=now + timedelta(seconds=lease_seconds),
                    email_attempts=NotificationEvent.email_attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            claimed.append(event_id)
    return claimed


def messages_for(event_id: str) -> list[Message]:
    """One message per recipient who still has the notification, read back in one query."""
    rows = db.session.execute(
        select(Notification.title, Notification.message, Notification.action_url, User.email, User.name)
        .join(User, User.id == Notification.user_id)
        .where(Notification.event_id == event_id, User.is_active.is_(True))
    ).all()
    return [Message(subject=row.title, recipients=[row.email], body=_body(row)) for row in rows]


def _body(row) -> str:
    link = f"\n\nOpen: {row.action_url}" if row.action_url else ""
    return f"Hello {row.name},\n\n{row.message}{link}\n"


def send_event(event_id: str) -> int:
    """Send the event's e-mails and mark it sent (the caller commits)."""
    messages = messages_for(event_id)
    suppressed = current_app.config.get("MAIL_SUPPRESS_SEND") and not current_app.testing
    with mail.connect() as connection:
        for message in messages:
            connection.send(message)
    if suppressed:
        log.info("notification mail (not sent, no MAIL_SERVER) event=%s recipients=%d", event_id, len(messages))
    now = utcnow()
    db.session.execute(
        update(NotificationEvent).where(NotificationEvent.id == event_id)
        .values(email_sent_at=now, processed=True, processed_at=now, locked_until=None, last_error=None)
        .execution_options(synchronize_session=False))
    return len(messages)


def record_failure(event_id: str, error: Exception, *, attempts_backoff_seconds: int = 60) -> None:
    event = db.session.get(NotificationEvent, event_id)
    event.last_error = f"{error.__class__.__name__}: {error}"[:1000]
    event.locked_until = utcnow() + timedelta(seconds=attempts_backoff_seconds * (event.email_attempts or 1))
