"""Attempts, the answers inside them, violations, and the history kept on reset.

No foreign key here cascades a delete: a student's work outlives any edit to the
quiz, the question bank or the people involved.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.clock import utcnow
from app.common.db import JSONType, UTCDateTime, new_id
from app.extensions import db

# None is SQL NULL here (not JSON null), so "no response" is `IS NULL` in queries.
NULLABLE_JSON = JSON(none_as_null=True).with_variant(mysql.JSON(none_as_null=True), "mysql", "mariadb")
ATTEMPT_STATUSES = ("in_progress", "submitted", "graded", "auto_submitted")
# "teacher": closed by the quiz's teacher or an admin (force-submit).
AUTO_SUBMIT_REASONS = ("time_expired", "violations", "teacher")
# A person's verdict on an attempt's integrity; never shown to its student.
REVIEW_STATUSES = ("not_reviewed", "clean", "suspicious", "violation_confirmed")
VIOLATION_TYPES = (
    "tab_switch", "fullscreen_exit", "copy_attempt", "paste_attempt",
    "right_click", "focus_lost", "multiple_windows",
)
SEVERITIES = ("low", "medium", "high")


def grace() -> timedelta:
    """How long after its deadline an attempt still takes saves and a submit: the time a
    last answer sent on the bell may take to arrive (`ATTEMPT_GRACE_SECONDS`)."""
    return timedelta(seconds=current_app.config["ATTEMPT_GRACE_SECONDS"])


def is_past_grace(attempt, now: datetime) -> bool:
    """Whether an in-progress attempt's time is up for good. `attempt`: a QuizAttempt or
    any row carrying its `deadline_at` (the autosave's locked row)."""
    return now > attempt.deadline_at + grace()


class QuizAttempt(db.Model):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "student_id", "attempt_number", name="uq_quiz_attempts_unique_attempt"),
        Index("ix_quiz_attempts_reset", "is_reset", "reset_by"),
        Index("ix_quiz_attempts_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quizzes.id"), index=True)
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"), index=True)
    attempt_number: Mapped[int] = mapped_column(Integer, default=1)
    # Set to "<quiz_id>:<student_id>" while in progress and cleared on submit: the
    # unique index makes two simultaneous starts unable to both succeed.
    in_progress_key: Mapped[str | None] = mapped_column(String(80), unique=True)

    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # min(started_at + time limit, quiz end date), fixed at start.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(
        Enum(*ATTEMPT_STATUSES, name="attempt_status"), default="in_progress", index=True
    )
    auto_submit_reason: Mapped[str | None] = mapped_column(Enum(*AUTO_SUBMIT_REASONS, name="auto_submit_reason"))

    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    total_marks: Mapped[int | None] = mapped_column(Integer)
    percentage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)
    # Set by a regrade that changed this attempt's score: the score it had before, and when.
    score_before_regrade: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    regraded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    total_violations: Mapped[int] = mapped_column(Integer, default=0)
    auto_submitted_due_to_violations: Mapped[bool] = mapped_column(Boolean, default=False)
    # Violations counted before the latest reopen: a reopened attempt gets the quiz's
    # whole allowance again, while its timeline keeps every violation.
    violations_before_reopen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # Integrity review (teachers and admins only). `flagged_at`: when a `flag_only`
    # quiz's threshold was reached.
    review_status: Mapped[str] = mapped_column(
        Enum(*REVIEW_STATUSES, name="review_status"), default="not_reviewed", server_default="not_reviewed",
        index=True,
    )
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The order this attempt shows: question ids, and per question the original
    # option indexes in display order. Decided once at start.
    question_order: Mapped[list] = mapped_column(JSONType)
    option_order: Mapped[dict | None] = mapped_column(JSONType)
    # Per question answered with `response`: the shape it must have (app.quizzes.display).
    answer_forms: Mapped[dict | None] = mapped_column(JSONType)
    # Live-monitoring progress, updated by each save.
    current_question_index: Mapped[int | None] = mapped_column(Integer)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)

    is_reset: Mapped[bool] = mapped_column(Boolean, default=False)
    reset_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reset_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reset_reason: Mapped[str | None] = mapped_column(Text)
    original_max_attempts: Mapped[int | None] = mapped_column(Integer)
    additional_attempts_granted: Mapped[int] = mapped_column(Integer, default=0)

    answers: Mapped[list["StudentAnswer"]] = relationship(back_populates="attempt")
    violations: Mapped[list["Violation"]] = relationship(back_populates="attempt")
    quiz: Mapped["Quiz"] = relationship()  # noqa: F821
    student: Mapped["Student"] = relationship()  # noqa: F821

    @property
    def is_in_progress(self) -> bool:
        return self.status == "in_progress"

    def is_past_grace(self, now: datetime) -> bool:
        """The module's `is_past_grace` for this attempt, for code outside the domain."""
        return is_past_grace(self, now)

    @property
    def violations_toward_threshold(self) -> int:
        return (self.total_violations or 0) - (self.violations_before_reopen or 0)

    @staticmethod
    def in_progress_key_for(quiz_id: str, student_id: str) -> str:
        return f"{quiz_id}:{student_id}"


