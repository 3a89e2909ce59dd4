"""A student's effective settings for a quiz: the one place they are worked out.

Precedence, setting by setting: the student's override, else their class's override,
else the quiz. A student belongs to one class (`students.class_id`), so at most one
class override applies. The accommodation then lengthens the time limit:

    time_limit × (1 + extra_time_percent / 100) + extra_time_minutes

rounded up to the whole minute (the student never loses the fraction). The deadline
an attempt gets is `min(started_at + time limit, effective end)`: an override that
moves the end moves the cap with it.

Start, the student's quiz list and detail, `available`, analytics and exports all
read these values through the functions below.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.quizzes.models import OVERRIDABLE, Quiz, QuizOverride, window_open
from app.students.models import Student, StudentAccommodation


@dataclass(frozen=True)
class EffectiveSettings:
    status: str
    start_date: datetime | None
    end_date: datetime | None
    time_limit_minutes: int
    max_attempts: int
    access_code_required: bool

    def is_open_at(self, now: datetime) -> bool:
        return window_open(self.status, self.start_date, self.end_date, now)

    def deadline_for(self, started_at: datetime) -> datetime:
        deadline = started_at + timedelta(minutes=self.time_limit_minutes)
        return min(deadline, self.end_date) if self.end_date else deadline


def extended_minutes(minutes: int, accommodation: StudentAccommodation | None) -> int:
    if accommodation is None:
        return minutes
    stretched = minutes * (100 + (accommodation.extra_time_percent or 0)) / 100
    return math.ceil(stretched) + (accommodation.extra_time_minutes or 0)


def resolve(quiz: Quiz, student_override: QuizOverride | None, class_override: QuizOverride | None,
            accommodation: StudentAccommodation | None) -> EffectiveSettings:
    """The precedence rule itself; every loader below ends here."""
    layers = [layer for layer in (student_override, class_override) if layer is not None] + [quiz]

    def pick(field: str):
        return next((getattr(layer, field) for layer in layers if getattr(layer, field) is not None), None)

    values = {field: pick(field) for field in OVERRIDABLE}
    values["time_limit_minutes"] = extended_minutes(values["time_limit_minutes"], accommodation)
    return EffectiveSettings(status=quiz.status, **values)


def _accommodations(student_ids: list[str]) -> dict[str, StudentAccommodation]:
    rows = db.session.scalars(select(StudentAccommodation).where(StudentAccommodation.student_id.in_(student_ids)))
    return {row.student_id: row for row in rows}


def effective_settings_for_quizzes(quizzes: list[Quiz], student_id: str) -> dict[str, EffectiveSettings]:
    """quiz id → one student's settings, in two queries whatever the number of quizzes.

    Starting a quiz goes through here: the student's class is a subquery, not a query.
    """
    if not quizzes:
        return {}
    class_id = select(Student.class_id).where(Student.id == student_id).scalar_subquery()
    overrides = db.session.scalars(select(QuizOverride).where(
        QuizOverride.quiz_id.in_([quiz.id for quiz in quizzes]),
        or_(QuizOverride.student_id == student_id, QuizOverride.class_id == class_id)))
    by_student, by_class = {}, {}
    for override in overrides:
        (by_student if override.student_id else by_class)[override.quiz_id] = override
    accommodation = _accommodations([student_id]).get(student_id)
    return {quiz.id: resolve(quiz, by_student.get(quiz.id), by_class.get(quiz.id), accommodation)
            for quiz in quizzes}


class _Layer(NamedTuple):
    """An override's settings, or an accommodation's extra time, as `resolve` reads them:
    a missing row reads as all None, which `resolve` treats exactly like no row."""
    start_date: datetime | None = None
    end_date: datetime | None = None
    time_limit_minutes: int | None = None
    max_attempts: int | None = None
    access_code_required: bool | None = None
    extra_time_percent: int | None = None
    extra_time_minutes: int | None = None


_EXTRA_TIME = ("extra_time_percent", "extra_time_minutes")


def _one_student_statement():
    by_student, by_class = aliased(QuizOverride), aliased(QuizOverride)
    return (
        select(*(getattr(by_student, f) for f in OVERRIDABLE), *(getattr(by_class, f) for f in OVERRIDABLE),
               *(getattr(StudentAccommodation, f) for f in _EXTRA_TIME))
        .select_from(Quiz)
        .join(Student, Student.id == bindparam("student_id"))
        .outerjoin(by_student, and_(by_student.quiz_id == Quiz.id, by_student.student_id == Student.id))
        .outerjoin(by_class, and_(by_class.quiz_id == Quiz.id, by_class.class_id == Student.class_id))
        .outerjoin(StudentAccommodation, StudentAccommodation.student_id == Student.id)
        .where(Quiz.id == bindparam("quiz_id"))
    )


# Built once: composing it (two aliases of the overrides) costs more than running it.
# Bound by `quiz_id` and `student_id`, from the quiz's and the student's rows; its row's
# first `ONE_STUDENT_WIDTH` columns are what `settings_from_row` reads. Start extends it
# into its one read (app.attempts.start_read).
ONE_STUDENT = _one_student_statement()
ONE_STUDENT_WIDTH = 2 * len(OVERRIDABLE) + len(_EXTRA_TIME)
_NOTHING = (None,) * ONE_STUDENT_WIDTH


def effective_settings(quiz: Quiz, student_id: str) -> EffectiveSettings:
    """One student's settings at one quiz in one query: both overrides and the
    accommodation joined to the student's row."""
    # Core rows on the session's connection: no ORM entity is wanted, and no autoflush.
    row = db.session.connection().execute(
        ONE_STUDENT, {"quiz_id": quiz.id, "student_id": student_id}).one_or_none() or _NOTHING
    return settings_from_row(quiz, row)


