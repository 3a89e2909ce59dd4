"""Quiz authoring: create, update, delete, publish, archive, duplicate.

A quiz's questions and marks are frozen once anyone has attempted it (409); its
title, description, window, settings and classes can change at any time. A quiz
with attempts is never deleted, only archived.
"""
import secrets

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from app.classes.models import SchoolClass
from app.common import events
from app.common.audit import record_audit
from app.common.authz import visible_classes_clause, visible_questions_clause
from app.errors import Conflict, InvalidState, ValidationFailed
from app.extensions import db
from app.questions.models import Question
from app.quizzes import pools, shown
from app.quizzes.models import Quiz, QuizClass, QuizQuestion
from app.quizzes.queries import has_attempts, load_detail

# Upper-case letters and digits a pupil cannot misread: no 0/O, no 1/I.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
SETTINGS = (
    "title", "subject", "description", "time_limit_minutes", "start_date", "end_date",
    "passing_percentage", "max_attempts", "max_violations", "show_answers_after_submission",
    "randomize_questions", "randomize_options", "allow_review", "access_code_required",
    "negative_marking_percent",
    "violation_action",
)


def _code_taken(code: str, except_id: str | None = None) -> bool:
    stmt = select(exists().where(Quiz.access_code == code, Quiz.id != (except_id or "")))
    return bool(db.session.scalar(stmt))


def generate_access_code() -> str:
    for _ in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not _code_taken(code):
            return code
    raise Conflict("Could not generate a free access code; try again", error_code="ACCESS_CODE_TAKEN")


def claim_access_code(code: str, except_id: str | None = None) -> str:
    if _code_taken(code, except_id):
        raise Conflict("This access code is already used by another quiz", error_code="ACCESS_CODE_TAKEN",
                       details={"access_code": ["Already in use."]})
    return code


def _flush_claiming_code() -> None:
    # Two quizzes claiming the same free code at once: the unique index decides.
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise Conflict("This access code is already used by another quiz", error_code="ACCESS_CODE_TAKEN",
                       details={"access_code": ["Already in use."]}) from exc


def _missing(wanted: list[str], found: set[str], field: str) -> None:
    missing = [item for item in wanted if item not in found]
    if missing:
        raise ValidationFailed("Some referenced items do not exist or are not yours",
                               details={field: [f"Not found: {', '.join(missing)}."]})


def _class_links(class_ids: list[str], actor) -> list[QuizClass]:
    """Classes the actor teaches (admin: any class)."""
    found = set(db.session.scalars(
        select(SchoolClass.id).where(SchoolClass.id.in_(class_ids), visible_classes_clause(actor))))
    _missing(class_ids, found, "class_ids")
    return [QuizClass(class_id=class_id) for class_id in class_ids]


def _question_links(items: list[dict], actor) -> list[QuizQuestion]:
    """The actor's own live questions (admin: anyone's), in the order given."""
    ids = [item["question_id"] for item in items]
    rows = db.session.execute(
        select(Question.id, Question.is_archived).where(Question.id.in_(ids), visible_questions_clause(actor))
    ).all()
    _missing(ids, {row.id for row in rows}, "questions")
    archived = [row.id for row in rows if row.is_archived]
    if archived:
        raise ValidationFailed("Archived questions cannot be added to a quiz",
                               details={"questions": [f"Archived: {', '.join(archived)}."]})
    return [QuizQuestion(question_id=item["question_id"], order_index=index,
                         marks_override=item["marks_override"]) for index, item in enumerate(items)]


def create_quiz(data: dict, *, actor) -> Quiz:
    quiz = Quiz(created_by=actor.id, status="draft", **{f: data[f] for f in SETTINGS if f in data})
    quiz.access_code = claim_access_code(data["access_code"]) if data.get("access_code") else generate_access_code()
    quiz.class_links = _class_links(data.get("class_ids", []), actor)
    quiz.question_links = _question_links(data.get("questions", []), actor)
    db.session.add(quiz)
    _flush_claiming_code()
    if data.get("question_pools"):
        pools.replace_pools(quiz, data["question_pools"], actor=actor)
    record_audit(actor, "quiz_created", "quiz", quiz.id, new={"title": quiz.title, "access_code": quiz.access_code})
    return load_detail(quiz)


def _question_plan(quiz: Quiz) -> list[tuple[str, int | None]]:
    return [(link.question_id, link.marks_override) for link in quiz.question_links]


def _replace_questions(quiz: Quiz, items: list[dict], actor) -> None:
    wanted = [(item["question_id"], item["marks_override"]) for item in items]
    if wanted == _question_plan(quiz):
        return
    shown.bump_versions([quiz.id])  # first: a start racing this edit waits, or this edit sees its attempt
    if has_attempts(quiz, locking=True):
        raise InvalidState("Students have attempted this quiz; its questions and marks can no longer change",
                           error_code="QUIZ_HAS_ATTEMPTS")
    links = _question_links(items, actor)
    quiz.question_links.clear()
    db.session.flush()  # the old rows go before the new ones reuse their order_index
    quiz.question_links.extend(links)


