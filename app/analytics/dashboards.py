"""Dashboards for the admin, a teacher and a student (seed 001 §5.10): a fixed
handful of aggregate queries each, whatever the number of attempts."""
from sqlalchemy import and_, func, or_, select, true

from app.analytics import queries
from app.analytics.counting import count_if, counted, num, only_if, rate
from app.attempts.models import QuizAttempt
from app.classes.models import TeacherClass
from app.common.authz import teacher_class_ids, visible_attempts_clause
from app.extensions import db
from app.quizzes.models import Quiz
from app.students.models import Student
from app.users.models import User

TOP = 10


def admin_dashboard(*, now) -> dict:
    scope = true()
    users = dict(db.session.execute(
        select(User.role, func.count()).where(User.deleted_at.is_(None)).group_by(User.role)).all())
    quizzes = _quiz_counts(true(), now)
    return {
        "total_users": {"admins": int(users.get("admin", 0)), "teachers": int(users.get("teacher", 0)),
                        "students": int(users.get("student", 0))},
        "total_quizzes": quizzes["total"], "active_quizzes": quizzes["active"], "quizzes_by_status": quizzes,
        **queries.attempt_summary(scope),
        "score_distribution": queries.score_distribution(scope),
        "recent_activity": queries.recent_activity(scope),
        "top_students": queries.student_performance(scope, limit=TOP, best_first=False),
        "teacher_stats": _teacher_stats(),
        "performance_by_subject": queries.performance_by_subject(scope),
        "violation_summary": queries.violation_summary(scope),
        "generated_at": now,
    }


def teacher_dashboard(teacher: User, *, now) -> dict:
    own_quizzes = select(Quiz.id).where(Quiz.created_by == teacher.id)
    scope = QuizAttempt.quiz_id.in_(own_quizzes)
    quizzes = _quiz_counts(Quiz.created_by == teacher.id, now)
    summary = queries.attempt_summary(scope)
    return {
        "teacher": {"id": teacher.id, "name": teacher.name},
        "my_quizzes": quizzes["total"], "active_quizzes": quizzes["active"], "quizzes_by_status": quizzes,
        "my_classes": db.session.scalar(
            select(func.count()).select_from(TeacherClass).where(TeacherClass.teacher_id == teacher.id)),
        "my_students": db.session.scalar(
            select(func.count()).select_from(Student).where(Student.class_id.in_(teacher_class_ids(teacher)))),
        **summary,
        "recent_attempts": queries.recent_activity(scope),
        "quiz_performance": _quiz_performance(teacher.id),
        "performance_by_subject": queries.performance_by_subject(scope),
        "violation_summary": queries.violation_summary(scope),
        "generated_at": now,
    }


def student_dashboard(student: Student, *, actor: User, now) -> dict:
    """A student's results; a teacher sees only the attempts at their own quizzes."""
    scope = and_(QuizAttempt.student_id == student.id, visible_attempts_clause(actor))
    summary = queries.attempt_summary(scope)
    passed, failed = _quizzes_passed_failed(scope)
    return {
        "student": {"id": student.id, "name": student.user.name,
                    "registration_number": student.registration_number, "class_id": student.class_id},
        **summary,
        "quizzes_passed": passed, "quizzes_failed": failed,
        "recent_results": queries.recent_activity(scope),
        "performance_by_subject": queries.performance_by_subject(scope),
        "violation_summary": queries.violation_summary(scope),
        "generated_at": now,
    }


def _quiz_counts(scope, now) -> dict:
    open_now = and_(Quiz.status == "published", or_(Quiz.start_date.is_(None), Quiz.start_date <= now),
                    or_(Quiz.end_date.is_(None), Quiz.end_date > now))
    row = db.session.execute(select(
        func.count(Quiz.id), count_if(Quiz.status == "draft"), count_if(Quiz.status == "published"),
        count_if(Quiz.status == "archived"), count_if(open_now)).where(scope)).one()
    return dict(zip(("total", "draft", "published", "archived", "active"), (int(v) for v in row), strict=True))


def _teacher_stats() -> list[dict]:
    finished = and_(QuizAttempt.quiz_id == Quiz.id, counted())
    rows = db.session.execute(
        select(User.id, User.name, func.count(func.distinct(Quiz.id)), func.count(QuizAttempt.id),
               func.avg(QuizAttempt.percentage), count_if(QuizAttempt.passed.is_(True)))
        .outerjoin(Quiz, Quiz.created_by == User.id).outerjoin(QuizAttempt, finished)
        .where(User.role == "teacher", User.deleted_at.is_(None))
        .group_by(User.id, User.name).order_by(User.name)
    ).all()
    return [{"teacher": {"id": tid, "name": name}, "quizzes": int(q), "attempts": int(n),
             "average_score": num(avg), "pass_rate": rate(int(p), int(n))}
            for tid, name, q, n, avg, p in rows]


def _quiz_performance(teacher_id: str) -> list[dict]:
    finished = and_(QuizAttempt.quiz_id == Quiz.id, counted())
    rows = db.session.execute(
        select(Quiz.id, Quiz.title, Quiz.subject, Quiz.status, Quiz.created_at, func.count(QuizAttempt.id),
               func.avg(QuizAttempt.percentage), count_if(QuizAttempt.passed.is_(True)))
        .outerjoin(QuizAttempt, finished).where(Quiz.created_by == teacher_id)
        .group_by(Quiz.id, Quiz.title, Quiz.subject, Quiz.status, Quiz.created_at)
        .order_by(Quiz.created_at.desc(), Quiz.id)
    ).all()
    return [{"quiz": {"id": qid, "title": title, "subject": subject, "status": status},
             "attempts": int(n), "average_score": num(avg), "pass_rate": rate(int(p), int(n))}
            for qid, title, subject, status, _created, n, avg, p in rows]


def _quizzes_passed_failed(scope) -> tuple[int, int]:
    """Quizzes with a passing counted attempt, and quizzes attempted but never passed."""
    per_quiz = (
        select(QuizAttempt.quiz_id, func.max(only_if(QuizAttempt.passed.is_(True), 1)).label("ok"))
        .where(scope, counted()).group_by(QuizAttempt.quiz_id).subquery()
    )
    row = db.session.execute(select(count_if(per_quiz.c.ok == 1), count_if(per_quiz.c.ok.is_(None)))).one()
    return int(row[0]), int(row[1])
