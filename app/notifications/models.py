"""Notifications (seed 000 §1.3) and the event outbox behind e-mail and reminders."""
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.db import JSONType, UTCDateTime, new_id
from app.extensions import db

PRIORITIES = ("low", "medium", "high")
CATEGORIES = ("quiz", "grade", "system", "attempt_reset", "violation")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "is_read"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    is_read: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[str] = mapped_column(Enum(*PRIORITIES, name="notification_priority"), default="medium", index=True)
    category: Mapped[str] = mapped_column(Enum(*CATEGORIES, name="notification_category"), default="system", index=True)
    action_url: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    details: Mapped[dict | None] = mapped_column("metadata", JSONType)
    # Which outbox event created it: lets a bulk insert be read back in one query.
    event_id: Mapped[str | None] = mapped_column(ForeignKey("notification_events.id", ondelete="SET NULL"), index=True)


class NotificationEvent(db.Model):
    """One row per event that notifies people; the outbox for e-mail delivery."""

    __tablename__ = "notification_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    event_type: Mapped[str] = mapped_column(String(100), index=True)
    entity_type: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(36))
    triggered_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recipients: Mapped[list] = mapped_column(JSONType)
    notification_template: Mapped[str] = mapped_column(String(100))
    details: Mapped[dict | None] = mapped_column("metadata", JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    processed: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Scheduled reminders are created once per quiz and kind: the unique key makes
    # concurrent runs of the scheduler harmless.
    dedupe_key: Mapped[str | None] = mapped_column(String(191), unique=True)
    # Outbox state for e-mail: claimed by one dispatcher at a time.
    email_required: Mapped[bool] = mapped_column(Boolean, default=False)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
