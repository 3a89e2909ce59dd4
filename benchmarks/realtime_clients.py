"""The realtime benchmark's clients: a lean HTTP client for students, Socket.IO monitors
for teachers, and the process the monitors of part 2 live in.

Run by benchmarks/realtime.py; `python -m benchmarks.realtime_clients SPEC` is the
monitors' own process (see `monitor_child`).
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402
import socketio  # noqa: E402

from benchmarks.harness import ROOT  # noqa: E402

MONITOR_NS = "/quiz-monitor"
MONITORS_PER_QUIZ = 3  # part 2: the teachers watching each quiz


# --- HTTP ----------------------------------------------------------------------------------

class Http:
    """One keep-alive connection, as a browser tab would hold, speaking just enough
    HTTP/1.1 for this API's JSON responses (always with a Content-Length).

    The load generator shares this 2-core machine with the servers it measures: the
    students' browsers stand for machines of their own, so what they cost here is CPU
    taken from the servers. http.client parses each response's headers with the email
    package, about 0.4 ms of CPU a request, a fifth of a core at 500 saves a second;
    this client sends each request in one write and reads the response in as few."""

    def __init__(self, port: int, token: str):
        self.port, self.sock, self.buffer = port, None, bytearray()
        self.head = (f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                     "Content-Type: application/json\r\n")

    def post(self, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body or {}).encode()
        request = f"POST {path} HTTP/1.1\r\n{self.head}Content-Length: {len(data)}\r\n\r\n".encode() + data
        for attempt in range(2):
            try:
                if self.sock is None:
                    self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
                    self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.sock.sendall(request)
                status, raw = self._response()
                return status, json.loads(raw or b"{}")
            except OSError:
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _response(self) -> tuple[int, bytes]:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._read()
        head = bytes(self.buffer[:end]).lower()
        del self.buffer[:end + 4]
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
        if length is None:
            raise OSError(f"response without a Content-Length: {head[:200]!r}")
        while len(self.buffer) < length:
            self._read()
        raw = bytes(self.buffer[:length])
        del self.buffer[:length]
        if b"\r\nconnection: close" in head:
            self.close()
        return int(head[9:12]), raw

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by the server")
        self.buffer += chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, bytearray()


def start_attempts(port: int, quiz_id: str, tokens: list[str]) -> list[tuple[Http, str]]:
    def start(token):
        client = Http(port, token)
        status, body = client.post(f"/api/quizzes/{quiz_id}/start")
        assert status in (200, 201), body
        return client, body["attempt_id"]

    return list(gevent.pool.Pool(50).imap(start, tokens))


# --- Socket.IO clients ------------------------------------------------------------------------

class Monitor:
    """python-socketio's client; `arrivals` collects each violation's arrival times."""

    def __init__(self, port: int, token: str, quiz_id: str, arrivals: dict | None = None, join: bool = True):
        self.sio = socketio.Client(reconnection=False)
        self.quiz_id = quiz_id
        self.events: dict = {}
        self.sio.on("*", self._count, namespace=MONITOR_NS)
        if arrivals is not None:
            self.sio.on("violation", lambda d: arrivals.setdefault(d["violation_id"], []).append(
                time.perf_counter()), namespace=MONITOR_NS)
        self.sio.connect(f"http://127.0.0.1:{port}", namespaces=[MONITOR_NS], transports=["websocket"],
                         auth={"token": token}, wait_timeout=30)
        if join:
            each_until([self], lambda monitor: monitor.join(), "joined")

    def _count(self, name: str, *_data) -> None:
        """Events without a handler of their own (answer_saved, quiz_status, ...), counted as LeanMonitor does."""
        self.events[name] = self.events.get(name, 0) + 1

    def join(self) -> None:
        self.sio.emit("join_quiz", {"quiz_id": self.quiz_id}, namespace=MONITOR_NS)

    def leave(self) -> None:
        self.sio.emit("leave_quiz", {"quiz_id": self.quiz_id}, namespace=MONITOR_NS)

    def close(self):
        self.sio.disconnect()


def each_until(monitors, action, reply: str, timeout: float = 30.0) -> None:
    """`action(monitor)` for every monitor, then wait until each has received its `reply` event."""
    targets = [(monitor, monitor.events.get(reply, 0) + 1) for monitor in monitors]
    for monitor in monitors:
        action(monitor)
    deadline = time.perf_counter() + timeout
    while any(monitor.events.get(reply, 0) < count for monitor, count in targets):
        if time.perf_counter() > deadline:
            raise RuntimeError(f"monitors did not all receive {reply!r}")
        gevent.sleep(0.01)


def monitor_class(client: str):
    return LeanMonitor if client == "lean" else Monitor


def connect_monitors(n, port, token, quiz_id, client: str, arrivals=None) -> list:
    cls = monitor_class(client)
    return list(gevent.pool.Pool(20).imap(lambda _i: cls(port, token, quiz_id, arrivals), range(n)))


class MonitorProcess:
    """The monitors live in a process of their own, so that receiving their pushes does
    not slow down the load generator that measures autosave latency, and at the lowest
    CPU priority (nice 19): they stand for teachers' browsers on other machines, whose
    CPU is not the server's to pay. Monitor number n connects to ports[n % len(ports)],
    as nginx's ip_hash spreads teachers over the (realtime) instances.

    They connect once and stay connected; a phase with monitoring begins when they all
    join their quizzes' rooms and ends when they all leave (see `monitor_child`)."""

    def __init__(self, ports: list[int], token: str, quiz_ids: list[str], client: str, read_interval: float,
                 per_quiz: int = MONITORS_PER_QUIZ):
        spec = json.dumps({"ports": ports, "token": token, "quizzes": quiz_ids, "per_quiz": per_quiz,
                           "client": client, "read_interval": read_interval})
        self.child = subprocess.Popen(["nice", "-n", "19", sys.executable, "-m", "benchmarks.realtime_clients", spec],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.pid = self.child.pid
        self._expect("ready")

    def join(self) -> None:
        self._command("join")
        self._expect("joined")

    def leave(self) -> dict:
        """The events the monitors received since they joined."""
        self._command("leave")
        return json.loads(self.child.stdout.readline() or "{}")

    def close(self) -> None:
        if self.child.poll() is None:
            self._command("quit")
        try:
            self.child.wait(10)
        except subprocess.TimeoutExpired:
            self.child.kill()

    def _command(self, command: str) -> None:
        self.child.stdin.write(command + "\n")
        self.child.stdin.flush()

    def _expect(self, line: str) -> None:
        if self.child.stdout.readline().strip() != line:
            raise RuntimeError(f"monitor process: expected {line!r}")


class LeanMonitor:
    """A monitor speaking Socket.IO's wire protocol over one websocket, as a browser's
    client does: it reads what has arrived in one go, answers pings and parses each
    event's JSON.

    python-socketio's client starts a thread for every message it receives, and
    websocket-client reads each frame with several small reads; on this 2-core machine
    30 such clients took a fifth of a core for 450 events a second, CPU that a teacher's
    browser spends on the teacher's own machine. This one parses the same frames for a
    small part of that, so that the comparison measures the server. Server frames are
    unfragmented text frames; a client's frames are masked (RFC 6455)."""

    PREFIX = f"42{MONITOR_NS},"

    def __init__(self, port: int, token: str, quiz_id: str, arrivals: dict | None = None, paced: bool = False,
                 join: bool = True):
        self.arrivals, self.quiz_id = arrivals, quiz_id
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = bytearray()
        self.events: dict = {}
        self._handshake(port)
        frames = self._frames()
        if not next(frames).startswith("0"):  # Engine.IO open
            raise RuntimeError("no Engine.IO open packet")
        self._send(f"40{MONITOR_NS},{json.dumps({'token': token})}")
        for frame in frames:
            if frame.startswith(f"44{MONITOR_NS},"):
                raise RuntimeError(f"connection refused: {frame[:200]}")
            if frame.startswith(f"40{MONITOR_NS},"):  # connected
                break
            self._handle(frame)
        if join:
            self.join()
            for frame in frames:
                if self._handle(frame) == "joined":
                    break
        if paced:
            self.reader = None
            self.sock.settimeout(0.0)  # drain() reads what has arrived and returns
        else:
            self.reader = gevent.spawn(lambda: [self._handle(frame) for frame in frames])

    def _handshake(self, port: int) -> None:
        import base64

        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: http://127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, _, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"websocket refused: {head[:80]!r}")
        self.buffer = bytearray(rest)

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buffer += chunk

    def _frames(self):
        """Each text frame's payload, as it completes."""
        while True:
            for frame in self._complete_frames():
                if frame is None:
                    return
                yield frame
            self._read()

    def _complete_frames(self):
        """The text frames already in the buffer (None for a close frame), without reading."""
        buffer = self.buffer
        while len(buffer) >= 2:
            length, offset = buffer[1] & 0x7F, 2
            if length == 126:
                length, offset = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                length, offset = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < offset + length:
                return
            opcode, payload = buffer[0] & 0x0F, bytes(buffer[offset:offset + length])
            del buffer[:offset + length]
            if opcode == 8:
                yield None
                return
            if opcode == 1:
                yield payload.decode()

    def drain(self) -> None:
        """Handle whatever has arrived, without waiting (see `read_paced`)."""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.buffer += chunk
        for frame in self._complete_frames():
            if frame is not None:
                self._handle(frame)

    def join(self) -> None:
        self._send(f"{self.PREFIX}{json.dumps(['join_quiz', {'quiz_id': self.quiz_id}])}")

    def leave(self) -> None:
        self._send(f"{self.PREFIX}{json.dumps(['leave_quiz', {'quiz_id': self.quiz_id}])}")

    def _send(self, text: str) -> None:
        payload, mask = text.encode(), os.urandom(4)
        if len(payload) < 126:
            size = bytes([0x80 | len(payload)])
        else:
            size = bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(b"\x81" + size + mask + masked)

    def _handle(self, frame: str) -> str | None:
        if frame == "2":  # Engine.IO ping
            self._send("3")
        elif frame.startswith(self.PREFIX):
            name, *data = json.loads(frame[len(self.PREFIX):])
            self.events[name] = self.events.get(name, 0) + 1
            if name == "violation" and self.arrivals is not None:
                self.arrivals.setdefault(data[0]["violation_id"], []).append(time.perf_counter())
            return name
        return None

    def close(self):
        if self.reader is not None:
            self.reader.kill()
        self.sock.close()


def monitor_child(spec_json: str) -> None:
    """The monitors' process: connect them all, then obey the parent's commands on
    stdin, one per line: `join` (every monitor joins its quiz's room; answers `joined`
    once each has had its `joined` reply), `leave` (every monitor leaves; once each has
    had its `left` reply, answers with the JSON count of each event received since the
    join), `quit`."""
    from gevent.fileobject import FileObject

    spec = json.loads(spec_json)
    ports, per_quiz = spec["ports"], spec["per_quiz"]
    interval = spec["read_interval"] if spec["client"] == "lean" else 0

    def connect(number: int, quiz_id: str):
        port = ports[number % len(ports)]
        if interval:
            return LeanMonitor(port, spec["token"], quiz_id, paced=True, join=False)
        return monitor_class(spec["client"])(port, spec["token"], quiz_id, join=False)

    jobs = [(index * per_quiz + k, quiz_id) for index, quiz_id in enumerate(spec["quizzes"]) for k in range(per_quiz)]
    monitors = list(gevent.pool.Pool(20).imap(lambda job: connect(*job), jobs))
    stop = gevent.event.Event()
    if interval:
        gevent.spawn(read_paced, monitors, interval, stop)
    print("ready", flush=True)
    before = Counter()
    for command in FileObject(sys.stdin.fileno(), "r"):
        command = command.strip()
        if command == "join":
            before = event_totals(monitors)
            each_until(monitors, lambda monitor: monitor.join(), "joined")
            print("joined", flush=True)
        elif command == "leave":
            each_until(monitors, lambda monitor: monitor.leave(), "left")
            print(json.dumps(event_totals(monitors) - before), flush=True)
        else:
            break
    stop.set()
    for monitor in monitors:
        monitor.close()


def event_totals(monitors) -> Counter:
    return sum((Counter(monitor.events) for monitor in monitors), Counter())


def read_paced(monitors, interval: float, stop) -> None:
    """Every `interval`, handle what has reached each monitor since the last time.

    A browser reads its socket on a machine of its own; a client here that woke for
    each of 1,500 frames a second would spend this machine's CPU on the teachers' side
    of the wire and wake at every send the server makes. Reading at intervals leaves
    the server's work as it is (each event is still sent, as its own frame, the moment
    it happens) and costs this machine a few wake-ups a second."""
    while not stop.is_set():
        gevent.sleep(interval)
        for monitor in monitors:
            monitor.drain()



if __name__ == "__main__":
    monitor_child(sys.argv[1])
