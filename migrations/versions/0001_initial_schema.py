"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 15:51:21.449930

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# DATETIME(6) on MySQL/MariaDB for sub-second timing; plain types elsewhere.
DATETIME6 = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql', 'mariadb')
JSON = sa.JSON().with_variant(mysql.JSON(), 'mysql', 'mariadb')


def upgrade():
    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.Enum('admin', 'teacher', 'student', name='user_role'), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_email_verified', sa.Boolean(), nullable=False),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('updated_at', DATETIME6, nullable=False),
    sa.Column('last_login', DATETIME6, nullable=True),
    sa.Column('deleted_at', DATETIME6, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('audit_logs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('entity_type', sa.String(length=50), nullable=True),
    sa.Column('entity_id', sa.String(length=36), nullable=True),
    sa.Column('old_value', JSON, nullable=True),
    sa.Column('new_value', JSON, nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_logs_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_logs'))
    )
    with op.batch_alter_table('audit_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_logs_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_logs_user_id'), ['user_id'], unique=False)

    op.create_table('classes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('section', sa.String(length=50), nullable=True),
    sa.Column('academic_year', sa.String(length=20), nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('updated_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_classes_created_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_classes')),
    sa.UniqueConstraint('name', 'section', 'academic_year', name='uq_classes_unique_class')
    )
    with op.batch_alter_table('classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_classes_name'), ['name'], unique=False)

    op.create_table('notification_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('entity_type', sa.String(length=50), nullable=False),
    sa.Column('entity_id', sa.String(length=36), nullable=False),
    sa.Column('triggered_by', sa.String(length=36), nullable=True),
    sa.Column('recipients', JSON, nullable=False),
    sa.Column('notification_template', sa.String(length=100), nullable=False),
    sa.Column('metadata', JSON, nullable=True),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('processed', sa.Boolean(), nullable=False),
    sa.Column('processed_at', DATETIME6, nullable=True),
    sa.Column('dedupe_key', sa.String(length=191), nullable=True),
    sa.Column('email_required', sa.Boolean(), nullable=False),
    sa.Column('email_sent_at', DATETIME6, nullable=True),
    sa.Column('email_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', DATETIME6, nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['triggered_by'], ['users.id'], name=op.f('fk_notification_events_triggered_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_events')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_events_dedupe_key'))
    )
    with op.batch_alter_table('notification_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_events_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_events_event_type'), ['event_type'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_events_processed'), ['processed'], unique=False)

    op.create_table('password_reset_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('code_hash', sa.String(length=128), nullable=False),
    sa.Column('expires_at', DATETIME6, nullable=False),
    sa.Column('is_used', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_reset_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_tokens'))
    )
    with op.batch_alter_table('password_reset_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('type', sa.Enum('mcq', 'descriptive', 'true_false', 'short_answer', name='question_type'), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=True),
    sa.Column('difficulty', sa.Enum('easy', 'medium', 'hard', name='question_difficulty'), nullable=True),
    sa.Column('marks', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('updated_at', DATETIME6, nullable=False),
    sa.Column('options', JSON, nullable=True),
    sa.Column('correct_answer', sa.Integer(), nullable=True),
    sa.Column('accepted_answers', JSON, nullable=True),
    sa.Column('sample_answer', sa.Text(), nullable=True),
    sa.Column('marking_rubric', sa.Text(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.CheckConstraint('marks > 0', name=op.f('ck_questions_marks_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_questions_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_difficulty'), ['difficulty'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_is_archived'), ['is_archived'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_topic'), ['topic'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_type'), ['type'], unique=False)

    op.create_table('quizzes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('access_code', sa.String(length=20), nullable=False),
    sa.Column('time_limit_minutes', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'archived', name='quiz_status'), nullable=False),
    sa.Column('start_date', DATETIME6, nullable=True),
    sa.Column('end_date', DATETIME6, nullable=True),
    sa.Column('created_by', sa.String(length=36), nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('updated_at', DATETIME6, nullable=False),
    sa.Column('published_at', DATETIME6, nullable=True),
    sa.Column('passing_percentage', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('max_violations', sa.Integer(), nullable=False),
    sa.Column('show_answers_after_submission', sa.Boolean(), nullable=False),
    sa.Column('randomize_questions', sa.Boolean(), nullable=False),
    sa.Column('randomize_options', sa.Boolean(), nullable=False),
    sa.Column('allow_review', sa.Boolean(), nullable=False),
    sa.CheckConstraint('max_attempts > 0', name=op.f('ck_quizzes_max_attempts_positive')),
    sa.CheckConstraint('max_violations > 0', name=op.f('ck_quizzes_max_violations_positive')),
    sa.CheckConstraint('passing_percentage >= 0 AND passing_percentage <= 100', name=op.f('ck_quizzes_passing_range')),
    sa.CheckConstraint('time_limit_minutes > 0', name=op.f('ck_quizzes_time_limit_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_quizzes_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizzes')),
    sa.UniqueConstraint('access_code', name=op.f('uq_quizzes_access_code'))
    )
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quizzes_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_quizzes_status'), ['status'], unique=False)

    op.create_table('refresh_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('expires_at', DATETIME6, nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('revoked_at', DATETIME6, nullable=True),
    sa.Column('is_revoked', sa.Boolean(), nullable=False),
    sa.Column('replaced_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('jti', name=op.f('uq_refresh_tokens_jti'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('teachers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('department', sa.String(length=100), nullable=True),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['id'], ['users.id'], name=op.f('fk_teachers_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teachers'))
    )
    with op.batch_alter_table('teachers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teachers_subject'), ['subject'], unique=False)

    op.create_table('token_blocklist',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('token_type', sa.String(length=10), nullable=False),
    sa.Column('expires_at', DATETIME6, nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_token_blocklist_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_token_blocklist')),
    sa.UniqueConstraint('jti', name=op.f('uq_token_blocklist_jti'))
    )
    with op.batch_alter_table('token_blocklist', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_token_blocklist_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_token_blocklist_user_id'), ['user_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=50), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=True),
    sa.Column('is_read', sa.Boolean(), nullable=False),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.Column('read_at', DATETIME6, nullable=True),
    sa.Column('priority', sa.Enum('low', 'medium', 'high', name='notification_priority'), nullable=False),
    sa.Column('category', sa.Enum('quiz', 'grade', 'system', 'attempt_reset', 'violation', name='notification_category'), nullable=False),
    sa.Column('action_url', sa.String(length=500), nullable=True),
    sa.Column('expires_at', DATETIME6, nullable=True),
    sa.Column('metadata', JSON, nullable=True),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['notification_events.id'], name=op.f('fk_notifications_event_id_notification_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_is_read'), ['is_read'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_priority'), ['priority'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_notifications_user_unread', ['user_id', 'is_read'], unique=False)

    op.create_table('quiz_classes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('quiz_id', sa.String(length=36), nullable=False),
    sa.Column('class_id', sa.String(length=36), nullable=False),
    sa.Column('assigned_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_quiz_classes_class_id_classes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_classes_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_classes')),
    sa.UniqueConstraint('quiz_id', 'class_id', name='uq_quiz_classes_unique_quiz_class')
    )
    with op.batch_alter_table('quiz_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_classes_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_classes_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('quiz_questions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('quiz_id', sa.String(length=36), nullable=False),
    sa.Column('question_id', sa.String(length=36), nullable=False),
    sa.Column('order_index', sa.Integer(), nullable=False),
    sa.Column('marks_override', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_quiz_questions_question_id_questions')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_questions_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_questions')),
    sa.UniqueConstraint('quiz_id', 'order_index', name='uq_quiz_questions_unique_quiz_order'),
    sa.UniqueConstraint('quiz_id', 'question_id', name='uq_quiz_questions_unique_quiz_question')
    )
    with op.batch_alter_table('quiz_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_questions_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_questions_quiz_id'), ['quiz_id'], unique=False)

    op.create_table('students',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('registration_number', sa.String(length=50), nullable=False),
    sa.Column('registration_key', sa.String(length=50), nullable=False),
    sa.Column('class_id', sa.String(length=36), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('parent_email', sa.String(length=255), nullable=True),
    sa.Column('parent_phone', sa.String(length=20), nullable=True),
    sa.Column('is_account_claimed', sa.Boolean(), nullable=False),
    sa.Column('claimed_at', DATETIME6, nullable=True),
    sa.Column('claim_code_hash', sa.String(length=128), nullable=True),
    sa.Column('claim_code_created_at', DATETIME6, nullable=True),
    sa.Column('created_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_students_class_id_classes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['id'], ['users.id'], name=op.f('fk_students_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_students')),
    sa.UniqueConstraint('registration_key', name=op.f('uq_students_registration_key')),
    sa.UniqueConstraint('registration_number', name=op.f('uq_students_registration_number'))
    )
    with op.batch_alter_table('students', schema=None) as batch_op:
        batch_op.create_index('ix_students_claimed', ['is_account_claimed'], unique=False)
        batch_op.create_index(batch_op.f('ix_students_class_id'), ['class_id'], unique=False)

    op.create_table('teacher_classes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('teacher_id', sa.String(length=36), nullable=False),
    sa.Column('class_id', sa.String(length=36), nullable=False),
    sa.Column('assigned_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['classes.id'], name=op.f('fk_teacher_classes_class_id_classes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['teacher_id'], ['teachers.id'], name=op.f('fk_teacher_classes_teacher_id_teachers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teacher_classes')),
    sa.UniqueConstraint('teacher_id', 'class_id', name='uq_teacher_classes_unique_teacher_class')
    )
    with op.batch_alter_table('teacher_classes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teacher_classes_class_id'), ['class_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_teacher_classes_teacher_id'), ['teacher_id'], unique=False)

    op.create_table('quiz_attempts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('quiz_id', sa.String(length=36), nullable=False),
    sa.Column('student_id', sa.String(length=36), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('in_progress_key', sa.String(length=80), nullable=True),
    sa.Column('started_at', DATETIME6, nullable=False),
    sa.Column('deadline_at', DATETIME6, nullable=False),
    sa.Column('submitted_at', DATETIME6, nullable=True),
    sa.Column('status', sa.Enum('in_progress', 'submitted', 'graded', 'auto_submitted', name='attempt_status'), nullable=False),
    sa.Column('auto_submit_reason', sa.Enum('time_expired', 'violations', name='auto_submit_reason'), nullable=True),
    sa.Column('score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('total_marks', sa.Integer(), nullable=True),
    sa.Column('percentage', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('total_violations', sa.Integer(), nullable=False),
    sa.Column('auto_submitted_due_to_violations', sa.Boolean(), nullable=False),
    sa.Column('question_order', JSON, nullable=False),
    sa.Column('option_order', JSON, nullable=True),
    sa.Column('current_question_index', sa.Integer(), nullable=True),
    sa.Column('last_activity_at', DATETIME6, nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('is_reset', sa.Boolean(), nullable=False),
    sa.Column('reset_by', sa.String(length=36), nullable=True),
    sa.Column('reset_at', DATETIME6, nullable=True),
    sa.Column('reset_reason', sa.Text(), nullable=True),
    sa.Column('original_max_attempts', sa.Integer(), nullable=True),
    sa.Column('additional_attempts_granted', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_attempts_quiz_id_quizzes')),
    sa.ForeignKeyConstraint(['reset_by'], ['users.id'], name=op.f('fk_quiz_attempts_reset_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_quiz_attempts_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts')),
    sa.UniqueConstraint('in_progress_key', name=op.f('uq_quiz_attempts_in_progress_key')),
    sa.UniqueConstraint('quiz_id', 'student_id', 'attempt_number', name='uq_quiz_attempts_unique_attempt')
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempts_quiz_id'), ['quiz_id'], unique=False)
        batch_op.create_index('ix_quiz_attempts_reset', ['is_reset', 'reset_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempts_status'), ['status'], unique=False)
        batch_op.create_index('ix_quiz_attempts_status_deadline', ['status', 'deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempts_student_id'), ['student_id'], unique=False)

    op.create_table('attempt_history',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('attempt_id', sa.String(length=36), nullable=True),
    sa.Column('quiz_id', sa.String(length=36), nullable=False),
    sa.Column('student_id', sa.String(length=36), nullable=False),
    sa.Column('attempt_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'submitted', 'graded', 'auto_submitted', name='attempt_history_status'), nullable=False),
    sa.Column('score', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('total_marks', sa.Integer(), nullable=True),
    sa.Column('percentage', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('total_violations', sa.Integer(), nullable=False),
    sa.Column('auto_submitted_due_to_violations', sa.Boolean(), nullable=False),
    sa.Column('started_at', DATETIME6, nullable=False),
    sa.Column('submitted_at', DATETIME6, nullable=True),
    sa.Column('archived_at', DATETIME6, nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('reset_by', sa.String(length=36), nullable=True),
    sa.Column('reset_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_attempt_history_attempt_id_quiz_attempts')),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_attempt_history_quiz_id_quizzes')),
    sa.ForeignKeyConstraint(['reset_by'], ['users.id'], name=op.f('fk_attempt_history_reset_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], name=op.f('fk_attempt_history_student_id_students')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_history'))
    )
    with op.batch_alter_table('attempt_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_history_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_history_is_active'), ['is_active'], unique=False)
        batch_op.create_index('ix_attempt_history_quiz_student', ['quiz_id', 'student_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_history_status'), ['status'], unique=False)

    op.create_table('student_answers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('attempt_id', sa.String(length=36), nullable=False),
    sa.Column('question_id', sa.String(length=36), nullable=False),
    sa.Column('answer_text', sa.Text(), nullable=True),
    sa.Column('answer_option', sa.Integer(), nullable=True),
    sa.Column('is_correct', sa.Boolean(), nullable=True),
    sa.Column('marks_awarded', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.Column('graded_by', sa.String(length=36), nullable=True),
    sa.Column('graded_at', DATETIME6, nullable=True),
    sa.Column('is_final', sa.Boolean(), nullable=False),
    sa.Column('answered_at', DATETIME6, nullable=False),
    sa.Column('updated_at', DATETIME6, nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_student_answers_attempt_id_quiz_attempts')),
    sa.ForeignKeyConstraint(['graded_by'], ['users.id'], name=op.f('fk_student_answers_graded_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_student_answers_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_student_answers')),
    sa.UniqueConstraint('attempt_id', 'question_id', name='uq_student_answers_attempt_question')
    )
    with op.batch_alter_table('student_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_answers_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_student_answers_question_id'), ['question_id'], unique=False)

    op.create_table('violations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('attempt_id', sa.String(length=36), nullable=False),
    sa.Column('violation_type', sa.Enum('tab_switch', 'fullscreen_exit', 'copy_attempt', 'paste_attempt', 'right_click', 'focus_lost', 'multiple_windows', name='violation_type'), nullable=False),
    sa.Column('detected_at', DATETIME6, nullable=False),
    sa.Column('question_index', sa.Integer(), nullable=True),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', name='violation_severity'), nullable=True),
    sa.Column('metadata', JSON, nullable=True),
    sa.Column('client_event_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_violations_attempt_id_quiz_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_violations')),
    sa.UniqueConstraint('attempt_id', 'client_event_id', name='uq_violations_attempt_client_event')
    )
    with op.batch_alter_table('violations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_violations_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_violations_violation_type'), ['violation_type'], unique=False)



def downgrade():
    # Tables in reverse order of creation; dropping a table drops its indexes
    # (MySQL refuses to drop an index a foreign key still needs).
    op.drop_table('violations')
    op.drop_table('student_answers')
    op.drop_table('attempt_history')
    op.drop_table('quiz_attempts')
    op.drop_table('teacher_classes')
    op.drop_table('students')
    op.drop_table('quiz_questions')
    op.drop_table('quiz_classes')
    op.drop_table('notifications')
    op.drop_table('token_blocklist')
    op.drop_table('teachers')
    op.drop_table('refresh_tokens')
    op.drop_table('quizzes')
    op.drop_table('questions')
    op.drop_table('password_reset_tokens')
    op.drop_table('notification_events')
    op.drop_table('classes')
    op.drop_table('audit_logs')
    op.drop_table('users')
