"""A quiz's questions as every start shows them, cached across requests and processes.

What may be cached: per quiz, its questions in the quiz's order with only their shown
fields (id, type, text, choice texts, marks in this quiz, and the type's other shown
parts: app.quizzes.display). Never an answer-key field, never
anything per attempt (a draw, a shuffle, an answer): those are decided from these rows
by the caller, on every start.

Keyed by (quiz id, `Quiz.questions_version`). Every change to what a quiz shows (its
question list or marks, an edit of one of its questions) bumps the version in the same
transaction (`bump_versions`), so an entry is never rewritten nor invalidated: the next
start reads a new version and misses. Once a quiz has an attempt its questions are
frozen, so its version stops moving.

An edit racing the first start: start reads the version with a shared locking read
(its one read, app.attempts.start_read), which waits for an edit in flight, sees the
latest committed version and holds it until the start commits. On a miss the rows are
read with a shared locking read too, which also sees the latest committed rows: a
plain read would see the transaction's snapshot, which the start's read may have taken
before it waited for the edit. So an entry holds exactly its version's rows. An edit
bumps the version (an exclusive lock on the quiz row) before it looks for attempts
with a locking read: of an edit and a first start, one waits for the other's commit,
and either the edit is refused or the start shows the new version.

Shared through Redis when `REDIS_URL` is configured, with an in-process copy in front
(an entry's key never changes meaning, so a local copy is never stale).
"""
import json
from collections import OrderedDict
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.questions.models import Question
from app.quizzes import display
from app.quizzes.models import Quiz, QuizPoolQuestion, QuizQuestion

LOCAL_ENTRIES = 512
REDIS_TTL_SECONDS = 24 * 3600
_local: OrderedDict = OrderedDict()
_redis_clients: dict = {}


class ShownQuestion(NamedTuple):
    id: str
    type: str
    text: str
    options: list | None  # the choice texts an answer's indexes refer to (app.quizzes.display)
    marks: int
    extra: dict | None = None
    pool: int | None = None  # a pool's candidate (app.quizzes.pools), or None for a fixed question


def shown_questions(quiz: Quiz) -> list[tuple[ShownQuestion, int]]:
    """(question, marks in this quiz) in the quiz's order, from the cache when it can."""
    return [(question, question.marks) for question in _entry(quiz) if question.pool is None]


def pool_candidates(quiz: Quiz) -> dict[int, list[ShownQuestion]]:
    """Each pool's candidates, shown fields only, from the same cache entry."""
    pools: dict[int, list[ShownQuestion]] = {}
    for question in _entry(quiz):
        if question.pool is not None:
            pools.setdefault(question.pool, []).append(question)
    return pools


def _entry(quiz: Quiz) -> list[ShownQuestion]:
    key = f"quiz-shown:3:{quiz.id}:{quiz.questions_version}"
    rows = _get(key)
    if rows is None:
        rows = _read_rows(quiz.id) + (_read_pool_rows(quiz.id) if quiz.question_pools else [])
        _put(key, rows)
    return [ShownQuestion(*row) for row in rows]


def bump_versions(quiz_ids) -> None:
    """Call before any change to what these quizzes show, in the same transaction."""
    db.session.execute(
        update(Quiz).where(Quiz.id.in_(quiz_ids)).values(questions_version=Quiz.questions_version + 1)
        .execution_options(synchronize_session=False))


def quiz_ids_showing(question_id: str):
    """The quizzes holding the question, fixed or as a pool's candidate."""
    return select(QuizQuestion.quiz_id).where(QuizQuestion.question_id == question_id).union(
        select(QuizPoolQuestion.quiz_id).where(QuizPoolQuestion.question_id == question_id))


def _read_rows(quiz_id: str) -> list[list]:
    result = db.session.execute(
        select(*SHOWN_COLUMNS, QuizQuestion.marks_override)
        .join(QuizQuestion, QuizQuestion.question_id == Question.id)
        .where(QuizQuestion.quiz_id == quiz_id).order_by(QuizQuestion.order_index)
        .with_for_update(read=True))  # the latest committed rows, not the snapshot's: see the docstring
    return [shown_row(row, row.marks_override) for row in result]


def _read_pool_rows(quiz_id: str) -> list[list]:
    result = db.session.execute(
        select(*SHOWN_COLUMNS, QuizPoolQuestion.pool_index)
        .join(QuizPoolQuestion, QuizPoolQuestion.question_id == Question.id)
        .where(QuizPoolQuestion.quiz_id == quiz_id, Question.is_archived.is_(False))
        .order_by(QuizPoolQuestion.pool_index, Question.id)
        .with_for_update(read=True))
    return [[*shown_row(row), row.pool_index] for row in result]


SHOWN_COLUMNS = (Question.id, Question.type, Question.text, Question.options, Question.marks, Question.pairs,
                 Question.distractors, Question.items, Question.blanks)


def shown_row(row, marks_override=None) -> list:
    """A cache row from the SHOWN_COLUMNS of a question: what students see of it, no key."""
    options, extra = display.question_display(row)
    marks = marks_override if marks_override is not None else row.marks
    return [row.id, row.type, row.text, options if options else None, marks, extra]


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
