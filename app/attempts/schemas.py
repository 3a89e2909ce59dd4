"""Attempt inputs and representations. Output schemas name every field a reader may get;
the dicts built in queries.py decide which of them a given reader does get."""
from marshmallow import Schema, fields, validate

from app.attempts.models import ATTEMPT_STATUSES, AUTO_SUBMIT_REASONS, SEVERITIES, VIOLATION_TYPES
from app.common.pagination import PageQuerySchema, time_window_schema
from app.common.predumped import PreDumpedList
from app.common.schemas import FREE_FORM, OPTIONAL, BaseSchema, DateTimeZ, Decimal2, deprecated
from app.questions.models import QUESTION_TYPES
from app.questions.schemas import AcceptedAnswers, OptionSchema
from app.quizzes.schemas import EffectiveValuesSchema

# The `response` of each type (app.attempts.responses), for the OpenAPI document: an
# `anyOf`, not a `oneOf`, since several types answer with a list of indexes (one list
# can fit three shapes); the question's `type` says which shape applies.
RESPONSE_SHAPES = [
    {"title": "multiple_select", "type": "array", "items": {"type": "integer", "minimum": 0},
     "description": "The chosen option indexes"},
    {"title": "numeric", "type": "number"},
    {"title": "matching", "type": "array", "items": {"type": "integer", "minimum": 0, "nullable": True},
     "description": "Per prompt in order, the index of its match on the page"},
    {"title": "ordering", "type": "array", "items": {"type": "integer", "minimum": 0},
     "description": "The items' indexes on the page, in the student's order"},
    {"title": "fill_in_blanks", "type": "array",
     "items": {"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 0}], "nullable": True},
     "description": "Per gap, a text or a drop-down option index"},
]


class ClockSchema(Schema):
    server_time = DateTimeZ(required=True)
    expires_at = DateTimeZ(required=True)
    time_remaining_seconds = fields.Integer(required=True)


# --- inputs -----------------------------------------------------------------------

class StartInSchema(BaseSchema):
    access_code = fields.String(validate=validate.Length(max=20), metadata={
        "description": "The quiz's access code, needed when `effective_access_code_required` is true"})


class AnswerInSchema(BaseSchema):
    question_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    answer_option = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=1000))
    answer_text = fields.String(allow_none=True)
    response = fields.Raw(allow_none=True, metadata={"description": (
        "The answer of a multiple_select, numeric, matching, ordering or fill_in_blanks question; "
        "its shape follows the type (docs/api/question-types.md)"), "anyOf": RESPONSE_SHAPES})
    question_index = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000))


class AnswerBatchSchema(BaseSchema):
    answers = fields.List(fields.Nested(AnswerInSchema), required=True,
                          validate=validate.Length(min=1, max=500))


class SubmitInSchema(BaseSchema):
    """Submit takes no fields: a body naming any (`score`, `status`…) is refused, not ignored."""


class ViolationInSchema(BaseSchema):
    violation_type = fields.String(required=True, validate=validate.OneOf(VIOLATION_TYPES))
    severity = fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))
    question_index = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100_000))
    client_event_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=64))
    metadata = fields.Dict(allow_none=True, metadata={
        "description": "Anything the client wants kept with the report (a free-form JSON object).", **FREE_FORM})


class AttemptListQuerySchema(PageQuerySchema, time_window_schema("created", "submitted")):
    """`created_*` is when the attempt was started (`started_at`), `submitted_*` when it closed."""

    quiz_id = fields.String(validate=validate.Length(max=36))
    student_id = fields.String(validate=validate.Length(max=36))
    status = fields.String(validate=validate.OneOf(ATTEMPT_STATUSES))


class ResetInSchema(BaseSchema):
    student_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    quiz_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    additional_attempts = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class HistoryQuerySchema(BaseSchema):
    quiz_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    student_id = fields.String(validate=validate.Length(min=1, max=36))


class AvailableQuerySchema(BaseSchema):
    quiz_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


# --- outputs ----------------------------------------------------------------------

class GapSchema(Schema):
    index = fields.Integer(required=True, metadata={"description": "The gap's number in the text, from 1"})
    options = fields.List(fields.Nested(OptionSchema), metadata={**OPTIONAL, "description": (
        "A drop-down gap's choices; absent for a gap the student types into")})


class StudentQuestionSchema(Schema):
    id = fields.String(required=True)
    question_index = fields.Integer(required=True)
    text = fields.String(required=True)
    type = fields.String(required=True, metadata={"enum": list(QUESTION_TYPES)})
    marks = fields.Integer(required=True)
    options = fields.List(fields.Nested(OptionSchema), allow_none=True, metadata={
        "description": "Choices; for matching the matches, for ordering the items, numbered by position"})
    prompts = fields.List(fields.String(), metadata={**OPTIONAL, "description": "matching only: the prompts, in order"})
    gaps = fields.List(fields.Nested(GapSchema), metadata={
        **OPTIONAL, "description": "fill_in_blanks only: one per gap"})


class QuizSummarySchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    subject = fields.String()
    description = fields.String(allow_none=True)
    time_limit_minutes = fields.Integer()
    passing_percentage = fields.Integer()
    max_attempts = fields.Integer()
    max_violations = fields.Integer()
    allow_review = fields.Boolean()
    show_answers_after_submission = fields.Boolean()
    start_date = DateTimeZ(allow_none=True)
    end_date = DateTimeZ(allow_none=True)
    question_count = fields.Integer(metadata={"optional": True})
    total_marks = fields.Integer(metadata={"optional": True})
    negative_marking_percent = fields.Integer(metadata={
        "description": "The share of a question's marks a wrong answer costs (0: none)"})


class SavedAnswerSchema(Schema):
    question_id = fields.String(required=True)
    answer_option = fields.Integer(allow_none=True)
    answer_text = fields.String(allow_none=True)
    response = fields.Raw(allow_none=True, metadata={"anyOf": RESPONSE_SHAPES})
    updated_at = DateTimeZ()


class StartSchema(ClockSchema, EffectiveValuesSchema):
    attempt_id = fields.String(required=True)
    attempt_number = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(ATTEMPT_STATUSES)})
    started_at = DateTimeZ(required=True)
    quiz = fields.Nested(QuizSummarySchema, required=True)
    # Built by app.attempts.queries.student_question in their dumped form (app.common.predumped).
    questions = PreDumpedList(fields.Nested(StudentQuestionSchema), required=True)
    answers = fields.List(fields.Nested(SavedAnswerSchema))
    current_question_index = fields.Integer(allow_none=True)
    total_violations = fields.Integer()


class SaveResultSchema(ClockSchema):
    message = fields.String(required=True)
    question_id = fields.String()
    saved = fields.Integer()
    current_question_index = fields.Integer(required=True, metadata={
        "description": "The current question after the save (0-based), as the attempt's views and the live "
                       "monitor define it (app.attempts.progress)."})
    question_index = fields.Integer(allow_none=True, metadata={
        "deprecated": True, "description": "Deprecated alias of `current_question_index`, for one release."})
    answered_count = fields.Integer()
    question_count = fields.Integer()


