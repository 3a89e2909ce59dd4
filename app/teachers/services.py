"""Reading teachers: an admin sees every teacher, a teacher only themself."""
from sqlalchemy import select, true
from sqlalchemy.orm import contains_eager

from app.classes.models import SchoolClass, TeacherClass
from app.common.pagination import equal_filters, paginate, search_filter
from app.extensions import db
from app.teachers.models import Teacher
from app.users.models import User

ORDERINGS = {"name": User.name, "email": User.email, "subject": Teacher.subject, "created_at": Teacher.created_at}


def visible_teachers_clause(actor: User):
    return true() if actor.is_admin else Teacher.id == actor.id


def list_teachers(actor: User, params: dict) -> dict:
    stmt = (select(Teacher).join(Teacher.user).options(contains_eager(Teacher.user))
            .where(visible_teachers_clause(actor)))
    stmt = equal_filters(stmt, params, {"subject": Teacher.subject})
    if params.get("is_active") is not None:
        stmt = stmt.where(User.is_active.is_(params["is_active"]))
    if params.get("search"):
        stmt = stmt.where(search_filter(params["search"], User.name, User.email, Teacher.subject))
    page = paginate(stmt, params, orderings=ORDERINGS, default_ordering="name", tiebreak=Teacher.id)
    attach_classes(page["items"])
    return page


def attach_classes(teachers: list[Teacher]) -> list[Teacher]:
    """Each teacher's classes, in one query for the whole list."""
    by_teacher: dict[str, list] = {t.id: [] for t in teachers}
    if by_teacher:
        rows = db.session.execute(
            select(TeacherClass.teacher_id, SchoolClass).join(SchoolClass, SchoolClass.id == TeacherClass.class_id)
            .where(TeacherClass.teacher_id.in_(list(by_teacher)))
            .order_by(SchoolClass.name, SchoolClass.section)).all()
        for teacher_id, school_class in rows:
            by_teacher[teacher_id].append(school_class)
    for teacher in teachers:
        teacher.classes = by_teacher[teacher.id]
    return teachers


def teacher_detail(teacher: Teacher) -> Teacher:
    return attach_classes([teacher])[0]
