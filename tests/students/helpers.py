"""Helpers shared by the student tests."""
from contextlib import contextmanager

from sqlalchemy import select

from app.common.audit import AuditLog
from app.extensions import db


@contextmanager
def captured(signal):
    """Payloads a domain signal sends while the block runs."""
    received = []

    def listener(sender, **payload):
        received.append(payload)

    signal.connect(listener)
    try:
        yield received
    finally:
        signal.disconnect(listener)


def audit_actions(entity_id=None) -> list[str]:
    stmt = select(AuditLog.action).order_by(AuditLog.created_at)
    if entity_id:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    return list(db.session.scalars(stmt))


def claim(client, registration_number, code, password="a-long-passphrase-1"):
    return client.post("/api/auth/claim-account", json={
        "registration_number": registration_number, "password": password, "confirm_password": password,
        "claim_code": code})
