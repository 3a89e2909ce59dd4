"""student_answers: drop the index on attempt_id alone

The unique key uq_student_answers_attempt_question (attempt_id, question_id) already
serves every lookup by attempt and the foreign key; the second index only cost a write
on every new answer.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("student_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_student_answers_attempt_id"))


def downgrade():
    with op.batch_alter_table("student_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_student_answers_attempt_id"), ["attempt_id"], unique=False)
