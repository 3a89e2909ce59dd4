"""Classes and which teachers teach them."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.clock import utcnow
from app.common.db import UTCDateTime, new_id
from app.extensions import db


class SchoolClass(db.Model):
    __tablename__ = "classes"
    __table_args__ = (UniqueConstraint("name", "section", "academic_year", name="uq_classes_unique_class"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), index=True)
    section: Mapped[str | None] = mapped_column(String(50))
    academic_year: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    students: Mapped[list["Student"]] = relationship(back_populates="school_class")  # noqa: F821
    teacher_links: Mapped[list["TeacherClass"]] = relationship(
        back_populates="school_class", cascade="all, delete-orphan"
    )


class TeacherClass(db.Model):
    __tablename__ = "teacher_classes"
    __table_args__ = (UniqueConstraint("teacher_id", "class_id", name="uq_teacher_classes_unique_teacher_class"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[str] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    school_class: Mapped[SchoolClass] = relationship(back_populates="teacher_links")
    teacher: Mapped["Teacher"] = relationship()  # noqa: F821
