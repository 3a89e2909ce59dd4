"""Quizzes, their classes and their ordered questions."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.clock import utcnow
from app.common.db import JSONType, UTCDateTime, new_id
from app.errors import InvalidState
from app.extensions import db

QUIZ_STATUSES = ("draft", "published", "archived")
# The quiz settings a student or class override may replace.
OVERRIDABLE = ("start_date", "end_date", "time_limit_minutes", "max_attempts", "access_code_required")


def window_open(status: str, start: datetime | None, end: datetime | None, now: datetime) -> bool:
    """A published quiz takes new attempts from `start` (inclusive) until `end` (exclusive)."""
    if status != "published":
        return False
    if start and now < start:
        return False
    return not (end and now >= end)

# What reaching `max_violations` does: close the attempt, or flag it for a person to review.
VIOLATION_ACTIONS = ("auto_submit", "flag_only")


class Quiz(db.Model):
    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("time_limit_minutes > 0", name="time_limit_positive"),
        CheckConstraint("passing_percentage >= 0 AND passing_percentage <= 100", name="passing_range"),
        CheckConstraint("max_attempts > 0", name="max_attempts_positive"),
        CheckConstraint("max_violations > 0", name="max_violations_positive"),
        CheckConstraint("negative_marking_percent >= 0 AND negative_marking_percent <= 100",
                        name="negative_marking_range"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    access_code: Mapped[str] = mapped_column(String(20), unique=True)
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Enum(*QUIZ_STATUSES, name="quiz_status"), default="draft", index=True)
    start_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    passing_percentage: Mapped[int] = mapped_column(Integer, default=40)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    max_violations: Mapped[int] = mapped_column(Integer, default=3)
    violation_action: Mapped[str] = mapped_column(
        Enum(*VIOLATION_ACTIONS, name="violation_action"), default="auto_submit", server_default="auto_submit")
    show_answers_after_submission: Mapped[bool] = mapped_column(Boolean, default=False)
    randomize_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    randomize_options: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_review: Mapped[bool] = mapped_column(Boolean, default=True)
    # The share of a question's marks a wrong objective answer costs (app.grading.scoring).
    negative_marking_percent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When set, starting needs the quiz's access code as well as a place in an assigned class.
    access_code_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Random draws per attempt: [{count, topic, difficulty, type, question_ids}], each pool's
    # candidates kept in quiz_pool_questions (app.quizzes.pools).
    question_pools: Mapped[list | None] = mapped_column(JSONType)
    # Moves with every change to what the quiz shows; keys app.quizzes.shown's cache.
    questions_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    class_links: Mapped[list["QuizClass"]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan"
    )
    question_links: Mapped[list["QuizQuestion"]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="QuizQuestion.order_index"
    )

    def is_open_at(self, now: datetime) -> bool:
        return window_open(self.status, self.start_date, self.end_date, now)

    @property
    def classes(self) -> list:
        return [link.school_class for link in self.class_links]

    def publish(self, now: datetime, pool_problems: list[str] = ()) -> None:
        """Draft or archived → published; refuses a quiz students could not take."""
        if self.status == "published":
            raise InvalidState("The quiz is already published", error_code="ALREADY_PUBLISHED")
        problems = {}
        if not self.question_links and not self.question_pools:
            problems["questions"] = ["Add at least one question."]
        if pool_problems:
            problems["question_pools"] = list(pool_problems)
        if not self.class_links:
            problems["class_ids"] = ["Assign at least one class."]
        if self.end_date and self.end_date <= now:
            problems["end_date"] = ["The quiz window has already ended."]
        if problems:
            raise InvalidState("The quiz is not ready to publish", error_code="QUIZ_NOT_READY", details=problems)
        self.status = "published"
        self.published_at = now

    def archive(self) -> None:
        if self.status == "archived":
            raise InvalidState("The quiz is already archived", error_code="ALREADY_ARCHIVED")
        self.status = "archived"


class QuizClass(db.Model):
    __tablename__ = "quiz_classes"
    __table_args__ = (UniqueConstraint("quiz_id", "class_id", name="uq_quiz_classes_unique_quiz_class"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="class_links")
    school_class: Mapped["SchoolClass"] = relationship()  # noqa: F821


class QuizQuestion(db.Model):
    __tablename__ = "quiz_questions"
    __table_args__ = (
        UniqueConstraint("quiz_id", "question_id", name="uq_quiz_questions_unique_quiz_question"),
        UniqueConstraint("quiz_id", "order_index", name="uq_quiz_questions_unique_quiz_order"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    # No cascade: a question in use is archived, never deleted under a quiz.
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    order_index: Mapped[int] = mapped_column(Integer)
    marks_override: Mapped[int | None] = mapped_column(Integer)

    quiz: Mapped[Quiz] = relationship(back_populates="question_links")
    question: Mapped["Question"] = relationship()  # noqa: F821

    @property
    def marks(self) -> int:
        return self.marks_override if self.marks_override is not None else self.question.marks


class QuizPoolQuestion(db.Model):
    """A candidate of one of the quiz's pools; a question belongs to the first pool it fits."""

    __tablename__ = "quiz_pool_questions"
    __table_args__ = (UniqueConstraint("quiz_id", "question_id", name="uq_quiz_pool_questions_quiz_question"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # No index of its own on quiz_id: the unique key leads with it.
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    pool_index: Mapped[int] = mapped_column(Integer)


class QuizOverride(db.Model):
    """Another window, time limit, attempt count or access-code rule for one student or
    one class at one quiz. A NULL setting inherits (student → class → quiz)."""

    __tablename__ = "quiz_overrides"
    __table_args__ = (
        UniqueConstraint("quiz_id", "student_id", name="uq_quiz_overrides_quiz_student"),
        UniqueConstraint("quiz_id", "class_id", name="uq_quiz_overrides_quiz_class"),
        CheckConstraint("(student_id IS NULL AND class_id IS NOT NULL) OR "
                        "(student_id IS NOT NULL AND class_id IS NULL)", name="one_target"),
        CheckConstraint("time_limit_minutes IS NULL OR time_limit_minutes > 0", name="time_limit_positive"),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="max_attempts_positive"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    # An override is a setting, not student work: it goes with its quiz, student or class.
    # No index of its own on quiz_id: both unique keys lead with it.
    quiz_id: Mapped[str] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    student_id: Mapped[str | None] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[str | None] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_date: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    access_code_required: Mapped[bool | None] = mapped_column(Boolean)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    quiz: Mapped[Quiz] = relationship()
    school_class: Mapped["SchoolClass | None"] = relationship()  # noqa: F821
    student: Mapped["Student | None"] = relationship()  # noqa: F821
