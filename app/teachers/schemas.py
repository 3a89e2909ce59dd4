"""Teacher representations (seed 001 §5.4)."""
from marshmallow import fields

from app.classes.schemas import ClassRefSchema
from app.common.schemas import BaseSchema, DateTimeZ


class TeacherSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email")
    subject = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    is_active = fields.Boolean(attribute="user.is_active")
    last_login = DateTimeZ(attribute="user.last_login", allow_none=True)
    created_at = DateTimeZ()
    classes = fields.List(fields.Nested(ClassRefSchema))


class TeacherListQuerySchema(BaseSchema):
    subject = fields.String()
    is_active = fields.Boolean()
