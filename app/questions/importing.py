"""POST /api/questions/import: a Moodle XML, GIFT, CSV/XLSX or JSON file into the bank.

The whole file is read and parsed before anything is written; every question is then
checked by the bank's create schema, and the valid ones are inserted together, in the
request's one transaction (a dry run inserts nothing). The answer lists each question
of the file in order with its outcome, so one bad question never sinks the others.

Images a question embeds (Moodle XML `<file>` elements) are checked with it, by the
upload's own rules (`check_media`: name, size, type by content), so an "image" that
is really HTML makes its question an error before anything is written; the created
questions' images are then stored by the upload's one service, `store_question_media`.
"""
import io
import json

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.common.audit import record_audit
from app.common.uploads import read_table
from app.errors import DomainError, PayloadTooLarge, ValidationFailed
from app.extensions import db
from app.questions.bulk import IMPORT_COLUMNS, check_item, row_to_item
from app.questions.formats import FileRefused, Parsed, gift, moodle_xml
from app.questions.formats.detect import XLSX_MAGIC, detect_format
from app.questions.media import check_media, store_question_media
from app.questions.services import build_question


def import_question_file(file: FileStorage | None, *, actor, fmt: str | None, dry_run: bool,
                         topic: str | None, now) -> dict:
    content = read_question_file(file)
    fmt = fmt or detect_format(content, file.filename or "")
    if fmt is None:
        raise ValidationFailed("The file's format could not be recognised", details={
            "format": ["Send format: moodle_xml, gift, csv or json."]})
    parsed = parse_file(content, fmt)
    entries = [_checked(index, item, topic) for index, item in enumerate(parsed)]
    valid = [entry for entry in entries if entry["status"] == "valid"]
    if not dry_run:
        _create(valid, actor=actor, fmt=fmt, now=now)
    return _report(fmt, dry_run, entries)


def read_question_file(file: FileStorage | None) -> bytes:
    """The upload's bytes, refused (413) beyond `QUESTION_IMPORT_MAX_MB` before any parsing."""
    if file is None or not file.filename:
        raise ValidationFailed("Attach the file as multipart field 'file'", details={"file": ["Required."]})
    limit = current_app.config["QUESTION_IMPORT_MAX_MB"] * 1024 * 1024
    content = file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"The file is larger than {current_app.config['QUESTION_IMPORT_MAX_MB']} MB")
    if not content.strip():
        raise ValidationFailed("The file is empty", details={"file": ["Empty file."]})
    return content


def parse_file(content: bytes, fmt: str) -> list[Parsed]:
    try:
        items = PARSERS[fmt](content)
    except FileRefused as exc:
        raise ValidationFailed(str(exc), error_code="UNREADABLE_FILE", details={"file": [str(exc)]}) from None
    limit = current_app.config["QUESTION_IMPORT_MAX_ROWS"]
    if len(items) > limit:
        raise ValidationFailed(f"At most {limit} questions per file", details={
            "file": [f"{len(items)} questions; the limit is {limit}."]})
    return items


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused("The file is not UTF-8 text") from None


def _gift(content: bytes) -> list[Parsed]:
    return gift.parse(_text(content))


def _json(content: bytes) -> list[Parsed]:
    try:
        data = json.loads(_text(content))
    except ValueError:
        raise FileRefused("The file is not valid JSON") from None
    questions = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(questions, list) or not questions:
        raise FileRefused('The JSON holds no list of questions (a list, or {"questions": [...]})')
    return [Parsed(name=None, type=q.get("type") if isinstance(q, dict) else None, question=q) for q in questions]


def _csv(content: bytes) -> list[Parsed]:
    name = "questions.xlsx" if content.startswith(XLSX_MAGIC) else "questions.csv"
    rows = read_table(FileStorage(io.BytesIO(content), filename=name), columns=IMPORT_COLUMNS,
                      max_rows=current_app.config["QUESTION_IMPORT_MAX_ROWS"])
    if not rows:
        raise FileRefused("The file has no question rows")
    items = [(row["_row"], row_to_item(row)) for row in rows]
    return [Parsed(name=None, type=item.get("type"), question=item, line=line) for line, item in items]


PARSERS = {"moodle_xml": moodle_xml.parse, "gift": _gift, "json": _json, "csv": _csv}


def _checked(index: int, item: Parsed, topic: str | None) -> dict:
    entry = {"index": index, "name": item.name, "type": item.type, "line": item.line, "message": item.message}
    if item.status != "ok":
        return {**entry, "status": item.status}
    question = item.question if topic is None or not isinstance(item.question, dict) \
        else {**item.question, "topic": topic}
    data, problems = check_item(question)
    where = f"line {item.line}: " if item.line else (f"{item.name}: " if item.name else "")
    if data is None:
        return {**entry, "status": "error", "message": where + "; ".join(f"{f}: {e}" for f, e in problems)}
    files, refused = _checked_files(item.files)
    if refused:
        return {**entry, "status": "error", "message": where + refused}
    return {**entry, "status": "valid", "message": "; ".join(item.notes) or None, "data": data, "files": files}


def _checked_files(files: dict[str, bytes]) -> tuple[dict[str, bytes], str | None]:
    """The question's files under the names they will be kept by, or why one of them
    cannot be stored, naming it (so that storing them later cannot fail)."""
    kept: dict[str, bytes] = {}
    for name, data in files.items():
        try:
            clean, _content_type = check_media(name, data)
        except DomainError as exc:
            return {}, f"the file {name!r} is refused: {exc.message}"
        if kept.setdefault(clean, data) != data:
            return {}, f"two different files are both kept as {clean!r}"
    return kept, None


def _create(valid: list[dict], *, actor, fmt: str, now) -> None:
    """One INSERT batch for every valid question (no flush per question), then the
    images of those that embed any, through the upload's service."""
    questions = [build_question(entry.pop("data"), actor=actor) for entry in valid]
    db.session.flush()
    for entry, question in zip(valid, questions, strict=True):
        entry["status"], entry["question_id"] = "created", question.id
        for name, data in entry["files"].items():
            store_question_media(question, filename=name, data=data, actor=actor, now=now)
    if questions:
        record_audit(actor, "questions_imported", "question", None,
                     new={"format": fmt, "count": len(questions), "ids": [q.id for q in questions]})


def _report(fmt: str, dry_run: bool, entries: list[dict]) -> dict:
    for entry in entries:
        entry.pop("data", None)
        files = entry.pop("files", None)
        if files:
            entry["files"] = list(files)
    counts = {status: sum(e["status"] == status for e in entries) for status in ("created", "valid", "error",
                                                                                   "unsupported")}
    return {"format": fmt, "dry_run": dry_run, "total": len(entries), **counts, "items": entries}
