"""One definition of a good token, for every route, the autosave and the sockets.

The library (flask-jwt-extended's `decode_token`, with the app's configuration and key
callbacks) judges signature and claims everywhere, the autosave included; the database
judges revocation on every request (`app.auth.tokens.token_still_good`), a revoked
token family included.
"""
import math
import secrets
from contextlib import contextmanager
from datetime import timedelta

import jwt
import pytest
from flask_jwt_extended.default_callbacks import default_decode_key_callback, default_encode_key_callback
from sqlalchemy import func, select

from app.attempts.models import StudentAnswer
from app.auth.models import TokenBlocklist
from app.auth.tokens import VerifiedTokens, family_key, purge_expired_tokens
from app.common.clock import utcnow
from app.extensions import db
from app.extensions import jwt as jwt_manager
from app.realtime.push import NOTIFICATIONS_NAMESPACE as NS
from tests.attempts.conftest import quiz_for, start
from tests.factories import tokens_for
from tests.helpers import assert_error
from tests.notifications.helpers import give
from tests.realtime.conftest import _listeners_connected, sockets  # noqa: F401  (shared socket fixtures)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def taking(client, school):  # noqa: F811
    """A started attempt, and what saving an answer to it takes."""
    attempt_id = start(client, quiz_for(school), school.student_a).get_json()["attempt_id"]
    answer = {"question_id": school.q.mcq.id, "answer_option": 1}

    def save(token):
        return client.post(f"/api/attempts/{attempt_id}/answer", headers=bearer(token), json=answer)

    def save_batch(token):
        return client.put(f"/api/attempts/{attempt_id}/answers", headers=bearer(token), json={"answers": [answer]})

    def saved() -> int:
        db.session.rollback()
        return db.session.scalar(select(func.count()).select_from(StudentAnswer)
                                 .where(StudentAnswer.attempt_id == attempt_id))

    return save, save_batch, saved


def _me(client, token):
    return client.get("/api/auth/me", headers=bearer(token))


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False}, algorithms=["HS256"])


# --- the library decides, the autosave included ------------------------------------


@pytest.mark.parametrize("claim, value", [("exp", math.inf), ("exp", math.nan), ("nbf", math.nan)])
def test_a_signed_token_with_a_non_finite_time_is_refused_everywhere(app, client, school, taking, sockets,  # noqa: F811
                                                                     claim, value):
    save, save_batch, saved = taking
    pair = tokens_for(school.student_a)
    claims = _claims(pair["access_token"])
    secret = app.config["JWT_SECRET_KEY"]
    forged = jwt.encode({**claims, claim: value}, secret, algorithm="HS256")  # JSON's Infinity / NaN
    assert ("NaN" if math.isnan(value) else "Infinity") in jwt.utils.base64url_decode(forged.split(".")[1]).decode()
    for response in (save(forged), save_batch(forged), _me(client, forged)):
        assert_error(response, 401, "TOKEN_INVALID")
    assert not sockets(NS, forged).is_connected(NS)
    assert saved() == 0
    forged_refresh = jwt.encode({**_claims(pair["refresh_token"]), claim: value}, secret, algorithm="HS256")
    assert_error(_refresh(client, forged_refresh), 401, "TOKEN_INVALID")
    assert save(jwt.encode(claims, secret, algorithm="HS256")).status_code == 200  # the same token, finite


@contextmanager
def _key_rotated():
    """The app signs and verifies with a new key (key callbacks, as in a key rotation):
    JWT_SECRET_KEY, the old key, verifies nothing any more."""
    new_key = secrets.token_hex(32)
    jwt_manager.encode_key_loader(lambda _identity: new_key)
    jwt_manager.decode_key_loader(lambda _header, _payload: new_key)
    try:
        yield
    finally:
        jwt_manager.encode_key_loader(default_encode_key_callback)
        jwt_manager.decode_key_loader(default_decode_key_callback)


def test_the_autosave_honours_the_key_callbacks_as_every_route_does(app, client, school, taking):  # noqa: F811
    save, save_batch, saved = taking
    claims = _claims(tokens_for(school.student_a)["access_token"])
    signed_with_old_key = jwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")
    with _key_rotated():
        for response in (save(signed_with_old_key), save_batch(signed_with_old_key), _me(client, signed_with_old_key)):
            assert_error(response, 401, "TOKEN_INVALID")
        assert saved() == 0
        signed_with_new_key = tokens_for(school.student_a)["access_token"]
        assert save(signed_with_new_key).status_code == 200
        assert _me(client, signed_with_new_key).status_code == 200


# --- the library's verdict, remembered ------------------------------------------------


class _Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def library_calls(monkeypatch):
    """Every call the cache makes to the library's decode_token (which still runs)."""
    from app.auth import tokens

    calls = []
    real = tokens.decode_token

    def counted(raw, *args, **kwargs):
        calls.append(raw)
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(tokens, "decode_token", counted)
    return calls


