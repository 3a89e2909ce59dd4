"""Manual grading: the queues, the grading view of an attempt, and the teacher's marks.

Scores are only ever computed by app.grading.scoring, so submission, grading and the
expiry sweep agree on every total.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import joinedload

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import events
from app.common.audit import record_audit
from app.common.authz import visible_attempts_clause
from app.common.pagination import equal_filters, paginate, search_filter
from app.errors import InvalidState, ValidationFailed
from app.extensions import db
from app.grading.scoring import TWO_PLACES, answers_of, quiz_marks, recompute_totals
from app.questions.models import Question
from app.quizzes.models import QuizQuestion
from app.students.models import Student
from app.users.models import User

ORDERINGS = {
    "submitted_at": QuizAttempt.submitted_at, "student": User.name,
    "percentage": QuizAttempt.percentage, "attempt_number": QuizAttempt.attempt_number,
}
# An answer with no marks yet is waiting for a teacher: submission marks every
# objective answer, so only descriptive (or key-less short) answers stay unmarked.
_has_unmarked_answer = exists().where(
    StudentAnswer.attempt_id == QuizAttempt.id, StudentAnswer.marks_awarded.is_(None)
)


def list_pending(params: dict, *, actor: User) -> dict:
    return _queue(params, actor, _has_unmarked_answer, default_ordering="submitted_at")


def list_graded(params: dict, *, actor: User) -> dict:
    return _queue(params, actor, ~_has_unmarked_answer, default_ordering="-submitted_at")


def _queue(params: dict, actor: User, condition, *, default_ordering: str) -> dict:
    stmt = (
        select(QuizAttempt)
        .join(Student, Student.id == QuizAttempt.student_id).join(User, User.id == Student.id)
        .where(visible_attempts_clause(actor), QuizAttempt.status != "in_progress",
               QuizAttempt.is_reset.is_(False), condition)
        .options(joinedload(QuizAttempt.quiz), joinedload(QuizAttempt.student))
    )
    stmt = equal_filters(stmt, params, {"quiz_id": QuizAttempt.quiz_id, "class_id": Student.class_id})
    if params.get("search"):
        stmt = stmt.where(search_filter(params["search"], User.name, Student.registration_number))
    page = paginate(stmt, params, orderings=ORDERINGS, default_ordering=default_ordering,
                    tiebreak=QuizAttempt.id)
    totals = _answer_totals([a.id for a in page["items"]])
    page["items"] = [_queue_item(a, totals.get(a.id, {})) for a in page["items"]]
    return page


def _answer_totals(attempt_ids: list[str]) -> dict:
    """Per attempt: answers waiting, their marks, and the marks given so far — one query."""
    if not attempt_ids:
        return {}
    unmarked = StudentAnswer.marks_awarded.is_(None)
    by_teacher = StudentAnswer.graded_by.isnot(None)
    marks = func.coalesce(QuizQuestion.marks_override, Question.marks)
    rows = db.session.execute(
        select(
            StudentAnswer.attempt_id,
            func.sum(case((unmarked, 1), else_=0)).label("pending_count"),
            func.sum(case((unmarked, marks), else_=0)).label("pending_marks"),
            func.sum(case((and_(~unmarked, ~by_teacher), StudentAnswer.marks_awarded), else_=0)).label("auto"),
            func.sum(case((by_teacher, StudentAnswer.marks_awarded), else_=0)).label("manual"),
            func.max(StudentAnswer.graded_at).label("last_graded_at"),
        )
        .join(QuizAttempt, QuizAttempt.id == StudentAnswer.attempt_id)
        .join(QuizQuestion, and_(QuizQuestion.quiz_id == QuizAttempt.quiz_id,
                                 QuizQuestion.question_id == StudentAnswer.question_id))
        .join(Question, Question.id == StudentAnswer.question_id)
        .where(StudentAnswer.attempt_id.in_(attempt_ids))
        .group_by(StudentAnswer.attempt_id)
    ).all()
    return {row.attempt_id: row._asdict() for row in rows}


def _queue_item(attempt: QuizAttempt, totals: dict) -> dict:
    return {
        "attempt_id": attempt.id, "attempt": attempt, "student": attempt.student, "quiz": attempt.quiz,
        "submitted_at": attempt.submitted_at,
        "descriptive_questions_count": int(totals.get("pending_count") or 0),
        "auto_graded_score": totals.get("auto") or 0,
        "manually_graded_score": totals.get("manual") or 0,
        "pending_marks": totals.get("pending_marks") or 0,
        "last_graded_at": totals.get("last_graded_at"),
    }


def ensure_gradable(attempt: QuizAttempt) -> None:
    if attempt.is_in_progress:
        raise InvalidState("The attempt is still in progress and cannot be graded yet",
                           error_code="ATTEMPT_IN_PROGRESS")


def grading_view(attempt: QuizAttempt) -> dict:
    """Every question of the attempt with its answer key and the current marks."""
    ensure_gradable(attempt)
    marks, answers = quiz_marks(attempt.quiz_id), answers_of(attempt)
    order = [qid for qid in (attempt.question_order or []) if qid in marks]
    order += [qid for qid in marks if qid not in order]
    items = [_answer_item(marks[qid][0], marks[qid][1], answers.get(qid)) for qid in order]
    return {
        "attempt": attempt, "student": attempt.student, "quiz": attempt.quiz, "answers": items,
        "pending_count": sum(1 for item in items if item["needs_grading"]),
    }


def _answer_item(question: Question, marks: int, answer: StudentAnswer | None) -> dict:
    return {
        "answer_id": answer.id if answer else None,
        "question": {**{f: getattr(question, f) for f in (
            "id", "text", "type", "options", "correct_answer", "accepted_answers",
            "sample_answer", "marking_rubric", "is_auto_gradable")}, "marks": marks},
        "student_answer": answer.answer_text if answer else None,
        "answer_option": answer.answer_option if answer else None,
        "is_correct": answer.is_correct if answer else None,
        "current_marks": answer.marks_awarded if answer else None,
        "current_feedback": answer.feedback if answer else None,
        "graded_by": answer.graded_by if answer else None,
        "graded_at": answer.graded_at if answer else None,
        "needs_grading": answer is not None and answer.marks_awarded is None,
    }


def grade_attempt(attempt: QuizAttempt, grades: list[dict], *, actor: User, now) -> dict:
    """Record the teacher's marks; the attempt is `graded` once nothing is left."""
    ensure_gradable(attempt)
    marks, answers = quiz_marks(attempt.quiz_id), answers_of(attempt)
    targets = _resolve_targets(grades, marks, answers)
    before = _totals(attempt)
    old, new = {}, {}
    for question_id, grade in targets:
        answer = answers.get(question_id) or _blank_answer(attempt, question_id, answers)
        old[question_id] = _snapshot(answer)
        _apply_grade(answer, marks[question_id][0], marks[question_id][1], grade, actor, now)
        new[question_id] = _snapshot(answer)
    pending = recompute_totals(attempt, attempt.quiz.passing_percentage, marks, answers)
    if not pending:
        attempt.status = "graded"
    db.session.flush()
    record_audit(actor, "attempt_graded", "quiz_attempt", attempt.id,
                 old={"answers": old, **before}, new={"answers": new, **_totals(attempt)})
    events.publish(
        events.attempt_graded, attempt_id=attempt.id, quiz_id=attempt.quiz_id,
        student_id=attempt.student_id, grader_id=actor.id, score=float(attempt.score),
        total_marks=attempt.total_marks, percentage=float(attempt.percentage), fully_graded=not pending,
    )
    return {
        "message": "Grading completed" if not pending else "Grades saved; answers still wait for marks",
        "attempt_id": attempt.id, "status": attempt.status, "final_score": attempt.score,
        "total_marks": attempt.total_marks, "percentage": attempt.percentage, "passed": attempt.passed,
        "pending_count": len(pending),
    }


