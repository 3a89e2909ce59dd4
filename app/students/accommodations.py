"""A student's extra-time accommodation: read and set by admins and the student's teachers.

A student without a row has none (0 % and 0 minutes). The time it adds is worked out in
app.quizzes.effective, the one place every timed read and start takes it from.
"""
from app.common.audit import record_audit
from app.extensions import db
from app.students.models import Student, StudentAccommodation


def get_accommodation(student: Student) -> StudentAccommodation:
    found = db.session.get(StudentAccommodation, student.id)
    return found or StudentAccommodation(student_id=student.id, extra_time_percent=0, extra_time_minutes=0)


def _values(accommodation: StudentAccommodation) -> dict:
    return {"extra_time_percent": accommodation.extra_time_percent,
            "extra_time_minutes": accommodation.extra_time_minutes, "note": accommodation.note}


def set_accommodation(student: Student, data: dict, *, actor) -> StudentAccommodation:
    """Replace the student's accommodation (PUT semantics: an absent note clears it)."""
    accommodation = db.session.get(StudentAccommodation, student.id, with_for_update=True)
    old = _values(accommodation) if accommodation else None
    if accommodation is None:
        accommodation = StudentAccommodation(student_id=student.id)
        db.session.add(accommodation)
    accommodation.extra_time_percent = data["extra_time_percent"]
    accommodation.extra_time_minutes = data["extra_time_minutes"]
    accommodation.note = data.get("note")
    accommodation.updated_by = actor.id
    db.session.flush()
    record_audit(actor, "accommodation_set", "student", student.id, old=old, new=_values(accommodation))
    return accommodation
