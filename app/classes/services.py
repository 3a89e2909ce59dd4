"""Class management: create, change, delete, teachers and students of a class."""
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from app.classes.models import SchoolClass, TeacherClass
from app.common import events
from app.common.audit import record_audit
from app.common.authz import get_visible_teacher, visible_classes_clause, visible_students_clause
from app.common.pagination import equal_filters, paginate, search_filter
from app.errors import Conflict, NotFound
from app.extensions import db
from app.quizzes.models import QuizClass
from app.students.models import Student
from app.teachers.models import Teacher
from app.users.models import User

ORDERINGS = {"name": SchoolClass.name, "section": SchoolClass.section,
             "academic_year": SchoolClass.academic_year, "created_at": SchoolClass.created_at}


def clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _snapshot(school_class: SchoolClass) -> dict:
    return {"name": school_class.name, "section": school_class.section,
            "academic_year": school_class.academic_year}


def _same_text(column, value: str | None):
    return column.is_(None) if value is None else func.lower(column) == value.lower()


def find_class(name: str, section: str | None, academic_year: str | None) -> SchoolClass | None:
    """The class with this name, section and year, ignoring case; NULLs compare equal."""
    return db.session.scalar(select(SchoolClass).where(
        func.lower(SchoolClass.name) == name.lower(), _same_text(SchoolClass.section, section),
        _same_text(SchoolClass.academic_year, academic_year)).limit(1))


def _duplicate() -> Conflict:
    return Conflict("A class with this name, section and academic year already exists",
                    error_code="CLASS_EXISTS", details={"name": ["Already exists for this section and year."]})


def _ensure_unique(name, section, academic_year, except_id: str | None = None) -> None:
    existing = find_class(name, section, academic_year)
    if existing is not None and existing.id != except_id:
        raise _duplicate()


def _flush_unique() -> None:
    # The service check covers NULL section/year; the unique index covers races.
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise _duplicate() from exc


def list_classes(actor: User, params: dict) -> dict:
    stmt = select(SchoolClass).where(visible_classes_clause(actor))
    stmt = equal_filters(stmt, params, {"academic_year": SchoolClass.academic_year})
    if params.get("teacher_id"):
        stmt = stmt.where(SchoolClass.id.in_(
            select(TeacherClass.class_id).where(TeacherClass.teacher_id == params["teacher_id"])))
    if params.get("search"):
        stmt = stmt.where(search_filter(params["search"], SchoolClass.name, SchoolClass.section,
                                        SchoolClass.academic_year))
    page = paginate(stmt, params, orderings=ORDERINGS, default_ordering="name,section", tiebreak=SchoolClass.id)
    decorate_classes(page["items"])
    return page


def decorate_classes(classes: list[SchoolClass]) -> list[SchoolClass]:
    """Attach `student_count` (active students) and `teachers`: two queries for any number."""
    ids = [c.id for c in classes]
    counts, teachers = {}, {}
    if ids:
        counts = dict(db.session.execute(
            select(Student.class_id, func.count()).join(User, User.id == Student.id)
            .where(Student.class_id.in_(ids), User.is_active.is_(True)).group_by(Student.class_id)).all())
        rows = db.session.execute(
            select(TeacherClass.class_id, Teacher).join(Teacher, Teacher.id == TeacherClass.teacher_id)
            .where(TeacherClass.class_id.in_(ids)).order_by(TeacherClass.assigned_at)).all()
        for class_id, teacher in rows:
            teachers.setdefault(class_id, []).append(teacher)
    for school_class in classes:
        school_class.student_count = counts.get(school_class.id, 0)
        school_class.teachers = teachers.get(school_class.id, [])
    return classes


def class_detail(school_class: SchoolClass) -> SchoolClass:
    decorate_classes([school_class])
    school_class.teacher = school_class.teachers[0] if school_class.teachers else None
    # Not `students`: that is the mapped relationship, and assigning it would move people.
    school_class.active_students = db.session.scalars(
        select(Student).join(Student.user).options(contains_eager(Student.user))
        .where(Student.class_id == school_class.id, User.is_active.is_(True))
        .order_by(User.name, Student.registration_number)).all()
    return school_class


def create_class(data: dict, *, actor: User) -> SchoolClass:
    name, section, year = clean(data["name"]), clean(data.get("section")), clean(data.get("academic_year"))
    _ensure_unique(name, section, year)
    school_class = SchoolClass(name=name, section=section, academic_year=year, created_by=actor.id)
    db.session.add(school_class)
    _flush_unique()
    record_audit(actor, "class_created", "class", school_class.id, new=_snapshot(school_class))
    return class_detail(school_class)