class StudentAnswer(db.Model):
    __tablename__ = "student_answers"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_id", name="uq_student_answers_attempt_question"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # No index of its own: the unique (attempt_id, question_id) key serves every lookup
    # by attempt, and one index fewer is one less to write on each new answer.
    attempt_id: Mapped[str] = mapped_column(ForeignKey("quiz_attempts.id"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    answer_text: Mapped[str | None] = mapped_column(Text)
    answer_option: Mapped[int | None] = mapped_column(Integer)
    # The later types' answers, shaped per type (app.attempts.answers), and the per-part
    # verdict of their marking (which choices, pairs, items or gaps were right).
    response: Mapped[dict | list | float | None] = mapped_column(NULLABLE_JSON)
    result: Mapped[dict | None] = mapped_column(NULLABLE_JSON)

    is_correct: Mapped[bool | None] = mapped_column(Boolean)
    marks_awarded: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    feedback: Mapped[str | None] = mapped_column(Text)
    graded_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
    question: Mapped["Question"] = relationship()  # noqa: F821


class AttemptQuestion(db.Model):
    """A question an attempt drew from one of its quiz's pools, at its place in the attempt."""

    __tablename__ = "attempt_questions"

    attempt_id: Mapped[str] = mapped_column(ForeignKey("quiz_attempts.id"), primary_key=True)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)


class Violation(db.Model):
    __tablename__ = "violations"
    __table_args__ = (
        # A retried report carries the same client_event_id and is counted once.
        UniqueConstraint("attempt_id", "client_event_id", name="uq_violations_attempt_client_event"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("quiz_attempts.id"), index=True)
    violation_type: Mapped[str] = mapped_column(Enum(*VIOLATION_TYPES, name="violation_type"), index=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    question_index: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str | None] = mapped_column(Enum(*SEVERITIES, name="violation_severity"))
    # The column keeps the seed's name; `metadata` is reserved on declarative models.
    details: Mapped[dict | None] = mapped_column("metadata", JSONType)
    client_event_id: Mapped[str | None] = mapped_column(String(64))

    attempt: Mapped[QuizAttempt] = relationship(back_populates="violations")


class AttemptHistory(db.Model):
    __tablename__ = "attempt_history"
    __table_args__ = (Index("ix_attempt_history_quiz_student", "quiz_id", "student_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    attempt_id: Mapped[str | None] = mapped_column(ForeignKey("quiz_attempts.id"), index=True)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quizzes.id"))
    student_id: Mapped[str] = mapped_column(ForeignKey("students.id"))
    attempt_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Enum(*ATTEMPT_STATUSES, name="attempt_history_status"), index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    total_marks: Mapped[int | None] = mapped_column(Integer)
    percentage: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    total_violations: Mapped[int] = mapped_column(Integer, default=0)
    auto_submitted_due_to_violations: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    reset_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reset_reason: Mapped[str | None] = mapped_column(Text)
