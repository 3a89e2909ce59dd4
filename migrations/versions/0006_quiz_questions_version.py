"""quizzes.questions_version: the key of the cache of a quiz's shown questions

A counter every change to what a quiz shows moves (app.quizzes.shown). Existing
quizzes start at 1; the cache holds nothing across the upgrade that could disagree.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("questions_version", sa.Integer(), server_default="1", nullable=False))


def downgrade():
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_column("questions_version")
