"""Quiz representations per role, and the quiz-authoring inputs.

Teachers and admins get `QuizSchema` / `QuizDetailSchema` (answer keys included in
the detail). Students get `StudentQuizSchema`, a separate schema that has no
question list and no answer-key field at all: the questions reach a student only
through starting an attempt.
"""
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from app.attempts.models import ATTEMPT_STATUSES
from app.classes.schemas import ClassRefSchema
from app.common.schemas import BaseSchema, DateTimeZ, Decimal2, UUIDString, deprecated, require_non_blank
from app.questions.models import DIFFICULTIES, QUESTION_TYPES
from app.questions.schemas import (
    AcceptedAnswers,
    AcceptedValueSchema,
    Blanks,
    PairSchema,
    Scoring,
    ToleranceType,
)
from app.quizzes.models import OVERRIDABLE, QUIZ_STATUSES, VIOLATION_ACTIONS

MAX_QUESTIONS = 500
MAX_CLASSES = 100
ACCESS_CODE = validate.Regexp(r"^[A-Za-z0-9]{4,20}$", error="4 to 20 letters and digits.")


STAFF_VIEW, STUDENT_VIEW = "staff", "student"


def view_field(view: str) -> fields.Constant:
    """`view`: which of a quiz's two representations a body is, so that a client (and the
    OpenAPI discriminator) tells them apart without knowing the caller's role."""
    return fields.Constant(view, required=True, metadata={
        "type": "string", "enum": [view],
        "description": "`staff` (teachers and admins: settings, classes and, in detail, answer keys) "
                       "or `student` (the student's own view: effective settings and attempts)."})


class PoolSchema(BaseSchema):
    """A random draw per attempt (app.quizzes.pools): `count` questions fitting every filter given."""

    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUESTIONS))
    topic = fields.String(allow_none=True, validate=validate.Length(max=100))
    difficulty = fields.String(allow_none=True, validate=validate.OneOf(DIFFICULTIES))
    type = fields.String(allow_none=True, validate=validate.OneOf(QUESTION_TYPES))
    question_ids = fields.List(UUIDString(), allow_none=True, validate=validate.Length(max=MAX_QUESTIONS))


class QuizCommonSchema(BaseSchema):
    """What every role may read about a quiz."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    subject = fields.String(required=True)
    description = fields.String(allow_none=True)
    access_code = fields.String()
    time_limit_minutes = fields.Integer()
    status = fields.String(metadata={"enum": list(QUIZ_STATUSES)})
    start_date = DateTimeZ(allow_none=True)
    end_date = DateTimeZ(allow_none=True)
    published_at = DateTimeZ(allow_none=True)
    passing_percentage = fields.Integer()
    max_attempts = fields.Integer()
    max_violations = fields.Integer()
    show_answers_after_submission = fields.Boolean()
    allow_review = fields.Boolean()
    question_count = fields.Integer(metadata={"description": "Questions per attempt, draws included"})
    total_marks = fields.Integer(metadata={"description": "Every attempt's total, draws included"})
    negative_marking_percent = fields.Integer(metadata={
        "description": "The share of a question's marks a wrong objective answer costs (0: none)"})


class QuizSchema(QuizCommonSchema):
    """A teacher's or admin's view of a quiz."""

    view = view_field(STAFF_VIEW)

    access_code_required = fields.Boolean()
    created_by = fields.String()
    created_at = DateTimeZ()
    updated_at = DateTimeZ()
    randomize_questions = fields.Boolean()
    randomize_options = fields.Boolean()
    question_pools = fields.List(fields.Nested(PoolSchema), allow_none=True, metadata={
        "description": "Questions drawn for each attempt, besides the fixed ones"})
    violation_action = fields.String(validate=validate.OneOf(VIOLATION_ACTIONS), metadata={
        "description": "What reaching max_violations does: auto_submit closes the attempt, "
                       "flag_only flags it for review and the student carries on."})
    classes = fields.List(fields.Nested(ClassRefSchema))


class QuizListItemSchema(QuizSchema):
    """A quiz in the teacher's list, with the counts the list screen shows
    (queries.attach_attempt_counts, one query per page)."""

    attempt_count = fields.Integer(
        metadata={"description": "Attempts at the quiz (not those voided by a reset)"})
    in_progress_count = fields.Integer(metadata={"description": "Attempts in progress now"})
    pending_grading_count = fields.Integer(
        metadata={"description": "Closed attempts with descriptive answers left to mark"})


class QuizQuestionSchema(BaseSchema):
    """A question inside a quiz, answer key included (teachers and admins only)."""

    id = fields.String(attribute="question_id", required=True)
    order_index = fields.Integer()
    marks = fields.Integer()
    marks_override = fields.Integer(allow_none=True)
    question_marks = fields.Integer(attribute="question.marks")
    text = fields.String(attribute="question.text")
    type = fields.String(attribute="question.type", metadata={"enum": list(QUESTION_TYPES)})
    topic = fields.String(attribute="question.topic", allow_none=True)
    difficulty = fields.String(attribute="question.difficulty", allow_none=True, metadata={"enum": list(DIFFICULTIES)})
    options = fields.Function(lambda link: _indexed(link.question.options), allow_none=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/Option"}})
    correct_answer = fields.Integer(attribute="question.correct_answer", allow_none=True)
    accepted_answers = AcceptedAnswers(attribute="question.accepted_answers", allow_none=True)
    sample_answer = fields.String(attribute="question.sample_answer", allow_none=True)
    marking_rubric = fields.String(attribute="question.marking_rubric", allow_none=True)
    correct_options = fields.List(fields.Integer(), attribute="question.correct_options", allow_none=True)
    scoring = Scoring(attribute="question.scoring", allow_none=True)
    correct_value = fields.Float(attribute="question.correct_value", allow_none=True)
    tolerance = fields.Float(attribute="question.tolerance", allow_none=True)
    tolerance_type = ToleranceType(attribute="question.tolerance_type", allow_none=True)
    accepted_values = fields.List(fields.Nested(AcceptedValueSchema), attribute="question.accepted_values",
                                  allow_none=True)
    pairs = fields.List(fields.Nested(PairSchema), attribute="question.pairs", allow_none=True)
    distractors = fields.List(fields.String(), attribute="question.distractors", allow_none=True)
    items = fields.List(fields.String(), attribute="question.items", allow_none=True)
    blanks = Blanks(attribute="question.blanks", allow_none=True)
    is_archived = fields.Boolean(attribute="question.is_archived")


def _indexed(options):
    return None if options is None else [{"index": i, "text": t} for i, t in enumerate(options)]


class QuizDetailSchema(QuizSchema):
    questions = fields.List(fields.Nested(QuizQuestionSchema), attribute="question_links")
    has_attempts = fields.Boolean()


class EffectiveValuesSchema(BaseSchema):
    """The student's own terms at the quiz: their overrides and accommodation applied."""

    effective_start_date = DateTimeZ(required=True, allow_none=True)
    effective_end_date = DateTimeZ(required=True, allow_none=True)
    effective_time_limit_minutes = fields.Integer(
        required=True, metadata={"description": "Time limit with the student's overrides and extra time"})
    effective_max_attempts = fields.Integer(required=True)
    effective_access_code_required = fields.Boolean(
        required=True, metadata={"description": "Starting needs the quiz's access code"})
    remaining_attempts = fields.Integer(required=True, metadata={"description": "Reset grants included"})
    attempts_remaining = fields.Integer(required=True, metadata=deprecated("remaining_attempts"))


