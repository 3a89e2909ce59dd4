"""Reading quizzes: lists and details per role, each in a fixed number of queries.

A page of quizzes costs: count, page, classes (2 selectin loads), one aggregate
for question counts and marks and one for the attempt counts; a student's page swaps
the classes and attempt counts for one query over their own attempts and two for
their effective terms (overrides, accommodation). Nothing here runs a query per quiz.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import selectinload

from app.attempts.models import QuizAttempt
from app.common.authz import visible_quizzes_clause
from app.common.pagination import equal_filters, paginate, search_filter
from app.extensions import db
from app.questions.models import Question
from app.quizzes.effective import effective_settings_for_quizzes, student_fields
from app.quizzes.models import Quiz, QuizClass, QuizQuestion

ORDERINGS = {
    "created_at": Quiz.created_at, "updated_at": Quiz.updated_at, "title": Quiz.title,
    "subject": Quiz.subject, "status": Quiz.status, "start_date": Quiz.start_date,
    "end_date": Quiz.end_date, "published_at": Quiz.published_at,
}


def list_quizzes(actor, params: dict, *, now) -> dict:
    stmt = select(Quiz).where(visible_quizzes_clause(actor))
    if not actor.is_student:
        stmt = _staff_filters(stmt, params).options(
            selectinload(Quiz.class_links).selectinload(QuizClass.school_class))
    if params.get("search"):
        stmt = stmt.where(search_filter(params["search"], Quiz.title, Quiz.subject, Quiz.access_code))
    page = paginate(stmt, params, orderings=ORDERINGS, default_ordering="-created_at", tiebreak=Quiz.id)
    attach_stats(page["items"])
    if actor.is_student:
        attach_attempt_summaries(page["items"], actor.id, now=now)
    else:
        attach_attempt_counts(page["items"])
    return page


def _staff_filters(stmt, params: dict):
    stmt = equal_filters(stmt, params, {"status": Quiz.status, "teacher_id": Quiz.created_by})
    if params.get("class_id"):
        stmt = stmt.where(exists().where(QuizClass.quiz_id == Quiz.id, QuizClass.class_id == params["class_id"]))
    return stmt


def attach_stats(quizzes: list[Quiz]) -> None:
    """`question_count` and `total_marks` (marks overrides included), one query for all."""
    if not quizzes:
        return
    marks = func.coalesce(QuizQuestion.marks_override, Question.marks)
    rows = db.session.execute(
        select(QuizQuestion.quiz_id, func.count(), func.sum(marks))
        .join(Question, Question.id == QuizQuestion.question_id)
        .where(QuizQuestion.quiz_id.in_([quiz.id for quiz in quizzes]))
        .group_by(QuizQuestion.quiz_id)
    ).all()
    stats = {quiz_id: (count, int(total or 0)) for quiz_id, count, total in rows}
    for quiz in quizzes:
        quiz.question_count, quiz.total_marks = stats.get(quiz.id, (0, 0))


def attach_attempt_counts(quizzes: list[Quiz]) -> None:
    """A teacher's list: `attempt_count`, `in_progress_count` and `pending_grading_count`
    (closed, with descriptive answers left to mark), one query for all. Attempts voided
    by a reset are not counted, as they no longer count for the student either."""
    if not quizzes:
        return
    rows = db.session.execute(
        select(QuizAttempt.quiz_id, func.count(), _count_where(QuizAttempt.status == "in_progress"),
               _count_where(QuizAttempt.status == "submitted"))
        .where(QuizAttempt.quiz_id.in_([quiz.id for quiz in quizzes]), QuizAttempt.is_reset.is_(False))
        .group_by(QuizAttempt.quiz_id)
    ).all()
    counts = {quiz_id: (total, int(running), int(pending)) for quiz_id, total, running, pending in rows}
    for quiz in quizzes:
        quiz.attempt_count, quiz.in_progress_count, quiz.pending_grading_count = counts.get(quiz.id, (0, 0, 0))


def _count_where(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def load_detail(quiz: Quiz) -> Quiz:
    """A teacher's detail: questions with answers, classes, totals."""
    links = quiz.question_links
    quiz.question_count = len(links)
    quiz.total_marks = sum(link.marks for link in links)
    quiz.has_attempts = has_attempts(quiz)
    return quiz


