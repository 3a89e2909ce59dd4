"""Configuration: one class per environment, every value from the environment.

`DATABASE_URL`, `REDIS_URL` and the mail settings are honoured by every
configuration, testing included, so the same suite runs on SQLite and MariaDB.
"""
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-secret-change-me"
DEFAULT_JWT_SECRET = "dev-jwt-secret-change-me-please-32b"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Pick the MySQL driver: PyMySQL unless the URL names one.

    PyMySQL is pure Python and cooperates with gevent; see README "MySQL driver".
    """
    if url.startswith("mysql://"):
        driver = os.environ.get("MYSQL_DRIVER", "pymysql")
        url = url.replace("mysql://", f"mysql+{driver}://", 1)
    if url.startswith("mysql") and "charset=" not in url:
        url += ("&" if "?" in url else "?") + "charset=utf8mb4"
    return url


def database_tls_args(uri: str, mode: str, ca_file: str | None = None) -> dict:
    """PyMySQL's connect arguments for TLS to the database (`DB_TLS`).

    - `off` (default): plain TCP, for a database on the same host or private network.
      PyMySQL's own default ("preferred": TLS if the server offers it, certificate
      unchecked) builds a fresh SSL context for every new connection, about 16 ms of
      CPU during which a gevent worker serves nobody; a pool growing under an exam-day
      burst stalled every request of the instance for a few hundred milliseconds.
    - `preferred`: that default, unchanged.
    - `verify`: TLS required, the server's certificate and host name checked against
      `DB_TLS_CA` (or the system's CAs), with one SSL context per process.

    TLS options written into DATABASE_URL itself (`?ssl_ca=…`) are left to the driver.
    """
    from sqlalchemy.engine import make_url

    url = make_url(uri)
    if url.get_driver_name() != "pymysql" or any(key.startswith("ssl") for key in url.query):
        return {}
    if mode == "off":
        return {"ssl_disabled": True}
    if mode == "preferred":
        return {}
    if mode == "verify":
        import ssl
        return {"ssl": ssl.create_default_context(cafile=ca_file)}
    raise RuntimeError(f"DB_TLS must be off, preferred or verify, not {mode!r}")


class Config:
    APP_ENV = "development"
    VERSION = "1.0.0"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET)

    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'quiz.db'}")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # The zone people read times in: PDFs and spreadsheets (the API speaks UTC).
    SCHOOL_TIMEZONE = os.environ.get("SCHOOL_TIMEZONE") or "UTC"
    # The Redis pub/sub channel joining the Socket.IO servers of one deployment.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    # Seconds between two `quiz_status` pushes to a monitored quiz's room.
    MONITOR_STATUS_INTERVAL = float(os.environ.get("MONITOR_STATUS_INTERVAL", "5"))

    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY", DEFAULT_JWT_SECRET)
    JWT_ALGORITHM = "HS256"
    JWT_DECODE_ALGORITHMS = ["HS256"]
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ENCODE_ISSUER = JWT_DECODE_ISSUER = os.environ.get("JWT_ISSUER", "quiz-management-system")
    JWT_ENCODE_AUDIENCE = JWT_DECODE_AUDIENCE = os.environ.get("JWT_AUDIENCE", "quiz-management-api")
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=env_int("JWT_REFRESH_DAYS", 7))
    JWT_ERROR_MESSAGE_KEY = "message"

    BCRYPT_LOG_ROUNDS = env_int("BCRYPT_LOG_ROUNDS", 12)
    CLAIM_CODE_REQUIRED = env_bool("CLAIM_CODE_REQUIRED", True)
    RESET_CODE_TTL_MINUTES = 10
    RESET_CODE_MAX_TRIES = 5
    RESET_TOKEN_TTL_MINUTES = 15
    ECHO_RESET_CODE = True

    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    # A whole school logs in from one NAT address: per-IP limits stay generous,
    # failed attempts are limited per account.
    RATELIMIT_AUTH_PER_IP = os.environ.get("RATELIMIT_AUTH_PER_IP", "600 per minute")
    RATELIMIT_AUTH_PER_ACCOUNT = os.environ.get(
        "RATELIMIT_AUTH_PER_ACCOUNT", "5 per minute;20 per hour"
    )

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = env_int("MAIL_PORT", 587)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "noreply@quiz.local")
    # Without an SMTP server, mail is written to the log instead of being sent.
    MAIL_SUPPRESS_SEND = not MAIL_SERVER

    CORS_ORIGINS = [o.strip() for o in os.environ.get("CORS_ORIGINS", "*").split(",") if o.strip()]
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # Uploaded tables are measured against these before they are parsed (app.common.uploads).
    IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
    IMPORT_MAX_UNPACKED_MB = env_int("IMPORT_MAX_UNPACKED_MB", 64)
    STUDENT_IMPORT_MAX_ROWS = env_int("STUDENT_IMPORT_MAX_ROWS", 5000)
    QUESTION_IMPORT_MAX_ROWS = env_int("QUESTION_IMPORT_MAX_ROWS", 2000)
    # Question images (app.questions.media): where they are kept, how large, how long a URL lives.
    MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "local").strip().lower()
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT") or None  # None: <instance folder>/media
    MEDIA_S3_BUCKET = os.environ.get("MEDIA_S3_BUCKET") or None
    MEDIA_S3_ENDPOINT_URL = os.environ.get("MEDIA_S3_ENDPOINT_URL") or None
    MEDIA_S3_REGION = os.environ.get("MEDIA_S3_REGION") or None
    MEDIA_MAX_MB = env_int("MEDIA_MAX_MB", 5)
    MEDIA_URL_TTL_SECONDS = env_int("MEDIA_URL_TTL_SECONDS", 600)
    # Question files (Moodle XML, GIFT, CSV, JSON) beyond this size are refused (413) unread.
    QUESTION_IMPORT_MAX_MB = env_int("QUESTION_IMPORT_MAX_MB", 10)
    ATTEMPT_GRACE_SECONDS = env_int("ATTEMPT_GRACE_SECONDS", 30)
    ANSWER_TEXT_MAX_LENGTH = env_int("ANSWER_TEXT_MAX_LENGTH", 20000)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
    # A pooled connection idle this long is pinged before use (app.common.db).
    DB_PING_IDLE_SECONDS = env_int("DB_PING_IDLE_SECONDS", 1)

    API_TITLE = "Quiz Management System API"
    API_VERSION = VERSION
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Served by the app itself from a pinned package (app.common.apidoc): no CDN, works offline.
    OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
    API_SPEC_OPTIONS = {
        "servers": [{"url": "/", "description": "The server that serves this document"}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
    }

    @classmethod
    def engine_options(cls, uri: str) -> dict:
        if uri.startswith("sqlite"):
            return {"connect_args": {"check_same_thread": False}}
        return {
            # Pinged on checkout only after sitting idle: app.common.db.ping_connections_idle_for.
            "pool_pre_ping": False,
            "pool_recycle": 1800,
            # A fixed pool, no overflow: under gevent a burst of requests past the pool
            # size opened overflow connections that were closed again as soon as they
            # came back (the pool keeps only `pool_size` idle), so a busy instance kept
            # reconnecting, 10-25 TCP handshakes and sign-ins a second (README, "MySQL
            # sizing"). The same ceiling of 20 as 10 + 10, always kept open.
            "pool_size": env_int("DB_POOL_SIZE", 20),
            "max_overflow": env_int("DB_MAX_OVERFLOW", 0),
            "pool_timeout": env_int("DB_POOL_TIMEOUT", 10),
            # The pool's ROLLBACK on every return is replaced by one sent only when a
            # transaction may be open: app.common.db.rollback_on_return_only_when_needed.
            "pool_reset_on_return": None,
            "connect_args": database_tls_args(uri, os.environ.get("DB_TLS", "off"), os.environ.get("DB_TLS_CA")),
        }

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse to start with settings that would fail later, on some request."""
        from app.common.clock import zone_named

        zone_named(config["SCHOOL_TIMEZONE"])


class DevelopmentConfig(Config):
    APP_ENV = "development"


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", "sqlite:///:memory:")
    )
    BCRYPT_LOG_ROUNDS = 4
    MAIL_SUPPRESS_SEND = True
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    APP_ENV = "production"
    ECHO_RESET_CODE = False
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 1)
    CORS_ORIGINS = [
        o.strip() for o in os.environ.get("CORS_ORIGINS", "").split(",") if o.strip()
    ]

    @classmethod
    def validate(cls, config: dict) -> None:
        """Refuse to start with the shipped development secrets."""
        super().validate(config)
        if config["SECRET_KEY"] in (DEFAULT_SECRET, "") or len(config["SECRET_KEY"]) < 32:
            raise RuntimeError("SECRET_KEY must be set to at least 32 random characters in production")
        if config["JWT_SECRET_KEY"] in (DEFAULT_JWT_SECRET, "") or len(config["JWT_SECRET_KEY"]) < 32:
            raise RuntimeError("JWT_SECRET_KEY must be set to at least 32 random bytes in production")
        if "*" in config["CORS_ORIGINS"]:
            raise RuntimeError("CORS_ORIGINS may not be '*' in production")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
