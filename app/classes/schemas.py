"""Class representations and the class-management inputs (seed 001 §5.5)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from app.common.schemas import BaseSchema, DateTimeZ, UUIDString, require_non_blank

MAX_STUDENTS_PER_ASSIGNMENT = 1000


class ClassTeacherSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email")
    subject = fields.String(allow_none=True)


class ClassStudentSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email")
    registration_number = fields.String()
    is_account_claimed = fields.Boolean()


class ClassRefSchema(BaseSchema):
    """A class as other objects name it: a student's class, a teacher's or a quiz's classes."""
    id = fields.String(required=True)
    name = fields.String(required=True)
    section = fields.String(allow_none=True)
    academic_year = fields.String(allow_none=True)


class ClassSchema(ClassRefSchema):
    created_by = fields.String(allow_none=True)
    created_at = DateTimeZ()
    updated_at = DateTimeZ()
    student_count = fields.Integer()
    teachers = fields.List(fields.Nested(ClassTeacherSchema))


class ClassDetailSchema(ClassSchema):
    # Seed 001 shows one `teacher`; a class may have several, all in `teachers`.
    teacher = fields.Nested(ClassTeacherSchema, allow_none=True)
    students = fields.List(fields.Nested(ClassStudentSchema), attribute="active_students")


class ClassListQuerySchema(BaseSchema):
    academic_year = fields.String(validate=validate.Length(max=20))
    teacher_id = UUIDString()


def _optional_text(max_length: int):
    return fields.String(allow_none=True, validate=validate.Length(max=max_length))


class ClassCreateSchema(BaseSchema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), require_non_blank])
    section = _optional_text(50)
    academic_year = _optional_text(20)


class ClassUpdateSchema(BaseSchema):
    name = fields.String(validate=[validate.Length(min=1, max=100), require_non_blank])
    section = _optional_text(50)
    academic_year = _optional_text(20)

    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class AssignTeacherSchema(BaseSchema):
    teacher_id = UUIDString(required=True)


class AssignStudentsSchema(BaseSchema):
    student_ids = fields.List(UUIDString(), required=True,
                              validate=validate.Length(min=1, max=MAX_STUDENTS_PER_ASSIGNMENT))
