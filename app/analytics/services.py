"""The quiz report (seed 001 §5.10 `quiz/{id}`), per-question statistics included.

Facility and discrimination follow Moodle's quiz statistics report:
- facility index = mean mark on the question / its maximum × 100;
- discrimination index = 100 × Pearson correlation, across the counted attempts,
  between the mark on the question and the mark on the rest of the quiz.
SQL returns, per question, the count and the sums, sums of squares and sum of
products of those two marks; Python finishes with a few arithmetic operations.
Answers still waiting for manual marks are left out of their question's figures.
"""
import math

from sqlalchemy import and_, func, not_, or_, select

from app.analytics import queries
from app.analytics.counting import count_if, counted, num, only_if, rate
from app.analytics.timing import time_usage
from app.attempts.models import AttemptQuestion, QuizAttempt, StudentAnswer
from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizQuestion


def quiz_analytics(quiz: Quiz, *, now) -> dict:
    scope = QuizAttempt.quiz_id == quiz.id
    drawn = bool(quiz.question_pools)  # pools cannot change once attempted
    questions = quiz_questions(quiz.id, drawn=drawn)
    statistics = question_statistics(quiz.id, questions, drawn=drawn)
    return {
        "quiz": {
            "id": quiz.id, "title": quiz.title, "subject": quiz.subject, "status": quiz.status,
            "passing_percentage": quiz.passing_percentage, "question_count": len(questions),
            "total_marks": sum(marks for _q, marks in questions),
            "start_date": quiz.start_date, "end_date": quiz.end_date,
        },
        **queries.attempt_summary(scope),
        "score_distribution": queries.score_distribution(scope),
        "question_statistics": statistics,
        "performance_by_topic": performance_by_topic(statistics),
        "student_performance": queries.student_performance(scope),
        "violation_summary": queries.violation_summary(scope),
        "time_usage": time_usage(quiz),
        "integrity_review": queries.review_summary(scope),
        "recent_activity": queries.recent_activity(scope),
        "generated_at": now,
    }


def quiz_questions(quiz_id: str, *, drawn: bool = False) -> list[tuple[Question, int]]:
    """(question, marks in this quiz) in the quiz's order, then the questions its pools
    drew for some attempt (app.quizzes.pools), at their own marks."""
    rows = db.session.execute(
        select(Question, func.coalesce(QuizQuestion.marks_override, Question.marks))
        .join(QuizQuestion, QuizQuestion.question_id == Question.id)
        .where(QuizQuestion.quiz_id == quiz_id).order_by(QuizQuestion.order_index)
    ).all()
    if not drawn:
        return [(question, int(marks)) for question, marks in rows]
    drawn = db.session.scalars(
        select(Question).where(Question.id.in_(
            select(AttemptQuestion.question_id).join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
            .where(QuizAttempt.quiz_id == quiz_id))).order_by(Question.created_at, Question.id)).all()
    return [(question, int(marks)) for question, marks in rows] + [(question, question.marks) for question in drawn]


def _sums_by_question(quiz_id: str, drawn: bool) -> dict:
    """Per question, over the counted attempts that showed it: fixed questions are shown
    by every attempt of the quiz, drawn ones by the attempts that drew them."""
    fixed = _sums(quiz_id, QuizQuestion.question_id, func.coalesce(QuizQuestion.marks_override, Question.marks),
                  (QuizQuestion, QuizQuestion.quiz_id == QuizAttempt.quiz_id))
    if not drawn:
        return fixed
    drawn = _sums(quiz_id, AttemptQuestion.question_id, Question.marks,
                  (AttemptQuestion, AttemptQuestion.attempt_id == QuizAttempt.id))
    return {**drawn, **fixed}


