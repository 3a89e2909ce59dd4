"""Real servers for socket tests: gunicorn with one gevent worker, as deployed."""
import os
import queue
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import socketio

from tests.realtime.helpers import CONNECTION_EVENTS, check_event

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(5400, 5450)


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5400-5449")


def server_env(database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_DATABASE_URL")}
    env.update(APP_ENV="testing", DATABASE_URL=database_url, GEVENT_PATCH="1", LOG_LEVEL="WARNING",
               GUNICORN_ACCESS_LOG="", GUNICORN_LOG_LEVEL="warning", GUNICORN_GRACEFUL_TIMEOUT="2",
               **extra)
    return env


class Server:
    """`gunicorn -c gunicorn_config.py wsgi:app` on a free port, stopped by its pid."""

    def __init__(self, database_url: str, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="qms-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn_config.py", "wsgi:app"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env=server_env(database_url, GUNICORN_BIND=f"127.0.0.1:{self.port}", **env),
        )
        self._wait_ready()

    def _wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/api/health", timeout=1).status_code in (200, 503):
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not start: {Path(self.log.name).read_text()[-3000:]}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


class LiveClient:
    """A python-socketio client over websocket that records every event it receives;
    `close()` checks them all against the AsyncAPI document."""

    def __init__(self, url: str, namespace: str, token: str | None = None):
        self.namespace = namespace
        self.events: queue.Queue = queue.Queue()
        self.received: list = []  # (event, args), for the check at close
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record, namespace=namespace)
        self.sio.on("disconnect", lambda *reason: self._record("disconnect", *reason), namespace=namespace)
        self.sio.connect(url, namespaces=[namespace], transports=["websocket"],
                         auth={"token": token} if token else None, wait_timeout=10)

    def _record(self, event, *args):
        self.received.append((event, list(args)))
        self.events.put((time.monotonic(), event, args[0] if args else None))

    def wait_for(self, name: str, timeout: float = 5.0):
        """The next event called `name` as (monotonic arrival time, payload); skips others."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name!r} event within {timeout}s")
            try:
                at, event, payload = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if event == name:
                return at, payload

    def not_waited_for(self) -> list[str]:
        """The names of the events received since the last one `wait_for` returned."""
        return [event for _at, event, _payload in list(self.events.queue)]

    def emit(self, event, data):
        self.sio.emit(event, data, namespace=self.namespace)

    def close(self):
        self.sio.disconnect()
        for event, args in self.received:
            if event not in CONNECTION_EVENTS:
                check_event(self.namespace, event, args)
