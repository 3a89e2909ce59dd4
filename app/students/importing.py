"""Bulk import of students from a CSV or XLSX file (seed 002 §9, issue "Bulk import").

Columns (header names matched ignoring case, spaces and underscores):
`name, email, registration_number, class_name` and optionally `section,
academic_year, date_of_birth, parent_email, parent_phone`.

Every bad row is reported as `{row, field, error}` (row = line in the file, the
header being row 1) and skipped; the good rows are written together in the
request's one transaction, or not at all with `dry_run`. Classes are matched by
name (plus section and academic year when given, ignoring case) and created when
missing.

At most `STUDENT_IMPORT_MAX_ROWS` rows (5,000 by default) and `IMPORT_MAX_COLUMNS`
columns per file, measured before the file is parsed (app.common.uploads).

Who may import: an admin imports anywhere and may create classes. A teacher imports
only into classes they teach: a row naming any other class is reported, and no
class is created.

Cost: no password is hashed (unclaimed accounts have none; claim codes use a keyed
HMAC), duplicates are found with one query for e-mails and one for registration
numbers (chunked IN lists), and users and students are written with two bulk
INSERTs, whatever the number of rows.
"""
import re
from datetime import date

from flask import current_app
from marshmallow import ValidationError, validate
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from app.auth.passwords import hash_code
from app.classes.models import SchoolClass
from app.classes.services import announce_students_added
from app.common.audit import record_audit
from app.common.authz import visible_classes_clause
from app.common.clock import utcnow
from app.common.db import new_id
from app.common.identifiers import storable_login_key
from app.common.uploads import normalise_header, read_table
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.students.models import REGISTRATION_KEY_LENGTH, Student
from app.students.services import new_claim_code
from app.users.models import EMAIL_KEY_LENGTH, User

REQUIRED = ("name", "email", "registration_number", "class_name")
OPTIONAL = ("section", "academic_year", "date_of_birth", "parent_email", "parent_phone")
ALIASES = {"fullname": "name", "studentname": "name", "emailaddress": "email", "regno": "registration_number",
           "registrationno": "registration_number", "class": "class_name", "dob": "date_of_birth"}
COLUMNS = {**{normalise_header(c): c for c in REQUIRED + OPTIONAL}, **ALIASES}
MAX_LENGTHS = {"name": 255, "email": 255, "registration_number": 50, "class_name": 100, "section": 50,
               "academic_year": 20, "parent_email": 255, "parent_phone": 20}
CHUNK = 1000
_is_email = validate.Email()
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00:00")
# The row's identifiers and where their login keys go (rows are inserted in bulk,
# past the model's own bookkeeping of its key columns).
LOGIN_KEYS = (("email", "_email_key", EMAIL_KEY_LENGTH),
              ("registration_number", "_key", REGISTRATION_KEY_LENGTH))


def import_students(file, *, actor: User, dry_run: bool = False) -> dict:
    rows = read_table(file, columns=COLUMNS, max_rows=current_app.config["STUDENT_IMPORT_MAX_ROWS"])
    _require_columns(rows)
    errors: list[dict] = []
    valid = [row for row in rows if _check_fields(row, errors)]
    fresh = _check_uniqueness(valid, errors)
    classes, created = _resolve_classes(fresh, actor, errors, dry_run)
    good = [row for row in fresh if row["_class_key"] in classes]
    imported = _describe(good, classes) if dry_run else _write(good, classes, actor)
    errors.sort(key=lambda e: (e["row"], REQUIRED.index(e["field"]) if e["field"] in REQUIRED else 99))
    failed = len({e["row"] for e in errors})
    if not dry_run:
        record_audit(actor, "students_imported", "student", None, new={
            "filename": getattr(file, "filename", None), "imported": len(imported), "failed": failed,
            "classes_created": [c.id for c in created]})
    return {
        "message": _summary(dry_run, len(imported), failed), "dry_run": dry_run, "total_rows": len(rows),
        "imported": len(imported), "failed": failed, "classes_created": created, "errors": errors,
        "imported_students": imported,
    }


