"""Base schemas and fields shared by every domain."""
from datetime import datetime, timezone

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from app.common.clock import isoformat, to_naive_utc


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True


class DateTimeZ(fields.DateTime):
    """ISO 8601 in UTC with `Z` out; any ISO 8601 in (offsets converted to UTC)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            parsed = to_naive_utc(parsed)
        return parsed


def utc_from_iso(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


class Decimal2(fields.Float):
    """Scores are DECIMAL in the database and plain numbers in JSON."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else round(float(value), 2)


UUIDString = lambda **kw: fields.String(validate=validate.Length(equal=36), **kw)  # noqa: E731


class MessageSchema(Schema):
    message = fields.String(required=True)


def require_non_blank(value: str) -> None:
    if not value or not value.strip():
        raise ValidationError("Must not be blank.")
