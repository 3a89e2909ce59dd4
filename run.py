"""Development server: REST and Socket.IO on HOST:PORT (default 127.0.0.1:5000).

Served by gevent's WSGI server with WebSocket support, the server the production
workers use too (gunicorn's gevent worker), so `make run` behaves like production
and carries no "development server" warning. The standard library is
monkey-patched before anything else is imported, as in wsgi.py.

Production runs gunicorn instead: `gunicorn -c gunicorn_config.py wsgi:app`.
"""
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import socketio  # noqa: E402

app = create_app(os.environ.get("APP_ENV", "development"))

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"Serving REST and Socket.IO on http://{host}:{port} (API docs: http://{host}:{port}/api/docs)", flush=True)
    socketio.run(app, host=host, port=port, debug=False, use_reloader=False, log_output=True)
