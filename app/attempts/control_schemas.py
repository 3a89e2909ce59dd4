"""Bodies and answers of a teacher's live controls and of the integrity review."""
from marshmallow import Schema, fields, validate

from app.attempts.models import ATTEMPT_STATUSES, AUTO_SUBMIT_REASONS, REVIEW_STATUSES, SEVERITIES, VIOLATION_TYPES
from app.attempts.schemas import AttemptItemSchema, ClockSchema
from app.common.schemas import FREE_FORM, BaseSchema, DateTimeZ, UUIDString
from app.quizzes.models import VIOLATION_ACTIONS

# A day at most: beyond that it is a new sitting, not an extension.
MINUTES = validate.Range(min=1, max=1440)
REASON = validate.Length(min=1, max=2000)


# --- inputs -----------------------------------------------------------------------

class ExtendInSchema(BaseSchema):
    """Give an attempt in progress more time."""

    minutes = fields.Integer(required=True, strict=True, validate=MINUTES, metadata={
        "description": "Added to the deadline (to now when the deadline has already passed)."})
    reason = fields.String(required=True, validate=REASON, metadata={"description": "Kept in the audit log."})


class ForceSubmitInSchema(BaseSchema):
    """Close an attempt in progress now."""

    reason = fields.String(required=True, validate=REASON, metadata={"description": "Kept in the audit log."})


class ReopenInSchema(BaseSchema):
    """Put a closed attempt back in progress."""

    minutes = fields.Integer(required=True, strict=True, validate=MINUTES,
                             metadata={"description": "The new deadline, counted from now."})
    reason = fields.String(required=True, validate=REASON, metadata={"description": "Kept in the audit log."})


class QuizExtendInSchema(ExtendInSchema):
    """Extend the quiz's attempts in progress: all of them, or those of `student_ids`."""

    student_ids = fields.List(UUIDString(), validate=validate.Length(min=1, max=1000), metadata={
        "description": "Only these students' attempts; all attempts in progress when omitted."})


class ReviewInSchema(BaseSchema):
    """A person's verdict on an attempt's integrity."""

    review_status = fields.String(required=True, validate=validate.OneOf(REVIEW_STATUSES))
    note = fields.String(allow_none=True, validate=validate.Length(max=5000),
                         metadata={"description": "For staff only; never shown to the student."})


# --- outputs ----------------------------------------------------------------------

class ControlResultSchema(ClockSchema):
    """The attempt after a control: its state and its clock."""

    message = fields.String(required=True)
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    auto_submit_reason = fields.String(allow_none=True, validate=validate.OneOf(AUTO_SUBMIT_REASONS))
    submitted_at = DateTimeZ(allow_none=True)


class ExtendedAttemptSchema(Schema):
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    expires_at = DateTimeZ(required=True)


class QuizExtendResultSchema(Schema):
    """The attempts extended (students without an attempt in progress are passed over)."""

    message = fields.String(required=True)
    extended = fields.Integer(required=True)
    attempts = fields.List(fields.Nested(ExtendedAttemptSchema), required=True)


class TimelineEntrySchema(Schema):
    """One violation: when the server recorded it, and what the client reported."""

    id = fields.String(required=True)
    violation_type = fields.String(required=True, validate=validate.OneOf(VIOLATION_TYPES))
    severity = fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))
    detected_at = DateTimeZ(required=True, metadata={"description": "The server's time of the report."})
    question_index = fields.Integer(allow_none=True)
    client_event_id = fields.String(allow_none=True)
    client_details = fields.Dict(allow_none=True, attribute="details",
                                 metadata={"description": "The client's `metadata`, as sent.", **FREE_FORM})


class ReviewSchema(Schema):
    review_status = fields.String(required=True, validate=validate.OneOf(REVIEW_STATUSES))
    note = fields.String(allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = DateTimeZ(allow_none=True)


class IntegritySchema(Schema):
    """An attempt's violations and their review (the quiz's teachers and admins only)."""

    attempt_id = fields.String(required=True)
    quiz_id = fields.String(required=True)
    student_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    auto_submit_reason = fields.String(allow_none=True, validate=validate.OneOf(AUTO_SUBMIT_REASONS))
    violation_action = fields.String(required=True, validate=validate.OneOf(VIOLATION_ACTIONS))
    max_violations = fields.Integer(required=True)
    total_violations = fields.Integer(required=True)
    counts_by_type = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                                 metadata={"description": "Violation type → how many were counted."})
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    review_status = fields.String(required=True, validate=validate.OneOf(REVIEW_STATUSES))
    flagged_for_review = fields.Boolean(required=True)
    flagged_at = DateTimeZ(allow_none=True)
    review = fields.Nested(ReviewSchema, required=True)


class ReviewedAttemptItemSchema(AttemptItemSchema):
    """An attempt in a teacher's list, with its integrity review."""

    review_status = fields.String(required=True, validate=validate.OneOf(REVIEW_STATUSES))
    flagged_for_review = fields.Boolean(required=True)
    flagged_at = DateTimeZ(allow_none=True)


class CategorizedSchema(Schema):
    in_progress = fields.List(fields.Nested(ReviewedAttemptItemSchema))
    auto_submitted = fields.List(fields.Nested(ReviewedAttemptItemSchema))
    manual_submitted = fields.List(fields.Nested(ReviewedAttemptItemSchema))
    reset = fields.List(fields.Nested(ReviewedAttemptItemSchema))
    total = fields.Integer()
