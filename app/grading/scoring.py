"""Marking: auto-grading of objective answers and an attempt's totals.

Used by submission (attempts), manual grading (grading) and the expiry sweep, so
the three can never disagree on a score.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import QuizQuestion

TWO_PLACES = Decimal("0.01")


def normalise_text(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def is_correct(question: Question, answer: StudentAnswer) -> bool | None:
    """True/False for auto-gradable questions, None when a teacher must decide."""
    if question.type in ("mcq", "true_false"):
        return answer.answer_option is not None and answer.answer_option == question.correct_answer
    if question.type == "short_answer" and question.accepted_answers:
        accepted = {normalise_text(a) for a in question.accepted_answers}
        return normalise_text(answer.answer_text) in accepted
    return None


def auto_grade(answer: StudentAnswer, question: Question, marks: int) -> None:
    """Mark an objective answer; leave descriptive ones for the teacher.

    An answer a teacher already marked keeps the teacher's marks.
    """
    if answer.graded_by is not None:
        return
    verdict = is_correct(question, answer)
    answer.is_correct = verdict
    if verdict is not None:
        answer.marks_awarded = Decimal(marks if verdict else 0)


def quiz_marks(quiz_id: str) -> dict[str, tuple[Question, int]]:
    """question_id → (question, marks in this quiz), in one query."""
    rows = db.session.execute(
        select(QuizQuestion, Question).join(Question, Question.id == QuizQuestion.question_id)
        .where(QuizQuestion.quiz_id == quiz_id)
    ).all()
    return {q.id: (q, link.marks_override if link.marks_override is not None else q.marks) for link, q in rows}


def answers_of(attempt: QuizAttempt) -> dict[str, StudentAnswer]:
    rows = db.session.scalars(select(StudentAnswer).where(StudentAnswer.attempt_id == attempt.id))
    return {a.question_id: a for a in rows}


def pending_questions(marks: dict, answers: dict) -> list[str]:
    """Questions still waiting for a teacher: answered, not auto-gradable, not marked."""
    return [
        qid for qid, (question, _m) in marks.items()
        if qid in answers and answers[qid].marks_awarded is None and not question.is_auto_gradable
    ]


def recompute_totals(attempt: QuizAttempt, passing_percentage: int, marks: dict | None = None,
                     answers: dict | None = None) -> list[str]:
    """Score, total, percentage and passed from the stored answers.

    Returns the question ids still pending manual grading (empty when fully graded).
    Unanswered questions score zero.
    """
    marks = marks if marks is not None else quiz_marks(attempt.quiz_id)
    answers = answers if answers is not None else answers_of(attempt)
    total = sum(m for _q, m in marks.values())
    score = sum((a.marks_awarded or Decimal(0)) for qid, a in answers.items() if qid in marks)
    attempt.total_marks = total
    attempt.score = Decimal(score).quantize(TWO_PLACES)
    percentage = (Decimal(score) * 100 / total) if total else Decimal(0)
    attempt.percentage = percentage.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    attempt.passed = attempt.percentage >= passing_percentage
    return pending_questions(marks, answers)
