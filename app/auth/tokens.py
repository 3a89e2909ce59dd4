"""Issuing, rotating and checking tokens.

Every request loads its user in one query that also checks the access-token
blocklist: a role change, deactivation or logout takes effect on the next request.
The autosave reads the same account columns inside its own locking read instead
(`TokenHolder`), with the full check as its fallback.
"""
import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, g, request
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import bindparam, exists, select, update

from app.auth.models import RefreshToken, TokenBlocklist
from app.common.clock import utcnow
from app.errors import Unauthorized, error_response
from app.extensions import db
from app.users.models import RoleChecks, User


def issue_token_pair(user: User, family_id: str | None = None) -> dict:
    """A fresh access + refresh token; the refresh token is stored in its family."""
    claims = {"ver": user.token_version, "role": user.role}
    access = create_access_token(identity=user.id, additional_claims=claims)
    refresh = create_refresh_token(identity=user.id, additional_claims=claims)
    db.session.add(RefreshToken(
        user_id=user.id, jti=decode_token(refresh)["jti"], family_id=family_id or str(uuid.uuid4()),
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
        revoke_family(stored.family_id, now)
        # Commit the family revocation even though the request fails.
        db.session.commit()
        raise Unauthorized("The refresh token was already used; please log in again",
                           error_code="TOKEN_REUSED")
    user = db.session.get(User, stored.user_id)
    if user is None or not user.is_active or claims.get("ver") != user.token_version:
        raise Unauthorized("The refresh token has been revoked", error_code="TOKEN_REVOKED")
    pair = issue_token_pair(user, family_id=stored.family_id)
    stored.replaced_by = decode_token(pair["refresh_token"])["jti"]
    return user, pair


def revoke_family(family_id: str, now) -> None:
    db.session.execute(
        update(RefreshToken).where(RefreshToken.family_id == family_id, RefreshToken.is_revoked.is_(False))
        .values(is_revoked=True, revoked_at=now).execution_options(synchronize_session=False)
    )


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
    from datetime import datetime, timezone

    expires = datetime.fromtimestamp(jwt_payload["exp"], timezone.utc).replace(tzinfo=None)
    db.session.add(TokenBlocklist(jti=jwt_payload["jti"], user_id=jwt_payload.get("sub"),
                                  token_type=jwt_payload.get("type", "access"), expires_at=expires))


# Built once: every authenticated request runs it, and building the statement (with its
# cache key) costs as much as executing it.
_USER_UNLESS_BLOCKED = select(
    User, exists().where(TokenBlocklist.jti == bindparam("jti")).label("blocked"),
).where(User.id == bindparam("user_id"))


def _load_user_unless_blocked(jwt_payload: dict):
    """One query: the user, and whether this token's jti is on the blocklist.

    Nothing about the user is cached across requests: a role change, deactivation or
    revocation committed by any process is seen by the very next request.
    """
    return db.session.execute(
        _USER_UNLESS_BLOCKED, {"user_id": jwt_payload["sub"], "jti": jwt_payload["jti"]}
    ).first()


def _is_revoked(payload: dict, row) -> bool:
    if row is None:
        return True
    user, blocked = row
    return bool(blocked) or not user.is_active or payload.get("ver") != user.token_version


def access_claims(raw: str | None) -> dict:
    """Decode a raw access token (signature, expiry, issuer, audience, type)."""
    if not raw or not isinstance(raw, str):
        raise Unauthorized("A bearer token is required", error_code="TOKEN_MISSING")
    try:
        payload = decode_token(raw)
    except Exception as exc:  # expired and malformed alike: the client must log in again
        expired = exc.__class__.__name__ == "ExpiredSignatureError"
        raise Unauthorized("The token has expired" if expired else "The token is invalid",
                           error_code="TOKEN_EXPIRED" if expired else "TOKEN_INVALID") from exc
    if payload.get("type") != "access" or payload.get("purpose"):
        raise Unauthorized("An access token is required", error_code="TOKEN_INVALID")
    return payload


@dataclass(frozen=True, slots=True)
class TokenHolder(RoleChecks):
    """Who a verified access token names, before their account is read.

    Only a view whose own query also checks the account (active, same token version,
    token not on the blocklist) acts for a TokenHolder; see `account_vouched` and
    `authz.role_required(account_checked_by_view=True)`. Everywhere else the actor is
    the loaded `User`.
    """

    id: str
    role: str
    token_version: int
    jti: str

    def account_vouched(self, account_version: int | None) -> bool:
        """Is the token still good, given the account as a query read it?

        `account_version` is the user's token_version, read only while the account is
        active, still has the token's role, and this token is not on the blocklist
        (NULL otherwise).
        """
        return account_version is not None and account_version == self.token_version


def token_holder(roles: tuple[str, ...]) -> TokenHolder | None:
    """The request's bearer access token as a TokenHolder, when it verifies and its role
    claim is one of `roles`; None for anything else, and the caller then runs the full
    check, which gives the exact 401 or 403.

    Verifies what flask-jwt-extended verifies (signature, algorithm, expiry, issuer,
    audience, token type) with one decode and no database read.
    """
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    config = current_app.config
    if "HS256" not in config["JWT_DECODE_ALGORITHMS"]:
        return None
    claims = hs256_claims(header[7:], config["JWT_SECRET_KEY"], issuer=config["JWT_DECODE_ISSUER"],
                          audience=config["JWT_DECODE_AUDIENCE"], leeway=config.get("JWT_DECODE_LEEWAY", 0))
    if claims is None:
        return None
    version, role = claims.get("ver"), claims.get("role")
    if claims.get("type") != "access" or claims.get("purpose") or role not in roles or not isinstance(version, int):
        return None
    return TokenHolder(id=claims["sub"], role=role, token_version=version, jti=claims["jti"])


_SEGMENT = re.compile(r"[A-Za-z0-9_-]+\Z")


def hs256_claims(token: str, secret: str, *, issuer: str | None, audience: str | None,
                 leeway: float | timedelta = 0) -> dict | None:
    """The claims of an HS256 JWT signed with `secret` and valid now, else None.

    What PyJWT checks for such a token, no more leniently (tests/auth/test_hs256_claims
    holds the two side by side), at a fifth of its cost: the autosave verifies a token
    on every save. Anything unusual (another algorithm, an extra header field, a claim
    of the wrong type) is None, and the caller falls back to the library's check.
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.match(part) for part in parts):
        return None
    header_b64, payload_b64, signature_b64 = parts
    signed = hmac.new(secret.encode(), f"{header_b64}.{payload_b64}".encode("ascii"), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(signed, _b64url(signature_b64)):
            return None
        header, claims = json.loads(_b64url(header_b64)), json.loads(_b64url(payload_b64))
    except ValueError:  # binascii.Error and JSONDecodeError alike
        return None
    if not isinstance(header, dict) or header.get("alg") != "HS256" or set(header) - {"alg", "typ"}:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sub"), str) or \
            not isinstance(claims.get("jti"), str):
        return None
    leeway = leeway.total_seconds() if isinstance(leeway, timedelta) else leeway
    now = time.time()
    exp = claims.get("exp")
    if not _is_number(exp) or exp <= now - leeway:
        return None
    for claim in ("nbf", "iat"):
        value = claims.get(claim)
        if value is not None and (not _is_number(value) or value > now + leeway):
            return None
    if (issuer is not None or "iss" in claims) and claims.get("iss") != issuer:
        return None
    aud = claims.get("aud")
    if (audience is not None or "aud" in claims) and aud != audience and not (
            isinstance(aud, list) and audience in aud and all(isinstance(a, str) for a in aud)):
        return None
    return claims


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def user_for_claims(payload: dict) -> User:
    """The token's user, unless the token was revoked (blocklist, deactivation, version)."""
    row = _load_user_unless_blocked(payload)
    if _is_revoked(payload, row):
        raise Unauthorized("The token has been revoked", error_code="TOKEN_REVOKED")
    return row[0]


def user_from_access_token(raw: str | None) -> User:
    """The same checks as an HTTP request, for a token that arrives another way (sockets)."""
    return user_for_claims(access_claims(raw))


def register_jwt_callbacks(jwt) -> None:
    @jwt.token_in_blocklist_loader
    def token_revoked(_header, payload):
        if payload.get("purpose"):  # a password-reset token is not an access token
            return True
        row = _load_user_unless_blocked(payload)
        if row is not None:
            g.jwt_user = row[0]
        return _is_revoked(payload, row)

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
