"""WSGI entry point: `gunicorn -c gunicorn_config.py wsgi:app` and `flask --app wsgi …`.

Under gunicorn's gevent worker the standard library must be monkey-patched before
anything else is imported, so that the database driver, Redis and Socket.IO all
yield to the event loop instead of blocking the whole worker. gunicorn_config.py
exports GEVENT_PATCH=1 for gevent workers (the worker patches too; this makes sure
of it whatever loads this module first). Nothing is patched for `flask` commands,
tests or other workers.
"""
import gc
import os

if os.environ.get("GEVENT_PATCH") == "1":
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()

from app import create_app  # noqa: E402

app = create_app(os.environ.get("APP_ENV"))

# Everything loaded so far (the app, its schemas, SQLAlchemy's mappers) lives as long as
# the process: keep it out of the garbage collector's full passes, which otherwise walk
# it again and again and show up as pauses in the tail latency of requests.
gc.freeze()