def _summary(dry_run: bool, imported: int, failed: int) -> str:
    if dry_run:
        return f"Dry run: {imported} rows would be imported, {failed} have errors; nothing was written"
    return "Import successful" if not failed else f"Imported {imported} students; {failed} rows have errors"


def _require_columns(rows: list[dict]) -> None:
    if not rows:
        raise ValidationFailed("The file has no student rows", details={"file": ["No data rows."]})
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise ValidationFailed("The file lacks required columns",
                               details={"file": [f"Missing columns: {', '.join(missing)}."]})


def _error(errors: list, row: dict, field: str | None, message: str) -> None:
    errors.append({"row": row["_row"], "field": field, "error": message})


def _check_fields(row: dict, errors: list) -> bool:
    """Shape of one row; normalises it in place. True when the row has no problem."""
    before = len(errors)
    for field in REQUIRED:
        if not row.get(field):
            _error(errors, row, field, "Missing value")
    for field, limit in MAX_LENGTHS.items():
        if row.get(field) and len(row[field]) > limit:
            _error(errors, row, field, f"Longer than {limit} characters")
    for field in ("email", "parent_email"):
        if row.get(field):
            row[field] = row[field].lower()
            try:
                _is_email(row[field])
            except ValidationError:
                _error(errors, row, field, "Invalid e-mail address")
    if row.get("date_of_birth"):
        row["date_of_birth"] = _parse_date(row, errors)
    if len(errors) > before:
        return False
    for field, key, length in LOGIN_KEYS:
        try:
            row[key] = storable_login_key(row[field], field=field, length=length)
        except ValidationFailed as exc:
            _error(errors, row, field, exc.details[field][0])
    if len(errors) > before:
        return False
    row["_class_key"] = (row["class_name"].lower(), (row.get("section") or "").lower() or None,
                         (row.get("academic_year") or "").lower() or None)
    return True


def _parse_date(row: dict, errors: list) -> date | None:
    text = row["date_of_birth"]
    midnight = _MIDNIGHT.fullmatch(text)  # XLSX date cells arrive as "YYYY-MM-DD 00:00:00"
    try:
        value = date.fromisoformat(midnight.group(1) if midnight else text)
    except ValueError:
        _error(errors, row, "date_of_birth", "Invalid date; use YYYY-MM-DD")
        return None
    if value > utcnow().date():
        _error(errors, row, "date_of_birth", "Date of birth is in the future")
        return None
    return value


def _existing(column, values: set) -> set:
    """Which of `values` are already in `column`: one query per 1,000 values."""
    found, ordered = set(), sorted(values)
    for start in range(0, len(ordered), CHUNK):
        found.update(db.session.scalars(select(column).where(column.in_(ordered[start:start + CHUNK]))))
    return found


def _check_uniqueness(rows: list[dict], errors: list) -> list[dict]:
    taken_emails = _existing(User.email_key, {row["_email_key"] for row in rows})
    taken_keys = _existing(Student.registration_key, {row["_key"] for row in rows})
    seen_emails, seen_keys, fresh = {}, {}, []
    for row in rows:
        problems = []
        if row["_email_key"] in seen_emails:
            problems.append(("email", f"Duplicate of row {seen_emails[row['_email_key']]} in this file"))
        if row["_key"] in seen_keys:
            problems.append(("registration_number", f"Duplicate of row {seen_keys[row['_key']]} in this file"))
        if not problems and row["_email_key"] in taken_emails:
            problems.append(("email", "Already in the database"))
        if not problems and row["_key"] in taken_keys:
            problems.append(("registration_number", "Already in the database"))
        for field, message in problems:
            _error(errors, row, field, message)
        if not problems:
            seen_emails[row["_email_key"]], seen_keys[row["_key"]] = row["_row"], row["_row"]
            fresh.append(row)
    return fresh


