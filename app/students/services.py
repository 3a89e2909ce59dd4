"""Student management: list, create, change, move, deactivate, restore, claim codes.

A new student has no password: they claim the account with their registration
number and a one-time claim code, shown once to the admin or teacher who created
the account and e-mailed to the student when mail is configured.
"""
import secrets

from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload

from app.auth.passwords import hash_code
from app.classes.models import SchoolClass, TeacherClass
from app.classes.services import move_student
from app.common.audit import record_audit
from app.common.authz import get_managed_class, visible_students_clause
from app.common.clock import utcnow
from app.common.identifiers import login_key
from app.common.mailer import mail_configured, send_after_commit
from app.common.pagination import contains, equal_filters, paginate, search_filter
from app.errors import Conflict, InvalidState, ValidationFailed
from app.extensions import db
from app.students.models import Student
from app.users.models import User
from app.users.services import deactivate_account, ensure_email_free

# No 0/O, 1/I/L: read aloud or copied from paper without ambiguity (32 symbols, 50 bits).
CLAIM_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLAIM_CODE_LENGTH = 10
PROFILE_FIELDS = ("date_of_birth", "parent_email", "parent_phone")
ORDERINGS = {
    "name": User.name, "email": User.email, "registration_number": Student.registration_number,
    "created_at": Student.created_at, "is_account_claimed": Student.is_account_claimed,
    "claimed_at": Student.claimed_at,
}


def new_claim_code() -> str:
    return "".join(secrets.choice(CLAIM_CODE_ALPHABET) for _ in range(CLAIM_CODE_LENGTH))


def students_query(actor: User, params: dict):
    stmt = (select(Student).join(Student.user)
            .options(contains_eager(Student.user), joinedload(Student.school_class))
            .where(visible_students_clause(actor)))
    stmt = equal_filters(stmt, params, {"class_id": Student.class_id})
    if params.get("teacher_id"):
        stmt = stmt.where(Student.class_id.in_(
            select(TeacherClass.class_id).where(TeacherClass.teacher_id == params["teacher_id"])))
    if params.get("claimed") is not None:
        stmt = stmt.where(Student.is_account_claimed.is_(params["claimed"]))
    if params.get("is_active") is not None:
        stmt = stmt.where(User.is_active.is_(params["is_active"]))
    if params.get("search"):
        term = params["search"]
        stmt = stmt.where(or_(search_filter(term, User.name, User.email),
                              contains(Student.registration_key, login_key(term), ignore_case=False)))
    return stmt


def list_students(actor: User, params: dict) -> dict:
    return paginate(students_query(actor, params), params, orderings=ORDERINGS,
                    default_ordering="name", tiebreak=Student.id)


def ensure_registration_free(registration_number: str, except_id: str | None = None) -> None:
    existing = db.session.scalar(select(Student.id).where(
        Student.registration_key == login_key(registration_number)))
    if existing and existing != except_id:
        raise Conflict("A student with this registration number already exists",
                       error_code="REGISTRATION_NUMBER_TAKEN",
                       details={"registration_number": ["Already in use."]})


def _target_class(class_id: str | None, actor: User) -> SchoolClass | None:
    # A class the actor does not manage is "not found", as everywhere else.
    return get_managed_class(class_id, actor) if class_id else None


def _snapshot(student: Student) -> dict:
    return {"name": student.user.name, "email": student.user.email,
            "registration_number": student.registration_number, "class_id": student.class_id,
            "date_of_birth": student.date_of_birth.isoformat() if student.date_of_birth else None,
            "parent_email": student.parent_email, "parent_phone": student.parent_phone}


def create_student(data: dict, *, actor: User) -> Student:
    if actor.is_teacher and not data.get("class_id"):
        raise ValidationFailed("A teacher creates students in one of their classes",
                               details={"class_id": ["Required."]})
    school_class = _target_class(data.get("class_id"), actor)
    ensure_email_free(data["email"])
    ensure_registration_free(data["registration_number"])
    user = User(email=data["email"], name=data["name"].strip(), role="student", is_active=True,
                password_hash=None)
    user.student = Student(registration_number=data["registration_number"], is_account_claimed=False,
                           **{f: data.get(f) for f in PROFILE_FIELDS})
    db.session.add(user)
    db.session.flush()
    student = user.student
    move_student(student, school_class, actor=actor)
    issue_claim_code(student)
    record_audit(actor, "student_created", "student", student.id, new=_snapshot(student))
    return student


def update_student(student: Student, data: dict, *, actor: User) -> Student:
    old = _snapshot(student)
    if "class_id" in data:
        move_student(student, _target_class(data["class_id"], actor), actor=actor)
    if "email" in data:
        ensure_email_free(data["email"], except_id=student.id)
        student.user.email = data["email"]
    if "registration_number" in data:
        ensure_registration_free(data["registration_number"], except_id=student.id)
        student.registration_number = data["registration_number"]
    if "name" in data:
        student.user.name = data["name"].strip()
    for field in PROFILE_FIELDS:
        if field in data:
            setattr(student, field, data[field])
    db.session.flush()
    record_audit(actor, "student_updated", "student", student.id, old=old, new=_snapshot(student))
    return student


def deactivate_student(student: Student, *, actor: User) -> dict:
    """Soft delete: the account stops working, its history stays."""
    user = student.user
    if user.is_active:
        deactivate_account(user)
        record_audit(actor, "student_deactivated", "student", student.id)
    return {"id": student.id, "deleted": True, "deleted_at": user.deleted_at, "message": "Student deleted"}


def restore_student(student: Student, *, actor: User) -> Student:
    if student.user.is_active:
        raise Conflict("The student is already active", error_code="ALREADY_ACTIVE")
    student.user.restore()
    record_audit(actor, "student_restored", "student", student.id)
    return student


def issue_claim_code(student: Student) -> str:
    """A fresh one-time code (the previous one stops working), kept on the object for the response."""
    code = new_claim_code()
    student.claim_code_hash = hash_code(code)
    student.claim_code_created_at = utcnow()
    student.claim_code = code
    if mail_configured():
        send_after_commit(student.user.email, "Your student account claim code", claim_code_mail(student, code))
    return code


def regenerate_claim_code(student: Student, *, actor: User) -> Student:
    if student.is_account_claimed:
        raise InvalidState("The account is already claimed", error_code="ALREADY_CLAIMED")
    if not student.user.is_active:
        raise InvalidState("The account is deactivated; restore it first", error_code="INACTIVE")
    issue_claim_code(student)
    record_audit(actor, "student_claim_code_regenerated", "student", student.id)
    return student


def claim_code_mail(student: Student, code: str) -> str:
    return (
        f"Hello {student.user.name},\n\n"
        "An account has been created for you on the school's quiz system.\n"
        f"To activate it, choose \"Claim account\" and enter your registration number "
        f"{student.registration_number} and this claim code: {code}\n\n"
        "The code works once. If you did not expect this message, tell your teacher.\n"
    )