class SubmitResultSchema(ClockSchema):
    message = fields.String(required=True)
    attempt_id = fields.String(required=True)
    # Seed 001 names the marking state `status` here; the attempt's own state, in the
    # vocabulary of every other `status` of an attempt, is `attempt_status`.
    status = fields.String(required=True, validate=validate.OneOf(("graded", "pending")), metadata={
        "description": "The marking: graded, or pending while descriptive answers wait for a teacher "
                       "(not the attempt's state: see attempt_status)"})
    attempt_status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES), metadata={
        "description": "The attempt's state: submitted while answers wait for marks, else graded"})
    auto_submit_reason = fields.String(allow_none=True, metadata={"enum": list(AUTO_SUBMIT_REASONS)})
    score = Decimal2(allow_none=True)
    total_marks = fields.Integer(allow_none=True)
    percentage = Decimal2(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    pending_manual_grading = fields.Integer()
    submitted_at = DateTimeZ(allow_none=True)


class ViolationResultSchema(ClockSchema):
    message = fields.String(required=True)
    violation_id = fields.String(required=True)
    duplicate = fields.Boolean()
    total_violations = fields.Integer(required=True)
    max_violations = fields.Integer(required=True)
    remaining = fields.Integer(required=True)
    auto_submit = fields.Boolean(required=True)
    auto_submitted = fields.Boolean(required=True)
    status = fields.String(required=True, metadata={"enum": list(ATTEMPT_STATUSES)})


class QuizRefSchema(Schema):
    id = fields.String(required=True)
    title = fields.String()
    subject = fields.String()


class StudentRefSchema(Schema):
    id = fields.String(required=True)
    name = fields.String()
    registration_number = fields.String()


class AttemptItemSchema(ClockSchema):
    id = fields.String(required=True)
    quiz = fields.Nested(QuizRefSchema)
    student = fields.Nested(StudentRefSchema)
    attempt_number = fields.Integer()
    status = fields.String(metadata={"enum": list(ATTEMPT_STATUSES)})
    auto_submit_reason = fields.String(allow_none=True, metadata={"enum": list(AUTO_SUBMIT_REASONS)})
    auto_submitted_due_to_violations = fields.Boolean()
    score = Decimal2(allow_none=True)
    total_marks = fields.Integer(allow_none=True)
    percentage = Decimal2(allow_none=True)
    percentage_provisional = fields.Boolean(metadata={
        "description": "Answers still wait for a teacher's marks: score, percentage and passed may change"})
    passed = fields.Boolean(allow_none=True)
    total_violations = fields.Integer()
    started_at = DateTimeZ()
    submitted_at = DateTimeZ(allow_none=True)
    is_reset = fields.Boolean()


class ViolationSchema(Schema):
    id = fields.String()
    violation_type = fields.String(validate=validate.OneOf(VIOLATION_TYPES))
    type = fields.Function(lambda v: v.violation_type,
                           metadata={"type": "string", "enum": list(VIOLATION_TYPES), **deprecated("violation_type")})
    severity = fields.String(allow_none=True, metadata={"enum": list(SEVERITIES)})
    question_index = fields.Integer(allow_none=True)
    detected_at = DateTimeZ()


class AnswerEntrySchema(Schema):
    question = fields.Nested(StudentQuestionSchema)
    answer_option = fields.Integer(allow_none=True)
    answer_text = fields.String(allow_none=True)
    response = fields.Raw(allow_none=True, metadata={"anyOf": RESPONSE_SHAPES})
    answered_at = DateTimeZ(allow_none=True)
    marks_awarded = Decimal2(allow_none=True)
    is_correct = fields.Boolean(allow_none=True)
    result = fields.Dict(allow_none=True, metadata={
        **FREE_FORM,
        "description": "Per part: which choices, pairs, items or gaps were right (docs/api/question-types.md)"})
    feedback = fields.String(allow_none=True)
    # The answer key: only where the reader may see it (staff, or a student once the
    # quiz's review settings allow).
    correct_answer = fields.Integer(allow_none=True, metadata={"optional": True})
    accepted_answers = AcceptedAnswers(allow_none=True, metadata=OPTIONAL)
    answer_key = fields.Dict(allow_none=True, metadata={
        "optional": True, **FREE_FORM,
        "description": "The later types' key fields (correct_options, correct_value, pairs, items, blanks…)"})
    sample_answer = fields.String(allow_none=True, metadata={"optional": True})
    marking_rubric = fields.String(allow_none=True, metadata={"optional": True})


class AttemptDetailSchema(AttemptItemSchema):
    quiz = fields.Nested(QuizSummarySchema)
    review_available = fields.Boolean()
    current_question_index = fields.Integer(allow_none=True)
    last_activity_at = DateTimeZ(allow_none=True)
    answers = fields.List(fields.Nested(AnswerEntrySchema))
    violations = fields.List(fields.Nested(ViolationSchema))
    questions = fields.List(fields.Nested(StudentQuestionSchema), metadata={
        "optional": True, "description": "The questions, in this attempt's order, while it is in progress."})


class ResetResultSchema(Schema):
    success = fields.Boolean(required=True)
    message = fields.String(required=True)
    new_max_attempts = fields.Integer(required=True)
    archived_attempts = fields.Integer(required=True)
    remaining_attempts = fields.Integer(required=True)


class HistoryItemSchema(Schema):
    id = fields.String()
    attempt_id = fields.String(allow_none=True)
    attempt_number = fields.Integer()
    status = fields.String(metadata={"enum": list(ATTEMPT_STATUSES)})
    score = Decimal2(allow_none=True)
    total_marks = fields.Integer(allow_none=True)
    percentage = Decimal2(allow_none=True)
    total_violations = fields.Integer()
    auto_submitted_due_to_violations = fields.Boolean()
    started_at = DateTimeZ()
    submitted_at = DateTimeZ(allow_none=True)
    archived_at = DateTimeZ()
    is_active = fields.Boolean()
    reset_by = fields.String(allow_none=True)
    reset_reason = fields.String(allow_none=True)


class HistorySchema(Schema):
    current_attempts = fields.List(fields.Nested(AttemptItemSchema))
    archived_attempts = fields.List(fields.Nested(HistoryItemSchema))
    total_current = fields.Integer()
    total_archived = fields.Integer()


class AvailableSchema(EffectiveValuesSchema):
    quiz_id = fields.String()
    remaining_attempts = fields.Integer(required=True)
    max_attempts = fields.Integer(required=True, metadata={
        "deprecated": True,
        "description": "Deprecated (seed 000's meaning here: the student's allowance, "
                       "`effective_max_attempts + additional_granted`); everywhere else `max_attempts` is the "
                       "quiz's own setting. Removed from this response in the next release."})
    used_attempts = fields.Integer(required=True)
    additional_granted = fields.Integer(required=True)
    in_progress_attempt_id = fields.String(allow_none=True)
