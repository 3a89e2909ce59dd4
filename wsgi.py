"""WSGI entry point for gunicorn (gevent worker) and `flask --app wsgi`.

gevent must patch the standard library before anything else is imported, so that
database sockets, Redis and Socket.IO all cooperate with the event loop.
"""
import os

if os.environ.get("GEVENT_PATCH", "1") == "1" and os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
    from gevent import monkey

    monkey.patch_all()

from app import create_app  # noqa: E402

app = create_app(os.environ.get("APP_ENV"))