def has_attempts(quiz: Quiz, *, locking: bool = False) -> bool:
    """`locking`: a locking read, which sees attempts committed after this transaction's snapshot."""
    stmt = select(QuizAttempt.id).where(QuizAttempt.quiz_id == quiz.id).limit(1)
    return db.session.scalar(stmt.with_for_update(read=True) if locking else stmt) is not None


@dataclass
class AttemptSummary:
    used: int = 0
    granted: int = 0
    granted_key: tuple | None = None
    best_score: Decimal | None = None
    best_percentage: Decimal | None = None
    best_is_provisional: bool = False
    in_progress_attempt_id: str | None = None
    latest_attempt: dict | None = None
    grading_pending: bool = False

    def remaining(self, max_attempts: int) -> int:
        # Seed 000 §3: the latest reset's grant adds to the quiz's limit; reset
        # attempts no longer count as used.
        return max(0, max_attempts + self.granted - self.used)

    def add(self, attempt) -> None:
        if attempt.is_reset:
            # The latest reset decides (ties: the highest attempt number), as when starting.
            key = (attempt.reset_at or datetime.min, attempt.attempt_number)
            if self.granted_key is None or key > self.granted_key:
                self.granted, self.granted_key = attempt.additional_attempts_granted or 0, key
            return
        self.used += 1
        if self.latest_attempt is None or attempt.attempt_number > self.latest_attempt["attempt_number"]:
            self.latest_attempt = {"id": attempt.id, "status": attempt.status,
                                   "submitted_at": attempt.submitted_at, "attempt_number": attempt.attempt_number}
        # `submitted` is a closed attempt whose descriptive answers await a teacher:
        # its score counts what is marked so far and may still rise.
        self.grading_pending = self.grading_pending or attempt.status == "submitted"
        if attempt.status == "in_progress":
            self.in_progress_attempt_id = attempt.id
        elif attempt.score is not None and (self.best_score is None or attempt.score > self.best_score):
            self.best_score, self.best_percentage = attempt.score, attempt.percentage
            self.best_is_provisional = attempt.status == "submitted"


def attempt_summaries(quiz_ids: list[str], student_id: str) -> dict[str, AttemptSummary]:
    """quiz_id → the student's attempts used, reset grant and best score, in one query."""
    summaries = {quiz_id: AttemptSummary() for quiz_id in quiz_ids}
    if not quiz_ids:
        return summaries
    rows = db.session.execute(
        select(QuizAttempt.id, QuizAttempt.quiz_id, QuizAttempt.attempt_number, QuizAttempt.is_reset,
               QuizAttempt.reset_at,
               QuizAttempt.additional_attempts_granted, QuizAttempt.status, QuizAttempt.score,
               QuizAttempt.percentage, QuizAttempt.submitted_at)
        .where(QuizAttempt.student_id == student_id, QuizAttempt.quiz_id.in_(quiz_ids))
    ).all()
    for row in rows:
        summaries[row.quiz_id].add(row)
    return summaries


def attach_attempt_summaries(quizzes: list[Quiz], student_id: str, *, now) -> None:
    """The student's attempts and their effective terms (overrides, accommodation) per quiz."""
    summaries = attempt_summaries([quiz.id for quiz in quizzes], student_id)
    settings = effective_settings_for_quizzes(quizzes, student_id)
    for quiz in quizzes:
        summary, mine = summaries[quiz.id], settings[quiz.id]
        quiz.used_attempts = quiz.attempts_used = summary.used
        quiz.best_score, quiz.best_percentage = summary.best_score, summary.best_percentage
        quiz.in_progress_attempt_id = summary.in_progress_attempt_id
        quiz.latest_attempt, quiz.grading_pending = summary.latest_attempt, summary.grading_pending
        quiz.best_percentage_provisional = summary.best_is_provisional
        quiz.is_open = mine.is_open_at(now)
        for field, value in student_fields(mine, summary.remaining(mine.max_attempts)).items():
            setattr(quiz, field, value)


def student_view(quiz: Quiz, student_id: str, *, now) -> Quiz:
    attach_stats([quiz])
    attach_attempt_summaries([quiz], student_id, now=now)
    return quiz
