"""User representations and the admin's user-management inputs."""
from marshmallow import ValidationError, fields, validate, validates_schema

from app.classes.schemas import ClassRefSchema
from app.common.schemas import BaseSchema, DateTimeZ, require_non_blank
from app.users.models import ROLES

TEACHERS_ONLY = {"optional": True, "description": "Teachers only."}
STUDENTS_ONLY = {"optional": True, "description": "Students only."}


class UserSchema(BaseSchema):
    id = fields.String(required=True)
    email = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True, metadata={"enum": list(ROLES)})
    is_active = fields.Boolean()
    is_email_verified = fields.Boolean()
    created_at = DateTimeZ()
    updated_at = DateTimeZ()
    last_login = DateTimeZ(allow_none=True)
    deleted_at = DateTimeZ(allow_none=True)
    # Teacher profile
    subject = fields.String(attribute="teacher.subject", allow_none=True, metadata=TEACHERS_ONLY)
    phone = fields.String(attribute="teacher.phone", allow_none=True, metadata=TEACHERS_ONLY)
    department = fields.String(attribute="teacher.department", allow_none=True, metadata=TEACHERS_ONLY)
    bio = fields.String(attribute="teacher.bio", allow_none=True, metadata=TEACHERS_ONLY)
    # Student profile
    registration_number = fields.String(attribute="student.registration_number", metadata=STUDENTS_ONLY)
    class_id = fields.String(attribute="student.class_id", allow_none=True, metadata=STUDENTS_ONLY)
    is_account_claimed = fields.Boolean(attribute="student.is_account_claimed", metadata=STUDENTS_ONLY)


class MeSchema(UserSchema):
    """The signed-in user's own profile: `GET /auth/me`, and the `user` of a login or claim."""

    classes = fields.List(fields.Nested(ClassRefSchema), attribute="teacher.assigned_classes",
                          metadata={**TEACHERS_ONLY, "description": "A teacher's classes"})
    school_class = fields.Nested(ClassRefSchema, data_key="class", attribute="student.school_class",
                                 allow_none=True, metadata={**STUDENTS_ONLY, "description": "A student's class"})


class UserListQuerySchema(BaseSchema):
    role = fields.String(validate=validate.OneOf(ROLES))
    is_active = fields.Boolean()


class UserCreateSchema(BaseSchema):
    email = fields.Email(required=True, validate=validate.Length(max=255))
    name = fields.String(required=True, validate=[validate.Length(min=1, max=255), require_non_blank])
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))
    role = fields.String(required=True, validate=validate.OneOf(("admin", "teacher")))
    subject = fields.String(validate=validate.Length(max=100), allow_none=True)
    phone = fields.String(validate=validate.Length(max=20), allow_none=True)
    department = fields.String(validate=validate.Length(max=100), allow_none=True)
    bio = fields.String(validate=validate.Length(max=5000), allow_none=True)


class UserUpdateSchema(BaseSchema):
    email = fields.Email(validate=validate.Length(max=255))
    name = fields.String(validate=[validate.Length(min=1, max=255), require_non_blank])
    password = fields.String(load_only=True, validate=validate.Length(max=128))
    role = fields.String(validate=validate.OneOf(("admin", "teacher")))
    subject = fields.String(validate=validate.Length(max=100), allow_none=True)
    phone = fields.String(validate=validate.Length(max=20), allow_none=True)
    department = fields.String(validate=validate.Length(max=100), allow_none=True)
    bio = fields.String(validate=validate.Length(max=5000), allow_none=True)

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")
