"""The user account every person signs in with; profiles live in teachers/ and students/."""
from datetime import datetime

from sqlalchemy import Boolean, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.common.clock import utcnow
from app.common.db import UTCDateTime, login_key_type, new_id
from app.common.identifiers import storable_login_key
from app.extensions import db

ROLES = ("admin", "teacher", "student")
EMAIL_KEY_LENGTH = 255


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
    # The address as given (trimmed, lower-cased): where mail goes and what is shown.
    email: Mapped[str] = mapped_column(String(255))
    # login_key(email), kept in step by `_store_email`: accounts are found, limited and
    # kept unique by this exact value, never by the collation of `email`.
    email_key: Mapped[str] = mapped_column(login_key_type(EMAIL_KEY_LENGTH), unique=True)
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

    # Profiles are declared in teachers/ and students/; SQLAlchemy resolves them by name.
    teacher: Mapped["Teacher | None"] = relationship(back_populates="user", uselist=False)  # noqa: F821
    student: Mapped["Student | None"] = relationship(back_populates="user", uselist=False)  # noqa: F821

    @validates("email")
    def _store_email(self, _attribute: str, email: str) -> str:
        email = email.strip().lower()
        self.email_key = storable_login_key(email, field="email", length=EMAIL_KEY_LENGTH)
        return email

    def deactivate(self, now: datetime) -> None:
        self.is_active = False
        self.deleted_at = now
        self.token_version += 1

    def restore(self) -> None:
        self.is_active = True
        self.deleted_at = None
