"""A student's profile, one per student account: registration number, class, claim code."""
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.common.clock import utcnow
from app.common.db import UTCDateTime, login_key_type
from app.common.identifiers import storable_login_key
from app.extensions import db
from app.users.models import User

REGISTRATION_KEY_LENGTH = 50


class Student(db.Model):
    __tablename__ = "students"
    __table_args__ = (Index("ix_students_claimed", "is_account_claimed"),)

    id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(50))
    # login_key(registration_number), kept in step by `_store_registration_number`:
    # the exact value that finds, limits and keeps unique a student's account.
    registration_key: Mapped[str] = mapped_column(login_key_type(REGISTRATION_KEY_LENGTH), unique=True)
    class_id: Mapped[str | None] = mapped_column(
        ForeignKey("classes.id", ondelete="SET NULL"), index=True
    )
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    parent_email: Mapped[str | None] = mapped_column(String(255))
    parent_phone: Mapped[str | None] = mapped_column(String(20))
    is_account_claimed: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One-time code handed to the student to claim the account; stored hashed.
    claim_code_hash: Mapped[str | None] = mapped_column(String(128))
    claim_code_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="student", lazy="joined")
    school_class: Mapped["SchoolClass | None"] = relationship(  # noqa: F821
        back_populates="students"
    )

    @validates("registration_number")
    def _store_registration_number(self, _attribute: str, number: str) -> str:
        number = number.strip()
        self.registration_key = storable_login_key(number, field="registration_number",
                                                   length=REGISTRATION_KEY_LENGTH)
        return number


class StudentAccommodation(db.Model):
    """Extra time a student gets on every timed quiz they start (exam accommodations).

    `note` is for staff: no student-facing schema has the field.
    """

    __tablename__ = "student_accommodations"
    __table_args__ = (
        CheckConstraint("extra_time_percent >= 0 AND extra_time_percent <= 400", name="percent_range"),
        CheckConstraint("extra_time_minutes >= 0", name="minutes_not_negative"),
    )

    student_id: Mapped[str] = mapped_column(ForeignKey("students.id", ondelete="CASCADE"), primary_key=True)
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    extra_time_minutes: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
