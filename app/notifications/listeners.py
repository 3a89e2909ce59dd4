"""Who is told what when something happens (seed 000 §2.2).

Each reaction runs after the request's commit in a unit of work of its own: it
commits its notifications, then pushes them. A failure is logged and rolled back;
it never reaches the request that raised the event.
"""
import logging
from functools import wraps

from sqlalchemy import select

from app.attempts.models import QuizAttempt
from app.classes.models import SchoolClass, TeacherClass
from app.common import events
from app.common.db import commit
from app.extensions import db
from app.notifications import services
from app.quizzes.models import Quiz, QuizClass
from app.students.models import Student
from app.users.models import User

log = logging.getLogger(__name__)


def own_unit_of_work(reaction):
    @wraps(reaction)
    def receiver(_sender, **payload):
        try:
            batches = reaction(**payload)
            commit()
        except Exception:
            db.session.rollback()
            log.exception("notifications for %s failed", reaction.__name__)
            return
        for batch in batches:
            try:
                services.deliver(batch)
            except Exception:  # the notifications are stored: a client catches up on reload
                log.exception("pushing notifications of %s failed", reaction.__name__)
    return receiver


def _name(user_id: str) -> str:
    return db.session.scalar(select(User.name).where(User.id == user_id)) or "A student"


def _score(value) -> str:
    return f"{float(value or 0):g}"


@own_unit_of_work
def on_quiz_published(*, quiz_id, actor_id=None, **_):
    quiz = db.session.get(Quiz, quiz_id)
    students = db.session.scalars(
        select(Student.id).join(User, User.id == Student.id).where(
            Student.class_id.in_(select(QuizClass.class_id).where(QuizClass.quiz_id == quiz_id)),
            User.is_active.is_(True)).order_by(Student.registration_number)
    ).all()
    return [services.notify(
        "quiz_published", students, {"quiz_id": quiz_id, "quiz_title": quiz.title, "subject": quiz.subject},
        entity_type="quiz", entity_id=quiz_id, actor_id=actor_id, link="/student/quizzes",
        action_url=f"/student/quizzes/{quiz_id}", expires_at=quiz.end_date)]


@own_unit_of_work
def on_attempt_graded(*, attempt_id, quiz_id, student_id, score, total_marks, percentage,
                      fully_graded=True, grader_id=None, **_):
    if not fully_graded:
        return []
    quiz = db.session.get(Quiz, quiz_id)
    context = {"quiz_id": quiz_id, "attempt_id": attempt_id, "quiz_title": quiz.title, "score": _score(score),
               "total_marks": total_marks, "percentage": f"{float(percentage or 0):.1f}"}
    return [services.notify("attempt_graded", [student_id], context, entity_type="attempt", entity_id=attempt_id,
                            actor_id=grader_id, link="/student/results",
                            action_url=f"/student/attempts/{attempt_id}")]


@own_unit_of_work
def on_attempt_reset(*, quiz_id, student_id, actor_id=None, additional_attempts=1, reason=None, **_):
    quiz = db.session.get(Quiz, quiz_id)
    context = {"quiz_id": quiz_id, "quiz_title": quiz.title, "additional_attempts": additional_attempts,
               "reason": reason or "not given"}
    return [services.notify("attempt_reset", [student_id], context, entity_type="quiz", entity_id=quiz_id,
                            actor_id=actor_id, link="/student/quizzes", action_url=f"/student/quizzes/{quiz_id}")]


@own_unit_of_work
def on_attempt_submitted(*, attempt_id, quiz_id, student_id, auto_submit_reason=None,
                         pending_manual_grading=False, **_):
    quiz = db.session.get(Quiz, quiz_id)
    context = {"quiz_id": quiz_id, "attempt_id": attempt_id, "quiz_title": quiz.title,
               "student_id": student_id, "student_name": _name(student_id)}
    batches = []
    if auto_submit_reason:
        total = db.session.scalar(select(QuizAttempt.total_violations).where(QuizAttempt.id == attempt_id))
        cause = {"violations": f"{total} violation(s)", "teacher": "your teacher closing it"}.get(
            auto_submit_reason, "the time limit running out")
        context = {**context, "cause": cause, "reason": auto_submit_reason}
        batches.append(services.notify("attempt_auto_submitted", [student_id], context, entity_type="attempt",
                                       entity_id=attempt_id, link="/student/results",
                                       action_url=f"/student/attempts/{attempt_id}"))
        batches.append(services.notify("attempt_auto_submitted_teacher", [quiz.created_by], context,
                                       entity_type="attempt", entity_id=attempt_id,
                                       action_url=f"/teacher/quizzes/{quiz_id}/monitor"))
    if pending_manual_grading:
        batches.append(services.notify("grade_pending_review", [quiz.created_by], context, entity_type="attempt",
                                       entity_id=attempt_id, link=f"/teacher/grading?attempt_id={attempt_id}",
                                       action_url=f"/teacher/grading?attempt_id={attempt_id}"))
    return batches


@own_unit_of_work
def on_violation(*, attempt_id, quiz_id, student_id, violation_type, total_violations, max_violations,
                 auto_submitted=False, flagged=False, **_):
    if auto_submitted:
        return []  # the auto-submission notice says it all
    quiz = db.session.get(Quiz, quiz_id)
    context = {"quiz_id": quiz_id, "attempt_id": attempt_id, "quiz_title": quiz.title,
               "violation_type": violation_type, "violation_label": violation_type.replace("_", " "),
               "total_violations": total_violations,
               "max_violations": max_violations}
    batches = [services.notify("violation_warning", [student_id], context, entity_type="attempt",
                               entity_id=attempt_id, action_url=f"/student/attempts/{attempt_id}")]
    if flagged:  # a flag_only quiz: the student carries on, a person reviews
        batches.append(services.notify(
            "attempt_flagged_teacher", [quiz.created_by], {**context, "student_name": _name(student_id)},
            entity_type="attempt", entity_id=attempt_id, action_url=f"/teacher/attempts/{attempt_id}/integrity"))
    return batches


@own_unit_of_work
def on_student_added(*, student_ids, class_id, actor_id=None, **_):
    """One notice per teacher of the class (but the one who did it), however many students."""
    teachers = [t for t in db.session.scalars(
        select(TeacherClass.teacher_id).join(User, User.id == TeacherClass.teacher_id)
        .where(TeacherClass.class_id == class_id).order_by(User.email)).all() if t != actor_id]
    if not teachers:
        return []
    school_class = db.session.get(SchoolClass, class_id)
    context = {"class_id": class_id, "class_name": school_class.name, "count": len(student_ids),
               "student_ids": student_ids[:50]}
    template = "students_added"
    if len(student_ids) == 1:
        template = "student_added"
        context.update(student_id=student_ids[0], student_name=_name(student_ids[0]))
    return [services.notify(template, teachers, context, entity_type="class", entity_id=class_id,
                            actor_id=actor_id, action_url=f"/teacher/classes/{class_id}")]


def connect() -> None:
    events.quiz_published.connect(on_quiz_published, weak=False)
    events.attempt_graded.connect(on_attempt_graded, weak=False)
    events.attempt_reset.connect(on_attempt_reset, weak=False)
    events.attempt_submitted.connect(on_attempt_submitted, weak=False)
    events.violation_recorded.connect(on_violation, weak=False)
    events.student_added_to_class.connect(on_student_added, weak=False)
