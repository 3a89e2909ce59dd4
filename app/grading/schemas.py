"""Grading queues, the grading view of one attempt, and the teacher's marks."""
from marshmallow import ValidationError, fields, validate, validates_schema

from app.attempts.models import ATTEMPT_STATUSES, AUTO_SUBMIT_REASONS
from app.attempts.schemas import RESPONSE_SHAPES
from app.common.pagination import PageQuerySchema, page_schema
from app.common.schemas import FREE_FORM, OPTIONAL, BaseSchema, DateTimeZ, Decimal2, UUIDString, deprecated
from app.questions.models import QUESTION_TYPES
from app.questions.schemas import (
    AcceptedAnswers,
    AcceptedValueSchema,
    Blanks,
    PairSchema,
    Scoring,
    ToleranceType,
)


class GradingQuerySchema(PageQuerySchema):
    quiz_id = UUIDString()
    class_id = UUIDString()


class GradingStudentSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(attribute="user.name")
    registration_number = fields.String()
    class_id = fields.String(allow_none=True)


class GradingQuizSchema(BaseSchema):
    id = fields.String(required=True)
    title = fields.String()
    subject = fields.String()
    passing_percentage = fields.Integer()


class GradingAttemptSchema(BaseSchema):
    id = fields.String(required=True)
    attempt_number = fields.Integer()
    status = fields.String(metadata={"enum": list(ATTEMPT_STATUSES)})
    auto_submit_reason = fields.String(allow_none=True, metadata={"enum": list(AUTO_SUBMIT_REASONS)})
    started_at = DateTimeZ()
    submitted_at = DateTimeZ(allow_none=True)
    score = Decimal2(allow_none=True)
    total_marks = fields.Integer(allow_none=True)
    percentage = Decimal2(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    total_violations = fields.Integer()


class QueueItemSchema(BaseSchema):
    attempt_id = fields.String(required=True)
    attempt = fields.Nested(GradingAttemptSchema)
    student = fields.Nested(GradingStudentSchema)
    quiz = fields.Nested(GradingQuizSchema)
    submitted_at = DateTimeZ(allow_none=True)
    descriptive_questions_count = fields.Integer(metadata={"description": "Answers waiting for a teacher"})
    auto_graded_score = Decimal2(metadata={"description": "Marks given automatically"})
    manually_graded_score = Decimal2(metadata={"description": "Marks given by a teacher"})
    pending_marks = Decimal2(metadata={"description": "Marks still to be decided"})
    last_graded_at = DateTimeZ(allow_none=True)


QueuePage = page_schema(QueueItemSchema, "GradingQueuePage")


class GradingQuestionSchema(BaseSchema):
    id = fields.String(required=True)
    text = fields.String()
    type = fields.String(metadata={"enum": list(QUESTION_TYPES)})
    options = fields.Method("indexed_options", allow_none=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/Option"}})
    marks = fields.Integer(metadata={"description": "Marks of the question in this quiz"})
    correct_answer = fields.Integer(allow_none=True)
    accepted_answers = AcceptedAnswers(allow_none=True)
    sample_answer = fields.String(allow_none=True)
    marking_rubric = fields.String(allow_none=True)
    is_auto_gradable = fields.Boolean()
    # The later types' key fields: present only for the types that have them
    # (app.quizzes.display.KEY_FIELDS).
    correct_options = fields.List(fields.Integer(), allow_none=True, metadata=OPTIONAL)
    scoring = Scoring(allow_none=True, metadata=OPTIONAL)
    correct_value = fields.Float(allow_none=True, metadata=OPTIONAL)
    tolerance = fields.Float(allow_none=True, metadata=OPTIONAL)
    tolerance_type = ToleranceType(allow_none=True, metadata=OPTIONAL)
    accepted_values = fields.List(fields.Nested(AcceptedValueSchema), allow_none=True, metadata=OPTIONAL)
    pairs = fields.List(fields.Nested(PairSchema), allow_none=True, metadata=OPTIONAL)
    distractors = fields.List(fields.String(), allow_none=True, metadata=OPTIONAL)
    # A dict's `items` is its method: read the key.
    items = fields.Function(lambda question: question.get("items"), allow_none=True,
                            metadata={"type": "array", "items": {"type": "string"}, **OPTIONAL})
    blanks = Blanks(allow_none=True, metadata=OPTIONAL)

    def indexed_options(self, question):
        options = question.get("options")
        return None if options is None else [{"index": i, "text": t} for i, t in enumerate(options)]


class GradingAnswerSchema(BaseSchema):
    answer_id = fields.String(allow_none=True)
    question = fields.Nested(GradingQuestionSchema)
    answer_text = fields.String(attribute="student_answer", allow_none=True, dump_only=True)
    answer_option = fields.Integer(allow_none=True)
    response = fields.Raw(allow_none=True, metadata={"anyOf": RESPONSE_SHAPES})
    result = fields.Dict(allow_none=True, metadata={**FREE_FORM, "description": (
        "Per part: which choices, pairs, items or gaps were right; keys by type (docs/api/question-types.md)")})
    is_correct = fields.Boolean(allow_none=True)
    marks_awarded = Decimal2(attribute="current_marks", allow_none=True, dump_only=True)
    feedback = fields.String(attribute="current_feedback", allow_none=True, dump_only=True)
    student_answer = fields.String(allow_none=True, metadata=deprecated("answer_text"))
    current_marks = Decimal2(allow_none=True, metadata=deprecated("marks_awarded"))
    current_feedback = fields.String(allow_none=True, metadata=deprecated("feedback"))
    graded_by = fields.String(allow_none=True)
    graded_at = DateTimeZ(allow_none=True)
    needs_grading = fields.Boolean()


class GradingDetailSchema(BaseSchema):
    attempt = fields.Nested(GradingAttemptSchema)
    student = fields.Nested(GradingStudentSchema)
    quiz = fields.Nested(GradingQuizSchema)
    answers = fields.List(fields.Nested(GradingAnswerSchema))
    pending_count = fields.Integer()


class GradeItemSchema(BaseSchema):
    question_id = UUIDString()
    answer_id = UUIDString()
    marks_awarded = fields.Decimal(required=True, places=2, allow_nan=False,
                                   validate=validate.Range(min=0, max=100000))
    feedback = fields.String(allow_none=True, validate=validate.Length(max=5000))

    @validates_schema
    def one_target(self, data, **kwargs):
        if ("question_id" in data) == ("answer_id" in data):
            raise ValidationError("Give exactly one of question_id or answer_id.", "question_id")


class GradeRequestSchema(BaseSchema):
    grades = fields.List(fields.Nested(GradeItemSchema), required=True,
                         validate=validate.Length(min=1, max=500))


class GradeResultSchema(BaseSchema):
    message = fields.String()
    attempt_id = fields.String()
    status = fields.String(metadata={"enum": list(ATTEMPT_STATUSES)})
    final_score = Decimal2()
    total_marks = fields.Integer()
    percentage = Decimal2()
    passed = fields.Boolean()
    pending_count = fields.Integer()