class LatestAttemptSchema(BaseSchema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ATTEMPT_STATUSES))
    submitted_at = DateTimeZ(required=True, allow_none=True)


class StudentQuizSchema(QuizCommonSchema, EffectiveValuesSchema):
    """A student's view: the quiz, its window and their own attempts; no questions.

    `start_date`, `end_date`, `time_limit_minutes` and `max_attempts` are the quiz's;
    the `effective_*` fields are what applies to this student, and `is_open` follows them.
    """

    view = view_field(STUDENT_VIEW)
    is_open = fields.Boolean()
    used_attempts = fields.Integer(metadata={"description": "Attempts made, those voided by a reset aside"})
    attempts_used = fields.Integer(metadata=deprecated("used_attempts"))
    best_score = Decimal2(allow_none=True)
    best_percentage = Decimal2(allow_none=True)
    best_percentage_provisional = fields.Boolean(metadata={
        "description": "The best score's attempt still has answers to mark: the percentage may rise"})
    in_progress_attempt_id = fields.String(allow_none=True)
    latest_attempt = fields.Nested(LatestAttemptSchema, allow_none=True, metadata={
        "description": "The student's most recent attempt (null before the first)"})
    grading_pending = fields.Boolean(metadata={
        "description": "One of the student's attempts is closed and waits for a teacher's marks"})


class QuizQuestionInputSchema(BaseSchema):
    question_id = UUIDString(required=True)
    marks_override = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=1000))