def _sums(quiz_id: str, question_id, full_marks, link) -> dict:
    unmarked = and_(StudentAnswer.id.isnot(None), StudentAnswer.marks_awarded.is_(None))
    known = not_(unmarked)
    mark = func.coalesce(StudentAnswer.marks_awarded, 0)
    x = only_if(known, mark)
    rest = only_if(known, func.coalesce(QuizAttempt.score, 0) - mark)
    answered = and_(StudentAnswer.id.isnot(None), or_(
        StudentAnswer.answer_option.isnot(None), StudentAnswer.response.isnot(None),
        func.length(func.trim(func.coalesce(StudentAnswer.answer_text, ""))) > 0))
    rows = db.session.execute(
        select(
            question_id.label("question_id"),
            func.count(QuizAttempt.id).label("attempts"), count_if(answered).label("answered"),
            count_if(unmarked).label("pending"), func.count(x).label("k"),
            func.sum(x).label("sx"), func.sum(x * x).label("sxx"), func.sum(rest).label("sy"),
            func.sum(rest * rest).label("syy"), func.sum(x * rest).label("sxy"),
            count_if(and_(known, mark >= full_marks)).label("full"),
            count_if(and_(known, mark <= 0)).label("zero"),
        )
        .join(*link)
        .join(Question, Question.id == question_id)
        .outerjoin(StudentAnswer, and_(StudentAnswer.attempt_id == QuizAttempt.id,
                                       StudentAnswer.question_id == question_id))
        .where(QuizAttempt.quiz_id == quiz_id, counted())
        .group_by(question_id)
    ).all()
    return {row.question_id: row._asdict() for row in rows}


def question_statistics(quiz_id: str, questions: list[tuple[Question, int]], *, drawn: bool = False) -> list[dict]:
    sums = _sums_by_question(quiz_id, drawn)
    return [_question_row(index, question, marks, sums.get(question.id, {}))
            for index, (question, marks) in enumerate(questions, start=1)]


def _question_row(number: int, question: Question, marks: int, s: dict) -> dict:
    k = int(s.get("k") or 0)
    sx = float(s.get("sx") or 0)
    full, zero = int(s.get("full") or 0), int(s.get("zero") or 0)
    mean = sx / k if k else None
    return {
        "number": number,
        "question": {"id": question.id, "text": question.text, "type": question.type,
                     "topic": question.topic, "difficulty": question.difficulty, "marks": marks},
        "attempts": int(s.get("attempts") or 0), "answered_count": int(s.get("answered") or 0),
        "graded_count": k, "pending_count": int(s.get("pending") or 0),
        "correct_count": full, "partially_correct_count": k - full - zero, "incorrect_count": zero,
        "success_rate": rate(full, k), "average_marks": num(mean),
        "facility_index": num(100.0 * mean / marks) if mean is not None else None,
        "discrimination_index": num(discrimination(s)),
        "marks_sum": sx,
    }


def discrimination(s: dict) -> float | None:
    """100 × Pearson r between the question's marks and the rest-of-quiz marks.

    None when fewer than two attempts or when either side does not vary (r undefined).
    """
    k = int(s.get("k") or 0)
    if k < 2:
        return None
    sx, sy = float(s["sx"] or 0), float(s["sy"] or 0)
    sxx, syy, sxy = float(s["sxx"] or 0), float(s["syy"] or 0), float(s["sxy"] or 0)
    var_x, var_y = k * sxx - sx * sx, k * syy - sy * sy
    if var_x <= 1e-9 or var_y <= 1e-9:
        return None
    return 100.0 * (k * sxy - sx * sy) / math.sqrt(var_x * var_y)


def performance_by_topic(statistics: list[dict]) -> list[dict]:
    """Facility per question topic, weighted by marks (from the rows above, no query)."""
    topics: dict[str, dict] = {}
    for row in statistics:
        topic = row["question"]["topic"] or "General"
        entry = topics.setdefault(topic, {"topic": topic, "questions": 0, "earned": 0.0, "possible": 0.0})
        entry["questions"] += 1
        entry["earned"] += row["marks_sum"]
        entry["possible"] += row["graded_count"] * row["question"]["marks"]
    return [{"topic": t["topic"], "questions": t["questions"],
             "facility_index": num(100.0 * t["earned"] / t["possible"]) if t["possible"] else None}
            for t in sorted(topics.values(), key=lambda t: t["topic"])]
