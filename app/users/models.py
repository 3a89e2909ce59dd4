"""People: the user account and its teacher or student profile."""
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.clock import utcnow
from app.common.db import UTCDateTime, new_id
from app.extensions import db

ROLES = ("admin", "teacher", "student")


class RoleChecks:
    """`is_admin`, `is_teacher`, `is_student` from the object's `role`: for `User`, and for
    the `TokenHolder` an access token names before its account is read."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_teacher(self) -> bool:
        return self.role == "teacher"

    @property
    def is_student(self) -> bool:
        return self.role == "student"


class User(RoleChecks, db.Model):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    # NULL for unclaimed student accounts: they have no usable password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(Enum(*ROLES, name="user_role"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bumped on deactivation and password change: every token carrying an older
    # version is refused on its next use.
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    teacher: Mapped["Teacher | None"] = relationship(back_populates="user", uselist=False)
    student: Mapped["Student | None"] = relationship(back_populates="user", uselist=False)

    def deactivate(self, now: datetime) -> None:
        self.is_active = False
        self.deleted_at = now
        self.token_version += 1

    def restore(self) -> None:
        self.is_active = True
        self.deleted_at = None


class Teacher(db.Model):
    __tablename__ = "teachers"

    id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(100), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="teacher", lazy="joined")


class Student(db.Model):
    __tablename__ = "students"
    __table_args__ = (Index("ix_students_claimed", "is_account_claimed"),)

    id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(50), unique=True)
    # Upper-cased, trimmed copy: registration numbers match case-insensitively on
    # every database, through a unique index.
    registration_key: Mapped[str] = mapped_column(String(50), unique=True)
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

    @staticmethod
    def key_for(registration_number: str) -> str:
        return registration_number.strip().upper()


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
