"""question types: multiple_select, numeric, matching, ordering, fill_in_blanks; fractional
and negative marks; regrade

questions: the new types in the type enum and their answer-key columns.
student_answers: `response` (the new types' answers) and `result` (per-part marking).
quiz_attempts: `answer_forms` (the response shape per question, fixed at start) and the
regrade's `score_before_regrade` / `regraded_at`.
quizzes: `negative_marking_percent` (0–100, default 0: no negative marking).

The downgrade refuses to run while a question of a new type exists: the old type
column cannot hold it.

Revision ID: 0007
Revises: 0006
"""
import click
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD_TYPES = ("mcq", "descriptive", "true_false", "short_answer")
NEW_TYPES = OLD_TYPES + ("multiple_select", "numeric", "matching", "ordering", "fill_in_blanks")
JSON = sa.JSON().with_variant(mysql.JSON(), "mysql", "mariadb")
DATETIME6 = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
QUESTION_COLUMNS = (
    ("correct_options", JSON), ("scoring", sa.String(length=20)), ("correct_value", sa.Double()),
    ("tolerance", sa.Double()), ("tolerance_type", sa.String(length=10)), ("accepted_values", JSON),
    ("pairs", JSON), ("distractors", JSON), ("items", JSON), ("blanks", JSON),
)


def upgrade():
    with op.batch_alter_table("questions", schema=None) as batch_op:
        batch_op.alter_column("type", existing_type=sa.Enum(*OLD_TYPES, name="question_type"),
                              type_=sa.Enum(*NEW_TYPES, name="question_type"), existing_nullable=False)
        for name, type_ in QUESTION_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("student_answers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response", JSON, nullable=True))
        batch_op.add_column(sa.Column("result", JSON, nullable=True))
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answer_forms", JSON, nullable=True))
        batch_op.add_column(sa.Column("score_before_regrade", sa.Numeric(precision=7, scale=2), nullable=True))
        batch_op.add_column(sa.Column("regraded_at", DATETIME6, nullable=True))
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("negative_marking_percent", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            batch_op.f("ck_quizzes_negative_marking_range"), "negative_marking_percent >= 0 AND negative_marking_percent <= 100")


def downgrade():
    questions = sa.table("questions", sa.column("type"))
    newer = op.get_bind().scalar(sa.select(sa.func.count()).select_from(questions)
                                 .where(questions.c.type.notin_(OLD_TYPES)))
    if newer:
        raise click.ClickException(f"{newer} question(s) have a type the old schema cannot hold; delete them first.")
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_quizzes_negative_marking_range"), type_="check")
        batch_op.drop_column("negative_marking_percent")
    with op.batch_alter_table("quiz_attempts", schema=None) as batch_op:
        for name in ("regraded_at", "score_before_regrade", "answer_forms"):
            batch_op.drop_column(name)
    with op.batch_alter_table("student_answers", schema=None) as batch_op:
        batch_op.drop_column("result")
        batch_op.drop_column("response")
    with op.batch_alter_table("questions", schema=None) as batch_op:
        for name, _type in reversed(QUESTION_COLUMNS):
            batch_op.drop_column(name)
        batch_op.alter_column("type", existing_type=sa.Enum(*NEW_TYPES, name="question_type"),
                              type_=sa.Enum(*OLD_TYPES, name="question_type"), existing_nullable=False)