def _resolve_targets(grades: list[dict], marks: dict, answers: dict) -> list[tuple[str, dict]]:
    """(question_id, grade) for each grade, or 422 naming every faulty entry."""
    by_answer_id = {a.id: qid for qid, a in answers.items()}
    errors, targets, seen = {}, [], set()
    for index, grade in enumerate(grades):
        if "answer_id" in grade:
            question_id = by_answer_id.get(grade["answer_id"])
            field = "answer_id"
        else:
            question_id, field = grade["question_id"], "question_id"
        if question_id not in marks:
            errors[str(index)] = {field: ["Not a question of this attempt's quiz."]}
        elif question_id in seen:
            errors[str(index)] = {field: ["This question is graded twice in one request."]}
        elif grade["marks_awarded"] > marks[question_id][1]:
            errors[str(index)] = {"marks_awarded": [f"Must be between 0 and {marks[question_id][1]}."]}
        else:
            seen.add(question_id)
            targets.append((question_id, grade))
    if errors:
        raise ValidationFailed("One or more grades are invalid", details={"grades": errors})
    return targets


def _blank_answer(attempt: QuizAttempt, question_id: str, answers: dict) -> StudentAnswer:
    """An unanswered question can still be marked (say 0, with feedback)."""
    answer = StudentAnswer(attempt_id=attempt.id, question_id=question_id, is_final=True)
    db.session.add(answer)
    answers[question_id] = answer
    return answer


def _apply_grade(answer: StudentAnswer, question: Question, max_marks: int, grade: dict, actor, now) -> None:
    answer.marks_awarded = Decimal(grade["marks_awarded"]).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    if "feedback" in grade:
        answer.feedback = (grade["feedback"] or "").strip() or None
    if question.is_auto_gradable:
        # A teacher's override of an objective answer: right means full marks.
        answer.is_correct = answer.marks_awarded >= max_marks
    answer.graded_by = actor.id
    answer.graded_at = now


def _snapshot(answer: StudentAnswer) -> dict:
    marks = answer.marks_awarded
    return {"marks_awarded": None if marks is None else float(marks), "feedback": answer.feedback}


def _totals(attempt: QuizAttempt) -> dict:
    return {
        "status": attempt.status,
        "score": None if attempt.score is None else float(attempt.score),
        "percentage": None if attempt.percentage is None else float(attempt.percentage),
        "passed": attempt.passed,
    }