class QuizWriteSchema(BaseSchema):
    """The update body: every field optional."""

    title = fields.String(validate=[validate.Length(min=1, max=255), require_non_blank])
    subject = fields.String(validate=[validate.Length(min=1, max=100), require_non_blank])
    description = fields.String(allow_none=True, validate=validate.Length(max=10000))
    access_code = fields.String(validate=ACCESS_CODE)
    time_limit_minutes = fields.Integer(strict=True, validate=validate.Range(min=1, max=1440))
    start_date = DateTimeZ(allow_none=True)
    end_date = DateTimeZ(allow_none=True)
    passing_percentage = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    negative_marking_percent = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    max_attempts = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    max_violations = fields.Integer(strict=True, validate=validate.Range(min=1, max=100))
    violation_action = fields.String(validate=validate.OneOf(VIOLATION_ACTIONS), metadata={
        "description": "auto_submit (the default) closes the attempt at max_violations; "
                       "flag_only flags it for a teacher's review and the student carries on."})
    show_answers_after_submission = fields.Boolean()
    randomize_questions = fields.Boolean()
    randomize_options = fields.Boolean()
    allow_review = fields.Boolean()
    access_code_required = fields.Boolean()
    class_ids = fields.List(UUIDString(), validate=validate.Length(max=MAX_CLASSES))
    question_ids = fields.List(UUIDString(), validate=validate.Length(max=MAX_QUESTIONS))
    questions = fields.List(fields.Nested(QuizQuestionInputSchema), validate=validate.Length(max=MAX_QUESTIONS))
    question_pools = fields.List(fields.Nested(PoolSchema), allow_none=True, validate=validate.Length(max=20),
                                 metadata={"description": "Questions drawn per attempt, besides the fixed ones"})

    @validates_schema
    def cross_field_rules(self, data, **kwargs):
        errors = {}
        if "question_ids" in data and "questions" in data:
            errors["questions"] = ["Send question_ids or questions, not both."]
        ids = data.get("question_ids") or [q["question_id"] for q in data.get("questions") or []]
        if len(set(ids)) != len(ids):
            errors["question_ids" if "question_ids" in data else "questions"] = ["A question may appear only once."]
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            errors["end_date"] = ["Must be after start_date."]
        if errors:
            raise ValidationError(errors)

    @post_load
    def normalise(self, data, **kwargs):
        if "question_ids" in data:
            data["questions"] = [{"question_id": qid, "marks_override": None} for qid in data.pop("question_ids")]
        for link in data.get("questions") or []:
            link.setdefault("marks_override", None)
        if "class_ids" in data:
            data["class_ids"] = list(dict.fromkeys(data["class_ids"]))
        if "access_code" in data:
            data["access_code"] = data["access_code"].upper()
        for field in ("title", "subject"):
            if field in data:
                data[field] = data[field].strip()
        return data


class QuizCreateSchema(QuizWriteSchema):
    title = fields.String(required=True, validate=[validate.Length(min=1, max=255), require_non_blank])
    subject = fields.String(required=True, validate=[validate.Length(min=1, max=100), require_non_blank])
    time_limit_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1440))


class QuizUpdateSchema(QuizWriteSchema):
    # Seed 001 lets PUT carry a status; it goes through the same transitions as the actions.
    status = fields.String(validate=validate.OneOf(QUIZ_STATUSES))

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class QuizListQuerySchema(BaseSchema):
    status = fields.String(validate=validate.OneOf(QUIZ_STATUSES))
    teacher_id = UUIDString()
    class_id = UUIDString()


class PublishResultSchema(BaseSchema):
    message = fields.String(required=True)
    access_code = fields.String(required=True)


class OverrideSettingsSchema(BaseSchema):
    """The settings an override may set; null (or absent) inherits the class's or the quiz's."""

    start_date = DateTimeZ(allow_none=True)
    end_date = DateTimeZ(allow_none=True)
    time_limit_minutes = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=1440),
                                        metadata={"description": "Before the student's extra time"})
    max_attempts = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100))
    access_code_required = fields.Boolean(allow_none=True)

    @validates_schema
    def window_order(self, data, **kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            raise ValidationError({"end_date": ["Must be after start_date."]})


class OverrideCreateSchema(OverrideSettingsSchema):
    student_id = UUIDString(metadata={"description": "Exactly one of student_id and class_id"})
    class_id = UUIDString(metadata={"description": "Exactly one of student_id and class_id"})

    @validates_schema
    def one_target_and_a_setting(self, data, **kwargs):
        errors = {}
        if bool(data.get("student_id")) == bool(data.get("class_id")):
            errors["_schema"] = ["Send exactly one of student_id and class_id."]
        if all(data.get(field) is None for field in OVERRIDABLE):
            errors.setdefault("_schema", []).append("Set at least one setting to override.")
        if errors:
            raise ValidationError(errors)


class OverrideUpdateSchema(OverrideSettingsSchema):
    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one setting to change.", "_schema")


class OverrideSchema(BaseSchema):
    id = fields.String(required=True)
    quiz_id = fields.String(required=True)
    student_id = fields.String(required=True, allow_none=True)
    class_id = fields.String(required=True, allow_none=True)
    student_name = fields.Function(lambda o: o.student.user.name if o.student else None, allow_none=True,
                                   metadata={"type": "string"})
    class_name = fields.Function(lambda o: o.school_class.name if o.school_class else None, allow_none=True,
                                 metadata={"type": "string"})
    start_date = DateTimeZ(required=True, allow_none=True)
    end_date = DateTimeZ(required=True, allow_none=True)
    time_limit_minutes = fields.Integer(required=True, allow_none=True)
    max_attempts = fields.Integer(required=True, allow_none=True)
    access_code_required = fields.Boolean(required=True, allow_none=True)
    created_by = fields.String(allow_none=True)
    created_at = DateTimeZ()
    updated_at = DateTimeZ()
