"""Which attempts the statistics count, and the SQL pieces every report shares.

Counted attempts: finished (`submitted`, `graded` or `auto_submitted`) and not reset.
Every finished attempt is one observation (Moodle's "all attempts"), so a student with
two attempts contributes two scores; `student_performance` gives the per-student view
(best and average). An attempt still waiting for manual marks counts with the marks
awarded so far; each report says how many such attempts there are (`pending_grading`).
In-progress and reset attempts never count.
"""
from sqlalchemy import and_, case, exists, func

from app.attempts.models import QuizAttempt, StudentAnswer

FINISHED = ("submitted", "graded", "auto_submitted")
BUCKETS = 10


def counted():
    return and_(QuizAttempt.status.in_(FINISHED), QuizAttempt.is_reset.is_(False))


def awaiting_marks():
    return exists().where(StudentAnswer.attempt_id == QuizAttempt.id, StudentAnswer.marks_awarded.is_(None))


def only_if(condition, value):
    """`value` where the condition holds, else NULL (which aggregates skip)."""
    return case((condition, value), else_=None)


def count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def bucket_of(percentage):
    """0–10, 10–20, … 90–100 (100 included in the last) as 0…9, portable SQL."""
    whens = [(percentage >= 10 * b, b) for b in range(BUCKETS - 1, 0, -1)]
    return case(*whens, else_=0)


def bucket_labels(counts: dict) -> list[dict]:
    width = 100 // BUCKETS
    return [
        {"range": f"{b * width}-{(b + 1) * width}", "min": b * width, "max": (b + 1) * width,
         "count": int(counts.get(b, 0))}
        for b in range(BUCKETS)
    ]


def num(value, places: int = 2):
    """A SQL aggregate (Decimal, float or None) as a rounded float."""
    return None if value is None else round(float(value), places)


def rate(part, whole):
    return round(100.0 * part / whole, 2) if whole else None
