"""Scheduled reminders: quiz starting soon, deadline approaching — once per quiz.

Each reminder's event carries a unique `dedupe_key`, so a second run, or two runs at
the same moment, insert nothing the first one already did.
"""
from datetime import timedelta

from sqlalchemy import exists, select

from app.attempts.models import QuizAttempt
from app.extensions import db
from app.notifications import services
from app.notifications.templates import describe_duration
from app.quizzes.models import Quiz, QuizClass
from app.students.models import Student
from app.users.models import User

COMPLETED = ("submitted", "graded", "auto_submitted")


def _students_of(quiz_id: str):
    return (
        select(Student.id).join(User, User.id == Student.id)
        .where(Student.class_id.in_(select(QuizClass.class_id).where(QuizClass.quiz_id == quiz_id)),
               User.is_active.is_(True))
        .order_by(Student.registration_number)
    )


def quizzes_starting(now, within: timedelta) -> list[Quiz]:
    return db.session.scalars(select(Quiz).where(
        Quiz.status == "published", Quiz.start_date > now, Quiz.start_date <= now + within)).all()


def quizzes_closing(now, within: timedelta) -> list[Quiz]:
    return db.session.scalars(select(Quiz).where(
        Quiz.status == "published", Quiz.end_date > now, Quiz.end_date <= now + within,
        (Quiz.start_date.is_(None)) | (Quiz.start_date <= now))).all()


def remind_starting(quiz: Quiz, now) -> services.Batch | None:
    students = db.session.scalars(_students_of(quiz.id)).all()
    context = {"quiz_id": quiz.id, "quiz_title": quiz.title,
               "time_until": describe_duration((quiz.start_date - now).total_seconds()),
               "starts_at": quiz.start_date.isoformat() + "Z"}
    return services.notify(
        "quiz_starting_soon", students, context, entity_type="quiz", entity_id=quiz.id,
        link="/student/quizzes", action_url=f"/student/quizzes/{quiz.id}",
        expires_at=quiz.end_date or quiz.start_date + timedelta(days=1),
        dedupe_key=f"quiz_starting_soon:{quiz.id}")


def remind_closing(quiz: Quiz, now) -> services.Batch | None:
    done = exists().where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.student_id == Student.id,
                          QuizAttempt.status.in_(COMPLETED), QuizAttempt.is_reset.is_(False))
    students = db.session.scalars(_students_of(quiz.id).where(~done)).all()
    context = {"quiz_id": quiz.id, "quiz_title": quiz.title,
               "time_remaining": describe_duration((quiz.end_date - now).total_seconds()),
               "ends_at": quiz.end_date.isoformat() + "Z"}
    return services.notify(
        "quiz_deadline_approaching", students, context, entity_type="quiz", entity_id=quiz.id,
        link="/student/quizzes", action_url=f"/student/quizzes/{quiz.id}", expires_at=quiz.end_date,
        dedupe_key=f"quiz_deadline_approaching:{quiz.id}")
