"""The students table as a spreadsheet (seed 001 §5.3 and §5.12, seed 002 §9.3)."""
from sqlalchemy import select

from app.classes.models import SchoolClass
from app.common.authz import get_visible_class, visible_students_clause
from app.common.pagination import equal_filters
from app.extensions import db
from app.students.models import Student
from app.users.models import User

HEADERS = (
    "Name", "Email", "Registration Number", "Class", "Section", "Academic Year", "Account Claimed",
    "Claimed At", "Active", "Date of Birth", "Parent Email", "Parent Phone", "Created At",
)


def student_rows(actor: User, params: dict) -> list[tuple]:
    """One query; a teacher gets only the students of their classes."""
    if params.get("class_id"):
        get_visible_class(params["class_id"], actor)
    stmt = (
        select(User.name, User.email, Student.registration_number, SchoolClass.name, SchoolClass.section,
               SchoolClass.academic_year, Student.is_account_claimed, Student.claimed_at, User.is_active,
               Student.date_of_birth, Student.parent_email, Student.parent_phone, Student.created_at)
        .join(User, User.id == Student.id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(visible_students_clause(actor))
        .order_by(SchoolClass.name, SchoolClass.section, User.name, Student.registration_number)
    )
    stmt = equal_filters(stmt, params, {"class_id": Student.class_id})
    if params.get("claimed") is not None:
        stmt = stmt.where(Student.is_account_claimed.is_(params["claimed"]))
    if params.get("is_active") is not None:
        stmt = stmt.where(User.is_active.is_(params["is_active"]))
    return [_row(values) for values in db.session.execute(stmt)]


def _row(values) -> tuple:
    values = list(values)
    if values[3] is None:
        values[3] = "Unassigned"
    return tuple(values)
