"""Question representations (teachers and admins only) and the question-bank inputs."""
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from app.common.html import sanitize_html
from app.common.schemas import (
    FREE_FORM,
    BaseSchema,
    DateTimeZ,
    SafeHTML,
    StrictBoolean,
    UUIDString,
    deprecated,
    require_non_blank,
)
from app.questions import type_rules
from app.questions.formats import EXPORT_FORMATS, FORMATS
from app.questions.models import DIFFICULTIES, MEDIA_TYPES, QUESTION_TYPES
from app.questions.rules import check_typed_fields

MAX_BULK_ITEMS = 500
MAX_EXPORT_IDS = 1000
IMPORT_STATUSES = ("created", "valid", "error", "unsupported")


class OptionSchema(Schema):
    index = fields.Integer(required=True)
    text = fields.String(required=True)


class AcceptedValueSchema(Schema):
    value = fields.Float(required=True)
    tolerance = fields.Float(required=True)
    credit = fields.Float(required=True)


class PairSchema(Schema):
    prompt = fields.String(required=True)
    match = fields.String(required=True)


class AcceptedTextSchema(Schema):
    text = fields.String(required=True)
    credit = fields.Float(required=True)


# --- the stored answer-key parts, as every staff view shows them ------------------------
# Written out as OpenAPI because each is one of two shapes (a `oneOf`), which a nested
# marshmallow schema cannot say; app.questions.type_rules is what produces them.

ACCEPTED_TEXT = {
    "type": "object", "title": "AcceptedText", "required": ["text", "credit"], "additionalProperties": False,
    "properties": {"text": {"type": "string"},
                   "credit": {"type": "number", "minimum": 0, "maximum": 1,
                              "description": "The share of the marks this answer earns (1 = full)"}}}
ACCEPTED_ANSWER = {"oneOf": [
    {"type": "string", "description": "Full credit (the form questions written before credits keep)"},
    ACCEPTED_TEXT,
], "description": "short_answer: an accepted text, with its credit"}
BLANK = {"oneOf": [
    {"type": "object", "title": "TypedBlank", "required": ["accepted", "case_sensitive"],
     "additionalProperties": False, "description": "A gap the student types into",
     "properties": {"accepted": {"type": "array", "items": ACCEPTED_TEXT}, "case_sensitive": {"type": "boolean"}}},
    {"type": "object", "title": "DropDownBlank", "required": ["options", "correct_option"],
     "additionalProperties": False, "description": "A gap the student fills from a drop-down",
     "properties": {"options": {"type": "array", "items": {"type": "string"}},
                    "correct_option": {"type": "integer", "minimum": 0,
                                       "description": "The 0-based index of the right option"}}},
], "description": "fill_in_blanks: one per gap `{{n}}`, in order"}
SCORINGS = tuple(dict.fromkeys(s for choices in type_rules.SCORINGS.values() for s in choices))


class AcceptedAnswers(fields.List):
    """short_answer's accepted answers as stored (ACCEPTED_ANSWER), for every staff view."""

    def __init__(self, **kwargs):
        super().__init__(fields.Raw(metadata=ACCEPTED_ANSWER), **kwargs)


class Blanks(fields.List):
    """fill_in_blanks' gaps as stored (BLANK), for every staff view."""

    def __init__(self, **kwargs):
        super().__init__(fields.Raw(metadata=BLANK), **kwargs)


class Scoring(fields.String):
    def __init__(self, *, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"enum": list(SCORINGS), "description": (
            "multiple_select: any of the three; ordering: all_or_nothing or partial"), **(metadata or {})}, **kwargs)


class ToleranceType(fields.String):
    def __init__(self, *, metadata: dict | None = None, **kwargs):
        super().__init__(metadata={"enum": list(type_rules.TOLERANCE_TYPES), "description": (
            "relative: the tolerance is a fraction of the value"), **(metadata or {})}, **kwargs)


