"""Extensions, created unbound and bound to the app in `create_app`."""
from flask import current_app, request
from flask_bcrypt import Bcrypt
from flask_cors import CORS
from flask_jwt_extended import JWTManager as _JWTManager
from flask_jwt_extended.config import config as _jwt_config
from flask_jwt_extended.default_callbacks import default_decode_key_callback
from flask_jwt_extended.tokens import _decode_jwt
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from jwt import ExpiredSignatureError
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import MultiDict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class JWTManager(_JWTManager):
    """flask-jwt-extended, verifying a token with one decode instead of two.

    The library first decodes every token without verification, only to hand its
    claims to a decode-key callback; with the configured static key that pass is
    wasted work on every request. The verified decode is the library's own, with the
    same options. Anything else (a key callback, an expired token whose header and
    claims the error handler wants) goes through the library unchanged.

    Private names used, each pinned by tests/test_app.py::
    test_the_private_library_names_the_app_relies_on_keep_their_shape, so an upgrade
    that changes one fails there first: `JWTManager._decode_jwt_from_config` (the
    override), `JWTManager._decode_key_callback`, `flask_jwt_extended.tokens._decode_jwt`
    and `flask_jwt_extended.config.config`. Behaviour: tests/security/test_token_validity.py.
    """

    def _decode_jwt_from_config(self, encoded_token: str, csrf_value=None, allow_expired: bool = False) -> dict:
        if allow_expired or self._decode_key_callback is not default_decode_key_callback:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)
        try:
            return _decode_jwt(
                algorithms=_jwt_config.decode_algorithms, audience=_jwt_config.decode_audience,
                csrf_value=csrf_value, encoded_token=encoded_token,
                identity_claim_key=_jwt_config.identity_claim_key, issuer=_jwt_config.decode_issuer,
                leeway=_jwt_config.leeway, secret=_jwt_config.decode_key,
                verify_aud=_jwt_config.decode_audience is not None, verify_sub=_jwt_config.verify_sub,
                allow_expired=False,
            )
        except ExpiredSignatureError:
            return super()._decode_jwt_from_config(encoded_token, csrf_value, allow_expired)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
jwt = JWTManager()
bcrypt = Bcrypt()
mail = Mail()
cors = CORS()
api = Api()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def not_rate_limited(view):
    """Mark a view that no rate limit applies to, so the limiter skips its per-request
    bookkeeping altogether (`limiter.exempt` still resolves limits on every request).
    Decorators applied above it copy the mark (functools.wraps)."""
    view.not_rate_limited = True
    return view


def check_limits_only_for_limited_views(app) -> None:
    """Gate flask-limiter's before_request check on the view's `not_rate_limited` mark.

    The limiter registers its check for every request, and a request filter would only
    run inside it, after the request was identified and the view's name resolved.
    Called once, after `limiter.init_app(app)`. Private name used: the limiter's bound
    `_check_request_limit`; an upgrade that renames it raises below at start-up, and
    tests/test_app.py::test_the_rate_limit_check_runs_for_limited_views_and_not_for_the_autosave
    proves the gate.
    """
    hooks = app.before_request_funcs.get(None, [])
    position = next((i for i, hook in enumerate(hooks) if hook == limiter._check_request_limit), None)
    if position is None:
        if not limiter.enabled:  # RATELIMIT_ENABLED=false: the limiter registered no hooks
            return
        raise RuntimeError("flask-limiter's request check was not found among the before_request hooks")
    check = hooks[position]

    def check_request_limit() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        if not getattr(view, "not_rate_limited", False):
            check()

    hooks[position] = check_request_limit


socketio = SocketIO()

CACHE_BUSTER = "_"


class ArgumentsParser(FlaskParser):
    """webargs' parser for `@blp.arguments`, with two changes:
    - a JSON body is decoded by the app's one decoder (app.common.strict_json), so a
      body nested too deeply, a number too long or a lone surrogate is a 400 like any
      other malformed JSON; an empty body is still "no body";
    - query strings are validated like bodies: an unknown parameter is a 422 naming it,
      not silently ignored (webargs' default for the query string is to drop them);
      the one exception is `_`, the cache-buster browsers and HTTP libraries append
      (`?_=1733570000000`), which is dropped before validation.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None,
    }

    def load_querystring(self, req, schema):
        args = req.args
        if CACHE_BUSTER in args:
            args = MultiDict([(key, value) for key, value in args.items(multi=True) if key != CACHE_BUSTER])
        return self._makeproxy(args, schema)

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return missing
        from app.common import strict_json
        raw = req.get_data(cache=True)
        return strict_json.loads(raw) if raw else missing


# Before any blueprint declares its arguments: each `@blp.arguments` binds the parser.
Blueprint.ARGUMENTS_PARSER = ArgumentsParser()
