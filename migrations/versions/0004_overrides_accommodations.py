"""quiz_overrides, student_accommodations and quizzes.access_code_required

Per-student and per-class settings for a quiz (window, time limit, attempts, access
code), and a student's extra-time accommodation. Neither holds student work: both go
with the quiz, student or class they belong to.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('quiz_overrides',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('quiz_id', sa.String(length=36), nullable=False),
    sa.Column('student_id', sa.String(length=36), nullable=True),
    sa.Column('class_id', sa.String(length=36), nullable=True),
    sa.Column('start_date', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('end_date', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=True),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('access_code_required', sa.Boolean(), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.CheckConstraint('(student_id IS NULL AND class_id IS NOT NULL) OR (student_id IS NOT NULL AND class_id IS NULL)', name=op.f('ck_quiz_overrides_one_target')),
    sa.CheckConstraint('max_attempts IS NULL OR max_attempts > 0', name=op.f('ck_quiz_overrides_max_attempts_positive')),
    sa.CheckConstraint('time_limit_minutes IS NULL OR time_limit_minutes > 0', name=op.f('ck_quiz_overrides_time_limit_positive')),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_quiz_overrides_class_id_classes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_quiz_overrides_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_overrides_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_quiz_overrides_student_id_students'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_overrides')),
    sa.UniqueConstraint('quiz_id', 'class_id', name='uq_quiz_overrides_quiz_class'),
    sa.UniqueConstraint('quiz_id', 'student_id', name='uq_quiz_overrides_quiz_student')
    )
    with op.batch_alter_table('quiz_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_overrides_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_overrides_student_id'), ['student_id'], unique=False)

    op.create_table('student_accommodations',
    sa.Column('student_id', sa.String(length=36), nullable=False),
    sa.Column('extra_time_percent', sa.Integer(), nullable=False),
    sa.Column('extra_time_minutes', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=36), nullable=True),
    sa.Column('updated_at', sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mariadb').with_variant(mysql.DATETIME(fsp=6), 'mysql'), nullable=False),
    sa.CheckConstraint('extra_time_minutes >= 0', name=op.f('ck_student_accommodations_minutes_not_negative')),
    sa.CheckConstraint('extra_time_percent >= 0 AND extra_time_percent <= 400', name=op.f('ck_student_accommodations_percent_range')),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_student_accommodations_student_id_students'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_student_accommodations_updated_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('student_id', name=op.f('pk_student_accommodations'))
    )
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_code_required', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('access_code_required')

    op.drop_table('student_accommodations')
    # Dropping the table drops its indexes; MySQL refuses to drop an index a foreign key uses.
    op.drop_table('quiz_overrides')
