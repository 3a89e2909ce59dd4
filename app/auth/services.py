"""Authentication use cases: login, refresh, logout, claim, password reset and change."""
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app.auth import tokens
from app.auth.models import PasswordResetToken
from app.auth.passwords import (
    check_password_policy,
    codes_match,
    hash_code,
    hash_password,
    verify_password,
)
from app.common import events
from app.common.audit import record_audit
from app.common.clock import utcnow
from app.common.db import keep_changes_if_refused
from app.common.identifiers import login_key
from app.common.mailer import send_after_commit
from app.errors import Unauthorized, ValidationFailed
from app.extensions import db
from app.students.models import Student
from app.users.models import User

INVALID_LOGIN = "Invalid credentials"
CLAIM_REFUSED = "The account cannot be claimed with these details"
RESET_CODE_INVALID = "The code is invalid or has expired"


def find_login_user(identifier: str) -> User | None:
    """The account whose e-mail or registration number has the identifier's login key.

    Should a registration number be spelled like another account's e-mail, the e-mail
    wins, every time: one key names one account."""
    key = login_key(identifier)
    stmt = (
        select(User).outerjoin(Student, Student.id == User.id)
        .where(or_(User.email_key == key, Student.registration_key == key))
        .order_by((User.email_key == key).desc()).limit(1)
    )
    return db.session.scalars(stmt).first()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email_key == login_key(email)))


def login(identifier: str, password: str) -> dict:
    user = find_login_user(identifier)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise Unauthorized(INVALID_LOGIN, error_code="INVALID_CREDENTIALS")
    user.last_login = utcnow()
    db.session.flush()  # the returned user shows the row as stored (updated_at)
    return {**tokens.issue_token_pair(user), "user": user}


def refresh(raw_refresh_token: str) -> dict:
    _user, pair = tokens.rotate_refresh_token(raw_refresh_token)
    return pair


def logout(user: User, access_payload: dict, raw_refresh_token: str | None) -> None:
    tokens.block_access_token(access_payload)
    if raw_refresh_token:
        tokens.revoke_refresh_token(raw_refresh_token, user.id)
    events.publish(events.access_revoked, user_id=user.id, reason="logout")


def claim_account(registration_number: str, password: str, claim_code: str | None) -> dict:
    """Set the student's first password and sign them in (a token pair and the user, as `login`)."""
    student = db.session.scalar(
        select(Student).where(Student.registration_key == login_key(registration_number))
    )
    code_required = current_app.config["CLAIM_CODE_REQUIRED"]
    acceptable = (
        student is not None and not student.is_account_claimed and student.user.is_active
        and (not code_required or codes_match(student.claim_code_hash, claim_code or ""))
    )
    if not acceptable:
        raise Unauthorized(CLAIM_REFUSED, error_code="CLAIM_REFUSED")
    check_password_policy(password)
    now = utcnow()
    student.user.password_hash = hash_password(password)
    student.is_account_claimed = True
    student.claimed_at = now
    student.claim_code_hash = None
    record_audit(student.user, "account_claimed", "student", student.id)
    student.user.last_login = now
    db.session.flush()
    return {**tokens.issue_token_pair(student.user), "user": student.user}


def request_password_reset(email: str) -> str | None:
    """Issue a new 6-digit code (voiding older ones). Returns it for dev echo only."""
    user = find_user_by_email(email)
    if user is None or not user.is_active or not user.password_hash:
        return None
    now = utcnow()
    _void_reset_codes(user.id, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    ttl = current_app.config["RESET_CODE_TTL_MINUTES"]
    db.session.add(PasswordResetToken(user_id=user.id, code_hash=hash_code(code),
                                      expires_at=now + timedelta(minutes=ttl)))
    send_after_commit(user.email, "Your password reset code",
                      f"Your password reset code is {code}. It expires in {ttl} minutes.")
    return code


def _void_reset_codes(user_id: str, now) -> None:
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.is_used.is_(False))
        .values(is_used=True).execution_options(synchronize_session=False)
    )


def _check_reset_code(email: str, code: str) -> tuple[User, PasswordResetToken]:
    user = find_user_by_email(email)
    now = utcnow()
    entry = None if user is None or not user.is_active else db.session.scalar(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.is_used.is_(False),
            PasswordResetToken.expires_at > now,
        ).order_by(PasswordResetToken.created_at.desc())
    )
    if entry is None:
        raise Unauthorized(RESET_CODE_INVALID, error_code="RESET_CODE_INVALID")
    if not codes_match(entry.code_hash, code):
        entry.failed_attempts += 1
        if entry.failed_attempts >= current_app.config["RESET_CODE_MAX_TRIES"]:
            entry.is_used = True
        keep_changes_if_refused()  # the failed try counts even though the request fails
        raise Unauthorized(RESET_CODE_INVALID, error_code="RESET_CODE_INVALID")
    return user, entry


def verify_reset_code(email: str, code: str) -> str:
    """Exchange a correct code for a short-lived reset token bound to that code."""
    user, entry = _check_reset_code(email, code)
    return tokens.issue_reset_token(user, entry.id)


def _user_from_reset_token(raw: str) -> tuple[User, PasswordResetToken]:
    claims = tokens.reset_token_claims(raw)
    if claims is None:
        raise Unauthorized(RESET_CODE_INVALID, error_code="RESET_TOKEN_INVALID")
    entry = db.session.get(PasswordResetToken, claims.get("rid", ""))
    if claims.get("purpose") != "password_reset" or entry is None or entry.is_used \
            or entry.user_id != claims.get("sub"):
        raise Unauthorized(RESET_CODE_INVALID, error_code="RESET_TOKEN_INVALID")
    # A password change or deactivation since the code was verified voids the token.
    user = tokens.good_token_user(claims)
    if user is None:
        raise Unauthorized(RESET_CODE_INVALID, error_code="RESET_TOKEN_INVALID")
    return user, entry


def reset_password(*, reset_token: str | None, email: str | None, code: str | None,
                   new_password: str) -> User:
    if reset_token:
        user, entry = _user_from_reset_token(reset_token)
    elif email and code:
        user, entry = _check_reset_code(email, code)
    else:
        raise ValidationFailed("Send reset_token, or email and code",
                               details={"reset_token": ["Required unless email and code are sent."]})
    check_password_policy(new_password, "new_password")
    entry.is_used = True
    set_password(user, new_password, actor=user, action="password_reset")
    return user


def set_password(user: User, new_password: str, *, actor: User | None, action: str) -> None:
    """Every password change revokes every token the user holds and ends their live sockets."""
    user.password_hash = hash_password(new_password)
    tokens.revoke_all_tokens(user)
    events.publish(events.access_revoked, user_id=user.id, reason="password_changed")
    record_audit(actor, action, "user", user.id)


def change_password(user: User, current_password: str, new_password: str) -> dict:
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed("The current password is wrong",
                               details={"current_password": ["Incorrect password."]})
    check_password_policy(new_password, "new_password")
    set_password(user, new_password, actor=user, action="password_changed")
    return tokens.issue_token_pair(user)