class QuestionSchema(BaseSchema):
    """The full question, answer key included: never used for a student."""

    id = fields.String(required=True)
    text = fields.String(required=True)
    type = fields.String(required=True, metadata={"enum": list(QUESTION_TYPES)})
    topic = fields.String(allow_none=True)
    difficulty = fields.String(allow_none=True, metadata={"enum": list(DIFFICULTIES)})
    marks = fields.Integer(required=True)
    options = fields.Method("indexed_options", allow_none=True, metadata={
        "type": "array", "items": {"$ref": "#/components/schemas/Option"},
        "description": "`[{index, text}]`, the shape students see"})
    correct_answer = fields.Integer(allow_none=True)
    accepted_answers = AcceptedAnswers(allow_none=True)
    sample_answer = fields.String(allow_none=True)
    marking_rubric = fields.String(allow_none=True)
    correct_options = fields.List(fields.Integer(), allow_none=True)
    scoring = Scoring(allow_none=True)
    correct_value = fields.Float(allow_none=True)
    tolerance = fields.Float(allow_none=True)
    tolerance_type = ToleranceType(allow_none=True)
    accepted_values = fields.List(fields.Nested(AcceptedValueSchema), allow_none=True)
    pairs = fields.List(fields.Nested(PairSchema), allow_none=True)
    distractors = fields.List(fields.String(), allow_none=True)
    items = fields.List(fields.String(), allow_none=True)
    blanks = Blanks(allow_none=True)
    is_auto_gradable = fields.Boolean()
    is_archived = fields.Boolean()
    created_by = fields.String()
    created_at = DateTimeZ()
    updated_at = DateTimeZ()

    def indexed_options(self, question):
        return None if question.options is None else [{"index": i, "text": t} for i, t in enumerate(question.options)]


# How the request fields of a question body are described; app.questions.type_rules
# checks them (so a wrong shape is a 422 naming the field, in the bank's words).
TEXT_OR_OBJECT = {"oneOf": [{"type": "string"}, {
    "type": "object", "required": ["text"],
    "properties": {"text": {"type": "string"}, "index": {"type": "integer", "minimum": 0},
                   "credit": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1}}}]}
PAIR_IN = {"type": "object", "required": ["prompt", "match"],
           "properties": {"prompt": {"type": "string"}, "match": {"type": "string"}}}
ACCEPTED_VALUE_IN = {"type": "object", "required": ["value"], "properties": {
    "value": {"type": "number"}, "tolerance": {"type": "number", "minimum": 0},
    "credit": {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1}}}
BLANK_IN = {"oneOf": [
    {"type": "object", "required": ["accepted"], "description": "A gap the student types into",
     "properties": {"accepted": {"type": "array", "items": TEXT_OR_OBJECT}, "case_sensitive": {"type": "boolean"}}},
    {"type": "object", "required": ["options", "correct_option"], "description": "A drop-down gap",
     "properties": {"options": {"type": "array", "items": TEXT_OR_OBJECT},
                    "correct_option": {"type": "integer", "minimum": 0}}},
]}


def _text(max_length: int, **kw):
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kw)


