"""Tokens: issuing, rotating and revoking them, and the one definition of a good one.

An access token is good when flask-jwt-extended's `decode_token` accepts it (signature,
algorithm, expiry, not-before, issuer, audience: the app's configuration and key
callbacks), it is an access token (`is_access_token`), and `token_still_good` holds in
the database: its account is active and at the token's version, and neither the token
(logout) nor its family (refresh-token reuse) is on the blocklist. Every route (the jwt
callbacks below), the autosave's and start's own reads (app.auth.holder) and the sockets decide
with these functions; nothing else does.
"""
import math
import threading
import time
import uuid
from collections import OrderedDict
from datetime import datetime, timedelta, timezone

from flask import current_app, g
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from jwt import ExpiredSignatureError
from sqlalchemy import and_, bindparam, delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import PasswordResetToken, RefreshToken, TokenBlocklist
from app.common.clock import utcnow
from app.common.db import keep_changes_if_refused
from app.errors import Unauthorized, error_response
from app.extensions import db
from app.users.models import User

# --- issuing and rotating ------------------------------------------------------


def issue_token_pair(user: User, family_id: str | None = None) -> dict:
    """A fresh access + refresh token of one family (one login and its rotations); the
    refresh token is stored, and both carry the family (`fam`) so that revoking the
    family reaches the access tokens too."""
    family_id = family_id or str(uuid.uuid4())
    claims = {"ver": user.token_version, "role": user.role, "fam": family_id}
    access = create_access_token(identity=user.id, additional_claims=claims)
    refresh = create_refresh_token(identity=user.id, additional_claims=claims)
    db.session.add(RefreshToken(
        user_id=user.id, jti=decode_token(refresh)["jti"], family_id=family_id,
        expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
    ))
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": int(current_app.config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds()),
    }


def decode_refresh_token(raw: str) -> dict:
    try:
        claims = decode_token(raw)
    except Exception as exc:  # any decoding failure is the same 401 to the caller
        raise Unauthorized("The refresh token is invalid or expired", error_code="TOKEN_INVALID") from exc
    if claims.get("type") != "refresh":
        raise Unauthorized("A refresh token is required", error_code="TOKEN_INVALID")
    return claims


