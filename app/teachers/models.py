"""A teacher's profile, one per teacher account."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.classes.models import SchoolClass
from app.common.clock import utcnow
from app.common.db import UTCDateTime
from app.extensions import db
from app.users.models import User


class Teacher(db.Model):
    __tablename__ = "teachers"

    id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(100), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(100))
    bio: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="teacher", lazy="joined")
    # The profile's read side (`/auth/me`, the login's user): assignments are written
    # through TeacherClass rows, never through this list.
    assigned_classes: Mapped[list[SchoolClass]] = relationship(
        secondary="teacher_classes", order_by=SchoolClass.name, viewonly=True)
