"""What an attempt looks like to its student and to the quiz's teacher.

Answer-key fields (`correct_answer`, `accepted_answers`, `sample_answer`) reach a
student only after submission, and only when the quiz allows review and shows
answers; `marking_rubric` is for teachers only. Everything here builds dicts with
exactly the keys the reader may see.
"""
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, load_only

from app.attempts.answers import options_of
from app.attempts.lifecycle import time_fields
from app.attempts.models import QuizAttempt, StudentAnswer, Violation
from app.attempts.progress import position_from_answers
from app.common.authz import get_visible_attempt, visible_attempts_clause
from app.common.pagination import paginate, search_filter, within_window
from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizQuestion
from app.users.models import User

ORDERINGS = {"started_at": QuizAttempt.started_at, "submitted_at": QuizAttempt.submitted_at,
             "score": QuizAttempt.score, "attempt_number": QuizAttempt.attempt_number,
             "status": QuizAttempt.status}


def quiz_summary(quiz) -> dict:
    return {
        "id": quiz.id, "title": quiz.title, "subject": quiz.subject, "description": quiz.description,
        "time_limit_minutes": quiz.time_limit_minutes, "passing_percentage": quiz.passing_percentage,
        "max_attempts": quiz.max_attempts, "max_violations": quiz.max_violations,
        "allow_review": quiz.allow_review, "show_answers_after_submission": quiz.show_answers_after_submission,
        "start_date": quiz.start_date, "end_date": quiz.end_date,
    }


def quiz_questions(quiz_id: str) -> list[tuple[Question, int]]:
    """(question, marks in this quiz) in the quiz's order, in one query.

    Only the columns a question is shown with are read (start and resume are hot
    paths); the answer-key columns load on access, should anything touch them.
    """
    rows = db.session.execute(
        select(Question, QuizQuestion.marks_override).join(QuizQuestion, QuizQuestion.question_id == Question.id)
        .where(QuizQuestion.quiz_id == quiz_id).order_by(QuizQuestion.order_index)
        .options(load_only(Question.id, Question.text, Question.type, Question.options, Question.marks))
    ).all()
    return [(q, override if override is not None else q.marks) for q, override in rows]


def _attempt_questions(attempt: QuizAttempt, questions: list | None = None) -> list[tuple[int, Question, int]]:
    """(index, question, marks) in the attempt's stored order."""
    by_id = {q.id: (q, marks) for q, marks in (questions if questions is not None else quiz_questions(attempt.quiz_id))}
    return [(i, *by_id[qid]) for i, qid in enumerate(attempt.question_order) if qid in by_id]


def student_question(attempt: QuizAttempt, index: int, question: Question, marks: int) -> dict:
    """A question as shown while taking the quiz: never an answer field."""
    texts = options_of(question.type, question.options)
    order = (attempt.option_order or {}).get(question.id) or list(range(len(texts)))
    return {
        "id": question.id, "question_index": index, "text": question.text, "type": question.type,
        "marks": marks,
        "options": [{"index": i, "text": texts[i]} for i in order if i < len(texts)] if texts else None,
    }


def _answers_by_question(attempt: QuizAttempt) -> dict:
    rows = db.session.scalars(select(StudentAnswer).where(StudentAnswer.attempt_id == attempt.id))
    return {a.question_id: a for a in rows}


def saved_answer(answer: StudentAnswer) -> dict:
    return {"question_id": answer.question_id, "answer_option": answer.answer_option,
            "answer_text": answer.answer_text, "updated_at": answer.updated_at}


def taking_view(attempt: QuizAttempt, now, questions: list | None = None) -> dict:
    """The start response, also used to resume: questions in the attempt's order.

    `questions` are the quiz's (question, marks) when the caller just loaded them (a
    new attempt, which has no answers yet).
    """
    fresh = questions is not None
    questions = _attempt_questions(attempt, questions)
    answers = [] if fresh else list(_answers_by_question(attempt).values())
    position, _last_active = position_from_answers(attempt, answers)
    return {
        "attempt_id": attempt.id, "attempt_number": attempt.attempt_number, "status": attempt.status,
        "started_at": attempt.started_at, **time_fields(attempt, now),
        "quiz": {**quiz_summary(attempt.quiz), "question_count": len(questions),
                 "total_marks": sum(m for _i, _q, m in questions)},
        "questions": [student_question(attempt, i, q, m) for i, q, m in questions],
        "answers": [saved_answer(a) for a in answers],
        "current_question_index": position,
        "total_violations": attempt.total_violations,
    }


