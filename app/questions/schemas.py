"""Question representations (teachers and admins only) and the question-bank inputs."""
from marshmallow import ValidationError, fields, post_load, validate, validates_schema
from webargs.fields import DelimitedList

from app.common.schemas import BaseSchema, DateTimeZ, SafeHTML, UUIDString, deprecated, require_non_blank
from app.questions.formats import EXPORT_FORMATS, FORMATS
from app.questions.models import DIFFICULTIES, MEDIA_TYPES, QUESTION_TYPES
from app.questions.rules import check_typed_fields

MAX_BULK_ITEMS = 500
MAX_EXPORT_IDS = 1000
IMPORT_STATUSES = ("created", "valid", "error", "unsupported")


class QuestionSchema(BaseSchema):
    """The full question, answer key included: never used for a student."""

    id = fields.String(required=True)
    text = fields.String(required=True)
    type = fields.String(required=True)
    topic = fields.String(allow_none=True)
    difficulty = fields.String(allow_none=True)
    marks = fields.Integer(required=True)
    options = fields.List(fields.String(), allow_none=True)
    correct_answer = fields.Integer(allow_none=True)
    accepted_answers = fields.List(fields.String(), allow_none=True)
    sample_answer = fields.String(allow_none=True)
    marking_rubric = fields.String(allow_none=True)
    is_auto_gradable = fields.Boolean()
    is_archived = fields.Boolean()
    created_by = fields.String()
    created_at = DateTimeZ()
    updated_at = DateTimeZ()


def _text(max_length: int, **kw):
    return fields.String(allow_none=True, validate=validate.Length(max=max_length), **kw)


class QuestionFieldsSchema(BaseSchema):
    """Shape only; every field optional (the update body)."""

    # Question HTML is cleaned as it is read: the checks below see what is stored.
    text = SafeHTML(validate=[validate.Length(min=1, max=10000), require_non_blank])
    type = fields.String(validate=validate.OneOf(QUESTION_TYPES))
    topic = _text(100)
    difficulty = fields.String(allow_none=True, validate=validate.OneOf(DIFFICULTIES))
    marks = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    options = fields.List(SafeHTML(validate=validate.Length(max=1000)), allow_none=True)
    # mcq: an index; true_false: a boolean or 0/1. rules.py decides.
    correct_answer = fields.Raw(allow_none=True)
    accepted_answers = fields.List(fields.String(validate=validate.Length(max=500)), allow_none=True)
    sample_answer = _text(20000)
    marking_rubric = _text(20000)

    @post_load
    def tidy(self, data, **kwargs):
        if "text" in data:
            data["text"] = data["text"].strip()
        if "topic" in data:
            data["topic"] = (data["topic"] or "").strip() or None
        return data


class QuestionUpdateSchema(QuestionFieldsSchema):
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


class QuestionListQuerySchema(BaseSchema):
    type = fields.String(validate=validate.OneOf(QUESTION_TYPES))
    topic = fields.String(validate=validate.Length(max=100))
    difficulty = fields.String(validate=validate.OneOf(DIFFICULTIES))
    is_archived = fields.Boolean()
    teacher_id = UUIDString()


class BulkCreateSchema(BaseSchema):
    # Items are checked one by one by the service, so one bad item does not sink the rest.
    questions = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1, max=MAX_BULK_ITEMS))
    dry_run = fields.Boolean(load_default=False)


class ItemErrorSchema(BaseSchema):
    """One refused item: `index` (bulk-create, from 0) or `row` (an import's line), the field, why."""

    index = fields.Integer()
    row = fields.Integer()
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
    type = fields.String(required=True, allow_none=True, metadata={
        "description": "The bank's type, or the file's own type when the bank has none for it."})
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
