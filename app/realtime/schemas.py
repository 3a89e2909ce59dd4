"""The shape of every Socket.IO payload: what the app emits is dumped through these, and
the AsyncAPI document (app.realtime.asyncapi) is generated from the same classes.

`SERVER_EVENTS` and `CLIENT_EVENTS` name, per namespace, each event's schema; an event
missing there cannot be emitted (push.dump refuses it), so the document lists them all.
"""
from marshmallow import Schema, fields, validate

from app.attempts.models import ATTEMPT_STATUSES, AUTO_SUBMIT_REASONS, SEVERITIES, VIOLATION_TYPES
from app.common.schemas import DateTimeZ, Decimal2
from app.notifications.schemas import NotificationSchema, UnreadCountSchema

MONITOR_NAMESPACE = "/quiz-monitor"
NOTIFICATIONS_NAMESPACE = "/notifications"

SOCKET_ERROR_CODES = (
    "SESSION_ENDED", "TOKEN_MISSING", "TOKEN_EXPIRED", "TOKEN_INVALID", "TOKEN_REVOKED", "UNAUTHORIZED",
    "FORBIDDEN", "NOT_FOUND", "VALIDATION_ERROR", "SERVICE_UNAVAILABLE",
)
CONTROL_ACTIONS = ("extended", "force_submitted", "reopened")
# A monitor's roster lists the quiz's whole classes: those who have not begun are `not_started`.
ROSTER_STATUSES = ("not_started", *ATTEMPT_STATUSES)


def _nullable_string(**kw):
    return fields.String(required=True, allow_none=True, **kw)


class SocketErrorSchema(Schema):
    """A refused action (`error`, a failed acknowledgement) or a refused connection (`connect_error`)."""
    message = fields.String(required=True)
    error_code = fields.String(required=True, validate=validate.OneOf(SOCKET_ERROR_CODES))


class ConnectAuthSchema(Schema):
    """The Socket.IO `auth` payload sent with the connection."""
    token = fields.String(required=True, metadata={"description": "An access token from `POST /api/auth/login`."})


class QuizIdSchema(Schema):
    quiz_id = fields.String(required=True)


class JoinQuizSchema(QuizIdSchema):
    token = fields.String(metadata={"description": "A fresh access token; keeps a monitor whose token expires."})


class JoinedSchema(QuizIdSchema):
    title = fields.String(required=True)


class QuizAckSchema(QuizIdSchema):
    success = fields.Boolean(required=True, validate=validate.Equal(True))


class SuccessAckSchema(Schema):
    success = fields.Boolean(required=True, validate=validate.Equal(True))


class RosterEntrySchema(Schema):
    """One student of the quiz's classes (or who attempted it), with their latest attempt."""
    id = fields.String(required=True)
    name = fields.String(required=True)
    registration_number = _nullable_string()
    attempt_id = _nullable_string()
    attempt_number = fields.Integer(required=True, allow_none=True)
    current_question = fields.Integer(required=True, metadata={
        "description": "1-based position in the attempt's order (seed 001 §5.11); 0 before the start."})
    current_question_index = fields.Integer(required=True, allow_none=True, metadata={
        "description": "0-based position in the attempt's order, as the attempt's REST views give it; "
                       "null before the start."})
    total_questions = fields.Integer(required=True)
    answered_count = fields.Integer(required=True)
    progress = fields.Integer(required=True, metadata={"description": "Percent of the questions answered."})
    violations = fields.Integer(required=True)
    time_elapsed_minutes = fields.Integer(required=True)
    time_remaining_seconds = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ROSTER_STATUSES))
    auto_submit_reason = _nullable_string(validate=validate.OneOf(AUTO_SUBMIT_REASONS))
    started_at = DateTimeZ(required=True, allow_none=True)
    submitted_at = DateTimeZ(required=True, allow_none=True)


class QuizStatusSchema(QuizIdSchema):
    server_time = DateTimeZ(required=True)
    active_attempts = fields.Integer(required=True)
    completed_attempts = fields.Integer(required=True)
    not_started_count = fields.Integer(required=True)
    students = fields.List(fields.Nested(RosterEntrySchema), required=True)


class AttemptStartedSchema(QuizIdSchema):
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    attempt_number = fields.Integer(required=True)
    total_questions = fields.Integer(required=True)
    started_at = DateTimeZ(required=True)
    expires_at = DateTimeZ(required=True)


