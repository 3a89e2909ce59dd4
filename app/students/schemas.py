"""Student representations, management inputs, import report and export query."""
from marshmallow import ValidationError, fields, validate, validates, validates_schema

from app.classes.schemas import ClassRefSchema
from app.common.clock import utcnow
from app.common.schemas import BaseSchema, DateTimeZ, UUIDString, deprecated, require_non_blank


class StudentSchema(BaseSchema):
    id = fields.String(required=True)
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email")
    registration_number = fields.String()
    class_id = fields.String(allow_none=True)
    school_class = fields.Nested(ClassRefSchema, data_key="class", allow_none=True)
    is_account_claimed = fields.Boolean()
    claimed_at = DateTimeZ(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    parent_email = fields.String(allow_none=True)
    parent_phone = fields.String(allow_none=True)
    is_active = fields.Boolean(attribute="user.is_active")
    last_login = DateTimeZ(attribute="user.last_login", allow_none=True)
    created_at = DateTimeZ()
    deleted_at = DateTimeZ(attribute="user.deleted_at", allow_none=True)


class StudentWithCodeSchema(StudentSchema):
    # Shown once, to the admin or teacher who created the account or asked for a new code.
    claim_code = fields.String(required=True)
    claim_code_created_at = DateTimeZ(allow_none=True)


class StudentDeletedSchema(BaseSchema):
    id = fields.String(required=True)
    deleted = fields.Boolean(required=True)
    deleted_at = DateTimeZ(allow_none=True)
    message = fields.String(required=True)


class StudentListQuerySchema(BaseSchema):
    class_id = UUIDString()
    claimed = fields.Boolean()
    # Deactivated (deleted) students are listed with is_active=false.
    is_active = fields.Boolean(load_default=True)


def _past_date(value) -> None:
    if value > utcnow().date():
        raise ValidationError("Must not be in the future.")


def _email(**kw):
    return fields.Email(validate=validate.Length(max=255), **kw)


class _StudentFields(BaseSchema):
    name = fields.String(validate=[validate.Length(min=1, max=255), require_non_blank])
    email = _email()
    registration_number = fields.String(validate=[validate.Length(min=1, max=50), require_non_blank])
    class_id = UUIDString(allow_none=True)
    date_of_birth = fields.Date(allow_none=True, validate=_past_date)
    parent_email = _email(allow_none=True)
    parent_phone = fields.String(allow_none=True, validate=validate.Length(max=20))


class StudentCreateSchema(_StudentFields):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=255), require_non_blank])
    email = _email(required=True)
    registration_number = fields.String(required=True,
                                        validate=[validate.Length(min=1, max=50), require_non_blank])


class StudentUpdateSchema(_StudentFields):
    @validates_schema
    def not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Send at least one field to change.", "_schema")


class StudentExportQuerySchema(BaseSchema):
    class_id = UUIDString()
    format = fields.String(load_default="csv", validate=validate.OneOf(("csv", "xlsx")))
    claimed = fields.Boolean()
    is_active = fields.Boolean(load_default=True)


class StudentImportOptionsSchema(BaseSchema):
    dry_run = fields.Boolean(load_default=False)


class StudentImportFileSchema(BaseSchema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})

    @validates("file")
    def is_upload(self, value, **kwargs):
        if not hasattr(value, "read"):
            raise ValidationError("Attach the file as a multipart upload.")


class StudentImportErrorSchema(BaseSchema):
    row = fields.Integer(required=True)
    field = fields.String(allow_none=True)
    message = fields.String(attribute="error", required=True, dump_only=True)
    error = fields.String(required=True, metadata=deprecated("message"))


class ImportedStudentSchema(BaseSchema):
    row = fields.Integer(required=True)
    id = fields.String(allow_none=True)
    name = fields.String()
    email = fields.String()
    registration_number = fields.String()
    class_id = fields.String(allow_none=True)
    class_name = fields.String()
    section = fields.String(allow_none=True)
    academic_year = fields.String(allow_none=True)
    claim_code = fields.String(allow_none=True)


class StudentImportResultSchema(BaseSchema):
    message = fields.String(required=True)
    dry_run = fields.Boolean(required=True)
    total_rows = fields.Integer(required=True)
    imported = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    classes_created = fields.List(fields.Nested(ClassRefSchema))
    errors = fields.List(fields.Nested(StudentImportErrorSchema))
    imported_students = fields.List(fields.Nested(ImportedStudentSchema))


class AccommodationInSchema(BaseSchema):
    extra_time_percent = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=400),
                                        metadata={"description": "Added to every timed quiz's limit, in percent"})
    extra_time_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1440),
                                        metadata={"description": "Added after the percentage, in minutes"})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000),
                         metadata={"description": "For staff; never shown to the student"})


class AccommodationSchema(BaseSchema):
    student_id = fields.String(required=True)
    extra_time_percent = fields.Integer(required=True)
    extra_time_minutes = fields.Integer(required=True)
    note = fields.String(required=True, allow_none=True)
    updated_by = fields.String(allow_none=True)
    updated_at = DateTimeZ(allow_none=True)
