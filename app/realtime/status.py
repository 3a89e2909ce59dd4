"""What a monitor sees (seed 001 §5.11): the whole roster of the quiz's classes, the
students who have not started included, in one query for the whole room whatever
its size or number of classes."""
from sqlalchemy import String, exists, func, literal, null, or_, select, type_coerce, union_all

from app.attempts.models import QuizAttempt, StudentAnswer
from app.attempts.progress import current_position, current_question_number, latest_answered_question
from app.common.clock import utcnow
from app.extensions import db
from app.quizzes.models import QuizClass
from app.students.models import Student
from app.users.models import User

COMPLETED = ("submitted", "graded", "auto_submitted")
NOT_STARTED = "not_started"


# Per attempt, correlated subqueries on student_answers' (attempt_id, …) index: the cost
# follows the quiz's own answers. A derived table grouped over student_answers made
# MariaDB scan every answer ever given, on every tick of every monitored room.
def _answered_count():
    given = or_(StudentAnswer.answer_option.is_not(None), StudentAnswer.answer_text.is_not(None))
    return (
        select(func.count()).select_from(StudentAnswer).where(StudentAnswer.attempt_id == QuizAttempt.id, given)
        .correlate(QuizAttempt).scalar_subquery()
    )


def _last_answer_at():
    return (
        select(func.max(StudentAnswer.updated_at)).where(StudentAnswer.attempt_id == QuizAttempt.id)
        .correlate(QuizAttempt).scalar_subquery()
    )


def _attempts(quiz_id: str):
    return (
        # A plain string: the union's other half says `not_started`, which the enum type refuses.
        select(QuizAttempt.id, QuizAttempt.student_id, type_coerce(QuizAttempt.status, String).label("status"),
               QuizAttempt.started_at, QuizAttempt.submitted_at, QuizAttempt.deadline_at, QuizAttempt.total_violations,
               QuizAttempt.current_question_index, QuizAttempt.last_activity_at, QuizAttempt.question_order,
               QuizAttempt.attempt_number, _last_answer_at().label("last_answer_at"),
               latest_answered_question().label("latest_question_id"),
               QuizAttempt.auto_submit_reason,
               User.name, Student.registration_number, _answered_count().label("answered"))
        .join(User, User.id == QuizAttempt.student_id)
        .join(Student, Student.id == QuizAttempt.student_id)
        .where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.is_reset.is_(False))
    )


def _not_started(quiz_id: str):
    """The active students of the quiz's classes without an attempt, shaped as `_attempts`'
    rows (NULL where an attempt would be)."""
    has_attempt = exists().where(QuizAttempt.student_id == Student.id, QuizAttempt.quiz_id == quiz_id,
                                 QuizAttempt.is_reset.is_(False))
    attempt_columns = ("started_at", "submitted_at", "deadline_at", "total_violations", "current_question_index",
                       "last_activity_at", "question_order", "attempt_number", "last_answer_at",
                       "latest_question_id", "auto_submit_reason")
    return (
        select(null().label("id"), Student.id, literal(NOT_STARTED).label("status"),
               *(null().label(name) for name in attempt_columns), User.name, Student.registration_number,
               literal(0).label("answered"))
        .join(User, User.id == Student.id)
        .where(Student.class_id.in_(select(QuizClass.class_id).where(QuizClass.quiz_id == quiz_id)),
               User.is_active.is_(True), ~has_attempt)
    )


def _rows(quiz_id: str):
    """Every attempt of the quiz, then the classes' students who have none: one query."""
    roster = union_all(_attempts(quiz_id), _not_started(quiz_id))
    columns = roster.selected_columns
    return db.session.execute(roster.order_by(columns.student_id, columns.attempt_number)).all()


def _student_entry(row, now) -> dict:
    total = len(row.question_order or [])
    end = row.submitted_at if row.status in COMPLETED and row.submitted_at else now
    in_progress = row.status == "in_progress"
    position, _last_active = current_position(row.question_order, row.current_question_index, row.last_activity_at,
                                              row.latest_question_id, row.last_answer_at)
    return {
        "id": row.student_id,
        "name": row.name,
        "registration_number": row.registration_number,
        "attempt_id": row.id,
        "attempt_number": row.attempt_number,
        "current_question": current_question_number(position) if total else 0,
        "current_question_index": position if total else None,
        "total_questions": total,
        "answered_count": row.answered,
        "progress": round(100 * row.answered / total) if total else 0,
        "violations": row.total_violations or 0,
        "time_elapsed_minutes": max(0, int((end - row.started_at).total_seconds() // 60)),
        "time_remaining_seconds": max(0, int((row.deadline_at - now).total_seconds())) if in_progress else 0,
        "status": row.status,
        "auto_submit_reason": row.auto_submit_reason,
        "started_at": row.started_at,
        "submitted_at": row.submitted_at,
    }


def _not_started_entry(row) -> dict:
    return {
        "id": row.student_id, "name": row.name, "registration_number": row.registration_number,
        "attempt_id": None, "attempt_number": None, "current_question": 0, "current_question_index": None,
        "total_questions": 0, "answered_count": 0, "progress": 0, "violations": 0, "time_elapsed_minutes": 0,
        "time_remaining_seconds": 0, "status": "not_started", "auto_submit_reason": None,
        "started_at": None, "submitted_at": None,
    }


def quiz_status(quiz_id: str) -> dict:
    """Every student of the quiz's classes, and anyone else who attempted it (moved to
    another class since): per student, their latest attempt, or `not_started`."""
    now = utcnow()
    latest = {}
    for row in _rows(quiz_id):
        latest[row.student_id] = row  # ordered by attempt number: the last one wins
    students = [_not_started_entry(row) if row.status == NOT_STARTED else _student_entry(row, now)
                for row in latest.values()]
    students.sort(key=lambda s: (s["name"], s["id"]))
    return {
        "quiz_id": quiz_id,
        "server_time": now,
        "active_attempts": sum(1 for s in students if s["status"] == "in_progress"),
        "completed_attempts": sum(1 for s in students if s["status"] in COMPLETED),
        "not_started_count": sum(1 for s in students if s["status"] == "not_started"),
        "students": students,
    }