def rotate_refresh_token(raw: str) -> tuple[User, dict]:
    """Spend a refresh token once. Presenting a spent one revokes its whole family."""
    claims = decode_refresh_token(raw)
    now = utcnow()
    stored = db.session.scalar(select(RefreshToken).where(RefreshToken.jti == claims["jti"]))
    if stored is None or stored.expires_at <= now:
        raise Unauthorized("The refresh token is invalid or expired", error_code="TOKEN_INVALID")
    spent = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.is_revoked.is_(False))
        .values(is_revoked=True, revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        revoke_family(stored.family_id, stored.user_id, now)
        keep_changes_if_refused()  # the revocation is the point of refusing
        raise Unauthorized("The refresh token was already used; please log in again",
                           error_code="TOKEN_REUSED")
    user = db.session.get(User, stored.user_id)
    if user is None or not user.is_active or claims.get("ver") != user.token_version:
        raise Unauthorized("The refresh token has been revoked", error_code="TOKEN_REVOKED")
    pair = issue_token_pair(user, family_id=stored.family_id)
    stored.replaced_by = decode_token(pair["refresh_token"])["jti"]
    return user, pair


# --- revoking --------------------------------------------------------------------


def family_key(family_id: str) -> str:
    """A token family's entry on the blocklist, beside the jtis of logged-out tokens."""
    return f"family:{family_id}"


def revoke_family(family_id: str, user_id: str, now) -> None:
    """End a whole login: its refresh tokens, and every access token issued with them."""
    db.session.execute(
        update(RefreshToken).where(RefreshToken.family_id == family_id, RefreshToken.is_revoked.is_(False))
        .values(is_revoked=True, revoked_at=now).execution_options(synchronize_session=False)
    )
    # No token of the family is issued from now on, so the entry may go (purge) once the
    # newest access token it could name has expired.
    config = current_app.config
    outlives = config["JWT_ACCESS_TOKEN_EXPIRES"] + timedelta(seconds=_seconds(config.get("JWT_DECODE_LEEWAY", 0)))
    try:
        with db.session.begin_nested():
            db.session.add(TokenBlocklist(jti=family_key(family_id), user_id=user_id, token_type="family",
                                          expires_at=now + outlives))
    except IntegrityError:  # revoked already, by an earlier replay
        pass


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else value


def revoke_refresh_token(raw: str, user_id: str) -> None:
    try:
        claims = decode_token(raw, allow_expired=True)
    except Exception:
        return
    if claims.get("sub") != user_id:
        return
    db.session.execute(
        update(RefreshToken).where(RefreshToken.jti == claims.get("jti"), RefreshToken.is_revoked.is_(False))
        .values(is_revoked=True, revoked_at=utcnow()).execution_options(synchronize_session=False)
    )


def revoke_all_tokens(user: User) -> None:
    """Kill every token of a user: access tokens by version, refresh tokens in the table."""
    user.token_version = (user.token_version or 0) + 1
    db.session.execute(
        update(RefreshToken).where(RefreshToken.user_id == user.id, RefreshToken.is_revoked.is_(False))
        .values(is_revoked=True, revoked_at=utcnow()).execution_options(synchronize_session=False)
    )


def block_access_token(jwt_payload: dict) -> None:
    expires = datetime.fromtimestamp(jwt_payload["exp"], timezone.utc).replace(tzinfo=None)
    db.session.add(TokenBlocklist(jti=jwt_payload["jti"], user_id=jwt_payload.get("sub"),
                                  token_type=jwt_payload.get("type", "access"), expires_at=expires))


# --- is this token good? ------------------------------------------------------------


class VerifiedTokens:
    """The library's verdict on tokens it accepted lately, per exact token string.

    `decode_token` costs ~50 µs, and the autosave verifies a token on every save, every
    few seconds per student. An entry is the library's own result, kept until the token
    expires and for `RECHECK_SECONDS` at most (a key retired through a decode-key
    callback stops working here within that time too); the least recently used go
    first beyond `size`. Refusals are not remembered, and neither is revocation:
    `token_still_good` runs on every request.
    """

    RECHECK_SECONDS = 60

    def __init__(self, size: int = 4096, clock=time.time):
        self._size = size
        self._clock = clock  # the library's clock, not app.common.clock: it decides expiry
        self._entries: OrderedDict[str, tuple[dict, float]] = OrderedDict()
        self._lock = threading.Lock()

    def claims(self, raw: str) -> dict:
        """The token's claims (callers must not change them), or the library's exception."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(raw)
            if entry is not None and entry[1] > now:
                self._entries.move_to_end(raw)
                return entry[0]
        claims = decode_token(raw)
        until = min(claims.get("exp", math.inf), now + self.RECHECK_SECONDS)
        with self._lock:
            self._entries[raw] = (claims, until)
            self._entries.move_to_end(raw)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return claims


def verified_claims(raw: str) -> dict:
    """`decode_token(raw)`, the library call every route makes, remembered per token."""
    verified = current_app.extensions.get("verified_tokens")
    if verified is None:
        verified = current_app.extensions["verified_tokens"] = VerifiedTokens()
    return verified.claims(raw)


def is_access_token(claims: dict) -> bool:
    """An access token, not a refresh token nor a password-reset token (`purpose`)."""
    return claims.get("type") == "access" and not claims.get("purpose")


def access_claims(raw: str | None) -> dict:
    """The claims of a raw access token the library accepts; 401 for anything else."""
    if not raw or not isinstance(raw, str):
        raise Unauthorized("A bearer token is required", error_code="TOKEN_MISSING")
    try:
        claims = verified_claims(raw)
    except Exception as exc:  # expired and malformed alike: the client must log in again
        expired = isinstance(exc, ExpiredSignatureError)
        raise Unauthorized("The token has expired" if expired else "The token is invalid",
                           error_code="TOKEN_EXPIRED" if expired else "TOKEN_INVALID") from exc
    if not is_access_token(claims):
        raise Unauthorized("An access token is required", error_code="TOKEN_INVALID")
    return claims


def token_params(claims: dict) -> dict:
    """A verified token's claims as the bind values of `token_still_good`."""
    version, family = claims.get("ver"), claims.get("fam")
    return {
        "token_user_id": claims.get("sub"),
        "token_version": version if type(version) is int else None,  # noqa: E721 (True is no version)
        "token_jti": claims.get("jti"),
        # Tokens issued before families were carried have none: nothing to match.
        "token_family": family_key(family) if isinstance(family, str) else None,
    }


def token_still_good(role: str | None = None):
    """SQL, true on the token's account (`User`) while the token bound by `token_params`
    is still good: the account is active, at the token's version (deactivation and
    password changes move it on), and neither the token (logout) nor its family
    (refresh-token reuse) is on the blocklist.

    `role`: the account must also have that role now, for a caller acting on a role
    before it loads the account (app.auth.holder). Elsewhere the loaded account's own
    role is what `role_required` checks, so a role change takes effect at once.
    """
    conditions = [
        User.id == bindparam("token_user_id"),
        User.is_active.is_(True),
        User.token_version == bindparam("token_version"),
        # Two lookups by equality, not `jti IN (…)`: MariaDB resolves each on the unique
        # index while planning (a const lookup) rather than as a range scan.
        ~exists().where(TokenBlocklist.jti == bindparam("token_jti")),
        ~exists().where(TokenBlocklist.jti == bindparam("token_family")),
    ]
    if role is not None:
        conditions.append(User.role == role)
    return and_(*conditions)


# Built once: every authenticated request runs it, and building the statement (with its
# cache key) costs as much as executing it.
_USER_WITH_GOOD_TOKEN = select(User).where(token_still_good())


def good_token_user(claims: dict) -> User | None:
    """The verified token's account while the token is still good (`token_still_good`),
    else None. Nothing about the account is cached across requests: a role change,
    deactivation or revocation committed by any process is seen by the very next one."""
    return db.session.scalar(_USER_WITH_GOOD_TOKEN, token_params(claims))


def user_for_claims(claims: dict) -> User:
    """The verified token's account, unless the token was revoked; 401 otherwise."""
    user = good_token_user(claims)
    if user is None:
        raise Unauthorized("The token has been revoked", error_code="TOKEN_REVOKED")
    return user


def register_jwt_callbacks(jwt) -> None:
    @jwt.token_in_blocklist_loader
    def token_revoked(_header, payload):
        if not is_access_token(payload):
            return True
        g.jwt_user = db.session.scalar(_USER_WITH_GOOD_TOKEN, token_params(payload))
        return g.jwt_user is None

    @jwt.user_lookup_loader
    def load_user(_header, payload):
        user = g.pop("jwt_user", None)
        return user if user is not None and user.id == payload["sub"] else db.session.get(User, payload["sub"])

    @jwt.user_lookup_error_loader
    def user_missing(_header, _payload):
        return error_response(401, "The user of this token no longer exists", error_code="TOKEN_REVOKED")

    @jwt.revoked_token_loader
    def revoked(_header, _payload):
        return error_response(401, "The token has been revoked", error_code="TOKEN_REVOKED")

    @jwt.expired_token_loader
    def expired(_header, _payload):
        return error_response(401, "The token has expired", error_code="TOKEN_EXPIRED")

    @jwt.invalid_token_loader
    def invalid(reason):
        return error_response(401, "The token is invalid", error_code="TOKEN_INVALID")

    @jwt.unauthorized_loader
    def missing(reason):
        return error_response(401, "A bearer token is required", error_code="TOKEN_MISSING")

    @jwt.needs_fresh_token_loader
    def not_fresh(_header, _payload):
        return error_response(401, "A fresh token is required", error_code="TOKEN_NOT_FRESH")


def reset_token_expiry() -> timedelta:
    return timedelta(minutes=current_app.config["RESET_TOKEN_TTL_MINUTES"])


# --- the password-reset token and housekeeping ----------------------------------------

def issue_reset_token(user: User, reset_id: str) -> str:
    """A short-lived token that lets `user` set a new password, bound to the verified code
    `reset_id` and, like every token, to the account's version: a password change or a
    deactivation since voids it (`good_token_user`)."""
    return create_access_token(
        identity=user.id, expires_delta=reset_token_expiry(),
        additional_claims={"purpose": "password_reset", "rid": reset_id, "ver": user.token_version},
    )


def reset_token_claims(raw: str) -> dict | None:
    """The claims of a token flask-jwt-extended accepts, or None; the caller checks that
    it is a password-reset token and that its code is unused."""
    try:
        return decode_token(raw)
    except Exception:  # any refusal, whatever the library raised: the token is not good
        return None


def purge_expired_tokens(now) -> dict[str, int]:
    """Delete token rows past their expiry: an expired token fails its signature check
    before any of these rows would be read."""
    targets = {
        "blocklisted access tokens": delete(TokenBlocklist).where(TokenBlocklist.expires_at <= now),
        "refresh tokens": delete(RefreshToken).where(RefreshToken.expires_at <= now),
        "reset codes": delete(PasswordResetToken).where(PasswordResetToken.expires_at <= now),
    }
    return {name: db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount
            for name, stmt in targets.items()}
