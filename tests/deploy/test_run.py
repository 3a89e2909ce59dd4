"""`make run`'s server (run.py): gevent's WSGI server, REST and Socket.IO, no warning
that it is a development server."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def ephemeral_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_run_py_serves_through_gevent_without_the_development_server_warning(tmp_path):
    port = ephemeral_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TEST_DATABASE_URL")}
    env.update(APP_ENV="testing", DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}", PORT=str(port), LOG_LEVEL="INFO")
    log = tmp_path / "run.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        health = socket_io = None
        deadline = time.monotonic() + 90  # imports are slow on a busy machine
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                socket_io = requests.get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        assert health is not None and health.status_code == 200, log.read_text()[-2000:]
        assert socket_io.status_code == 200 and socket_io.text.startswith("0{"), socket_io.text[:200]
    finally:
        process.terminate()
        process.wait(timeout=15)
    output = log.read_text()
    assert "development server" not in output.lower(), output[-2000:]
    assert "Serving REST and Socket.IO" in output
