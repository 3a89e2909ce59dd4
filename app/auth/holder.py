"""Acting for a token's holder before loading their account: the hot paths' shortcut.

Every other route loads the caller's account in the per-request check (one query)
before its own queries run. The two routes a whole year group calls at once, the
autosave and start, fold that check into their own read instead:
`token_holder_required(role)` verifies the token with the library alone (no database
read) and the view acts for a `TokenHolder`; the view's read includes
`app.auth.tokens.token_still_good(role)`, bound with the holder's `token_params`, and a
row found by it vouches for the token (`vouch()`). The autosave's read is its locking
read of the attempt (app.attempts.answers); start's is its one read
(app.attempts.start_read).

A new route may use it only when it is that hot and every successful response
follows one such read. The request boundary holds it to that
(`settle_token_holder`): a success that no read vouched for is a 500 (and nothing is
committed), and a refusal that no read vouched for (a body refused before the read,
nothing found, a token no longer good) waits for the full per-request check, so a
revoked token or a wrong role hears the same 401 or 403 as on any other route.
"""
from dataclasses import dataclass, field
from functools import partial

from flask import current_app, g, request
from flask_jwt_extended import get_jwt

from app.auth.tokens import is_access_token, token_params, verified_claims
from app.common.authz import authorized_by, require_token
from app.errors import handle_unexpected
from app.users.models import RoleChecks


@dataclass
class TokenHolder(RoleChecks):
    """Who a verified access token names, acting as `role` before their account is read."""

    id: str
    role: str
    token_params: dict = field(repr=False)  # the bind values of token_still_good
    vouched: bool = False

    def vouch(self) -> None:
        """Called by the read that found the token still good."""
        self.vouched = True


def token_holder_required(role: str):
    """The view acts for a `TokenHolder` of `role` (`current_token_holder()`); see the
    module's docstring for when a route may use it."""

    def decorator(view):
        wrapper = authorized_by(partial(_admit, role))(view)
        wrapper.acts_for_token_holder = True
        wrapper.required_roles = (role,)
        return wrapper

    return decorator


def current_token_holder() -> TokenHolder:
    return g.token_holder


def _admit(role: str) -> None:
    claims = _bearer_claims()
    if claims is None:  # missing, malformed, expired or not an access token: the full check says which
        require_token((role,))
        claims = get_jwt()
    g.token_holder = TokenHolder(id=claims["sub"], role=role, token_params=token_params(claims))


def _bearer_claims() -> dict | None:
    """The claims of the request's `Bearer` access token as the library verifies them."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Bearer" or not raw:
        return None
    try:
        claims = verified_claims(raw)
    except Exception:  # the library refused it; the full check gives the exact 401
        return None
    return claims if is_access_token(claims) else None


def settle_token_holder(response):
    """after_request: the token of a holder no read vouched for gets the full check."""
    holder = g.pop("token_holder", None)
    if holder is None or holder.vouched:
        return response
    if response.status_code < 400:
        return handle_unexpected(RuntimeError(
            f"{request.endpoint} acted for a token holder without a read that vouched for the token"))
    try:
        require_token((holder.role,))
    except Exception as exc:  # the token's own 401/403, through the app's error handlers
        return current_app.make_response(current_app.handle_user_exception(exc))
    return response
