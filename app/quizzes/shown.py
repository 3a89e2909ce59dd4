"""A quiz's questions as every start shows them, cached across requests and processes.

What may be cached: per quiz, its questions in the quiz's order with only their shown
fields (id, type, text, options, marks in this quiz). Never an answer-key field, never
anything per attempt (a draw, a shuffle, an answer): those are decided from these rows
by the caller, on every start.

Keyed by (quiz id, `Quiz.questions_version`). Every change to what a quiz shows (its
question list or marks, an edit of one of its questions) bumps the version in the same
transaction (`bump_versions`), so an entry is never rewritten nor invalidated: the next
start reads a new version and misses. Once a quiz has an attempt its questions are
frozen, so its version stops moving.

An edit racing the first start: start reads the version and, on a miss, the rows from
one snapshot, so an entry holds exactly its version's rows. Before creating the attempt
start re-reads the version with a locking read (`confirm_version`), which waits for an
edit in flight and sees the latest committed version; if it moved, start begins again
(`VersionMoved`). An edit bumps the version (an exclusive lock on the quiz row) before
it looks for attempts with a locking read: of an edit and a first start, one waits for
the other's commit, and either the edit is refused or the start sees the new version.

Shared through Redis when `REDIS_URL` is configured, with an in-process copy in front
(an entry's key never changes meaning, so a local copy is never stale).
"""
import json
from collections import OrderedDict
from typing import NamedTuple

from flask import current_app
from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import Quiz, QuizQuestion

LOCAL_ENTRIES = 512
REDIS_TTL_SECONDS = 24 * 3600
_local: OrderedDict = OrderedDict()
_redis_clients: dict = {}


class ShownQuestion(NamedTuple):
    id: str
    type: str
    text: str
    options: list | None
    marks: int


class VersionMoved(Exception):
    """The quiz's questions changed since this transaction's snapshot: start again."""


def shown_questions(quiz: Quiz) -> list[tuple[ShownQuestion, int]]:
    """(question, marks in this quiz) in the quiz's order, from the cache when it can."""
    key = f"quiz-shown:{quiz.id}:{quiz.questions_version}"
    rows = _get(key)
    if rows is None:
        rows = _read_rows(quiz.id)
        _put(key, rows)
    questions = [ShownQuestion(*row) for row in rows]
    return [(question, question.marks) for question in questions]


def confirm_version(quiz: Quiz) -> None:
    """Hold the quiz's version until commit; VersionMoved if an edit committed since the snapshot."""
    latest = db.session.connection().execute(_LOCKED_VERSION, {"quiz_id": quiz.id}).scalar()
    if latest != quiz.questions_version:
        raise VersionMoved(quiz.id)


# Built once, run on the session's connection (a Core row, no autoflush): every start runs it.
_LOCKED_VERSION = select(Quiz.questions_version).where(Quiz.id == bindparam("quiz_id")).with_for_update(read=True)


def bump_versions(quiz_ids) -> None:
    """Call before any change to what these quizzes show, in the same transaction."""
    db.session.execute(
        update(Quiz).where(Quiz.id.in_(quiz_ids)).values(questions_version=Quiz.questions_version + 1)
        .execution_options(synchronize_session=False))


def quiz_ids_showing(question_id: str):
    return select(QuizQuestion.quiz_id).where(QuizQuestion.question_id == question_id).scalar_subquery()


def _read_rows(quiz_id: str) -> list[list]:
    result = db.session.execute(
        select(Question.id, Question.type, Question.text, Question.options, Question.marks,
               QuizQuestion.marks_override)
        .join(QuizQuestion, QuizQuestion.question_id == Question.id)
        .where(QuizQuestion.quiz_id == quiz_id).order_by(QuizQuestion.order_index))
    return [[qid, qtype, text, options, override if override is not None else marks]
            for qid, qtype, text, options, marks, override in result]


def _get(key: str) -> list | None:
    rows = _local.get(key)
    if rows is None:
        raw = _shared("get", key)
        if raw is not None:
            rows = json.loads(raw)
            _remember(key, rows)
    return rows


def _put(key: str, rows: list) -> None:
    _remember(key, rows)
    _shared("set", key, json.dumps(rows), ex=REDIS_TTL_SECONDS)


def _shared(operation: str, *args, **kwargs):
    """A Redis call, or None: Redis down makes every start read the rows, never fail."""
    client = _redis()
    if client is None:
        return None
    import redis

    try:
        return getattr(client, operation)(*args, **kwargs)
    except redis.RedisError:
        current_app.logger.warning("start cache: Redis unavailable, reading the questions from the database")
        return None


def _remember(key: str, rows: list) -> None:
    _local[key] = rows
    while len(_local) > LOCAL_ENTRIES:
        _local.popitem(last=False)


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    if url not in _redis_clients:
        import redis

        _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=2)
    return _redis_clients[url]


def forget_local() -> None:
    """Empty this process's copy (tests that count statements start cold)."""
    _local.clear()