def update_class(school_class: SchoolClass, data: dict, *, actor: User) -> SchoolClass:
    old = _snapshot(school_class)
    new = {**old, **{key: clean(value) for key, value in data.items()}}
    _ensure_unique(new["name"], new["section"], new["academic_year"], except_id=school_class.id)
    for key, value in new.items():
        setattr(school_class, key, value)
    _flush_unique()
    record_audit(actor, "class_updated", "class", school_class.id, old=old, new=new)
    return class_detail(school_class)


def delete_class(school_class: SchoolClass, *, actor: User) -> None:
    """Students become unassigned and quizzes lose the link; attempts are untouched."""
    unassigned = db.session.execute(
        update(Student).where(Student.class_id == school_class.id).values(class_id=None)
        .execution_options(synchronize_session=False)).rowcount
    unlinked = db.session.execute(
        delete(QuizClass).where(QuizClass.class_id == school_class.id)
        .execution_options(synchronize_session=False)).rowcount
    db.session.execute(delete(TeacherClass).where(TeacherClass.class_id == school_class.id)
                       .execution_options(synchronize_session=False))
    record_audit(actor, "class_deleted", "class", school_class.id,
                 old={**_snapshot(school_class), "students_unassigned": unassigned, "quizzes_unlinked": unlinked})
    db.session.expire_all()
    db.session.delete(school_class)
    db.session.flush()


def assign_teacher(school_class: SchoolClass, teacher_id: str, *, actor: User) -> None:
    teacher = get_visible_teacher(teacher_id, actor)
    linked = db.session.scalar(select(TeacherClass.id).where(
        TeacherClass.teacher_id == teacher.id, TeacherClass.class_id == school_class.id))
    if linked:
        return
    db.session.add(TeacherClass(teacher_id=teacher.id, class_id=school_class.id))
    db.session.flush()
    record_audit(actor, "class_teacher_assigned", "class", school_class.id, new={"teacher_id": teacher.id})


def unassign_teacher(school_class: SchoolClass, teacher_id: str, *, actor: User) -> None:
    removed = db.session.execute(delete(TeacherClass).where(
        TeacherClass.teacher_id == teacher_id, TeacherClass.class_id == school_class.id)
        .execution_options(synchronize_session=False)).rowcount
    if not removed:
        raise NotFound("This teacher is not assigned to the class")
    record_audit(actor, "class_teacher_unassigned", "class", school_class.id, old={"teacher_id": teacher_id})


def move_student(student: Student, school_class: SchoolClass | None, *, actor: User,
                 announce: bool = True) -> bool:
    """Put a student in a class (or none); says whether anything changed."""
    class_id = school_class.id if school_class is not None else None
    if student.class_id == class_id:
        return False
    student.class_id = class_id
    student.school_class = school_class
    if class_id is not None and announce:
        announce_students_added([student.id], class_id, actor)
    return True


def announce_students_added(student_ids: list[str], class_id: str, actor: User) -> None:
    if student_ids:
        events.publish(events.student_added_to_class, student_ids=list(student_ids), class_id=class_id,
                       actor_id=actor.id)


def assign_students(school_class: SchoolClass, student_ids: list[str], *, actor: User) -> list[str]:
    """Move the students into the class; any id the actor cannot see makes it a 404."""
    wanted = list(dict.fromkeys(student_ids))
    students = db.session.scalars(select(Student).where(
        Student.id.in_(wanted), visible_students_clause(actor))).all()
    missing = sorted(set(wanted) - {s.id for s in students})
    if missing:
        raise NotFound("Some students were not found", details={"student_ids": missing})
    moves = {s.id: s.class_id for s in students if s.class_id != school_class.id}
    for student in students:
        move_student(student, school_class, actor=actor, announce=False)
    announce_students_added(sorted(moves), school_class.id, actor)
    if moves:
        record_audit(actor, "class_students_assigned", "class", school_class.id,
                     old={"previous_class_ids": moves}, new={"student_ids": sorted(moves)})
    return sorted(moves)


def remove_student(school_class: SchoolClass, student_id: str, *, actor: User) -> None:
    student = db.session.scalar(select(Student).where(
        Student.id == student_id, Student.class_id == school_class.id))
    if student is None:
        raise NotFound("Student not found in this class")
    move_student(student, None, actor=actor)
    record_audit(actor, "class_student_removed", "class", school_class.id, old={"student_id": student.id})
