"""random draws per attempt: quizzes.question_pools, quiz_pool_questions, attempt_questions

A quiz's pools ([{count, topic, difficulty, type, question_ids}]) and each pool's
candidates; each attempt's drawn questions with their place in the attempt.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(mysql.JSON(), "mysql", "mariadb")


def upgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("question_pools", JSON, nullable=True))
    op.create_table(
        "quiz_pool_questions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("quiz_id", sa.String(length=36), nullable=False),
        sa.Column("question_id", sa.String(length=36), nullable=False),
        sa.Column("pool_index", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"],
                                name=op.f("fk_quiz_pool_questions_question_id_questions")),
        sa.ForeignKeyConstraint(["quiz_id"], ["quizzes.id"], name=op.f("fk_quiz_pool_questions_quiz_id_quizzes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_pool_questions")),
        sa.UniqueConstraint("quiz_id", "question_id", name="uq_quiz_pool_questions_quiz_question"),
    )
    with op.batch_alter_table("quiz_pool_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_pool_questions_question_id"), ["question_id"], unique=False)
    op.create_table(
        "attempt_questions",
        sa.Column("attempt_id", sa.String(length=36), nullable=False),
        sa.Column("question_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["quiz_attempts.id"],
                                name=op.f("fk_attempt_questions_attempt_id_quiz_attempts")),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"],
                                name=op.f("fk_attempt_questions_question_id_questions")),
        sa.PrimaryKeyConstraint("attempt_id", "question_id", name=op.f("pk_attempt_questions")),
    )
    with op.batch_alter_table("attempt_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempt_questions_question_id"), ["question_id"], unique=False)


def downgrade():
    # Their indexes go with them (MariaDB refuses to drop one a foreign key needs first).
    op.drop_table("attempt_questions")
    op.drop_table("quiz_pool_questions")
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_column("question_pools")
