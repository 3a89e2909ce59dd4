"""Development server: REST and Socket.IO on HOST:PORT (default 127.0.0.1:5000).

Production runs gunicorn instead: `gunicorn -c gunicorn_config.py wsgi:app`.
"""
import os

from app import create_app
from app.extensions import socketio

app = create_app(os.environ.get("APP_ENV", "development"))

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"Serving REST and Socket.IO on http://{host}:{port} (API docs: http://{host}:{port}/api/docs)", flush=True)
    socketio.run(app, host=host, port=port, debug=False, allow_unsafe_werkzeug=True)
