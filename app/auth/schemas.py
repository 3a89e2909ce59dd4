"""Auth request and response bodies (seed 001 §5.1)."""
from marshmallow import ValidationError, fields, validate, validates_schema

from app.common.schemas import BaseSchema
from app.users.schemas import MeSchema

Password = lambda **kw: fields.String(validate=validate.Length(min=1, max=1024), load_only=True, **kw)  # noqa: E731


def _confirm_matches(data: dict, field: str) -> None:
    confirm = data.get("confirm_password")
    if confirm is not None and confirm != data.get(field):
        raise ValidationError("Passwords do not match.", "confirm_password")


class LoginSchema(BaseSchema):
    email_or_reg_no = fields.String(required=True, validate=validate.Length(min=1, max=255))
    password = Password(required=True)


class TokenPairSchema(BaseSchema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(required=True)


class LoginResponseSchema(TokenPairSchema):
    user = fields.Nested(MeSchema, required=True, metadata={"description": "The same object as `GET /auth/me`"})


class RefreshSchema(BaseSchema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class LogoutSchema(BaseSchema):
    refresh_token = fields.String(validate=validate.Length(max=4096))


class ClaimSchema(BaseSchema):
    registration_number = fields.String(required=True, validate=validate.Length(min=1, max=50))
    password = Password(required=True)
    confirm_password = Password(required=True)
    claim_code = fields.String(validate=validate.Length(max=64))

    @validates_schema
    def passwords_match(self, data, **kwargs):
        _confirm_matches(data, "password")


class ClaimResponseSchema(LoginResponseSchema):
    """A claim signs the student in: the token pair and user of a login, and a message."""

    message = fields.String(required=True)


class ForgotPasswordSchema(BaseSchema):
    email = fields.Email(required=True, validate=validate.Length(max=255))


class ForgotPasswordResponseSchema(BaseSchema):
    message = fields.String(required=True)
    token = fields.String(metadata={
        "optional": True, "description": "The reset code, echoed only in development and testing configuration."})


class VerifyCodeSchema(BaseSchema):
    email = fields.Email(required=True, validate=validate.Length(max=255))
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$", error="Must be 6 digits."))


class VerifyCodeResponseSchema(BaseSchema):
    message = fields.String(required=True)
    reset_token = fields.String(required=True)


class NewPasswordSchema(BaseSchema):
    """A new password, and its confirmation when the client sends one."""
    new_password = Password(required=True)
    confirm_password = Password()

    @validates_schema
    def passwords_match(self, data, **kwargs):
        _confirm_matches(data, "new_password")


class ResetPasswordSchema(NewPasswordSchema):
    reset_token = fields.String(validate=validate.Length(max=4096))
    email = fields.Email(validate=validate.Length(max=255))
    code = fields.String(validate=validate.Regexp(r"^\d{6}$", error="Must be 6 digits."))


class ChangePasswordSchema(NewPasswordSchema):
    current_password = Password(required=True)


class ChangePasswordResponseSchema(TokenPairSchema):
    message = fields.String(required=True)