def _token(app, student, **expires):
    from flask_jwt_extended import create_access_token

    return create_access_token(identity=student.id, expires_delta=timedelta(**expires) if expires else None)


def test_the_library_result_is_remembered_per_token_string(app, school, library_calls):  # noqa: F811
    verified = VerifiedTokens()
    token = _token(app, school.student_a)
    assert verified.claims(token) == verified.claims(token) == _claims(token)
    assert library_calls == [token]


def test_a_refusal_is_never_remembered(app, library_calls):
    verified = VerifiedTokens()
    for _ in range(2):
        with pytest.raises(jwt.PyJWTError):
            verified.claims("not-a-token")
    assert len(library_calls) == 2


def test_a_remembered_result_ends_at_the_tokens_expiry(app, school, library_calls):  # noqa: F811
    token = _token(app, school.student_a, minutes=30)
    exp = _claims(token)["exp"]
    clock = _Clock(exp - 1)
    verified = VerifiedTokens(clock=clock)
    verified.claims(token)
    clock.now = exp  # the library itself still accepts it for real: only its clock says so
    verified.claims(token)
    assert len(library_calls) == 2


def test_a_remembered_result_is_checked_again_after_a_minute_at_most(app, school, library_calls):  # noqa: F811
    token = _token(app, school.student_a, minutes=30)
    clock = _Clock(_claims(token)["iat"])
    verified = VerifiedTokens(clock=clock)
    verified.claims(token)
    clock.now += VerifiedTokens.RECHECK_SECONDS - 1
    verified.claims(token)
    assert len(library_calls) == 1
    clock.now += 1
    verified.claims(token)
    assert len(library_calls) == 2


def test_the_least_recently_used_result_goes_first_beyond_the_size(app, school, library_calls):  # noqa: F811
    verified = VerifiedTokens(size=2)
    first, second, third = (_token(app, school.student_a) for _ in range(3))
    for token in (first, second, first, third):  # `second` is now the least recently used
        verified.claims(token)
    verified.claims(first)
    verified.claims(second)
    assert library_calls == [first, second, third, second]


# --- refresh-token reuse ends the whole family --------------------------------------------


def _refresh(client, refresh_token):
    return client.post("/api/auth/refresh", json={"refresh_token": refresh_token})


def test_replaying_a_spent_refresh_token_revokes_every_access_token_of_its_family(client, school, taking,  # noqa: F811
                                                                                  sockets):  # noqa: F811
    save, save_batch, saved = taking
    first = tokens_for(school.student_a)
    second = _refresh(client, first["refresh_token"]).get_json()
    another_login = tokens_for(school.student_a)
    assert save(second["access_token"]).status_code == 200  # verified once, so remembered
    connected = sockets(NS, second["access_token"])
    connected.get_received(NS)
    notification_id = give(school.student_a)

    assert_error(_refresh(client, first["refresh_token"]), 401, "TOKEN_REUSED")

    for token in (first["access_token"], second["access_token"]):
        for response in (save(token), save_batch(token), _me(client, token)):
            assert_error(response, 401, "TOKEN_REVOKED")
        assert not sockets(NS, token).is_connected(NS)
    connected.emit("mark_read", {"notification_id": notification_id}, namespace=NS)
    assert [event["args"][0]["error_code"] for event in connected.get_received(NS)] == ["TOKEN_REVOKED"]
    assert_error(_refresh(client, second["refresh_token"]), 401)
    # Another login of the same student is another family: it goes on working.
    assert save(another_login["access_token"]).status_code == 200
    assert _me(client, another_login["access_token"]).status_code == 200


def test_a_second_replay_is_refused_the_same_way(client, school):  # noqa: F811
    first = tokens_for(school.student_a)
    assert _refresh(client, first["refresh_token"]).status_code == 200
    for _ in range(2):
        assert_error(_refresh(client, first["refresh_token"]), 401, "TOKEN_REUSED")


def test_a_revoked_family_is_purged_once_its_access_tokens_have_expired(app, client, school):  # noqa: F811
    first = tokens_for(school.student_a)
    _refresh(client, first["refresh_token"])
    _refresh(client, first["refresh_token"])
    family = family_key(_claims(first["access_token"])["fam"])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(TokenBlocklist).where(TokenBlocklist.jti == family)) == 1
    lifetime = app.config["JWT_ACCESS_TOKEN_EXPIRES"]
    purge_expired_tokens(utcnow() + lifetime - timedelta(minutes=1))
    assert db.session.scalar(select(func.count()).select_from(TokenBlocklist).where(TokenBlocklist.jti == family)) == 1
    purge_expired_tokens(utcnow() + lifetime + timedelta(minutes=1))
    assert db.session.scalar(select(func.count()).select_from(TokenBlocklist).where(TokenBlocklist.jti == family)) == 0
