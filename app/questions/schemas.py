"""Question representations (teachers and admins only) and the question-bank inputs."""
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from app.common.schemas import (
    FREE_FORM,
    BaseSchema,
    DateTimeZ,
    StrictBoolean,
    UUIDString,
    deprecated,
    require_non_blank,
)
from app.questions.models import DIFFICULTIES, QUESTION_TYPES
from app.questions.rules import check_typed_fields

MAX_BULK_ITEMS = 500


class QuestionSchema(BaseSchema):
    """The full question, answer key included: never used for a student."""

    id = fields.String(required=True)
    text = fields.String(required=True)
    type = fields.String(required=True, metadata={"enum": list(QUESTION_TYPES)})
    topic = fields.String(allow_none=True)
    difficulty = fields.String(allow_none=True, metadata={"enum": list(DIFFICULTIES)})
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

    text = fields.String(validate=[validate.Length(min=1, max=10000), require_non_blank])
    type = fields.String(validate=validate.OneOf(QUESTION_TYPES))
    topic = _text(100)
    difficulty = fields.String(allow_none=True, validate=validate.OneOf(DIFFICULTIES))
    marks = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000))
    options = fields.List(fields.String(validate=validate.Length(max=1000)), allow_none=True)
    # mcq: an index; true_false: a boolean or 0/1. rules.py decides.
    correct_answer = fields.Raw(allow_none=True, metadata={
        "oneOf": [{"type": "integer", "minimum": 0, "description": "mcq: the 0-based index of the correct option; "
                                                                  "true_false: 0 (True) or 1 (False)"},
                  {"type": "boolean", "description": "true_false: the correct value"}],
        "description": "By `type`: mcq an option index, true_false a boolean (or 0/1); null or absent otherwise."})
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
    text = fields.String(required=True, validate=[validate.Length(min=1, max=10000), require_non_blank])
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
