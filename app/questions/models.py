"""The question bank."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Double, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.db import JSONType, UTCDateTime, login_key_type, new_id
from app.extensions import db

QUESTION_TYPES = ("mcq", "descriptive", "true_false", "short_answer",
                  "multiple_select", "numeric", "matching", "ordering", "fill_in_blanks")
# Types marked by the machine whatever their fields (short_answer needs accepted answers).
OBJECTIVE_TYPES = ("mcq", "true_false", "multiple_select", "numeric", "matching", "ordering", "fill_in_blanks")
DIFFICULTIES = ("easy", "medium", "hard")
# Fields a student must never receive before review is allowed.
# `pairs` and `blanks` hold keys by their order or content: a student sees them only
# reshaped (app.quizzes.display). Ordering's `items` are such a key too but not named
# here, since "items" is also every list page's envelope: students see them only
# shuffled, as `options` (tests/attempts/test_question_types.py pins it).
ANSWER_KEY_FIELDS = ("correct_answer", "accepted_answers", "sample_answer", "marking_rubric",
                     "correct_options", "correct_value", "tolerance", "tolerance_type", "accepted_values",
                     "pairs", "blanks")


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (CheckConstraint("marks > 0", name="marks_positive"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    text: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(Enum(*QUESTION_TYPES, name="question_type"), index=True)
    topic: Mapped[str | None] = mapped_column(String(100), index=True)
    difficulty: Mapped[str | None] = mapped_column(Enum(*DIFFICULTIES, name="question_difficulty"), index=True)
    marks: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # mcq and true_false: option texts and the 0-based index of the correct one.
    options: Mapped[list | None] = mapped_column(JSONType)
    correct_answer: Mapped[int | None] = mapped_column(Integer)
    # short_answer: accepted answers make it auto-gradable (trimmed, case-insensitive).
    accepted_answers: Mapped[list | None] = mapped_column(JSONType)
    sample_answer: Mapped[str | None] = mapped_column(Text)
    marking_rubric: Mapped[str | None] = mapped_column(Text)
    # multiple_select: indexes of the right options; multiple_select and ordering: how to score.
    correct_options: Mapped[list | None] = mapped_column(JSONType)
    scoring: Mapped[str | None] = mapped_column(String(20))
    # numeric: the value, how far from it still counts, and other values with their credit.
    correct_value: Mapped[float | None] = mapped_column(Double)
    tolerance: Mapped[float | None] = mapped_column(Double)
    tolerance_type: Mapped[str | None] = mapped_column(String(10))
    accepted_values: Mapped[list | None] = mapped_column(JSONType)
    # matching: [{prompt, match}] and extra matches; ordering: items in the right order;
    # fill_in_blanks: one entry per {{n}} gap of the text.
    pairs: Mapped[list | None] = mapped_column(JSONType)
    distractors: Mapped[list | None] = mapped_column(JSONType)
    items: Mapped[list | None] = mapped_column(JSONType)
    blanks: Mapped[list | None] = mapped_column(JSONType)
    # Questions with answers are never edited or deleted; they are archived.
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)

    @property
    def is_auto_gradable(self) -> bool:
        if self.type in OBJECTIVE_TYPES:
            return True
        return self.type == "short_answer" and bool(self.accepted_answers)


MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


class QuestionMedia(db.Model):
    """An image a question shows, referred to in its HTML as `@@PLUGINFILE@@/<filename>`.

    The bytes live in the media store (app.questions.storage) under `storage_key`,
    which never contains the uploaded name.
    """

    __tablename__ = "question_media"
    __table_args__ = (UniqueConstraint("question_id", "filename", name="uq_question_media_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    question_id: Mapped[str] = mapped_column(ForeignKey("questions.id"), index=True)
    # Compared byte for byte (as Moodle does), so "Map.png" and "map.png" are two files.
    filename: Mapped[str] = mapped_column(login_key_type(255))
    content_type: Mapped[str] = mapped_column(Enum(*MEDIA_TYPES, name="question_media_type"))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def reference(self) -> str:
        """What the question's HTML writes where the image goes."""
        return f"{PLUGINFILE}/{self.filename}"


PLUGINFILE = "@@PLUGINFILE@@"