class _ShownPart(fields.Raw):
    """A part students see as HTML (an option, an item): its text reduced to the safe
    subset as it is read (app.common.html), like SafeHTML, whether sent plainly or as
    `{index, text}`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            return sanitize_html(value)
        if isinstance(value, dict) and isinstance(value.get("text"), str):
            return {**value, "text": sanitize_html(value["text"])}
        return value


def _part(max_length: int, *, shown_as_html: bool = False):
    """A text, or an object holding one (`{index, text}`, `{text, credit}`), of bounded size."""
    def bounded(value):
        text = value.get("text") if isinstance(value, dict) else value
        if not isinstance(text, str):
            raise ValidationError("Must be a text, or an object with a text.")
        if len(text) > max_length:
            raise ValidationError(f"At most {max_length} characters.")
    return (_ShownPart if shown_as_html else fields.Raw)(validate=bounded, metadata=TEXT_OR_OBJECT)


class QuestionFieldsSchema(BaseSchema):
    """Shape only; every field optional (the update body)."""

    # Question HTML is cleaned as it is read: the checks below see what is stored.
    text = SafeHTML(validate=[validate.Length(min=1, max=10000), require_non_blank])
    type = fields.String(validate=validate.OneOf(QUESTION_TYPES))
    topic = _text(100)
    difficulty = fields.String(allow_none=True, validate=validate.OneOf(DIFFICULTIES))
    marks = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    # Texts, or `[{index, text}]` as every view shows them. rules.py decides the shape.
    options = fields.List(_part(1000, shown_as_html=True), allow_none=True)
    # mcq: an index; true_false: a boolean or 0/1. rules.py decides.
    correct_answer = fields.Raw(allow_none=True, metadata={
        "oneOf": [{"type": "integer", "minimum": 0, "description": "mcq: the 0-based index of the correct option; "
                                                                  "true_false: 0 (True) or 1 (False)"},
                  {"type": "boolean", "description": "true_false: the correct value"}],
        "description": "By `type`: mcq an option index, true_false a boolean (or 0/1); null or absent otherwise."})
    accepted_answers = fields.List(_part(500), allow_none=True)
    sample_answer = _text(20000)
    marking_rubric = _text(20000)
    # The later types' fields: shapes and cross-field rules in app.questions.type_rules.
    # Raw, not Integer/Float: a numeric string or a boolean is refused there, not coerced.
    correct_options = fields.List(fields.Raw(metadata={"type": "integer", "minimum": 0}), allow_none=True)
    scoring = Scoring(allow_none=True)
    correct_value = fields.Raw(allow_none=True, metadata={"type": "number"})
    tolerance = fields.Raw(allow_none=True, metadata={"type": "number", "minimum": 0})
    tolerance_type = ToleranceType(allow_none=True)
    accepted_values = fields.List(fields.Raw(metadata=ACCEPTED_VALUE_IN), allow_none=True)
    pairs = fields.List(fields.Raw(metadata=PAIR_IN), allow_none=True)
    distractors = fields.List(_part(1000, shown_as_html=True), allow_none=True)
    items = fields.List(_part(1000, shown_as_html=True), allow_none=True)
    blanks = fields.List(fields.Raw(metadata=BLANK_IN), allow_none=True)

    @post_load
    def tidy(self, data, **kwargs):
        if "text" in data:
            data["text"] = data["text"].strip()
        if "topic" in data:
            data["topic"] = (data["topic"] or "").strip() or None
        return data


class QuestionUpdateSchema(QuestionFieldsSchema):
    regrade = fields.Boolean(metadata={"description": (
        "Change the answer key of a question students answered and regrade their closed attempts "
        "(without it such a change is 409)")})

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class QuestionCreateSchema(QuestionFieldsSchema):
    text = SafeHTML(required=True, validate=[validate.Length(min=1, max=10000), require_non_blank])
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    marks = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1000))

    @validates_schema
    def type_rules(self, data, **kwargs):
        _clean, errors = check_typed_fields(data["type"], data)
        if errors:
            raise ValidationError(errors)

    @post_load
    def normalise(self, data, **kwargs):
        clean, _errors = check_typed_fields(data["type"], data)
        return {**data, **clean}


class RegradeQuerySchema(BaseSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Report the regrade, change nothing"})


class RegradeChangeSchema(Schema):
    attempt_id = fields.String(required=True)
    student_id = fields.String(required=True)
    score_before = fields.Float(required=True, allow_none=True)
    score_after = fields.Float(required=True)


class RegradeReportSchema(Schema):
    dry_run = fields.Boolean(required=True)
    attempts_affected = fields.Integer(required=True)
    changes = fields.List(fields.Nested(RegradeChangeSchema), required=True)


class QuestionRegradeResultSchema(QuestionSchema):
    regrade = fields.Nested(RegradeReportSchema, metadata={"description": "Only when the request asked to regrade"})


class QuestionListQuerySchema(BaseSchema):
    type = fields.String(validate=validate.OneOf(QUESTION_TYPES))
    topic = fields.String(validate=validate.Length(max=100))
    difficulty = fields.String(validate=validate.OneOf(DIFFICULTIES))
    is_archived = fields.Boolean()
    teacher_id = UUIDString()


BULK_ITEM = [
    {"$ref": "#/components/schemas/QuestionCreate"},
    {"type": "object", **FREE_FORM, "description": "Any other item is reported in the result's `errors`."},
    {"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "array", "items": FREE_FORM},
]


class BulkCreateSchema(BaseSchema):
    # Items are checked one by one by the service (bulk.check_item), so one bad item does
    # not sink the rest: it is reported in `errors`. Any value but null is taken here.
    questions = fields.List(fields.Raw(metadata={"anyOf": BULK_ITEM}),
                            required=True, validate=validate.Length(min=1, max=MAX_BULK_ITEMS))
    dry_run = StrictBoolean(load_default=False)


class ItemErrorSchema(BaseSchema):
    """One refused item: `index` (bulk-create, from 0) or `row` (an import's line), the field, why."""

    index = fields.Integer(metadata={"optional": True, "description": "Bulk create: the item's 0-based index."})
    row = fields.Integer(metadata={"optional": True, "description": "Import: the file's row number."})
    field = fields.String(allow_none=True)
    message = fields.String(attribute="error", required=True, dump_only=True)
    error = fields.String(metadata=deprecated("message"))


class BulkCreateResultSchema(BaseSchema):
    dry_run = fields.Boolean()
    created = fields.Integer(attribute="created_count", required=True, dump_only=True)
    failed = fields.Integer(attribute="failed_count", required=True, dump_only=True)
    created_count = fields.Integer(metadata=deprecated("created"))
    valid_count = fields.Integer()
    failed_count = fields.Integer(metadata=deprecated("failed"))
    created_ids = fields.List(fields.String())
    errors = fields.List(fields.Nested(ItemErrorSchema))


class ImportOptionsSchema(BaseSchema):
    dry_run = fields.Boolean(load_default=False)


class ImportResultSchema(BaseSchema):
    message = fields.String()
    dry_run = fields.Boolean()
    total_rows = fields.Integer()
    valid = fields.Integer()
    imported = fields.Integer()
    failed = fields.Integer()
    created_ids = fields.List(fields.String())
    errors = fields.List(fields.Nested(ItemErrorSchema))


class MediaSchema(BaseSchema):
    """An image of a question: `reference` is what the question's HTML writes, `url` a
    short-lived URL signed for the caller."""

    id = fields.String(required=True)
    question_id = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True, metadata={"enum": list(MEDIA_TYPES)})
    size = fields.Integer(required=True)
    reference = fields.String(required=True)
    url = fields.String(required=True)
    created_at = DateTimeZ(required=True)