def _resolve_classes(rows: list[dict], actor: User, errors: list, dry_run: bool):
    """Map each row's class key to a class: found, created (admin), or reported."""
    wanted = {row["_class_key"]: row for row in rows}
    names = sorted({key[0] for key in wanted})
    known: list[SchoolClass] = []
    for start in range(0, len(names), CHUNK):
        known += db.session.scalars(select(SchoolClass).where(
            func.lower(SchoolClass.name).in_(names[start:start + CHUNK]), visible_classes_clause(actor)))
    classes, problems, created = {}, {}, []
    for key, first_row in wanted.items():
        matches = _matching(known, key)
        if len(matches) == 1:
            classes[key] = matches[0]
        elif matches:
            problems[key] = "Several classes match; add section and academic_year"
        elif actor.is_admin:
            classes[key] = _new_class(first_row, actor, dry_run)
            created.append(classes[key])
        else:
            problems[key] = "You do not teach a class with this name, section and year"
    for row in rows:
        if row["_class_key"] in problems:
            _error(errors, row, "class_name", problems[row["_class_key"]])
    if created and not dry_run:
        _flush_or_conflict()
    return classes, created


def _matching(known: list[SchoolClass], key: tuple) -> list[SchoolClass]:
    name, section, year = key
    matches = [c for c in known if c.name.lower() == name
               and (section is None or (c.section or "").lower() == section)
               and (year is None or (c.academic_year or "").lower() == year)]
    exact = [c for c in matches if (c.section or "").lower() == (section or "")
             and (c.academic_year or "").lower() == (year or "")]
    return exact if len(matches) > 1 and len(exact) == 1 else matches


def _new_class(row: dict, actor: User, dry_run: bool) -> SchoolClass:
    school_class = SchoolClass(id=None if dry_run else new_id(), name=row["class_name"],
                               section=row.get("section"), academic_year=row.get("academic_year"),
                               created_by=actor.id)
    if not dry_run:
        db.session.add(school_class)
    return school_class


def _describe(rows: list[dict], classes: dict, ids=None, codes=None) -> list[dict]:
    return [{
        "row": row["_row"], "id": ids[i] if ids else None, "name": row["name"], "email": row["email"],
        "registration_number": row["registration_number"], "class_id": classes[row["_class_key"]].id,
        "class_name": classes[row["_class_key"]].name, "section": classes[row["_class_key"]].section,
        "academic_year": classes[row["_class_key"]].academic_year, "claim_code": codes[i] if codes else None,
    } for i, row in enumerate(rows)]


def _write(rows: list[dict], classes: dict, actor: User) -> list[dict]:
    now = utcnow()
    ids = [new_id() for _ in rows]
    codes = [new_claim_code() for _ in rows]
    users = [{"id": ids[i], "email": row["email"], "email_key": row["_email_key"], "name": row["name"],
              "role": "student", "password_hash": None, "is_active": True, "is_email_verified": False,
              "token_version": 0, "created_at": now, "updated_at": now} for i, row in enumerate(rows)]
    students = [{"id": ids[i], "registration_number": row["registration_number"], "registration_key": row["_key"],
                 "class_id": classes[row["_class_key"]].id, "date_of_birth": row.get("date_of_birth"),
                 "parent_email": row.get("parent_email"), "parent_phone": row.get("parent_phone"),
                 "is_account_claimed": False, "claim_code_hash": hash_code(codes[i]),
                 "claim_code_created_at": now, "created_at": now} for i, row in enumerate(rows)]
    if rows:
        try:
            db.session.execute(insert(User), users)
            db.session.execute(insert(Student), students)
        except IntegrityError as exc:  # someone added the same person since the duplicate check
            raise Conflict("Some of these students were added meanwhile; run the import again",
                           error_code="IMPORT_CONFLICT") from exc
    for class_id, student_ids in _ids_by_class(students).items():
        announce_students_added(student_ids, class_id, actor)
    return _describe(rows, classes, ids, codes)


def _ids_by_class(students: list[dict]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for student in students:
        grouped.setdefault(student["class_id"], []).append(student["id"])
    return grouped


def _flush_or_conflict() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("A class in this file was created meanwhile; run the import again",
                       error_code="IMPORT_CONFLICT") from exc
