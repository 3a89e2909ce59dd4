"""Serving settings: gunicorn's configuration, gevent patching, ProxyFix.

Each case runs in a fresh interpreter: these modules read the environment (and
monkey-patch the standard library) when imported.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLEARED = ("APP_ENV", "DATABASE_URL", "REDIS_URL", "GEVENT_PATCH", "TEST_DATABASE_URL", "CORS_ORIGINS",
           "TRUSTED_PROXY_HOPS", "SECRET_KEY", "JWT_SECRET_KEY")
STRONG = "s" * 48

GUNICORN_PROBE = """
import json, os, runpy
ns = runpy.run_path("gunicorn_config.py")
keys = ("bind", "workers", "worker_class", "worker_connections", "timeout", "graceful_timeout", "keepalive",
        "accesslog", "errorlog", "preload_app", "control_socket_disable", "control_socket")
print("RESULT " + json.dumps({**{k: ns.get(k) for k in keys}, "GEVENT_PATCH": os.environ.get("GEVENT_PATCH"),
                              "APP_ENV": os.environ.get("APP_ENV")}))
"""

WSGI_PROBE = """
import json
import wsgi
from gevent import monkey
print("RESULT " + json.dumps({"patched": monkey.is_module_patched("socket"), "env": wsgi.app.config["APP_ENV"]}))
"""

PROXY_PROBE = """
import json
from flask import request
from app import create_app
app = create_app("production")
app.add_url_rule("/_client", "client", lambda: {"addr": request.remote_addr, "scheme": request.scheme,
                                                "host": request.host})
client = app.test_client()
headers = {"X-Forwarded-For": "203.0.113.9, 10.1.2.3", "X-Forwarded-Proto": "https",
           "X-Forwarded-Host": "quiz.example.org"}
seen = client.get("/_client", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
print("RESULT " + json.dumps(seen))
"""


def run_probe(code: str, env: dict) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("GUNICORN_")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def test_gunicorn_defaults_are_one_websocket_capable_gevent_worker_on_loopback():
    settings = run_probe(GUNICORN_PROBE, {})
    assert settings["workers"] == 1
    assert settings["worker_class"] == "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
    assert settings["bind"] == ["127.0.0.1:5000"]
    assert settings["preload_app"] is False
    assert settings["accesslog"] == "-" and settings["errorlog"] == "-"
    assert settings["GEVENT_PATCH"] == "1"
    assert settings["APP_ENV"] == "production"
    assert settings["control_socket_disable"] is True


def test_gunicorn_settings_come_from_the_environment():
    settings = run_probe(GUNICORN_PROBE, {
        "GUNICORN_BIND": "127.0.0.1:5501,127.0.0.1:5502", "GUNICORN_WORKER_CONNECTIONS": "250",
        "GUNICORN_TIMEOUT": "45", "GUNICORN_GRACEFUL_TIMEOUT": "7", "GUNICORN_KEEPALIVE": "9",
        "GUNICORN_CONTROL_SOCKET": "/tmp/quiz-gunicorn.ctl", "APP_ENV": "development",
    })
    assert settings["bind"] == ["127.0.0.1:5501", "127.0.0.1:5502"]
    assert (settings["worker_connections"], settings["timeout"], settings["graceful_timeout"],
            settings["keepalive"]) == (250, 45, 7, 9)
    assert settings["control_socket_disable"] is False
    assert settings["control_socket"] == "/tmp/quiz-gunicorn.ctl"
    assert settings["APP_ENV"] == "development"


def test_gunicorn_refuses_more_than_one_worker_per_instance():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    done = subprocess.run([sys.executable, "-c", GUNICORN_PROBE], cwd=ROOT, env={**clean, "GUNICORN_WORKERS": "4"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "GUNICORN_WORKERS must be 1" in done.stderr


def test_a_non_gevent_worker_class_asks_for_no_patching():
    settings = run_probe(GUNICORN_PROBE, {"GUNICORN_WORKER_CLASS": "gthread"})
    assert settings["GEVENT_PATCH"] is None


def test_wsgi_patches_the_standard_library_only_when_told_to():
    patched = run_probe(WSGI_PROBE, {"GEVENT_PATCH": "1", "APP_ENV": "testing"})
    plain = run_probe(WSGI_PROBE, {"APP_ENV": "testing"})
    assert patched == {"patched": True, "env": "testing"}
    assert plain == {"patched": False, "env": "testing"}


def test_production_believes_exactly_one_forwarded_hop():
    seen = run_probe(PROXY_PROBE, {"SECRET_KEY": STRONG, "JWT_SECRET_KEY": STRONG,
                                   "DATABASE_URL": "sqlite:///:memory:"})
    # nginx appended 10.1.2.3; whatever the client put before it is not believed.
    assert seen == {"addr": "10.1.2.3", "scheme": "https", "host": "quiz.example.org"}
