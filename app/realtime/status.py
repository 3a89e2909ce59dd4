"""What a monitor sees (seed 001 §5.11): the whole roster of the quiz's classes, in two
queries for the whole room whatever its size: the attempts, and the students who have
none yet (`not_started`)."""
from sqlalchemy import func, or_, select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.attempts.progress import current_position, current_question_number, latest_answered_question
from app.common.clock import utcnow
from app.extensions import db
from app.quizzes.models import QuizClass
from app.students.models import Student
from app.users.models import User

COMPLETED = ("submitted", "graded", "auto_submitted")


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


def _rows(quiz_id: str):
    return db.session.execute(
        select(QuizAttempt.id, QuizAttempt.student_id, QuizAttempt.status, QuizAttempt.started_at,
               QuizAttempt.submitted_at, QuizAttempt.deadline_at, QuizAttempt.total_violations,
               QuizAttempt.current_question_index, QuizAttempt.last_activity_at, QuizAttempt.question_order,
               QuizAttempt.attempt_number, _last_answer_at().label("last_answer_at"),
               latest_answered_question().label("latest_question_id"),
               QuizAttempt.auto_submit_reason,
               User.name, Student.registration_number, _answered_count().label("answered"))
        .join(User, User.id == QuizAttempt.student_id)
        .join(Student, Student.id == QuizAttempt.student_id)
        .where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.is_reset.is_(False))
        .order_by(QuizAttempt.student_id, QuizAttempt.attempt_number)
    ).all()


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


def _class_members(quiz_id: str):
    """The active students of every class the quiz is assigned to, in one query."""
    return db.session.execute(
        select(Student.id, User.name, Student.registration_number)
        .join(User, User.id == Student.id)
        .where(Student.class_id.in_(select(QuizClass.class_id).where(QuizClass.quiz_id == quiz_id)),
               User.is_active.is_(True))
    ).all()


def _not_started_entry(row) -> dict:
    return {
        "id": row.id, "name": row.name, "registration_number": row.registration_number,
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
    students = [_student_entry(row, now) for row in latest.values()]
    students += [_not_started_entry(row) for row in _class_members(quiz_id) if row.id not in latest]
    students.sort(key=lambda s: (s["name"], s["id"]))
    return {
        "quiz_id": quiz_id,
        "server_time": now,
        "active_attempts": sum(1 for s in students if s["status"] == "in_progress"),
        "completed_attempts": sum(1 for s in students if s["status"] in COMPLETED),
        "not_started_count": sum(1 for s in students if s["status"] == "not_started"),
        "students": students,
    }
