"""The application factory: config → extensions → blueprints → errors → CLI → sockets."""
import importlib
import os

from flask import Flask, g, request
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from app.common.strict_json import SocketJSON, StrictJSONProvider
from app.config import CONFIGS
from app.extensions import api, bcrypt, cors, db, jwt, limiter, mail, migrate, socketio

DOMAINS = (
    "auth", "users", "students", "teachers", "classes", "questions", "quizzes", "attempts",
    "grading", "analytics", "exports", "notifications", "realtime",
)
# Receivers run in the order they connect: the live monitors first, so a violation
# reaches the teacher's screen before the notification about it is stored. The quizzes
# package listens only inside other domains' transactions (`question_changing`).
LISTENING_ORDER = ("quizzes", "realtime", "notifications")


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    config_name = config_name or os.environ.get("APP_ENV") or "development"
    config_class = CONFIGS[config_name]
    app = Flask(__name__, instance_relative_config=False)
    # `/api/x/` answers like `/api/x`, without a redirect, so POST bodies survive.
    app.url_map.strict_slashes = False
    app.session_interface = NoCookieSession()
    app.json = StrictJSONProvider(app)
    app.config.from_object(config_class)
    app.config.update(overrides or {})
    if hasattr(config_class, "validate"):
        config_class.validate(app.config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_class.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    _ensure_sqlite_folder(app)

    from app.common.logs import configure_logging
    configure_logging(app.config["LOG_LEVEL"])

    _init_extensions(app)
    _register_blueprints(app)
    from app.errors import register_error_handlers
    register_error_handlers(app)
    _register_request_hooks(app)
    _register_cli(app)
    _init_sockets(app)
    _wrap_wsgi(app)
    return app


class NoCookieSession(SessionInterface):
    """The API authenticates every request by its bearer token and keeps no cookie
    session: Flask's default would build a signing serializer and look for a cookie on
    every request, for nothing. `flask.session` is a NullSession that refuses writes."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def _ensure_sqlite_folder(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        os.makedirs(os.path.dirname(uri.removeprefix("sqlite:///")) or ".", exist_ok=True)


def _init_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)

    db.init_app(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from app.common.db import ping_connections_idle_for
        with app.app_context():
            ping_connections_idle_for(db.engine, app.config["DB_PING_IDLE_SECONDS"])
    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_reset_on_return", "rollback") is None:
        from app.common.db import rollback_on_return_only_when_needed
        with app.app_context():
            rollback_on_return_only_when_needed(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
                     render_as_batch=True, compare_type=True)
    bcrypt.init_app(app)
    mail.init_app(app)
    cors.init_app(app, resources={r"/api/*": {"origins": app.config["CORS_ORIGINS"]}},
                  expose_headers=["X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                                  "X-RateLimit-Reset", "Retry-After", "Content-Disposition",
                                  "Idempotent-Replayed", "X-Export-Skipped"])
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    from app.extensions import check_limits_only_for_limited_views
    check_limits_only_for_limited_views(app)
    jwt.init_app(app)
    from app.auth import tokens
    tokens.register_jwt_callbacks(jwt)
    app.config["API_SPEC_OPTIONS"] = {**app.config["API_SPEC_OPTIONS"], "security": [{"bearerAuth": []}]}
    from app.common.apidoc import ContractPlugin
    from app.common.idempotency import IdempotencyHeaderPlugin
    from app.common.schemas import ErrorSchema, MultipartFormPlugin, numeric_bounds
    api.ERROR_SCHEMA = ErrorSchema  # the documented error body is the contract's envelope
    from app.questions.openapi import QuestionTypesPlugin
    api.init_app(app, spec_kwargs={"extra_plugins": [
        MultipartFormPlugin(), IdempotencyHeaderPlugin(), QuestionTypesPlugin(), ContractPlugin(app)]})
    api.ma_plugin.converter.add_attribute_function(numeric_bounds)


def _register_blueprints(app: Flask) -> None:
    from app.common import apidoc
    from app.common.health import blp as health_blp
    app.register_blueprint(apidoc.assets)
    api.register_blueprint(health_blp)
    for domain in DOMAINS:
        module = _optional_module(f"app.{domain}.routes")
        # A domain serving more than one URL prefix lists its blueprints in BLUEPRINTS.
        for blueprint in getattr(module, "BLUEPRINTS", (module.blp,)) if module is not None else ():
            api.register_blueprint(blueprint)
    apidoc.complete_document(api.spec)


def _optional_module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, name.rsplit(".", 1)[0]):
            return None
        raise


def _register_request_hooks(app: Flask) -> None:
    from app.auth.holder import settle_token_holder
    from app.common.authz import authorize_before_parsing
    from app.common.db import commit, commits_at_boundary, rollback
    from app.common.idempotency import claim_idempotency_key, store_idempotent_response
    from app.common.logs import assign_request_id
    from app.errors import handle_unexpected, reject_method_on_static_path, reject_unsupported_media_type

    app.before_request(assign_request_id)
    app.before_request(reject_method_on_static_path)
    app.before_request(authorize_before_parsing)
    app.before_request(reject_unsupported_media_type)
    app.before_request(claim_idempotency_key)

    @app.after_request
    def finish_unit_of_work(response):
        # The request boundary commits once; an error response rolls back, unless it
        # is a refusal that keeps its changes (app.common.db.keep_changes_if_refused).
        response = settle_token_holder(response)
        if commits_at_boundary(response.status_code):
            response = store_idempotent_response(response)
        if commits_at_boundary(response.status_code):
            try:
                commit()
            except Exception as exc:  # never a 2xx for work that was not committed
                response = handle_unexpected(exc)
        else:
            rollback()
        return _add_standard_headers(response)


def _add_standard_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.path.startswith("/api"):
        response.headers.setdefault("Cache-Control", "no-store")
    if "request_id" in g:
        response.headers["X-Request-ID"] = g.request_id
    return response


def _register_cli(app: Flask) -> None:
    from app import cli
    cli.register(app)
    for domain in DOMAINS:
        module = _optional_module(f"app.{domain}.cli")
        if module is not None:
            module.register(app)


def _init_sockets(app: Flask) -> None:
    from app.realtime.manager import client_manager

    message_queue = app.config["REDIS_URL"] if app.config.get("SOCKETIO_USE_REDIS", True) else None
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE") or _detect_async_mode(),
        client_manager=client_manager(message_queue, app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"),
        cors_allowed_origins=_socket_origins(app.config["CORS_ORIGINS"]),
        json=SocketJSON,  # packets are decoded like request bodies
    )
    module = _optional_module("app.realtime.namespaces")
    if module is not None:
        module.register(socketio)
    connect_listeners()


def connect_listeners() -> None:
    """Connect every package's reactions to the domain events (idempotent)."""
    for domain in LISTENING_ORDER:
        listeners = _optional_module(f"app.{domain}.listeners")
        if listeners is not None:
            listeners.connect()


def _socket_origins(origins: list[str]):
    """python-engineio reads `[]` as "no origin check at all": an empty list means same-origin only."""
    if origins == ["*"]:
        return "*"
    return origins or None


def _detect_async_mode() -> str:
    try:
        from gevent import monkey
        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:
        pass
    return "threading"


def _wrap_wsgi(app: Flask) -> None:
    hops = app.config["TRUSTED_PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
