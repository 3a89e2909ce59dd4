"""Helpers for notification tests."""
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification, NotificationEvent
from app.notifications.services import notify


def notifications_of(user):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.created_at)).all()


def all_events():
    return db.session.scalars(select(NotificationEvent)).all()


def give(user, template="student_added", *, commit_now=True, **kw):
    """A stored notification for `user` (through the real bulk path)."""
    from app.common.db import commit

    context = {"student_name": "Sam", "class_name": "7A", **kw.pop("context", {})}
    batch = notify(template, [user.id], context, entity_type="class", entity_id="c" * 36, **kw)
    if commit_now:
        commit()
    return batch.rows[0]["id"]
