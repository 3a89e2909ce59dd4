"""Marking: auto-grading of objective answers and an attempt's totals.

Used by submission (attempts), manual grading (grading) and the expiry sweep, so
the three can never disagree on a score.
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.extensions import db
from app.questions.models import Question
from app.quizzes import display
from app.quizzes.models import QuizQuestion

TWO_PLACES = Decimal("0.01")


def normalise_text(value: str | None, *, case_sensitive: bool = False) -> str:
    """How a typed answer is compared: whitespace collapsed and, unless `case_sensitive`,
    case folded."""
    collapsed = " ".join((value or "").split())
    return collapsed if case_sensitive else collapsed.casefold()


# --- one pure rule per type: the share of the marks (0 to 1) and, for the later
# types, the per-part verdict kept in the answer's `result` ---------------------------

def text_credit(given: str | None, accepted: list, *, case_sensitive: bool = False) -> float:
    """The best credit among accepted answers (plain strings are full credit), by text with
    whitespace collapsed, ignoring case unless `case_sensitive`."""
    wanted = normalise_text(given, case_sensitive=case_sensitive)
    credits = [a["credit"] if isinstance(a, dict) else 1.0 for a in accepted
               if normalise_text(a["text"] if isinstance(a, dict) else a, case_sensitive=case_sensitive) == wanted]
    return max(credits, default=0.0) if wanted else 0.0


def multiple_select_share(chosen: set, correct: set, option_count: int, scoring: str) -> float:
    right, wrong = len(chosen & correct), len(chosen - correct)
    if scoring == "all_or_nothing":
        return 1.0 if chosen == correct else 0.0
    if scoring == "partial":  # each right choice earns its share, each wrong one takes one away
        return max(0.0, (right - wrong) / len(correct))
    incorrect = option_count - len(correct)  # right_minus_wrong: wrong choices weigh by their own count
    return max(0.0, right / len(correct) - (wrong / incorrect if incorrect else 0.0))


def within(value: float, target: float, tolerance: float, tolerance_type: str) -> bool:
    allowed = tolerance * abs(target) if tolerance_type == "relative" else tolerance
    return abs(value - target) <= allowed + 1e-9 * max(1.0, abs(target))


def numeric_share(value: float, correct: float, tolerance: float, tolerance_type: str,
                  accepted_values: list | None) -> float:
    if within(value, correct, tolerance or 0.0, tolerance_type or "absolute"):
        return 1.0
    return max((a["credit"] for a in accepted_values or []
                if within(value, a["value"], a.get("tolerance") or 0.0, tolerance_type or "absolute")), default=0.0)


def matching_parts(chosen: list, pair_count: int) -> list[bool]:
    """Per prompt: was its own match (original index = the prompt's) chosen."""
    return [chosen[i] == i if i < len(chosen) else False for i in range(pair_count)]


def ordering_parts(order: list) -> list[bool]:
    """Per place: does the item of that place belong there (original index = its place)."""
    return [item == place for place, item in enumerate(order)]


def ordering_share(parts: list[bool], scoring: str) -> float:
    if scoring == "partial":
        return sum(parts) / len(parts)
    return 1.0 if all(parts) else 0.0


def blank_credit(given, blank: dict) -> float:
    if "options" in blank:
        return 1.0 if given is not None and given == blank["correct_option"] else 0.0
    if not isinstance(given, str):
        return 0.0
    return text_credit(given, blank["accepted"], case_sensitive=blank.get("case_sensitive", False))


def negative_share(percent: int) -> float:
    """What a wrong objective answer costs, as a share of the question's marks."""
    return -(percent or 0) / 100


# --- applying them to an answer ------------------------------------------------------------

def _originals(response: list, order: list | None) -> list:
    """Page positions → original indexes (matching, ordering: app.quizzes.display)."""
    if order is None:
        return list(response)
    return [order[v] if v is not None and 0 <= v < len(order) else None for v in response]


def response_share(question: Question, response, order: list | None) -> tuple[float, dict]:
    """(share, result) of a later type's response."""
    kind = question.type
    if kind == "multiple_select":
        chosen, correct = set(response), set(question.correct_options)
        share = multiple_select_share(chosen, correct, len(question.options), question.scoring)
        return share, {"right": sorted(chosen & correct), "wrong": sorted(chosen - correct),
                       "missed": sorted(correct - chosen)}
    if kind == "numeric":
        share = numeric_share(float(response), question.correct_value, question.tolerance,
                              question.tolerance_type, question.accepted_values)
        return share, {"credit": share}
    if kind == "matching":
        parts = matching_parts(_originals(response, order), len(question.pairs))
        return sum(parts) / len(parts), {"pairs": parts}
    if kind == "ordering":
        parts = ordering_parts(_originals(response, order))
        return ordering_share(parts, question.scoring), {"items": parts}
    credits = [blank_credit(given, blank) for given, blank in zip(response, question.blanks, strict=False)]
    return sum(credits) / len(credits), {"gaps": credits}


def answer_share(question: Question, answer: StudentAnswer, order: list | None) -> tuple[float | None, dict | None]:
    """(share of the marks, per-part result); share None when a teacher must decide."""
    if question.type in ("mcq", "true_false"):
        return (1.0 if answer.answer_option is not None and answer.answer_option == question.correct_answer
                else 0.0), None
    if question.type == "short_answer":
        return (text_credit(answer.answer_text, question.accepted_answers), None) \
            if question.accepted_answers else (None, None)
    if question.type in display.RESPONSE_TYPES:
        return response_share(question, answer.response, order) if answer.response is not None else (0.0, None)
    return None, None


def is_answered(answer: StudentAnswer) -> bool:
    """Anything given at all: an empty selection or only empty gaps is no answer."""
    response = answer.response
    if isinstance(response, list):
        response = [part for part in response if part is not None and str(part).strip()]
    blank = answer.answer_option is None and not (answer.answer_text or "").strip()
    return not (blank and response in (None, []))


def auto_grade(answer: StudentAnswer, question: Question, marks: int, *, order: list | None = None,
               negative_percent: int = 0) -> None:
    """Mark an objective answer; leave descriptive ones for the teacher.

    An answer a teacher already marked keeps the teacher's marks. A wrong answer (no
    credit at all) costs `negative_percent` of the marks; an empty one costs nothing.
    """
    if answer.graded_by is not None:
        return
    share, result = answer_share(question, answer, order)
    answer.result = result
    answer.is_correct = None if share is None else share >= 1.0
    if share is None:
        return
    if share == 0 and is_answered(answer):
        share = negative_share(negative_percent)
    answer.marks_awarded = (Decimal(marks) * Decimal(str(share))).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def quiz_marks(quiz_id: str, question_ids: list | None = None) -> dict[str, tuple[Question, int]]:
    """question_id → (question, marks in this quiz), in one query; with `question_ids` (an
    attempt's order), also the questions it drew from the quiz's pools, at their own marks."""
    rows = db.session.execute(
        select(QuizQuestion, Question).join(Question, Question.id == QuizQuestion.question_id)
        .where(QuizQuestion.quiz_id == quiz_id)
    ).all()
    marks = {q.id: (q, link.marks_override if link.marks_override is not None else q.marks) for link, q in rows}
    drawn = [qid for qid in question_ids or [] if qid not in marks]
    if drawn:
        marks.update({q.id: (q, q.marks) for q in db.session.scalars(select(Question).where(Question.id.in_(drawn)))})
    return marks


def attempt_marks(attempt: QuizAttempt) -> dict[str, tuple[Question, int]]:
    """The marks of every question the attempt showed, its draws included."""
    return quiz_marks(attempt.quiz_id, attempt.question_order)


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
    marks = marks if marks is not None else attempt_marks(attempt)
    answers = answers if answers is not None else answers_of(attempt)
    total = sum(m for _q, m in marks.values())
    score = sum((a.marks_awarded or Decimal(0)) for qid, a in answers.items() if qid in marks)
    score = max(Decimal(score), Decimal(0))  # negative marks never take a total below 0
    attempt.total_marks = total
    attempt.score = Decimal(score).quantize(TWO_PLACES)
    percentage = (Decimal(score) * 100 / total) if total else Decimal(0)
    attempt.percentage = percentage.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    attempt.passed = attempt.percentage >= passing_percentage
    return pending_questions(marks, answers)
