"""question_media: the images questions show

One row per image a question's HTML refers to as `@@PLUGINFILE@@/<filename>`; the
bytes live in the media store (local directory or S3), not in the database. No
student work is held here.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mariadb").with_variant(mysql.DATETIME(fsp=6), "mysql")
MEDIA_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def upgrade():
    op.create_table(
        "question_media",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("question_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=255).with_variant(
            mysql.VARCHAR(length=255, collation="utf8mb4_bin"), "mysql", "mariadb"), nullable=False),
        sa.Column("content_type", sa.Enum(*MEDIA_TYPES, name="question_media_type"), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_question_media_created_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], name=op.f("fk_question_media_question_id_questions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_media")),
        sa.UniqueConstraint("question_id", "filename", name="uq_question_media_name"),
        sa.UniqueConstraint("storage_key", name=op.f("uq_question_media_storage_key")),
    )
    with op.batch_alter_table("question_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_question_media_question_id"), ["question_id"], unique=False)


def downgrade():
    with op.batch_alter_table("question_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_media_question_id"))
    op.drop_table("question_media")