def settings_from_row(quiz: Quiz, row) -> EffectiveSettings:
    """The settings from a row that begins with `ONE_STUDENT`'s columns."""
    width = len(OVERRIDABLE)
    student_layer = _Layer(**dict(zip(OVERRIDABLE, row[:width], strict=True)))
    class_layer = _Layer(**dict(zip(OVERRIDABLE, row[width:2 * width], strict=True)))
    extra_time = row[2 * width:ONE_STUDENT_WIDTH]
    return resolve(quiz, student_layer, class_layer, _Layer(**dict(zip(_EXTRA_TIME, extra_time, strict=True))))


def effective_settings_for_students(quiz: Quiz, students: dict[str, str | None]) -> dict[str, EffectiveSettings]:
    """student id → settings at one quiz, for `students` = {student id: class id}; two queries."""
    if not students:
        return {}
    ids = list(students)
    class_ids = sorted({c for c in students.values() if c})
    overrides = db.session.scalars(select(QuizOverride).where(
        QuizOverride.quiz_id == quiz.id,
        or_(QuizOverride.student_id.in_(ids), QuizOverride.class_id.in_(class_ids)))).all()
    by_student = {o.student_id: o for o in overrides if o.student_id}
    by_class = {o.class_id: o for o in overrides if o.class_id}
    accommodations = _accommodations(ids)
    return {sid: resolve(quiz, by_student.get(sid), by_class.get(class_id), accommodations.get(sid))
            for sid, class_id in students.items()}


def student_fields(settings: EffectiveSettings, attempts_remaining: int) -> dict:
    """What a student reads about their own terms at a quiz (list, detail, available, start)."""
    return {
        "effective_start_date": settings.start_date, "effective_end_date": settings.end_date,
        "effective_time_limit_minutes": settings.time_limit_minutes,
        "effective_max_attempts": settings.max_attempts,
        "effective_access_code_required": settings.access_code_required,
        "remaining_attempts": attempts_remaining, "attempts_remaining": attempts_remaining,
    }
