"""Start's one read: the token, the quiz, the student's terms and attempts in one statement.

Starting is the moment a whole year group hits the server together (the bell). A
start must know that the caller's token is still good and names a student
(`app.auth.tokens.token_still_good`), that the student sees the quiz
(`app.common.authz.student_quizzes_clause`), the student's effective settings
(`app.quizzes.effective.ONE_STUDENT`), their attempts so far and the one in progress
(`app.attempts.allowance.ALLOWANCE`), and their name for the monitor's event. Each rule
stays in its own module as a statement or clause; this module only joins them into one
round trip, so a start reads one row where it would otherwise send four queries.

It is a shared locking read: it waits for an edit of the quiz's questions in flight,
sees the latest committed `questions_version`, and holds it until the start commits,
so the questions a start shows are its version's (app.quizzes.shown). The locks are
shared: starts do not wait for one another.

It acts for the token's holder before their account is read (`app.auth.holder`): the
row exists only while the token is still good, and then vouches for it. No row is a
404 here: the student does not see the quiz, or the token is no longer good (or names
no student), which the request boundary tells apart with the full token check, so the
caller hears the same 401 or 403 as anywhere else.
"""
from typing import NamedTuple

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import load_only

from app.attempts.allowance import ALLOWANCE, Allowance, allowance_from_row
from app.auth.holder import TokenHolder
from app.auth.tokens import token_still_good
from app.common.authz import student_quizzes_clause
from app.errors import NotFound
from app.extensions import db
from app.quizzes.effective import ONE_STUDENT, ONE_STUDENT_WIDTH, EffectiveSettings, settings_from_row
from app.quizzes.models import Quiz
from app.users.models import User

# What start and its response read of the quiz (app.attempts.queries.quiz_summary among
# them); the rest of the row (authoring dates, owner, violation action) stays unread.
START_QUIZ_COLUMNS = (
    Quiz.id, Quiz.title, Quiz.subject, Quiz.description, Quiz.status, Quiz.start_date, Quiz.end_date,
    Quiz.time_limit_minutes, Quiz.passing_percentage, Quiz.max_attempts, Quiz.max_violations,
    Quiz.allow_review, Quiz.show_answers_after_submission, Quiz.access_code, Quiz.access_code_required,
    Quiz.randomize_questions, Quiz.randomize_options, Quiz.questions_version, Quiz.question_pools,
    Quiz.negative_marking_percent,
)


class StartFacts(NamedTuple):
    quiz: Quiz
    settings: EffectiveSettings
    allowance: Allowance
    student_name: str


def read_for_start(quiz_id: str, holder: TokenHolder) -> StartFacts:
    """Everything a start decides on, for the token's holder; NotFound if there is no row
    (the read itself requires the holder to be a student now: `token_still_good`)."""
    row = db.session.execute(_START_READ, {"quiz_id": quiz_id, "student_id": holder.id, **holder.token_params}).first()
    if row is None:
        raise NotFound("Quiz not found")
    holder.vouch()
    # The row: ONE_STUDENT's columns, the quiz, the student's name, ALLOWANCE's columns.
    quiz = row[ONE_STUDENT_WIDTH]
    settings = settings_from_row(quiz, row)
    allowance = allowance_from_row(row[ONE_STUDENT_WIDTH + 2:], max_attempts=settings.max_attempts)
    return StartFacts(quiz, settings, allowance, row[ONE_STUDENT_WIDTH + 1])


def _start_read_statement():
    """ONE_STUDENT's columns (it reads the quiz's and the student's rows), then the quiz,
    the student's name, then ALLOWANCE's columns (scalar subqueries)."""
    student_name = select(User.name).where(User.id == bindparam("student_id")).scalar_subquery()
    return (
        ONE_STUDENT
        .add_columns(Quiz, student_name.label("student_name"), *ALLOWANCE.selected_columns)
        .where(student_quizzes_clause(bindparam("student_id")), exists().where(token_still_good(role="student")))
        .options(load_only(*START_QUIZ_COLUMNS))
        .with_for_update(read=True)
    )


# Built once: composing it costs more than running it, and every start of the bell runs it.
_START_READ = _start_read_statement()
