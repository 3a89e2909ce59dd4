"""Question media: the images a question shows, stored beside it.

A question's HTML refers to an image as `@@PLUGINFILE@@/<filename>` (Moodle's own
form, so imported banks keep their references). Uploads are typed by their content,
never by their name or declared type: PNG, JPEG, GIF and WebP are accepted; SVG
(which can carry script) and anything else, HTML named `.png` included, is refused
with 415. `MEDIA_MAX_MB` caps one file (413).

Bytes are written to the store before the row is flushed (a rolled-back upload
leaves an unreferenced file, never a row without its file); deletions reach the
store only after the commit.
"""
import hashlib
import re
import unicodedata
from pathlib import PurePosixPath

from flask import current_app
from sqlalchemy import select

from app.common import events
from app.common.audit import record_audit
from app.common.db import new_id
from app.errors import Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from app.extensions import db
from app.questions.models import QuestionMedia
from app.questions.storage import media_store

ACCEPTED = "PNG, JPEG, GIF and WebP images"
# Characters that cannot stand in an HTML attribute or a URL path without escaping.
FORBIDDEN_IN_NAME = re.compile(r"[\x00-\x1f\x7f\"'<>?#%\\/]")


def detect_image_type(data: bytes) -> str | None:
    """The image type the bytes are, by their signature; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def max_bytes() -> int:
    return current_app.config["MEDIA_MAX_MB"] * 1024 * 1024


def clean_filename(filename: str | None) -> str:
    """The name a question's HTML refers to: the last path segment, NFC, checked."""
    name = unicodedata.normalize("NFC", PurePosixPath((filename or "").replace("\\", "/")).name).strip()
    if not name or name in (".", ".."):
        raise ValidationFailed("The file needs a name", details={"file": ["A file name is required."]})
    if len(name) > 255 or FORBIDDEN_IN_NAME.search(name):
        raise ValidationFailed("The file name cannot be used", details={"file": [
            "At most 255 characters, without quotes, <, >, ?, #, % or slashes."]})
    return name


def check_image(data: bytes) -> str:
    """The content type of an acceptable image, or the 413/415 refusal."""
    if len(data) > max_bytes():
        raise PayloadTooLarge(f"The image is larger than {current_app.config['MEDIA_MAX_MB']} MB")
    content_type = detect_image_type(data)
    if content_type is None:
        raise UnsupportedMediaType(f"Only {ACCEPTED} are accepted (SVG and other formats are refused)",
                                   details={"file": [f"Not one of: {ACCEPTED}."]})
    return content_type


def check_media(filename: str, data: bytes) -> tuple[str, str]:
    """(the name to keep, the content type) of an acceptable image file, or the refusal
    an upload gets: the one check of uploads and of images imported with a question."""
    return clean_filename(filename), check_image(data)


def store_question_media(question, *, filename: str, data: bytes, actor, now) -> QuestionMedia:
    """Keep `data` as the image `filename` of `question`: 409 if the name holds other bytes."""
    name, content_type = check_media(filename, data)
    existing = media_by_name([question.id]).get(question.id, {}).get(name)
    if existing is not None:
        return _same_file_again(existing, data)
    media_id = new_id()
    media = QuestionMedia(id=media_id, question_id=question.id, filename=name, content_type=content_type,
                          size=len(data), sha256=hashlib.sha256(data).hexdigest(), created_by=actor.id,
                          created_at=now, storage_key=f"questions/{question.id}/{media_id}")
    media_store().put(media.storage_key, data, content_type)
    db.session.add(media)
    db.session.flush()
    record_audit(actor, "question_media_added", "question", question.id,
                 new={"media_id": media.id, "filename": name, "size": media.size})
    return media


def _same_file_again(existing: QuestionMedia, data: bytes) -> QuestionMedia:
    """The same bytes under the same name change nothing (a retried upload, a bank
    imported twice); other bytes under a taken name are a conflict."""
    if existing.sha256 != hashlib.sha256(data).hexdigest():
        raise Conflict(f"This question already has another file named {existing.filename!r}; delete it first",
                       error_code="MEDIA_NAME_TAKEN", details={"filename": existing.filename})
    return existing


def list_question_media(question) -> list[QuestionMedia]:
    return list(db.session.scalars(select(QuestionMedia).where(QuestionMedia.question_id == question.id)
                                   .order_by(QuestionMedia.created_at, QuestionMedia.id)))


def get_question_media(question, media_id: str) -> QuestionMedia:
    """A media item of `question`; one of another question is "not found"."""
    media = db.session.scalar(select(QuestionMedia).where(
        QuestionMedia.id == media_id, QuestionMedia.question_id == question.id))
    if media is None:
        raise NotFound("Media not found")
    return media


def remove_question_media(media: QuestionMedia, *, actor) -> None:
    """Forget one image (app.questions.services.delete_question_media checks it may go)."""
    record_audit(actor, "question_media_deleted", "question", media.question_id,
                 old={"media_id": media.id, "filename": media.filename})
    _forget(media)


def delete_all_question_media(question) -> None:
    """With the question itself (a question is deleted only before anyone answered it)."""
    for media in list_question_media(question):
        _forget(media)


def _forget(media: QuestionMedia) -> None:
    db.session.delete(media)
    db.session.flush()
    events.after_commit(media_store().delete, media.storage_key)


def read_question_media(media: QuestionMedia) -> bytes:
    return media_store().get(media.storage_key)


def copy_question_media(source, copy, *, actor, now) -> None:
    """The copy of a question shows the same images: each file copied under the copy."""
    for media in list_question_media(source):
        store_question_media(copy, filename=media.filename, data=read_question_media(media), actor=actor, now=now)


def media_by_name(question_ids) -> dict[str, dict[str, QuestionMedia]]:
    """{question id: {filename: media}} for the given questions, in one query."""
    found: dict[str, dict[str, QuestionMedia]] = {}
    if not question_ids:
        return found
    for media in db.session.scalars(select(QuestionMedia).where(QuestionMedia.question_id.in_(list(question_ids)))):
        found.setdefault(media.question_id, {})[media.filename] = media
    return found
