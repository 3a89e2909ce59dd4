"""Where a student is in their attempt, and when they were last active: the one
definition of the current question, used by the attempt's REST views
(`current_question_index`), the saves' responses, and the live monitor (`quiz_status`
and `answer_saved`, which also carry seed 001's 1-based `current_question`).

A save does not write the attempt row for this: the answer row it writes already says
which question was answered, and when (`updated_at`), and on the hottest path of the
system a second write per save costs a third of its throughput. The attempt's own
`current_question_index` / `last_activity_at` are written at start and by saves the
answers cannot describe (a `question_index` other than the saved question's, a batch).
The position is whichever of the two is more recent; at a tie the attempt row wins, as
it is written only with information the answers lack.
"""
from datetime import datetime

from sqlalchemy import select

from app.attempts.models import QuizAttempt, StudentAnswer


def current_position(question_order: list | None, stored_index: int | None, stored_at: datetime | None,
                     latest_question_id: str | None, latest_answer_at: datetime | None) -> tuple:
    """(question index, last activity) from the attempt row and its latest answer."""
    if latest_answer_at is not None and (stored_at is None or latest_answer_at > stored_at):
        order = question_order or []
        if latest_question_id in order:
            return order.index(latest_question_id), latest_answer_at
    return stored_index, stored_at


def position_from_answers(attempt, answers) -> tuple:
    """`current_position` for a loaded attempt and its loaded answers."""
    latest = max(answers, key=lambda answer: answer.updated_at or datetime.min, default=None)
    return current_position(attempt.question_order, attempt.current_question_index, attempt.last_activity_at,
                            latest.question_id if latest else None, latest.updated_at if latest else None)


def latest_answered_question():
    """`latest_question_id` for `current_position` in SQL: the question of the attempt's
    most recently saved answer, correlated to QuizAttempt (a whole room in one query)."""
    return (
        select(StudentAnswer.question_id).where(StudentAnswer.attempt_id == QuizAttempt.id)
        .order_by(StudentAnswer.updated_at.desc(), StudentAnswer.id).limit(1)
        .correlate(QuizAttempt).scalar_subquery()
    )


def current_question_number(index: int | None) -> int:
    """Seed 001's `current_question`: the 1-based position, 0 when there is none."""
    return 0 if index is None else index + 1
