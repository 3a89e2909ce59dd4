"""Configuration comes from the environment, in every configuration.

Configuration classes read the environment when `app.config` is imported, so the
cases that depend on it run the app factory in a fresh interpreter.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.config import DEFAULT_JWT_SECRET, DEFAULT_SECRET, normalise_database_url

ROOT = Path(__file__).resolve().parents[1]
STRONG = "x" * 48
CLEARED = ("APP_ENV", "DATABASE_URL", "REDIS_URL", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "SECRET_KEY",
           "JWT_SECRET_KEY", "CORS_ORIGINS", "MAIL_SERVER", "TEST_DATABASE_URL")

PROBE = """
import json, sys
from app import create_app
from app.extensions import db
app = create_app()
result = {key: str(app.config[key]) for key in sys.argv[1:] if not key.startswith("--")}
if "--logins" in sys.argv:
    with app.app_context():
        db.create_all()
        client = app.test_client()
        responses = [client.post("/api/auth/login", json={"email_or_reg_no": "x@school.test", "password": "wrong-pass"})
                     for _ in range(7)]
    result["statuses"] = [r.status_code for r in responses]
    result["limit_header"] = "X-RateLimit-Limit" in responses[0].headers
print("RESULT " + json.dumps(result))
"""


def probe(env: dict, *args: str) -> dict:
    """Create the app in a fresh interpreter with `env` and report config values."""
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_testing_configuration_honours_database_url(tmp_path):
    url = f"sqlite:///{tmp_path}/elsewhere.db"
    assert probe({"APP_ENV": "testing", "DATABASE_URL": url}, "SQLALCHEMY_DATABASE_URI") == {
        "SQLALCHEMY_DATABASE_URI": url}


def test_development_configuration_defaults_to_an_embedded_database():
    code = "from app.config import CONFIGS; print(CONFIGS['development'].SQLALCHEMY_DATABASE_URI)"
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=120)
    uri = done.stdout.strip()
    assert uri.startswith("sqlite:///") and uri.endswith("instance/quiz.db"), done.stderr[-2000:]


def test_rate_limiting_is_on_unless_disabled_explicitly(tmp_path):
    env = {"APP_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/limits.db"}
    limited = probe(env, "RATELIMIT_ENABLED", "--logins")
    assert limited["RATELIMIT_ENABLED"] == "True" and limited["limit_header"]
    assert limited["statuses"][-1] == 429
    unlimited = probe({**env, "RATELIMIT_ENABLED": "false"}, "RATELIMIT_ENABLED", "--logins")
    assert unlimited["RATELIMIT_ENABLED"] == "False" and not unlimited["limit_header"]
    assert unlimited["statuses"] == [401] * 7


def test_production_starts_with_real_secrets_and_echoes_no_reset_code(tmp_path):
    env = {"APP_ENV": "production", "SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG,
           "CORS_ORIGINS": "https://quiz.school.example", "DATABASE_URL": f"sqlite:///{tmp_path}/prod.db"}
    config = probe(env, "APP_ENV", "ECHO_RESET_CODE", "CORS_ORIGINS", "TRUSTED_PROXY_HOPS")
    assert config == {"APP_ENV": "production", "ECHO_RESET_CODE": "False",
                      "CORS_ORIGINS": "['https://quiz.school.example']", "TRUSTED_PROXY_HOPS": "1"}


@pytest.mark.parametrize("overrides, message", [
    ({"SECRET_KEY": DEFAULT_SECRET}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"JWT_SECRET_KEY": DEFAULT_JWT_SECRET}, "JWT_SECRET_KEY"),
    ({"JWT_SECRET_KEY": ""}, "JWT_SECRET_KEY"),
    ({"CORS_ORIGINS": ["*"]}, "CORS_ORIGINS"),
])
def test_production_refuses_default_or_weak_settings(overrides, message):
    settings = {"SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG, "CORS_ORIGINS": ["https://quiz.school.example"]}
    with pytest.raises(RuntimeError, match=message):
        create_app("production", {**settings, **overrides})


def test_mysql_urls_get_a_driver_and_utf8mb4(monkeypatch):
    monkeypatch.delenv("MYSQL_DRIVER", raising=False)
    assert normalise_database_url("mysql://u:p@db/quiz") == "mysql+pymysql://u:p@db/quiz?charset=utf8mb4"
    assert normalise_database_url("mysql://db/quiz?ssl=1") == "mysql+pymysql://db/quiz?ssl=1&charset=utf8mb4"
    monkeypatch.setenv("MYSQL_DRIVER", "mysqldb")
    assert normalise_database_url("mysql://db/quiz").startswith("mysql+mysqldb://")
    assert normalise_database_url("mysql+pymysql://db/q?charset=latin1") == "mysql+pymysql://db/q?charset=latin1"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_testing_configuration_is_the_one_under_test(app):
    assert app.config["APP_ENV"] == "testing" and app.config["TESTING"]
    assert app.config["RATELIMIT_ENABLED"] is True


@pytest.mark.parametrize("uri, mode, expected", [
    ("mysql+pymysql://quiz@db/quiz?charset=utf8mb4", "off", {"ssl_disabled": True}),
    ("mysql+pymysql://quiz@db/quiz?charset=utf8mb4", "preferred", {}),
    # TLS asked for in the URL itself is the driver's business, whatever DB_TLS says
    ("mysql+pymysql://quiz@db/quiz?charset=utf8mb4&ssl_ca=/etc/ca.pem", "off", {}),
    ("mysql+mysqldb://quiz@db/quiz?charset=utf8mb4", "off", {}),
])
def test_database_tls_arguments(uri, mode, expected):
    from app.config import database_tls_args
    assert database_tls_args(uri, mode) == expected


def test_database_tls_verify_requires_a_checked_certificate_with_one_context():
    import ssl

    from app.config import database_tls_args
    context = database_tls_args("mysql+pymysql://quiz@db/quiz", "verify")["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_an_unknown_database_tls_mode_is_refused():
    from app.config import database_tls_args
    with pytest.raises(RuntimeError, match="DB_TLS"):
        database_tls_args("mysql+pymysql://quiz@db/quiz", "sometimes")
