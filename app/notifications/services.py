"""Creating notifications in bulk, reading and marking them, and pushing them live.

Every notifying event is one `notification_events` row (the e-mail outbox) plus one
multi-row INSERT of its notifications, however many recipients it has.
"""
import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.common import events
from app.common.audit import record_audit
from app.common.authz import get_own_notification
from app.common.clock import utcnow
from app.common.db import new_id
from app.common.pagination import equal_filters, paginate, search_filter, within_window
from app.extensions import db
from app.notifications.models import Notification, NotificationEvent
from app.notifications.templates import render
from app.students.models import Student
from app.users.models import User

log = logging.getLogger(__name__)
INSERT_CHUNK = 500  # rows per INSERT: bounded statements even for a whole school
ORDERINGS = {"created_at": Notification.created_at, "priority": Notification.priority}


@dataclass
class Batch:
    event_id: str
    rows: list = field(default_factory=list)


def notify(template: str, recipients, context: dict, *, entity_type: str, entity_id: str,
           actor_id: str | None = None, link: str | None = None, action_url: str | None = None,
           expires_at=None, dedupe_key: str | None = None) -> Batch | None:
    """Flush one event and its notifications; None when nobody is left to notify."""
    recipients = list(dict.fromkeys(r for r in recipients if r))  # callers give a stable order
    if not recipients:
        return None
    content = render(template, context)
    details = {k: v for k, v in context.items() if k not in ("title", "message")}  # already in the row
    event = NotificationEvent(
        event_type=content["type"], entity_type=entity_type, entity_id=entity_id, triggered_by=actor_id,
        recipients=recipients, notification_template=template, details=details, dedupe_key=dedupe_key,
        email_required=content["priority"] == "high",
    )
    if not _add_event(event):
        return None
    now = utcnow()
    rows = [{
        "id": new_id(), "user_id": user_id, "is_read": False, "read_at": None, "created_at": now,
        "link": link, "action_url": action_url, "expires_at": expires_at, "details": details,
        "event_id": event.id, **content,
    } for user_id in recipients]
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(insert(Notification.__table__).values(
            [_columns(row) for row in rows[start:start + INSERT_CHUNK]]))
    return Batch(event.id, rows)


def _add_event(event: NotificationEvent) -> bool:
    """Insert the event; with a dedupe key, a duplicate (another run got there first) is skipped."""
    if event.dedupe_key is None:
        db.session.add(event)
        db.session.flush()
        return True
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        return False
    return True


def _columns(row: dict) -> dict:
    values = dict(row)
    values["metadata"] = values.pop("details")
    return values


def deliver(batch: Batch | None) -> None:
    """Announce a committed batch to its recipients (app.realtime pushes it to their
    sockets), then their new unread counts."""
    if batch is None:
        return
    for row in batch.rows:  # realtime dumps it with NotificationSchema, as the REST API does
        events.announce(events.notification_stored, user_id=row["user_id"], notification=row)
    push_unread_counts([row["user_id"] for row in batch.rows])


def push_unread_counts(user_ids) -> None:
    counts = unread_counts(user_ids)
    for user_id in dict.fromkeys(user_ids):
        events.announce(events.unread_count_changed, user_id=user_id, unread_count=counts.get(user_id, 0))


def deliver_after_commit(batch: Batch | None) -> None:
    if batch is not None:
        events.after_commit(deliver, batch)


# --- reading and marking -------------------------------------------------------

def _live():
    return or_(Notification.expires_at.is_(None), Notification.expires_at > utcnow())


def unread_counts(user_ids) -> dict:
    user_ids = list(dict.fromkeys(user_ids))
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Notification.user_id, func.count()).where(
            Notification.user_id.in_(user_ids), Notification.is_read.is_(False), _live())
        .group_by(Notification.user_id)
    ).all()
    return dict(rows)


def unread_count(user_id: str) -> int:
    return unread_counts([user_id]).get(user_id, 0)


def list_notifications(user, params: dict) -> dict:
    stmt = select(Notification).where(Notification.user_id == user.id, _live())
    if params.get("unread_only"):
        stmt = stmt.where(Notification.is_read.is_(False))
    stmt = equal_filters(stmt, params, {"category": Notification.category, "type": Notification.type})
    if params.get("search"):
        stmt = stmt.where(search_filter(params["search"], Notification.title, Notification.message))
    stmt = within_window(stmt, params, "created", Notification.created_at)
    page = paginate(stmt, params, orderings=ORDERINGS, default_ordering="-created_at", tiebreak=Notification.id)
    page["unread_count"] = unread_count(user.id)
    return page


def mark_read(notification_id: str, *, actor) -> Notification:
    notification = get_own_notification(notification_id, actor)
    if not notification.is_read:
        notification.is_read = True
        notification.read_at = utcnow()
        events.after_commit(push_unread_counts, [actor.id])
    return notification


def mark_all_read(*, actor) -> int:
    count = db.session.execute(
        update(Notification).where(Notification.user_id == actor.id, Notification.is_read.is_(False))
        .values(is_read=True, read_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    events.after_commit(push_unread_counts, [actor.id])
    return count


def delete_notification(notification_id: str, *, actor) -> None:
    notification = get_own_notification(notification_id, actor)
    db.session.delete(notification)
    if not notification.is_read:
        events.after_commit(push_unread_counts, [actor.id])


def delete_expired(now, *, limit: int = 1000) -> int:
    """Delete up to `limit` expired notifications (the caller commits between batches)."""
    ids = db.session.scalars(select(Notification.id).where(Notification.expires_at <= now).limit(limit)).all()
    if not ids:
        return 0
    return db.session.execute(
        delete(Notification).where(Notification.id.in_(ids)).execution_options(synchronize_session=False)
    ).rowcount


# --- a teacher's broadcast -----------------------------------------------------

def broadcast_to_class(school_class, data: dict, *, actor) -> int:
    """Notify every active student of the class; the pushes follow the commit."""
    student_ids = db.session.scalars(
        select(Student.id).join(User, User.id == Student.id)
        .where(Student.class_id == school_class.id, User.is_active.is_(True))
        .order_by(Student.registration_number)
    ).all()
    context = {"kind": data["type"], "priority": data.get("priority", "medium"), "title": data["title"].strip(),
               "message": data["message"].strip(), "class_id": school_class.id, "class_name": school_class.name,
               "sender_name": actor.name}
    batch = notify("class_broadcast", student_ids, context, entity_type="class", entity_id=school_class.id,
                   actor_id=actor.id, link=f"/student/classes/{school_class.id}")
    record_audit(actor, "class_notified", "class", school_class.id,
                 new={"type": data["type"], "title": context["title"], "recipients": len(student_ids)})
    deliver_after_commit(batch)
    return len(student_ids)
