"""Base schemas and fields shared by every domain."""
from decimal import Decimal

from apispec import BasePlugin
from flask import request
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app.common.clock import isoformat, to_naive_utc
from app.common.html import sanitize_html
from app.errors import ERROR_CODES

# A JSON object whose keys are not fixed (`metadata`, `details`): declared on purpose,
# so that the OpenAPI document says "any object" rather than leaving a schema empty.
FREE_FORM = {"additionalProperties": True}


# A response field left out of some bodies (by the reader's role, or the object's kind):
# not listed as `required` in the OpenAPI document (app.common.apidoc.complete_document).
OPTIONAL = {"optional": True}


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class SafeHTML(fields.String):
    """HTML reduced to the safe subset as it is read (app.common.html), so that the
    field's validators (length, not blank) judge what will be stored."""

    def _deserialize(self, value, attr, data, **kwargs):
        return sanitize_html(super()._deserialize(value, attr, data, **kwargs))


class DateTimeZ(fields.DateTime):
    """ISO 8601 in UTC with `Z` out (milliseconds kept); ISO 8601 with `Z` or an offset
    in, converted to UTC. A time without either is refused: it could be any zone's
    wall clock (an HTML `datetime-local` value), and guessing shifts it silently."""

    default_error_messages = {
        "naive": "Give the time zone: end with Z (UTC) or an offset such as +02:00.",
    }

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is None:
            raise self.make_error("naive")
        return to_naive_utc(parsed)


def deprecated(canonical: str) -> dict:
    """Field metadata of a name kept one release for older clients (CHANGELOG, "Deprecated")."""
    return {"deprecated": True,
            "description": f"Deprecated: the same as `{canonical}`, which clients should read; "
                           "removed in the next release."}


class StrictBoolean(fields.Boolean):
    """`true` or `false` only: a plain Boolean also takes 0, 1, "yes" and "on", which
    the OpenAPI document (and a client generated from it) does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Decimal2(fields.Float):
    """Scores are DECIMAL in the database and plain numbers in JSON."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else round(float(value), 2)


UUIDString = lambda **kw: fields.String(validate=validate.Length(equal=36), **kw)  # noqa: E731


class MessageSchema(Schema):
    message = fields.String(required=True)


class ErrorSchema(Schema):
    """The error envelope every error response carries (documented in the OpenAPI spec)."""

    error = fields.String(required=True, metadata={"description": "A short human title of the status"})
    error_code = fields.String(required=True, metadata={"enum": list(ERROR_CODES)})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={**FREE_FORM,
        "description": "On 422 `{field: [messages]}`; otherwise what the error is about, often empty"})
    timestamp = fields.String(required=True, metadata={"format": "date-time"})
    request_id = fields.String(required=True, metadata={
        "description": "The response's `X-Request-ID`; quote it when reporting a problem."})
    error_id = fields.String(metadata={"description": "Only on 500; also in the server log."})


def numeric_bounds(_converter, _field, ret=None, **_kwargs) -> dict:
    """apispec copies `Range(min=Decimal(...))` bounds as they are and JSON renders a
    Decimal as a string; OpenAPI wants numbers."""
    ret = ret or {}
    return {key: float(ret[key]) for key in ("minimum", "maximum") if isinstance(ret.get(key), Decimal)}


def require_non_blank(value: str) -> None:
    if not value or not value.strip():
        raise ValidationError("Must not be blank.")


class MultipartFormPlugin(BasePlugin):
    """One multipart body read through two `@blp.arguments` (locations `files` and
    `form`): flask-smorest documents one of them as the request body and leaves the
    other as OpenAPI 2 `formData` parameters. Merge both into one multipart object."""

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if isinstance(operation, dict):
                _fold_form_data(operation, self.spec.components.schemas)


def _fold_form_data(operation: dict, components: dict) -> None:
    params = operation.get("parameters") or []
    form = [p for p in params if isinstance(p, dict) and p.get("in") == "formData"]
    if not form:
        return
    operation["parameters"] = [p for p in params if p not in form]
    if not operation["parameters"]:
        del operation["parameters"]
    merged = {"type": "object", "properties": {}, "required": []}
    body = operation.setdefault("requestBody", {"content": {}})
    for content in body["content"].values():
        schema = _resolve(content.get("schema") or {}, components)
        merged["properties"].update(schema.get("properties", {}))
        merged["required"] += schema.get("required", [])
    for param in form:
        merged["properties"][param["name"]] = param["schema"]
        merged["required"] += [param["name"]] if param.get("required") else []
    if not merged["required"]:
        del merged["required"]
    body["content"] = {"multipart/form-data": {"schema": merged}}


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


def load_json_body(schema: Schema) -> dict:
    """The request's JSON body loaded by `schema`, refused exactly as `@blp.arguments`
    refuses it (400 `INVALID_JSON` for malformed JSON, 422 per field; no body reads as `{}`).

    For the autosave alone, which documents its body with `json_body_doc` instead of
    going through the arguments layer: a measurable share of its CPU.
    """
    from app.common.strict_json import loads
    from app.errors import ValidationFailed

    raw = request.get_data(cache=True)
    data = loads(raw) if raw else {}
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed("One or more fields are invalid", details=exc.messages) from exc


def json_body_doc(schema: type[Schema]) -> dict:
    """The OpenAPI requestBody that `@blp.arguments(schema)` would have documented."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
