"""Per-student and per-class quiz overrides: managed by the quiz's teachers and admins.

The target (one student or one class) is fixed at creation; its settings change, and
a setting set to null inherits again. The student or class must be one the actor may
see (404 otherwise) and must take the quiz through an assigned class (422). How the
settings combine lives in app.quizzes.effective.
"""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.classes.models import SchoolClass
from app.common.audit import record_audit
from app.common.authz import get_visible_class, get_visible_student
from app.common.clock import isoformat
from app.common.pagination import paginate, search_filter
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.quizzes.models import OVERRIDABLE, Quiz, QuizOverride
from app.students.models import Student
from app.users.models import User

ORDERINGS = {"created_at": QuizOverride.created_at, "updated_at": QuizOverride.updated_at}


def list_overrides(quiz: Quiz, params: dict) -> dict:
    """`search` matches the student's name or registration number, or the class's name."""
    stmt = (select(QuizOverride).where(QuizOverride.quiz_id == quiz.id)
            .options(joinedload(QuizOverride.school_class), joinedload(QuizOverride.student)))
    if params.get("search"):
        stmt = (stmt.outerjoin(Student, Student.id == QuizOverride.student_id)
                .outerjoin(User, User.id == Student.id)
                .outerjoin(SchoolClass, SchoolClass.id == QuizOverride.class_id)
                .where(search_filter(params["search"], User.name, Student.registration_number, SchoolClass.name)))
    return paginate(stmt, params, orderings=ORDERINGS, default_ordering="created_at", tiebreak=QuizOverride.id)


def snapshot(override: QuizOverride) -> dict:
    values = {field: getattr(override, field) for field in OVERRIDABLE}
    values.update(start_date=isoformat(override.start_date), end_date=isoformat(override.end_date),
                  student_id=override.student_id, class_id=override.class_id)
    return values


def _assigned_class_ids(quiz: Quiz) -> set[str]:
    return {link.class_id for link in quiz.class_links}


def _target(quiz: Quiz, data: dict, actor) -> dict:
    """The checked target: visible (else 404) and taking the quiz (else 422)."""
    if data.get("student_id"):
        student = get_visible_student(data["student_id"], actor)
        if student.class_id not in _assigned_class_ids(quiz):
            raise ValidationFailed("The student is not in a class this quiz is assigned to",
                                   details={"student_id": ["Not in an assigned class."]})
        return {"student_id": student.id}
    school_class = get_visible_class(data["class_id"], actor)
    if school_class.id not in _assigned_class_ids(quiz):
        raise ValidationFailed("This quiz is not assigned to the class",
                               details={"class_id": ["Not assigned to this quiz."]})
    return {"class_id": school_class.id}


def _check_window(quiz: Quiz, override: QuizOverride) -> None:
    start = override.start_date or quiz.start_date
    end = override.end_date or quiz.end_date
    if start and end and end <= start:
        raise ValidationFailed("The overridden window is invalid",
                               details={"end_date": ["Must be after the start date (the quiz's when not overridden)."]})


def _flush_unique(override: QuizOverride) -> None:
    # Two overrides for the same student (or class) at once: the unique keys decide.
    try:
        with db.session.begin_nested():
            db.session.add(override)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict("This quiz already has an override for that student or class",
                       error_code="OVERRIDE_EXISTS") from exc


def create_override(quiz: Quiz, data: dict, *, actor) -> QuizOverride:
    override = QuizOverride(quiz_id=quiz.id, created_by=actor.id, **_target(quiz, data, actor),
                            **{field: data.get(field) for field in OVERRIDABLE})
    _check_window(quiz, override)
    _flush_unique(override)
    record_audit(actor, "quiz_override_created", "quiz_override", override.id,
                 new={"quiz_id": quiz.id, **snapshot(override)})
    return override


def update_override(override: QuizOverride, data: dict, *, actor) -> QuizOverride:
    old = snapshot(override)
    for field in OVERRIDABLE:
        if field in data:
            setattr(override, field, data[field])
    _check_window(override.quiz, override)
    db.session.flush()
    record_audit(actor, "quiz_override_updated", "quiz_override", override.id, old=old, new=snapshot(override))
    return override


def delete_override(override: QuizOverride, *, actor) -> None:
    record_audit(actor, "quiz_override_deleted", "quiz_override", override.id,
                 old={"quiz_id": override.quiz_id, **snapshot(override)})
    db.session.delete(override)
    db.session.flush()
