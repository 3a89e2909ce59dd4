"""The audit log: every state change an admin or teacher makes writes one row."""
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.db import JSONType, UTCDateTime, new_id
from app.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_logs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(100), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(50))
    entity_id: Mapped[str | None] = mapped_column(String(36), index=True)
    old_value: Mapped[dict | None] = mapped_column(JSONType)
    new_value: Mapped[dict | None] = mapped_column(JSONType)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def record_audit(actor, action: str, entity_type: str | None = None, entity_id: str | None = None,
                 *, old=None, new=None) -> AuditLog:
    """Add an audit row to the current unit of work (committed with it).

    The request's address and user agent are context, not inputs, so they are
    read here rather than threaded through every service.
    """
    entry = AuditLog(
        user_id=getattr(actor, "id", None), action=action, entity_type=entity_type,
        entity_id=entity_id, old_value=old, new_value=new,
    )
    if has_request_context():
        entry.ip_address = request.remote_addr
        entry.user_agent = (request.user_agent.string or "")[:1000] or None
        entry.request_id = getattr(request, "request_id", None)
    db.session.add(entry)
    return entry