def review_rights(attempt: QuizAttempt, actor) -> tuple[bool, bool]:
    """(may see marks per answer, may see the answer key)."""
    if not actor.is_student:
        return True, True
    closed = not attempt.is_in_progress
    review = closed and attempt.quiz.allow_review
    return review, review and attempt.quiz.show_answers_after_submission


def answer_entry(attempt, index, question, marks, answer, *, review: bool, key: bool, teacher: bool) -> dict:
    entry = {
        "question": student_question(attempt, index, question, marks),
        "answer_option": answer.answer_option if answer else None,
        "answer_text": answer.answer_text if answer else None,
        "answered_at": answer.answered_at if answer else None,
    }
    if review:
        entry.update(marks_awarded=answer.marks_awarded if answer else None,
                     is_correct=answer.is_correct if answer else None,
                     feedback=answer.feedback if answer else None)
    if key:
        entry.update(correct_answer=question.correct_answer, accepted_answers=question.accepted_answers,
                     sample_answer=question.sample_answer)
    if teacher:
        entry["marking_rubric"] = question.marking_rubric
    return entry


def detail_view(attempt_id: str, *, actor, now) -> dict:
    attempt = get_visible_attempt(attempt_id, actor)
    review, key = review_rights(attempt, actor)
    answers = _answers_by_question(attempt)
    questions = _attempt_questions(attempt)
    shown = review or attempt.is_in_progress or not actor.is_student
    position, last_active = position_from_answers(attempt, answers.values())
    view = {
        **attempt_item(attempt, now), "quiz": quiz_summary(attempt.quiz),
        "student": student_summary(attempt), "review_available": review,
        "current_question_index": position, "last_activity_at": last_active,
        "answers": [answer_entry(attempt, i, q, m, answers.get(q.id), review=review, key=key,
                                 teacher=not actor.is_student) for i, q, m in questions] if shown else [],
        "violations": db.session.scalars(
            select(Violation).where(Violation.attempt_id == attempt.id).order_by(Violation.detected_at)).all(),
    }
    if attempt.is_in_progress:
        view["questions"] = [student_question(attempt, i, q, m) for i, q, m in questions]
    return view


def student_summary(attempt: QuizAttempt) -> dict:
    student = attempt.student
    return {"id": student.id, "name": student.user.name, "registration_number": student.registration_number}


def attempt_item(attempt: QuizAttempt, now) -> dict:
    return {
        "id": attempt.id, "quiz": {"id": attempt.quiz.id, "title": attempt.quiz.title,
                                   "subject": attempt.quiz.subject},
        "student": student_summary(attempt), "attempt_number": attempt.attempt_number,
        "status": attempt.status, "auto_submit_reason": attempt.auto_submit_reason,
        "auto_submitted_due_to_violations": attempt.auto_submitted_due_to_violations,
        "score": attempt.score, "total_marks": attempt.total_marks, "percentage": attempt.percentage,
        # Closed with descriptive answers still to mark: the score may rise.
        "percentage_provisional": attempt.status == "submitted",
        "passed": attempt.passed, "total_violations": attempt.total_violations,
        "started_at": attempt.started_at, "submitted_at": attempt.submitted_at, "is_reset": attempt.is_reset,
        **time_fields(attempt, now),
    }


def _search(search: str):
    """The quiz's title or the student's name."""
    return or_(QuizAttempt.quiz_id.in_(select(Quiz.id).where(search_filter(search, Quiz.title))),
               QuizAttempt.student_id.in_(select(User.id).where(search_filter(search, User.name))))


def list_attempts(params: dict, *, actor, now) -> dict:
    stmt = (select(QuizAttempt).where(visible_attempts_clause(actor))
            .options(joinedload(QuizAttempt.quiz), joinedload(QuizAttempt.student)))
    for name in ("quiz_id", "status", "student_id"):
        if params.get(name):
            stmt = stmt.where(getattr(QuizAttempt, name) == params[name])
    if params.get("search"):
        stmt = stmt.where(_search(params["search"]))
    stmt = within_window(stmt, params, "created", QuizAttempt.started_at)  # an attempt is created when started
    stmt = within_window(stmt, params, "submitted", QuizAttempt.submitted_at)
    page = paginate(stmt, params, orderings=ORDERINGS, default_ordering="-started_at", tiebreak=QuizAttempt.id)
    page["items"] = [attempt_item(a, now) for a in page["items"]]
    return page
