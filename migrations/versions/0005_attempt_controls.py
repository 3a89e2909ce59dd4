"""attempt controls and integrity review

quizzes.violation_action: what reaching max_violations does (auto_submit, the old
behaviour and the default, or flag_only). quiz_attempts: "teacher" as an
auto_submit_reason (force-submit), violations_before_reopen (a reopened attempt gets
the whole violation allowance again), and the integrity review (review_status,
review_note, reviewed_by, reviewed_at, flagged_at).

The downgrade refuses to run while an attempt is closed with reason "teacher", which
the old column cannot hold.

Revision ID: 0005
Revises: 0004
"""
import click
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OLD_REASONS = sa.Enum("time_expired", "violations", name="auto_submit_reason")
NEW_REASONS = sa.Enum("time_expired", "violations", "teacher", name="auto_submit_reason")
REVIEW_STATUSES = sa.Enum("not_reviewed", "clean", "suspicious", "violation_confirmed", name="review_status")
VIOLATION_ACTIONS = sa.Enum("auto_submit", "flag_only", name="violation_action")
DATETIME6 = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("violation_action", VIOLATION_ACTIONS, nullable=False,
                                      server_default="auto_submit"))
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.alter_column("auto_submit_reason", existing_type=OLD_REASONS, type_=NEW_REASONS,
                              existing_nullable=True)
        batch_op.add_column(sa.Column("violations_before_reopen", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("review_status", REVIEW_STATUSES, nullable=False,
                                      server_default="not_reviewed"))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", DATETIME6, nullable=True))
        batch_op.add_column(sa.Column("flagged_at", DATETIME6, nullable=True))
        batch_op.create_index(batch_op.f("ix_quiz_attempts_review_status"), ["review_status"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_quiz_attempts_reviewed_by_users"), "users", ["reviewed_by"],
                                    ["id"], ondelete="SET NULL")


def downgrade():
    attempts = sa.table("quiz_attempts", sa.column("auto_submit_reason"))
    teacher_closed = op.get_bind().scalar(
        sa.select(sa.func.count()).select_from(attempts).where(attempts.c.auto_submit_reason == "teacher"))
    if teacher_closed:
        raise click.ClickException(
            f"{teacher_closed} attempt(s) were closed by a teacher; the old schema cannot say so. "
            "Change their auto_submit_reason first.")
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_quiz_attempts_reviewed_by_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_quiz_attempts_review_status"))
        for column in ("flagged_at", "reviewed_at", "reviewed_by", "review_note", "review_status",
                       "violations_before_reopen"):
            batch_op.drop_column(column)
        batch_op.alter_column("auto_submit_reason", existing_type=NEW_REASONS, type_=OLD_REASONS,
                              existing_nullable=True)
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_column("violation_action")
