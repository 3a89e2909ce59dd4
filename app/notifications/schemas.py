"""Notification representations and inputs (seed 000 §4.1, seed 003's broadcast)."""
from marshmallow import Schema, fields, validate
from marshmallow.utils import get_value

from app.common.pagination import time_window_schema
from app.common.schemas import FREE_FORM, BaseSchema, DateTimeZ, deprecated, require_non_blank
from app.notifications.models import CATEGORIES, PRIORITIES
from app.notifications.templates import BROADCAST_KINDS, NOTIFICATION_TYPES


class NotificationSchema(BaseSchema):
    id = fields.String(required=True)
    type = fields.String(required=True, metadata={"enum": list(NOTIFICATION_TYPES)})
    title = fields.String(required=True)
    message = fields.String(required=True)
    action_url = fields.String(allow_none=True, metadata={"description": "Where the notification leads in the app"})
    link = fields.Function(lambda n: get_value(n, "action_url") or get_value(n, "link"), allow_none=True,
                           metadata={"type": "string", **deprecated("action_url")})
    priority = fields.String(metadata={"enum": list(PRIORITIES)})
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    is_read = fields.Boolean()
    read_at = DateTimeZ(allow_none=True)
    created_at = DateTimeZ()
    expires_at = DateTimeZ(allow_none=True)
    metadata = fields.Dict(attribute="details", allow_none=True, metadata={
        "description": "What the notification is about (ids, names), by kind of notification.", **FREE_FORM})


class NotificationListQuerySchema(time_window_schema("created")):
    unread_only = fields.Boolean(load_default=False)
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    type = fields.String(validate=validate.Length(max=50))


class UnreadCountSchema(Schema):
    unread_count = fields.Integer(required=True)


class NotificationReadSchema(Schema):
    success = fields.Boolean(required=True)
    notification = fields.Nested(NotificationSchema)


class ReadAllSchema(Schema):
    success = fields.Boolean(required=True)
    count = fields.Integer(required=True)


class SuccessSchema(Schema):
    success = fields.Boolean(required=True)


class BroadcastSchema(BaseSchema):
    type = fields.String(required=True, validate=validate.OneOf(BROADCAST_KINDS))
    title = fields.String(required=True, validate=[validate.Length(min=1, max=255), require_non_blank])
    message = fields.String(required=True, validate=[validate.Length(min=1, max=5000), require_non_blank])
    priority = fields.String(load_default="medium", validate=validate.OneOf(PRIORITIES))


class BroadcastResultSchema(Schema):
    success = fields.Boolean(required=True)
    notified_count = fields.Integer(required=True)
    message = fields.String(required=True)