def _replace_pools(quiz: Quiz, wanted: list[dict] | None, actor) -> None:
    shown.bump_versions([quiz.id])  # first, as for the questions
    if has_attempts(quiz, locking=True):
        raise InvalidState("Students have attempted this quiz; its questions and marks can no longer change",
                           error_code="QUIZ_HAS_ATTEMPTS")
    pools.replace_pools(quiz, wanted, actor=actor)


def _replace_classes(quiz: Quiz, class_ids: list[str], actor) -> None:
    if set(class_ids) == {link.class_id for link in quiz.class_links}:
        return
    links = _class_links(class_ids, actor)
    quiz.class_links.clear()
    db.session.flush()
    quiz.class_links.extend(links)


def _check_window(quiz: Quiz) -> None:
    if quiz.start_date and quiz.end_date and quiz.end_date <= quiz.start_date:
        raise ValidationFailed("The quiz window is invalid", details={"end_date": ["Must be after start_date."]})


def snapshot(quiz: Quiz) -> dict:
    values = {field: getattr(quiz, field) for field in SETTINGS if field not in ("start_date", "end_date")}
    values.update(status=quiz.status, access_code=quiz.access_code, questions=len(quiz.question_links),
                  start_date=str(quiz.start_date), end_date=str(quiz.end_date))
    return values


def update_quiz(quiz: Quiz, data: dict, *, actor, now) -> Quiz:
    old = snapshot(quiz)
    for field in SETTINGS:
        if field in data:
            setattr(quiz, field, data[field])
    _check_window(quiz)
    if data.get("access_code") and data["access_code"] != quiz.access_code:
        quiz.access_code = claim_access_code(data["access_code"], except_id=quiz.id)
    if "questions" in data:
        _replace_questions(quiz, data["questions"], actor)
    if "question_pools" in data:
        _replace_pools(quiz, data["question_pools"], actor)
    if "class_ids" in data:
        _replace_classes(quiz, data["class_ids"], actor)
    _flush_claiming_code()
    record_audit(actor, "quiz_updated", "quiz", quiz.id, old=old, new=snapshot(quiz))
    if data.get("status") and data["status"] != quiz.status:
        _change_status(quiz, data["status"], actor=actor, now=now)
    return load_detail(quiz)


def _change_status(quiz: Quiz, status: str, *, actor, now) -> None:
    if status == "published":
        publish_quiz(quiz, actor=actor, now=now)
    elif status == "archived":
        archive_quiz(quiz, actor=actor)
    else:
        unpublish_quiz(quiz, actor=actor)


def delete_quiz(quiz: Quiz, *, actor) -> None:
    if has_attempts(quiz):
        raise InvalidState("Students have attempted this quiz; archive it instead of deleting it",
                           error_code="QUIZ_HAS_ATTEMPTS", details={"actions": ["archive"]})
    record_audit(actor, "quiz_deleted", "quiz", quiz.id, old=snapshot(quiz))
    db.session.delete(quiz)
    db.session.flush()


def publish_quiz(quiz: Quiz, *, actor, now) -> Quiz:
    # A locking re-read: of two simultaneous publishes one waits and then sees "published",
    # so students are told once.
    db.session.refresh(quiz, with_for_update=True)
    quiz.publish(now, pools.pool_problems(quiz) if quiz.question_pools else [])
    record_audit(actor, "quiz_published", "quiz", quiz.id, new={"access_code": quiz.access_code})
    events.publish(events.quiz_published, quiz_id=quiz.id, actor_id=actor.id)
    return quiz


def archive_quiz(quiz: Quiz, *, actor) -> Quiz:
    quiz.archive()
    record_audit(actor, "quiz_archived", "quiz", quiz.id)
    return quiz


def unpublish_quiz(quiz: Quiz, *, actor) -> Quiz:
    """Back to draft: only while nobody has attempted it."""
    if has_attempts(quiz):
        raise InvalidState("Students have attempted this quiz; archive it instead",
                           error_code="QUIZ_HAS_ATTEMPTS")
    quiz.status = "draft"
    record_audit(actor, "quiz_unpublished", "quiz", quiz.id)
    return quiz


def duplicate_quiz(quiz: Quiz, *, actor) -> Quiz:
    """A draft copy with a new access code, the same questions, marks and classes."""
    values = {field: getattr(quiz, field) for field in SETTINGS}
    copy = Quiz(**{**values, "title": f"{quiz.title} (copy)"[:255]}, created_by=quiz.created_by,
                status="draft", access_code=generate_access_code())
    copy.class_links = [QuizClass(class_id=link.class_id) for link in quiz.class_links]
    copy.question_links = [QuizQuestion(question_id=link.question_id, order_index=link.order_index,
                                        marks_override=link.marks_override) for link in quiz.question_links]
    db.session.add(copy)
    _flush_claiming_code()
    if quiz.question_pools:
        pools.replace_pools(copy, quiz.question_pools, actor=actor)
    record_audit(actor, "quiz_duplicated", "quiz", copy.id, old={"source_id": quiz.id})
    return load_detail(copy)