class MediaQuerySchema(BaseSchema):
    viewer = fields.String(load_default="", validate=validate.Length(max=36))
    attempt = fields.String(load_default=None, validate=validate.Length(max=36))
    expires = fields.Integer(load_default=0, strict=False)
    sig = fields.String(load_default="", validate=validate.Length(max=200))


class QuestionFileImportOptionsSchema(BaseSchema):
    format = fields.String(validate=validate.OneOf(FORMATS), metadata={
        "description": "Detected from the content when omitted."})
    dry_run = fields.Boolean(load_default=False)
    topic = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "Files every imported question under this topic (instead of the file's categories)."})


class QuestionFileImportItemSchema(BaseSchema):
    index = fields.Integer(required=True, metadata={"description": "0-based position in the file."})
    name = fields.String(required=True, allow_none=True)
    # Not an enum: for an item the bank cannot take, this is the file's own word
    # (a Moodle `type` attribute such as `calculated`, whatever a JSON or CSV item
    # says), reported as written so the teacher sees what was refused.
    type = fields.Function(lambda item: None if item["type"] is None else str(item["type"]),
                           required=True, allow_none=True, metadata={
        "anyOf": [{"type": "string", "enum": list(QUESTION_TYPES), "description": "The bank's type"},
                  {"type": "string", "description": "The file's own type name, when the bank has none for it"}],
        "description": "The bank's type, or the file's own type (as written) when the bank has none for it."})
    status = fields.String(required=True, validate=validate.OneOf(IMPORT_STATUSES), metadata={
        "description": "`valid` only in a dry run."})
    message = fields.String(required=True, allow_none=True)
    line = fields.Integer(allow_none=True, metadata={"description": "GIFT and CSV: the question's line or row."})
    question_id = fields.String(metadata={"description": "Present when created."})
    files = fields.List(fields.String(), metadata={
        "description": "The images kept with the question (Moodle XML `<file>` elements), by name."})


class QuestionFileImportResultSchema(BaseSchema):
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    dry_run = fields.Boolean(required=True)
    total = fields.Integer(required=True)
    created = fields.Integer(required=True)
    valid = fields.Integer(required=True)
    error = fields.Integer(required=True)
    unsupported = fields.Integer(required=True)
    items = fields.List(fields.Nested(QuestionFileImportItemSchema), required=True)


class QuestionExportQuerySchema(QuestionListQuerySchema):
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS))
    search = fields.String(validate=validate.Length(max=200))
    ids = DelimitedList(UUIDString(), validate=validate.Length(min=1, max=MAX_EXPORT_IDS), metadata={
        "description": "Comma-separated question ids; every one must be visible to the caller."})
    quiz_id = UUIDString(metadata={"description": "Export this quiz's questions, in the quiz's order."})

    @validates_schema
    def one_selection(self, data, **kwargs):
        if data.get("ids") and data.get("quiz_id"):
            raise ValidationError("Send ids or quiz_id, not both.", "ids")


