"""The autosave's own HS256 check is never more lenient than PyJWT's.

Every token below goes through both: whatever PyJWT refuses, `hs256_claims` refuses
too; what both accept has the same claims. A few tokens PyJWT would take are refused
on purpose (an unexpected header field, an issuer nobody asked for): the caller then
falls back to flask-jwt-extended's full check.
"""
import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import jwt as pyjwt
import pytest

from app.auth.tokens import hs256_claims

SECRET = "s" * 64
ISSUER, AUDIENCE = "quiz-management-system", "quiz-management-api"


def _claims(**changes) -> dict:
    now = int(time.time())
    claims = {"sub": "user-1", "jti": "jti-1", "exp": now + 600, "iat": now, "nbf": now, "iss": ISSUER,
              "aud": AUDIENCE, "type": "access", "ver": 3, "role": "student"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not _DROP}


_DROP = object()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _raw_token(header: dict, claims: dict, secret: str = SECRET) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _encode(claims: dict, secret: str = SECRET, algorithm: str = "HS256", headers: dict | None = None) -> str:
    return pyjwt.encode(claims, secret, algorithm=algorithm, headers=headers)


def tokens() -> dict:
    """The cases, made at the moment a test runs: times are relative to now, so that a
    long run cannot turn "not yet valid" into valid or "expired a second ago" into a
    minute ago."""
    good, now = _encode(_claims()), int(time.time())
    return {
        "valid": good,
        "valid, audience in a list": _encode(_claims(aud=["other", AUDIENCE])),
        "wrong secret": _encode(_claims(), secret="x" * 64),
        "signature of another token": good.rsplit(".", 1)[0] + "." + _encode(_claims(sub="user-2")).rsplit(".", 1)[1],
        "payload swapped after signing": ".".join([good.split(".")[0], _encode(_claims(role="admin")).split(".")[1],
                                                   good.split(".")[2]]),
        "signature stripped": good.rsplit(".", 1)[0] + ".",
        "alg none": _b64(b'{"alg":"none","typ":"JWT"}') + "." + good.split(".")[1] + ".",
        "HS512": _encode(_claims(), algorithm="HS512"),
        "alg HS256 in lower case": _raw_token({"alg": "hs256", "typ": "JWT"}, _claims()),
        "header with a kid": _encode(_claims(), headers={"kid": "k1"}),
        "header not an object": _raw_token(["HS256"], _claims()),
        "payload not an object": _raw_token({"alg": "HS256"}, ["sub"]),
        "expired": _encode(_claims(exp=now - 1)),
        "expires now": _encode(_claims(exp=now)),
        "exp as a string": _raw_token({"alg": "HS256", "typ": "JWT"}, _claims(exp=str(now + 600))),
        "exp true": _raw_token({"alg": "HS256", "typ": "JWT"}, _claims(exp=True)),
        "no exp": _encode(_claims(exp=_DROP)),
        "not yet valid (nbf)": _encode(_claims(nbf=now + 300)),
        "issued in the future (iat)": _encode(_claims(iat=now + 300)),
        "iat as a string": _raw_token({"alg": "HS256", "typ": "JWT"}, _claims(iat="yesterday")),
        "wrong issuer": _encode(_claims(iss="someone-else")),
        "no issuer": _encode(_claims(iss=_DROP)),
        "wrong audience": _encode(_claims(aud="another-api")),
        "audience list without ours": _encode(_claims(aud=["a", "b"])),
        "audience list with a number": _raw_token({"alg": "HS256", "typ": "JWT"}, _claims(aud=[AUDIENCE, 7])),
        "no audience": _encode(_claims(aud=_DROP)),
        "no sub": _encode(_claims(sub=_DROP)),
        "sub a number": _raw_token({"alg": "HS256", "typ": "JWT"}, _claims(sub=12)),
        "no jti": _encode(_claims(jti=_DROP)),
        "two segments": ".".join(good.split(".")[:2]),
        "four segments": good + ".x",
        "padding in a segment": good + "==",
        "not base64": "%%%." + good.split(".", 1)[1],
        "empty": "",
        "garbage": "not-a-token",
    }


def _pyjwt_claims(token: str, **overrides) -> dict | None:
    options = {"issuer": ISSUER, "audience": AUDIENCE, "leeway": 0, **overrides}
    try:
        return pyjwt.decode(token, SECRET, algorithms=["HS256"], options={"require": ["exp", "sub", "jti"]},
                            **options)
    except pyjwt.PyJWTError:
        return None


@pytest.mark.parametrize("name", list(tokens()))
def test_never_accepts_what_pyjwt_refuses_and_agrees_on_what_both_accept(name):
    token = tokens()[name]
    ours = hs256_claims(token, SECRET, issuer=ISSUER, audience=AUDIENCE)
    theirs = _pyjwt_claims(token)
    if theirs is None:
        assert ours is None
    elif ours is not None:
        assert ours == theirs
    if name.startswith("valid"):
        assert ours is not None and ours == theirs


def test_an_unexpected_header_field_falls_back_to_the_library():
    token = tokens()["header with a kid"]
    assert _pyjwt_claims(token) is not None
    assert hs256_claims(token, SECRET, issuer=ISSUER, audience=AUDIENCE) is None


def test_leeway_extends_expiry_as_pyjwt_does():
    token = _encode(_claims(exp=int(time.time()) - 5))
    assert _pyjwt_claims(token, leeway=30) is not None
    assert hs256_claims(token, SECRET, issuer=ISSUER, audience=AUDIENCE, leeway=30) is not None
    assert hs256_claims(token, SECRET, issuer=ISSUER, audience=AUDIENCE, leeway=timedelta(seconds=30)) is not None
    assert hs256_claims(token, SECRET, issuer=ISSUER, audience=AUDIENCE, leeway=2) is None


def test_without_an_expected_issuer_or_audience_a_token_naming_one_is_refused():
    good = tokens()["valid"]
    assert hs256_claims(good, SECRET, issuer=ISSUER, audience=AUDIENCE) is not None
    assert hs256_claims(good, SECRET, issuer=None, audience=AUDIENCE) is None
    assert hs256_claims(good, SECRET, issuer=ISSUER, audience=None) is None
