"""The autosave hot path: one locking read of the attempt and one upsert.

The attempt row stores the options it showed (`option_order`: question id → original
option indexes), so checking an answer needs no question lookup. The locking read also
checks the student's token (`app.auth.tokens.token_still_good`), so the token check
needs no query of its own (app.auth.holder).
"""
from flask import current_app
from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.dialects import mysql, sqlite

from app.attempts.models import QuizAttempt, StudentAnswer
from app.auth.holder import TokenHolder
from app.auth.tokens import token_still_good
from app.common.db import new_id
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.questions.models import Question
from app.users.models import User

TRUE_FALSE_OPTIONS = ["True", "False"]


def options_of(question_type: str, options: list | None) -> list:
    if question_type not in ("mcq", "true_false"):
        return []
    return list(options or (TRUE_FALSE_OPTIONS if question_type == "true_false" else []))


def lock_for_save(attempt_id: str, question_ids: list[str], actor: TokenHolder):
    """The caller's attempt as a locked row: quiz_id, status, deadline_at, question_order,
    option_order, `student_name` (for the live monitor's `answer_saved`), and
    `answered_elsewhere`, how many other questions than `question_ids`
    it has answered (so the count after the save needs no second query).

    FOR UPDATE serialises saves with submit and the sweep: a save either lands
    before the attempt closes (and is graded) or sees it closed (409). A plain row of
    only the columns the save uses, not an ORM object: this is the hottest read in the
    system, and every column costs a descriptor to parse.

    The row is found only while the holder's token is still good, and then vouches
    for it. No row is a 404 here: no such attempt of theirs, or a token no longer good,
    which the request boundary tells apart with the full token check (app.auth.holder).
    """
    if not actor.is_student:
        raise NotFound("Attempt not found")
    params = {"attempt_id": attempt_id, "student_id": actor.id, **actor.token_params}
    if len(question_ids) == 1:  # one answer (the autosave): no IN list to expand per execution
        row = db.session.connection().execute(_LOCK_FOR_SAVE_ONE, {**params, "question_id": question_ids[0]}).first()
    else:
        row = db.session.connection().execute(_LOCK_FOR_SAVE, {**params, "question_ids": question_ids}).first()
    if row is None:
        raise NotFound("Attempt not found")
    actor.vouch()
    return row


_SAVE_COLUMNS = (
    QuizAttempt.quiz_id, QuizAttempt.status, QuizAttempt.deadline_at, QuizAttempt.question_order,
    QuizAttempt.option_order,
)


# Built once (this is the hottest read). The student_id condition is authz's
# visible_attempts_clause for a student, in bound form: only its student sees an attempt.
# Subqueries take no locks under the outer FOR UPDATE.
def _lock_for_save(saved_question_condition):
    answered_elsewhere = select(func.count(StudentAnswer.id)).where(
        StudentAnswer.attempt_id == QuizAttempt.id, ~saved_question_condition,
    ).scalar_subquery().label("answered_elsewhere")
    # By primary key, in the same round trip: the monitor's event then needs no query.
    student_name = select(User.name).where(User.id == QuizAttempt.student_id).scalar_subquery().label("student_name")
    return select(*_SAVE_COLUMNS, answered_elsewhere, student_name).where(
        QuizAttempt.id == bindparam("attempt_id"), QuizAttempt.student_id == bindparam("student_id"),
        exists().where(token_still_good(role="student")),
    ).with_for_update()


_LOCK_FOR_SAVE = _lock_for_save(StudentAnswer.question_id.in_(bindparam("question_ids", expanding=True)))
_LOCK_FOR_SAVE_ONE = _lock_for_save(StudentAnswer.question_id == bindparam("question_id"))


def checked_row(attempt, item: dict) -> dict:
    """The answer as a row to upsert, after checking it fits its question."""
    question_id = item["question_id"]
    if question_id not in attempt.question_order:
        raise ValidationFailed("This question is not part of the attempt",
                               details={"question_id": ["Not a question of this attempt."]})
    choices = _choices(attempt, question_id)
    option, text = item.get("answer_option"), item.get("answer_text")
    if choices:
        if text is not None or option is None:
            raise ValidationFailed("Answer this question with answer_option", details={
                "answer_option": ["Required for this question; answer_text is not accepted."]})
        if option not in choices:
            raise ValidationFailed("No such option", details={"answer_option": ["Not an option of this question."]})
    else:
        if option is not None or text is None:
            raise ValidationFailed("Answer this question with answer_text", details={
                "answer_text": ["Required for this question; answer_option is not accepted."]})
        limit = current_app.config["ANSWER_TEXT_MAX_LENGTH"]
        if len(text) > limit:
            raise ValidationFailed("The answer is too long",
                                   details={"answer_text": [f"At most {limit} characters."]})
    return {"question_id": question_id, "answer_option": option, "answer_text": text}


def _choices(attempt, question_id: str) -> list[int]:
    if attempt.option_order is not None:
        return attempt.option_order.get(question_id) or []
    # Attempts created without a stored option order: ask the question itself.
    question = db.session.get(Question, question_id)
    return list(range(len(options_of(question.type, question.options))))


def _build_upsert(dialect: str):
    table = StudentAnswer.__table__
    if dialect in ("mysql", "mariadb"):
        stmt = mysql.insert(table)
        new = stmt.inserted
        return stmt.on_duplicate_key_update(answer_option=new.answer_option, answer_text=new.answer_text,
                                            updated_at=new.updated_at)
    stmt = sqlite.insert(table)
    new = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"answer_option": new.answer_option, "answer_text": new.answer_text, "updated_at": new.updated_at},
    )


# Built once per dialect: constructing the ON DUPLICATE/ON CONFLICT clause costs more
# than executing it.
_UPSERTS: dict = {}
_PROGRESS = (
    update(QuizAttempt.__table__).where(QuizAttempt.__table__.c.id == bindparam("attempt_id"))
    .values(current_question_index=bindparam("index"), last_activity_at=bindparam("now"))
)


def upsert(attempt_id: str, rows: list[dict], now) -> None:
    """Insert or overwrite each (attempt, question) answer in one statement.

    Concurrent saves of the same answer leave one row: the unique key arbitrates,
    never a read-then-write.
    """
    latest = {row["question_id"]: row for row in rows}  # a batch naming a question twice: last wins
    values = [{"id": new_id(), "attempt_id": attempt_id, "answered_at": now, "updated_at": now,
               "is_final": False, "answer_option": row["answer_option"], "answer_text": row["answer_text"],
               "question_id": question_id} for question_id, row in latest.items()]
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect not in _UPSERTS:
        _UPSERTS[dialect] = _build_upsert(dialect)
    connection.execute(_UPSERTS[dialect], values)


def record_progress(attempt_id: str, index: int, now) -> None:
    """Progress the saved answers cannot express (see app.attempts.progress), as a plain
    UPDATE (no unit-of-work flush)."""
    db.session.connection().execute(_PROGRESS, {"attempt_id": attempt_id, "index": index, "now": now})