# --- the OpenAPI description of a question body: one schema per type (`oneOf`) ----------
# Requests are checked by QuestionCreateSchema and app.questions.rules; these schemas
# only describe, per type, the fields that type takes (app.questions.openapi).

class AcceptedValueInSchema(Schema):
    value = fields.Float(required=True)
    tolerance = fields.Float(allow_none=True, validate=validate.Range(min=0))
    credit = fields.Float(allow_none=True, validate=validate.Range(min=0, max=1, min_inclusive=False))


class BlankInSchema(Schema):
    """A typed gap (`accepted`, `case_sensitive`) or a drop-down (`options`, `correct_option`)."""

    accepted = fields.List(fields.Raw(metadata=TEXT_OR_OBJECT), allow_none=True)
    case_sensitive = fields.Boolean(allow_none=True)
    options = fields.List(fields.Raw(metadata=TEXT_OR_OBJECT), allow_none=True)
    correct_option = fields.Integer(allow_none=True, validate=validate.Range(min=0))


def _doc_fields() -> dict:
    texts = fields.List(fields.Raw(metadata=TEXT_OR_OBJECT), metadata={
        "description": "Texts, or objects holding one (`[{index, text}]`, `{text, credit}`)"})
    return {
        "options": texts,
        "correct_answer": fields.Raw(metadata={"oneOf": [{"type": "integer", "minimum": 0}, {"type": "boolean"}]}),
        "accepted_answers": fields.List(fields.Raw(metadata=TEXT_OR_OBJECT)),
        "sample_answer": fields.String(allow_none=True),
        "marking_rubric": fields.String(allow_none=True),
        "correct_options": fields.List(fields.Integer(validate=validate.Range(min=0)), validate=validate.Length(min=1)),
        "scoring": fields.String(),
        "correct_value": fields.Float(),
        "tolerance": fields.Float(validate=validate.Range(min=0)),
        "tolerance_type": fields.String(validate=validate.OneOf(type_rules.TOLERANCE_TYPES)),
        "accepted_values": fields.List(fields.Nested(AcceptedValueInSchema)),
        "pairs": fields.List(fields.Nested(PairSchema), validate=validate.Length(min=2, max=20)),
        "distractors": fields.List(fields.Raw(metadata=TEXT_OR_OBJECT)),
        "items": fields.List(fields.Raw(metadata=TEXT_OR_OBJECT), validate=validate.Length(min=2, max=20)),
        "blanks": fields.List(fields.Nested(BlankInSchema)),
    }


DOC_REQUIRED = {"mcq": {"options", "correct_answer"}, "true_false": {"correct_answer"},
                "multiple_select": {"options", "correct_options"}, "numeric": {"correct_value"},
                "matching": {"pairs"}, "ordering": {"items"}, "fill_in_blanks": {"blanks"}}


def question_body_schemas() -> dict[str, type[Schema]]:
    """type → a schema naming exactly that type's fields, for the OpenAPI document."""
    from app.questions.rules import TYPE_FIELDS

    made = {}
    for question_type in QUESTION_TYPES:
        docs = _doc_fields()
        typed = {}
        for name in sorted(TYPE_FIELDS[question_type]):
            field = docs[name]
            field.required = name in DOC_REQUIRED.get(question_type, ())
            field.allow_none = not field.required  # null counts as not sent
            if name == "scoring":
                field.validators = [validate.OneOf(type_rules.SCORINGS[question_type])]
            typed[name] = field
        made[question_type] = Schema.from_dict({
            "text": fields.String(required=True, validate=validate.Length(min=1, max=10000)),
            "type": fields.String(required=True, validate=validate.OneOf([question_type])),
            "marks": fields.Integer(required=True, validate=validate.Range(min=1, max=1000)),
            "topic": fields.String(allow_none=True, validate=validate.Length(max=100)),
            "difficulty": fields.String(allow_none=True, validate=validate.OneOf(DIFFICULTIES)),
            **typed,
        }, name=f"{''.join(part.title() for part in question_type.split('_'))}QuestionSchema")
    return made
