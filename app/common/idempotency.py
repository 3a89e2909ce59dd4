"""`Idempotency-Key` on the POSTs that create something: a retried request (a lost
response, a double click, a client that resends after a timeout) returns the first
response instead of creating a second row.

The key is claimed by inserting its row in the request's own transaction, so the row
and what the request created commit together or not at all. A concurrent request
with the same key blocks on the unique index until the first commits, then replays
its response; if the first fails, its row is rolled back and the second runs. Only
successful responses are kept: a refused request may be retried with the same key.
Stored responses are encrypted (a student's creation returns their claim code).
"""
import base64
import hashlib
import json
from datetime import datetime, timedelta

from apispec import BasePlugin
from flask import Response, current_app, g, request
from flask_jwt_extended import get_jwt_identity
from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, delete, select
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.db import UTCDateTime, new_id
from app.errors import Conflict, ValidationFailed
from app.extensions import db

HEADER = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"
# A bulk import's report can run past the 64 KB of MySQL's BLOB.
ResponseBlob = LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    response: Mapped[bytes | None] = mapped_column(ResponseBlob)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


def idempotent(view):
    """Mark a creating POST view: it honours `Idempotency-Key` (and documents it)."""
    view.idempotent = True
    apidoc = getattr(view, "_apidoc", {})
    # A flag, not the parameter itself: a manual `parameters` list would replace the
    # generated ones (query and form fields). `IdempotencyHeaderPlugin` adds it.
    apidoc.setdefault("manual_doc", {})[_DOC_FLAG] = True
    view._apidoc = apidoc
    return view


class IdempotencyHeaderPlugin(BasePlugin):
    """Document the `Idempotency-Key` header on the operations marked `idempotent`."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict) and operation.pop(_DOC_FLAG, False):
                operation.setdefault("parameters", []).append(dict(_HEADER_DOC))


_DOC_FLAG = "x-idempotent"


_HEADER_DOC = {
    "in": "header", "name": HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": "Makes the creation safe to retry: the same key with the same body within "
                   "24 hours returns the first response without creating anything; the same "
                   "key with another body is refused with 422.",
}


def claim_idempotency_key():
    """before_request hook (after authorization): replay a stored response, refuse a
    reused key, or claim the key for this request."""
    g.pop("idempotency_row", None)
    key = request.headers.get(HEADER)
    user_id = get_jwt_identity() if key is not None and _view_is_idempotent() else None
    if user_id is None:
        return None
    _check_key(key)
    fingerprint, now = _fingerprint(), utcnow()
    stored = _stored(user_id, key, now)
    if stored is None:
        stored = _claim(user_id, key, fingerprint, now)
        if stored is None:
            return None
    if stored.request_hash != fingerprint:
        raise ValidationFailed("This Idempotency-Key was used with another request",
                               details={HEADER: ["Already used with a different body or address."]},
                               error_code="IDEMPOTENCY_KEY_REUSED")
    if stored.response is None:  # never committed so by this module; a guard, not a state
        raise Conflict("A request with this Idempotency-Key is still being processed")
    return _replay(stored)


def store_idempotent_response(response: Response) -> Response:
    """Called by the request boundary before it commits: keep a success with its key;
    a refusal that still commits (`keep_changes_if_refused`) gives its key up."""
    row = g.pop("idempotency_row", None)
    if row is None:
        return response
    if 200 <= response.status_code < 300:
        row.status_code = response.status_code
        row.content_type = response.content_type
        row.response = _cipher().encrypt(response.get_data())
    elif response.status_code < 500:
        db.session.delete(row)
    return response


def purge_expired_keys(now: datetime, *, limit: int = 1000) -> int:
    """Delete up to `limit` expired keys; the caller commits."""
    ids = db.session.scalars(select(IdempotencyKey.id).where(IdempotencyKey.expires_at <= now)
                             .limit(limit)).all()
    if ids:
        db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id.in_(ids)))
    return len(ids)


def _view_is_idempotent() -> bool:
    if request.method != "POST":
        return False
    view = current_app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, "post", None)
    return bool(getattr(view, "idempotent", False))


def _check_key(key: str) -> None:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed("Invalid Idempotency-Key",
                               details={HEADER: [f"1 to {MAX_KEY_LENGTH} printable characters."]})


def _stored(user_id: str, key: str, now: datetime) -> IdempotencyKey | None:
    row = db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                         IdempotencyKey.key == key))
    if row is not None and row.expires_at <= now:
        db.session.delete(row)
        db.session.flush()
        return None
    return row


def _claim(user_id: str, key: str, fingerprint: str, now: datetime) -> IdempotencyKey | None:
    """Insert the key's row; None when this request holds it, else the winner's row."""
    row = IdempotencyKey(user_id=user_id, key=key, request_hash=fingerprint,
                         created_at=now, expires_at=now + LIFETIME)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        # Another request committed the key first. A fresh transaction sees its row
        # (the old one's snapshot predates it on MariaDB's REPEATABLE READ).
        db.session.rollback()
        return db.session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                              IdempotencyKey.key == key))
    g.idempotency_row = row
    return None


def _replay(stored: IdempotencyKey) -> Response:
    response = Response(_cipher().decrypt(stored.response), status=stored.status_code,
                        content_type=stored.content_type)
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _fingerprint() -> str:
    """A hash of what the request asks for: address, query and body. JSON is compared
    by value (key order and spacing do not matter), a multipart upload by its fields
    and files (the boundary a client picks differs on every send)."""
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"form {name}={value}\n".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"file {name} {upload.filename}\n".encode())
            digest.update(hashlib.sha256(upload.stream.read()).digest())
            upload.stream.seek(0)
    else:
        digest.update(_canonical_body(request.get_data(cache=True)))
    return digest.hexdigest()


def _canonical_body(raw: bytes) -> bytes:
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        return raw


def _cipher():
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = current_app.config["SECRET_KEY"].encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"qms idempotency responses").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))