class AnswerSavedSchema(QuizIdSchema):
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    question_id = fields.String(required=True)
    current_question = fields.Integer(required=True, metadata={"description": "1-based position."})
    current_question_index = fields.Integer(required=True, metadata={"description": "0-based position."})
    answered_count = fields.Integer(required=True)
    total_questions = fields.Integer(required=True)
    progress = fields.Integer(required=True)
    timestamp = DateTimeZ(required=True)


class ViolationEventSchema(QuizIdSchema):
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = fields.String(required=True)
    violation_id = _nullable_string()
    violation_type = fields.String(required=True, validate=validate.OneOf(VIOLATION_TYPES))
    severity = _nullable_string(validate=validate.OneOf(SEVERITIES))
    total_violations = fields.Integer(required=True)
    max_violations = fields.Integer(required=True, allow_none=True)
    auto_submitted = fields.Boolean(required=True)
    flagged_for_review = fields.Boolean(required=True)
    timestamp = DateTimeZ(required=True)


class AttemptSubmittedSchema(QuizIdSchema):
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    student_name = _nullable_string()
    submitted_at = DateTimeZ(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("graded", "pending")), metadata={
        "description": "Seed 001 §5.11: `pending` while answers wait for a teacher's marks."})
    attempt_status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    auto_submit_reason = _nullable_string(validate=validate.OneOf(AUTO_SUBMIT_REASONS))
    score = Decimal2(required=True, allow_none=True)
    total_marks = fields.Integer(required=True, allow_none=True)
    percentage = Decimal2(required=True, allow_none=True)


class StudentAttemptUpdatedSchema(QuizIdSchema):
    """A teacher's control as its student hears it: the new clock, never the reason."""
    attempt_id = fields.String(required=True)
    action = fields.String(required=True, validate=validate.OneOf(CONTROL_ACTIONS))
    status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    expires_at = DateTimeZ(required=True)
    server_time = DateTimeZ(required=True)
    time_remaining_seconds = fields.Integer(required=True)


class MonitorAttemptUpdatedSchema(StudentAttemptUpdatedSchema):
    student_id = fields.String(required=True)
    student_name = _nullable_string()
    actor_id = _nullable_string()
    reason = _nullable_string()


class HeartbeatSchema(Schema):
    status = fields.String(required=True, validate=validate.Equal("ok"))
    server_time = DateTimeZ(required=True)


class MarkReadSchema(Schema):
    notification_id = fields.String(required=True)


class MarkReadAckSchema(SuccessAckSchema):
    notification_id = fields.String(required=True)


class AnySchema(Schema):
    """Any payload, or none: the event's content is ignored."""

    class Meta:
        unknown = "include"


# namespace → event → the schema of what the server emits.
SERVER_EVENTS = {
    MONITOR_NAMESPACE: {
        "joined": JoinedSchema, "left": QuizIdSchema, "quiz_status": QuizStatusSchema,
        "attempt_started": AttemptStartedSchema, "answer_saved": AnswerSavedSchema,
        "violation": ViolationEventSchema, "attempt_updated": MonitorAttemptUpdatedSchema,
        "attempt_submitted": AttemptSubmittedSchema, "error": SocketErrorSchema,
    },
    NOTIFICATIONS_NAMESPACE: {
        "notification": NotificationSchema, "unread_count": UnreadCountSchema,
        "attempt_updated": StudentAttemptUpdatedSchema, "heartbeat": HeartbeatSchema, "error": SocketErrorSchema,
    },
}

# namespace → event → (what the client sends, what the acknowledgement carries on success).
# A refused action acknowledges with SocketErrorSchema, after an `error` event.
CLIENT_EVENTS = {
    MONITOR_NAMESPACE: {
        "join_quiz": (JoinQuizSchema, QuizAckSchema),
        "leave_quiz": (QuizIdSchema, QuizAckSchema),
        "start_monitoring": (AnySchema, SuccessAckSchema),
    },
    NOTIFICATIONS_NAMESPACE: {
        "mark_read": (MarkReadSchema, MarkReadAckSchema),
        "heartbeat": (AnySchema, HeartbeatSchema),
    },
}

_dumpers: dict = {}


def dump(namespace: str, event: str, data: dict) -> dict:
    """`data` as the event's schema emits it; an event without a schema is a bug."""
    schema_class = SERVER_EVENTS[namespace][event]
    return _schema(schema_class).dump(data)


def dump_ack(namespace: str, event: str, data: dict) -> dict:
    _incoming, ack = CLIENT_EVENTS[namespace][event]
    return _schema(ack).dump(data)


def _schema(schema_class):
    if schema_class not in _dumpers:
        _dumpers[schema_class] = schema_class()
    return _dumpers[schema_class]
