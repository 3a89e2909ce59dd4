"""/api/auth: login, refresh, logout, claim, password reset, change password.

`GET /api/auth/me` is served by the users package, which owns profiles."""
from flask import current_app, request
from flask_jwt_extended import current_user, get_jwt
from flask_smorest import Blueprint

from app.auth import schemas, services
from app.common.apidoc import documents_errors
from app.common.authz import role_required
from app.common.identifiers import login_key
from app.common.schemas import MessageSchema
from app.errors import Unauthorized
from app.extensions import limiter

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Authentication")


def _per_ip_limit() -> str:
    return current_app.config["RATELIMIT_AUTH_PER_IP"]


def _per_account_limit() -> str:
    return current_app.config["RATELIMIT_AUTH_PER_ACCOUNT"]


def _account_key(*fields):
    """Rate-limit key: the account named in the body, so one school's NAT address
    is not one bucket, while guessing at one account is slowed down. The key is the
    identifier's login key, the very value the account is looked up by: every
    spelling that reaches an account counts against that account's one bucket."""

    def key() -> str:
        body = request.get_json(silent=True) or {}
        value = next((body.get(f) for f in fields if isinstance(body.get(f), str)), "")
        return f"account:{request.endpoint}:{login_key(value)[:255]}"

    return key


def _failed(response) -> bool:
    return response.status_code in (401, 422)


def account_limited(*fields, failures_only=True):
    deduct = _failed if failures_only else None
    per_account = limiter.limit(_per_account_limit, key_func=_account_key(*fields), deduct_when=deduct)
    per_ip = limiter.limit(_per_ip_limit)
    return lambda view: documents_errors(429)(per_ip(per_account(view)))


@blp.route("/login", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(schemas.LoginSchema)
@blp.response(200, schemas.LoginResponseSchema)
@account_limited("email_or_reg_no")
@documents_errors(401)
def login(body):
    """Sign in with an e-mail or registration number.

    Wrong e-mail, wrong registration number and wrong password all answer the same 401. Limited per account
    and, generously, per address.
    """
    return services.login(body["email_or_reg_no"], body["password"])


@blp.route("/refresh", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(schemas.RefreshSchema, required=False)
@blp.response(200, schemas.TokenPairSchema)
@limiter.limit(_per_ip_limit)
@documents_errors(401, 429)
def refresh(body):
    """Exchange a refresh token for a new token pair.

    The refresh token may come in the body or as a bearer token; it is rotated, and reusing a rotated token
    revokes its whole family.
    """
    raw = (body or {}).get("refresh_token") or _bearer_token()
    if not raw:
        raise Unauthorized("A refresh token is required", error_code="TOKEN_MISSING")
    return services.refresh(raw)


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@blp.route("/logout", methods=["POST"])
@blp.arguments(schemas.LogoutSchema, required=False)
@blp.response(200, MessageSchema)
@role_required()
def logout(body):
    """Sign out.

    Revokes the presented access token, and the refresh token when one is sent.
    """
    services.logout(current_user, get_jwt(), (body or {}).get("refresh_token"))
    return {"message": "Logged out successfully"}


@blp.route("/claim-account", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(schemas.ClaimSchema)
@blp.response(200, schemas.ClaimResponseSchema)
@account_limited("registration_number")
@documents_errors(401)
def claim_account(body):
    """Claim a student account.

    Sets the first password of an imported student, with the one-time `claim_code` handed out when the
    student was created, and signs the student in: the response carries a token pair like a login.
    """
    signed_in = services.claim_account(body["registration_number"], body["password"], body.get("claim_code"))
    return {"message": "Account claimed successfully", **signed_in}


@blp.route("/forgot-password", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(schemas.ForgotPasswordSchema)
@blp.response(200, schemas.ForgotPasswordResponseSchema)
@account_limited("email", failures_only=False)
def forgot_password(body):
    """Ask for a password-reset code by e-mail.

    Answers the same for known and unknown addresses.
    """
    code = services.request_password_reset(body["email"])
    response = {"message": "If the account exists, a reset code has been sent to its e-mail"}
    if code and current_app.config["ECHO_RESET_CODE"]:
        response["token"] = code
    return response


@blp.route("/verify-reset-code", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(schemas.VerifyCodeSchema)
@blp.response(200, schemas.VerifyCodeResponseSchema)
@account_limited("email")
@documents_errors(401)
def verify_reset_code(body):
    """Exchange a password-reset code for a reset token."""
    reset_token = services.verify_reset_code(body["email"], body["code"])
    return {"message": "Code verified successfully", "reset_token": reset_token}


@blp.route("/reset-password", methods=["POST"])
@blp.doc(security=[])
@blp.arguments(schemas.ResetPasswordSchema)
@blp.response(200, MessageSchema)
@account_limited("email", "reset_token")
@documents_errors(401)
def reset_password(body):
    """Set a new password with a reset token or code."""
    services.reset_password(reset_token=body.get("reset_token"), email=body.get("email"),
                            code=body.get("code"), new_password=body["new_password"])
    return {"message": "Password reset successfully"}


@blp.route("/change-password", methods=["POST"])
@blp.arguments(schemas.ChangePasswordSchema)
@blp.response(200, schemas.ChangePasswordResponseSchema)
@role_required()
def change_password(body):
    """Change the caller's password.

    Needs the current password; revokes every other token of the account and returns a fresh token pair.
    """
    pair = services.change_password(current_user, body["current_password"], body["new_password"])
    return {"message": "Password changed successfully", **pair}

