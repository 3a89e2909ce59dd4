"""Aggregate queries shared by the quiz report and the dashboards: one query each.

Each takes a `scope` (a SQL condition on quiz_attempts) and never loads attempt rows
beyond the handful it lists (recent activity, top students).
"""
from sqlalchemy import and_, func, select

from app.analytics.counting import awaiting_marks, bucket_labels, bucket_of, count_if, counted, num, only_if, rate
from app.attempts.models import REVIEW_STATUSES, QuizAttempt, Violation
from app.classes.models import SchoolClass
from app.extensions import db
from app.quizzes.models import Quiz
from app.students.models import Student
from app.users.models import User

RECENT = 10


def attempt_summary(scope) -> dict:
    finished = counted()

    def when_counted(value):
        return func.avg(only_if(finished, value))

    row = db.session.execute(
        select(
            count_if(finished).label("total"),
            func.count(func.distinct(only_if(finished, QuizAttempt.student_id))).label("students"),
            count_if(QuizAttempt.status == "in_progress").label("in_progress"),
            count_if(and_(finished, awaiting_marks())).label("pending"),
            when_counted(QuizAttempt.score).label("avg_score"),
            when_counted(QuizAttempt.percentage).label("avg_pct"),
            func.max(only_if(finished, QuizAttempt.percentage)).label("max_pct"),
            func.min(only_if(finished, QuizAttempt.percentage)).label("min_pct"),
            count_if(and_(finished, QuizAttempt.passed.is_(True))).label("passed"),
            count_if(and_(finished, QuizAttempt.passed.is_(False))).label("failed"),
        ).where(scope, QuizAttempt.is_reset.is_(False))
    ).one()
    total = int(row.total)
    return {
        "total_attempts": total, "total_students": int(row.students), "in_progress": int(row.in_progress),
        "pending_grading": int(row.pending), "average_score": num(row.avg_pct),
        "average_marks": num(row.avg_score), "highest_score": num(row.max_pct),
        "lowest_score": num(row.min_pct), "passed_count": int(row.passed), "failed_count": int(row.failed),
        "pass_rate": rate(int(row.passed), total),
    }


def score_distribution(scope) -> list[dict]:
    bucket = bucket_of(QuizAttempt.percentage).label("bucket")
    rows = db.session.execute(
        select(bucket, func.count()).where(scope, counted(), QuizAttempt.percentage.isnot(None))
        .group_by(bucket)
    ).all()
    return bucket_labels({int(b): n for b, n in rows})


def violation_summary(scope) -> dict:
    by_type = dict(db.session.execute(
        select(Violation.violation_type, func.count())
        .join(QuizAttempt, QuizAttempt.id == Violation.attempt_id)
        .where(scope, QuizAttempt.is_reset.is_(False)).group_by(Violation.violation_type)
    ).all())
    flags = db.session.execute(
        select(count_if(QuizAttempt.total_violations > 0),
               count_if(QuizAttempt.auto_submitted_due_to_violations.is_(True)))
        .where(scope, QuizAttempt.is_reset.is_(False))
    ).one()
    return {
        "total_violations": sum(by_type.values()), "by_type": {k: int(v) for k, v in sorted(by_type.items())},
        "attempts_with_violations": int(flags[0]), "auto_submitted_for_violations": int(flags[1]),
    }


def review_summary(scope) -> dict:
    """Attempts per integrity review status (every status named, zeros included), and
    how many a `flag_only` threshold flagged."""
    counts = dict(db.session.execute(
        select(QuizAttempt.review_status, func.count()).where(scope, QuizAttempt.is_reset.is_(False))
        .group_by(QuizAttempt.review_status)
    ).all())
    flagged = db.session.scalar(select(func.count()).select_from(QuizAttempt).where(
        scope, QuizAttempt.is_reset.is_(False), QuizAttempt.flagged_at.isnot(None)))
    return {"by_status": {status: int(counts.get(status, 0)) for status in REVIEW_STATUSES},
            "flagged_for_review": int(flagged or 0)}


def recent_activity(scope, limit: int = RECENT) -> list[dict]:
    activity_at = func.coalesce(QuizAttempt.submitted_at, QuizAttempt.started_at)
    rows = db.session.execute(
        select(QuizAttempt, Quiz.title, User.name, activity_at.label("activity_at"))
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id).join(User, User.id == QuizAttempt.student_id)
        .where(scope, QuizAttempt.is_reset.is_(False))
        .order_by(activity_at.desc(), QuizAttempt.id).limit(limit)
    ).all()
    return [{
        "attempt_id": a.id, "quiz": {"id": a.quiz_id, "title": title},
        "student": {"id": a.student_id, "name": name}, "status": a.status,
        "attempt_number": a.attempt_number, "score": a.score, "total_marks": a.total_marks,
        "percentage": a.percentage, "passed": a.passed, "started_at": a.started_at,
        "submitted_at": a.submitted_at, "activity_at": at,
    } for a, title, name, at in rows]


def performance_by_subject(scope) -> list[dict]:
    rows = db.session.execute(
        select(Quiz.subject, func.count(QuizAttempt.id), func.count(func.distinct(Quiz.id)),
               func.avg(QuizAttempt.percentage), func.max(QuizAttempt.percentage),
               count_if(QuizAttempt.passed.is_(True)))
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id).where(scope, counted())
        .group_by(Quiz.subject).order_by(Quiz.subject)
    ).all()
    return [{
        "subject": subject, "attempts": int(n), "quizzes": int(quizzes), "average_score": num(avg),
        "best_score": num(best), "passed_count": int(passed), "pass_rate": rate(int(passed), int(n)),
    } for subject, n, quizzes, avg, best, passed in rows]


def student_performance(scope, limit: int | None = None, best_first: bool = True) -> list[dict]:
    """One row per student: attempts, best and average percentage, passed at least once."""
    best = func.max(QuizAttempt.percentage)
    stmt = (
        select(Student.id, User.name, Student.registration_number, SchoolClass.name, SchoolClass.section,
               func.count(QuizAttempt.id), best, func.avg(QuizAttempt.percentage),
               func.max(QuizAttempt.score), count_if(QuizAttempt.passed.is_(True)),
               count_if(awaiting_marks()), func.max(QuizAttempt.submitted_at))
        .join(Student, Student.id == QuizAttempt.student_id).join(User, User.id == Student.id)
        .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
        .where(scope, counted())
        .group_by(Student.id, User.name, Student.registration_number, SchoolClass.name, SchoolClass.section)
        .order_by(best.desc() if best_first else func.avg(QuizAttempt.percentage).desc(), User.name)
    )
    if limit:
        stmt = stmt.limit(limit)
    return [{
        "student": {"id": sid, "name": name, "registration_number": reg,
                    "class_name": " ".join(p for p in (cname, section) if p) or None},
        "attempts": int(n), "best_score": num(best_pct), "average_score": num(avg_pct),
        "best_marks": num(best_marks), "passed": int(passed) > 0, "pending_grading": int(pending),
        "last_submitted_at": last,
    } for sid, name, reg, cname, section, n, best_pct, avg_pct, best_marks, passed, pending, last
        in db.session.execute(stmt).all()]
