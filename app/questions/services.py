"""The question bank: authoring, protection of questions students answered, copies."""
from sqlalchemy import func, select

from app.attempts.models import QuizAttempt, StudentAnswer
from app.common import events
from app.common.audit import record_audit
from app.common.authz import visible_questions_clause
from app.common.pagination import equal_filters, paginate, search_filter
from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.questions.models import Question
from app.questions.rules import TYPED_FIELDS, check_typed_fields
from app.quizzes.models import QuizQuestion

ORDERINGS = {
    "created_at": Question.created_at, "updated_at": Question.updated_at, "marks": Question.marks,
    "topic": Question.topic, "type": Question.type, "difficulty": Question.difficulty,
}
COMMON_FIELDS = ("text", "type", "topic", "difficulty", "marks")
COPIED_FIELDS = COMMON_FIELDS + TYPED_FIELDS


def list_questions(actor, params: dict) -> dict:
    stmt = select(Question).where(visible_questions_clause(actor))
    for field in ("type", "difficulty"):
        if params.get(field):
            stmt = stmt.where(getattr(Question, field) == params[field])
    if params.get("topic"):
        stmt = stmt.where(func.lower(Question.topic) == params["topic"].strip().lower())
    stmt = equal_filters(stmt, params, {"teacher_id": Question.created_by})
    # The bank shows live questions unless archived ones are asked for.
    stmt = stmt.where(Question.is_archived.is_(params.get("is_archived", False)))
    if params.get("search"):
        stmt = stmt.where(search_filter(params["search"], Question.text, Question.topic))
    return paginate(stmt, params, orderings=ORDERINGS, default_ordering="-created_at", tiebreak=Question.id)


def snapshot(question: Question) -> dict:
    return {field: getattr(question, field) for field in COPIED_FIELDS}


def build_question(data: dict, *, actor) -> Question:
    """A new question from an input the create schema already validated."""
    question = Question(created_by=actor.id, is_archived=False,
                        **{field: data.get(field) for field in COPIED_FIELDS})
    db.session.add(question)
    return question


def create_question(data: dict, *, actor) -> Question:
    question = build_question(data, actor=actor)
    db.session.flush()
    record_audit(actor, "question_created", "question", question.id, new={"type": question.type})
    return question


def answer_count(question_id: str) -> int:
    return db.session.scalar(select(func.count()).where(StudentAnswer.question_id == question_id))


def in_attempted_quiz(question_id: str) -> bool:
    # A locking read: it sees a first attempt committed after this transaction's snapshot.
    return db.session.scalar(
        select(QuizAttempt.id).join(QuizQuestion, QuizAttempt.quiz_id == QuizQuestion.quiz_id)
        .where(QuizQuestion.question_id == question_id).limit(1).with_for_update(read=True)) is not None


def ensure_unanswered(question: Question, action: str) -> None:
    """A question students answered (or are answering) is frozen: archive it or copy it."""
    answers = answer_count(question.id)
    if answers or in_attempted_quiz(question.id):
        raise Conflict(
            f"This question is already in use by students and cannot be {action}; "
            "archive it, or duplicate it and change the copy",
            error_code="QUESTION_HAS_ANSWERS",
            details={"answer_count": answers, "actions": ["archive", "duplicate"]},
        )


def update_question(question: Question, data: dict, *, actor) -> Question:
    events.send_in_transaction(events.question_changing, question_id=question.id)  # before the check
    ensure_unanswered(question, "changed")
    old = snapshot(question)
    question_type = data.get("type", question.type)
    # Sent fields win; stored answer-key fields carry over only if the type still uses them.
    merged = {field: getattr(question, field) for field in TYPED_FIELDS}
    if question_type != question.type:
        merged = {}
    clean, errors = check_typed_fields(question_type, {**merged, **data})
    if errors:
        raise ValidationFailed("One or more fields are invalid", details=errors)
    for field in COMMON_FIELDS:
        if field in data:
            setattr(question, field, data[field])
    for field, value in clean.items():
        setattr(question, field, value)
    db.session.flush()
    record_audit(actor, "question_updated", "question", question.id, old=old, new=snapshot(question))
    return question


def delete_question(question: Question, *, actor) -> None:
    ensure_unanswered(question, "deleted")
    quiz_ids = db.session.scalars(select(QuizQuestion.quiz_id).where(QuizQuestion.question_id == question.id)).all()
    if quiz_ids:
        raise Conflict("This question is part of a quiz; remove it from the quiz first, or archive it",
                       error_code="QUESTION_IN_USE", details={"quiz_ids": list(quiz_ids)})
    record_audit(actor, "question_deleted", "question", question.id, old=snapshot(question))
    db.session.delete(question)
    db.session.flush()


def archive_question(question: Question, *, actor) -> Question:
    if not question.is_archived:
        question.is_archived = True
        record_audit(actor, "question_archived", "question", question.id)
    return question


def restore_question(question: Question, *, actor) -> Question:
    if question.is_archived:
        question.is_archived = False
        record_audit(actor, "question_restored", "question", question.id)
    return question


def duplicate_question(question: Question, *, actor) -> Question:
    """A live, editable copy for the question's owner (an admin's copy stays with the owner)."""
    values = {k: list(v) if isinstance(v, list) else v for k, v in snapshot(question).items()}
    copy = Question(created_by=question.created_by, is_archived=False, **values)
    db.session.add(copy)
    db.session.flush()
    record_audit(actor, "question_duplicated", "question", copy.id, old={"source_id": question.id})
    return copy
