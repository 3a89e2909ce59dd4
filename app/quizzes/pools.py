"""Random draws per attempt: a quiz's pools and their candidates.

A pool is `{count, topic?, difficulty?, type?, question_ids?}`: `count` questions drawn
for each attempt from the live bank questions the author may use that fit every
filter given. Candidates are fixed when the pools are saved (quiz_pool_questions):
a question belongs to the first pool it fits and never to a pool when it is one of the
quiz's fixed questions, so no attempt draws a question twice. Publishing refuses a
pool that cannot supply its count, and a pool whose candidates differ in marks: every
attempt's total marks are then the same (fixed marks + count × the pool's marks).
"""
from sqlalchemy import delete, func, select

from app.common.authz import visible_questions_clause
from app.errors import ValidationFailed
from app.extensions import db
from app.questions.models import Question
from app.quizzes import shown
from app.quizzes.models import Quiz, QuizPoolQuestion

FILTERS = ("topic", "difficulty", "type")


def replace_pools(quiz: Quiz, pools: list[dict] | None, *, actor) -> None:
    """Store the pools and resolve their candidates (the caller checked for attempts)."""
    _check_named_questions(pools or [], actor)
    shown.bump_versions([quiz.id])
    quiz.question_pools = [{k: v for k, v in pool.items() if v is not None} for pool in pools or []] or None
    db.session.execute(delete(QuizPoolQuestion).where(QuizPoolQuestion.quiz_id == quiz.id))
    taken = {link.question_id for link in quiz.question_links}
    for index, pool in enumerate(quiz.question_pools or []):
        for question_id in _fitting(pool, actor):
            if question_id not in taken:
                taken.add(question_id)
                db.session.add(QuizPoolQuestion(quiz_id=quiz.id, question_id=question_id, pool_index=index))
    db.session.flush()


def _check_named_questions(pools: list[dict], actor) -> None:
    """A pool's `question_ids` name live questions the author may use, as a quiz's questions
    must; one they may not see is refused like one that does not exist."""
    named = list(dict.fromkeys(qid for pool in pools for qid in pool.get("question_ids") or []))
    if not named:
        return
    usable = set(db.session.scalars(select(Question.id).where(
        Question.id.in_(named), visible_questions_clause(actor), Question.is_archived.is_(False))))
    missing = [qid for qid in named if qid not in usable]
    if missing:
        raise ValidationFailed("Some referenced items do not exist or are not yours",
                               details={"question_pools": [f"Not found: {', '.join(missing)}."]})


def _fitting(pool: dict, actor) -> list[str]:
    stmt = select(Question.id).where(visible_questions_clause(actor), Question.is_archived.is_(False))
    if pool.get("topic"):
        stmt = stmt.where(func.lower(Question.topic) == pool["topic"].strip().lower())
    for field in ("difficulty", "type"):
        if pool.get(field):
            stmt = stmt.where(getattr(Question, field) == pool[field])
    if pool.get("question_ids"):
        stmt = stmt.where(Question.id.in_(pool["question_ids"]))
    return list(db.session.scalars(stmt.order_by(Question.created_at, Question.id)))


def pool_stats(quiz_id: str) -> dict[int, tuple[int, set]]:
    """pool index → (candidates, their distinct marks)."""
    rows = db.session.execute(
        select(QuizPoolQuestion.pool_index, Question.marks).join(Question, Question.id == QuizPoolQuestion.question_id)
        .where(QuizPoolQuestion.quiz_id == quiz_id, Question.is_archived.is_(False)))
    stats: dict[int, tuple[int, set]] = {}
    for index, marks in rows:
        count, seen = stats.get(index, (0, set()))
        stats[index] = (count + 1, seen | {marks})
    return stats


def pool_problems(quiz: Quiz) -> list[str]:
    """Why the quiz's pools cannot be published, one sentence per pool at fault."""
    stats = pool_stats(quiz.id)
    problems = []
    for index, pool in enumerate(quiz.question_pools or []):
        available, marks = stats.get(index, (0, set()))
        if available < pool["count"]:
            problems.append(f"Pool {index + 1} needs {pool['count']} questions and can supply {available}.")
        elif len(marks) > 1:
            problems.append(f"Pool {index + 1} mixes questions of different marks ({sorted(marks)}); "
                            "a pool draws questions of equal marks.")
    return problems


def pool_marks(quiz: Quiz) -> int:
    """What the pools add to every attempt's total marks."""
    stats = pool_stats(quiz.id)
    return sum(pool["count"] * min(stats.get(i, (0, {0}))[1] or {0})
               for i, pool in enumerate(quiz.question_pools or []))
