"""Benchmark live monitoring: fan-out latency and the cost of monitoring to autosave.

Usage (from the repository root; needs MariaDB and Redis on this machine):

    .venv/bin/python scripts/bench_realtime.py            # full run (about 7 minutes)
    .venv/bin/python scripts/bench_realtime.py --quick    # short run while developing

Options: --db-url mysql://root@127.0.0.1:3306/ (server URL; a throwaway database is
created and dropped), --redis-url redis://127.0.0.1:6379/0, --port 5400 (first port),
--monitors 200, --events 20, --students 500, --quizzes 10, --duration 5 (seconds per
phase), --warmup 1.5, --pairs 20, --instances 2 (for the autosave part),
--socket-instances 1, --socket-nice 10, --parts fanout,overhead, --monitor-client
lean|python-socketio, --monitor-read-interval 0.05, --monitors-on all|first|none,
--stand-in-cpu PERCENT, --record FILE (append part 2's pairs to FILE as a JSON line),
--pooled FILE... (run nothing; summarise the recorded runs one by one and with all
their pairs pooled).

Both parts run the shipped layout (nginx/upstream.conf): students' requests go to API
instances, sockets to `--socket-instances` realtime instances at nice `--socket-nice`,
each one gunicorn process with one gevent worker, all joined by Redis.
`--socket-instances 0` runs the monitors on the students' instances instead.

Part 1, fan-out: an API instance and a realtime instance, `--monitors` Socket.IO
clients over websocket joined to one quiz room on the latter. For each of `--events`
rounds, in alternation: a student's `POST /api/attempts/{id}/violations` to the API
instance (the time runs from sending the request to the arrival of `violation` at each
client, through Redis), and a bare emit of the same size to the same room through the
same Redis queue from a write-only `SocketIO(message_queue=...)` (the floor).
Reported: the median of per-event medians and of per-event maxima, and the worst
event. Target: max under 100 ms. The 200 clients share one process here, where 200
browsers would each have their own machine: a client's cost per event delays every
arrival after it, so the clients are lean (see part 2) unless `--monitor-client
python-socketio`.

Part 2, monitoring overhead: `--students` students in `--quizzes` quizzes autosave
about once a second each (jittered, keep-alive connections) against `--instances` API
instances; phases alternate without and with 3 monitors watching each quiz (`--pairs`
pairs of `--duration` seconds after `--warmup` seconds, in A B / B A order). The
monitors connect once, before the first phase, and stay connected: a phase with
monitoring begins when they have all joined their quizzes' rooms and ends when they
have all left them, as a teacher's dashboard stays open between quizzes. Both kinds of
phase thus run the same processes and sockets, and a pair's two phases follow each
other within seconds. Phases are short and many (20 pairs of 5 s) because this machine
has slow stretches of half a minute to two minutes, with no monitoring at all, in
which autosave p50 doubles or worse: a stretch covers several short pairs, both phases
of each, where with long phases it falls on one phase of a pair and decides its ratio.
5 s still holds one `quiz_status` tick per room per phase with monitoring. The
monitors run in a process of their own at nice 19 (they stand for teachers' browsers
on other machines) and are spread over the realtime instances as nginx's ip_hash
spreads teachers (`--monitors-on first` puts them all on one; `--monitors-on none`
never joins them to a room, an A/A control whose ratios show the machine's noise;
adding `--stand-in-cpu PERCENT` to it runs, in each phase "with", a process that
spends that much of a core in 500 short bursts a second instead of monitoring).
They use a lean client that parses every frame (`LeanMonitor`; `--monitor-client
python-socketio` for python-socketio's own, which costs this machine several times
more CPU per event), and read their sockets every `--monitor-read-interval` seconds
rather than waking at each of the 1,500 frames a second (see `read_paced`); the server
still sends every event as its own frame the moment it happens. At the end of each
phase with monitoring they report how many `answer_saved` they received since joining,
against the 3 per save that 3 monitors per quiz should get: a phase in which pushes
were lost would look cheap. Every instance that monitors reach has had a socket
connected before the first phase, so that its Socket.IO Redis listener runs in both
kinds of phase. Reported per pair: autosave p50/p99 overall and per instance, each
process's CPU, the CPU time the hypervisor stole, MariaDB statements per save and new
connections; then the median ratio (with/without) over the pairs, with a 95 %
bootstrap interval for that median (resampling the pairs). Target: no more than 20 %
worse. Non-2xx answers are counted (must be 0). The load generator runs on the same
machine: on a busy box, compare ratios, not absolute numbers, and look at the stolen
time.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import gevent.pool  # noqa: E402
import socketio  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts.bench_autosave import CLK, cpu_seconds, group_pids, mariadb_pids, pids_named  # noqa: E402
from tests.helpers import throwaway_database  # noqa: E402

MONITOR_NS = "/quiz-monitor"
MONITORS_PER_QUIZ = 3  # part 2: the teachers watching each quiz


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small, short run")
    p.add_argument("--db-url", default=os.environ.get("BENCH_DB_URL", "mysql://root@127.0.0.1:3306/"))
    p.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
    p.add_argument("--port", type=int, default=5400)
    p.add_argument("--monitors", type=int, default=200)
    p.add_argument("--events", type=int, default=20)
    p.add_argument("--students", type=int, default=500)
    p.add_argument("--quizzes", type=int, default=10)
    p.add_argument("--duration", type=float, default=5)
    p.add_argument("--pairs", type=int, default=20)
    p.add_argument("--warmup", type=float, default=1.5, help="part 2: seconds before each phase's measurement")
    p.add_argument("--instances", type=int, default=2)
    p.add_argument("--socket-instances", type=int, default=1,
                   help="realtime instances, which only the monitors' sockets reach, as nginx's "
                        "quiz_realtime upstream (0: monitors share the students' instances)")
    p.add_argument("--socket-nice", type=int, default=10,
                   help="the realtime instances' niceness (the shipped layout's nice 10)")
    p.add_argument("--monitor-client", choices=("lean", "python-socketio"), default="lean",
                   help="the monitors' client (see LeanMonitor)")
    p.add_argument("--monitor-read-interval", type=float, default=0.05,
                   help="part 2's lean monitors read their sockets at this interval in seconds (0: at "
                        "every frame)")
    p.add_argument("--monitors-on", choices=("all", "first", "none"), default="all",
                   help="part 2's monitors spread over all instances, all on the first (worst case), or "
                        "none at all (an A/A control: both phases of a pair alike)")
    p.add_argument("--parts", default="fanout,overhead", help="comma-separated subset of fanout,overhead")
    p.add_argument("--stand-in-cpu", type=float, default=0, metavar="PERCENT",
                   help="part 2, with --monitors-on none: in each phase 'with', a process at the realtime "
                        "tier's niceness spends PERCENT of a core in 500 short bursts a second (see StandIn)")
    p.add_argument("--record", help="part 2: append this run's pairs (p50/p99 without and with, in ms) to this "
                                    "file as one JSON line")
    p.add_argument("--pooled", nargs="+", metavar="FILE",
                   help="run nothing: summarise every run recorded in these files, each run and all pairs pooled")
    p.add_argument("--monitor-child", help=argparse.SUPPRESS)  # internal: the monitors' own process
    args = p.parse_args()
    if args.stand_in_cpu and args.monitors_on != "none":
        p.error("--stand-in-cpu stands in for monitoring: use it with --monitors-on none")
    if args.quick:
        args.students, args.duration, args.pairs = min(args.students, 100), 5, 2
    return args


# --- environment: database, app, servers ------------------------------------------------

def bench_env(db_url: str, redis_url: str, channel: str, ports) -> dict:
    return {"APP_ENV": "production", "DATABASE_URL": db_url, "REDIS_URL": redis_url, "SOCKETIO_CHANNEL": channel,
            "SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32),
            "CORS_ORIGINS": ",".join(f"http://127.0.0.1:{port}" for port in ports),
            "TRUSTED_PROXY_HOPS": "0", "LOG_LEVEL": "WARNING",
            "JWT_ACCESS_MINUTES": "120", "RATELIMIT_STORAGE_URI": "memory://"}


class Server:
    def __init__(self, port: int, env: dict, niceness: int = 0, label: str = "instance"):
        self.port, self.label = port, label
        self.log = open(f"/tmp/bench_realtime_{port}.log", "w")
        self.process = subprocess.Popen(
            (["nice", "-n", str(niceness)] if niceness else [])
            + [sys.executable, "-m", "gunicorn", "-c", "gunicorn_config.py", "wsgi:app"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, **env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": "",
                 "GUNICORN_LOG_LEVEL": "warning", "GUNICORN_KEEPALIVE": "75", "GUNICORN_GRACEFUL_TIMEOUT": "2"})
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/api/health")
                if conn.getresponse().status in (200, 503):
                    return
            except OSError:
                gevent.sleep(0.1)
        raise RuntimeError(f"server on {port} did not start; see {self.log.name}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def realtime_server(port: int, env: dict, args) -> Server:
    """An instance of the realtime tier: only sockets reach it, at `--socket-nice`."""
    return Server(port, env, args.socket_nice, "realtime")


def seed(n_quizzes: int, per_quiz: int, monitors_quiz_students: int):
    """A teacher, `n_quizzes` quizzes of 5 questions, each with its own class of students."""
    from app.common.db import commit
    from app.extensions import db
    from tests.factories import (
        assign_teacher,
        make_class,
        make_question,
        make_quiz,
        make_student,
        make_teacher,
        tokens_for,
    )

    db.create_all()
    teacher = make_teacher()
    questions = [make_question(teacher) for _ in range(5)]
    quizzes = []
    for index in range(n_quizzes):
        school_class = make_class()
        assign_teacher(teacher, school_class)
        quiz = make_quiz(teacher, questions=questions, classes=[school_class], max_violations=1000,
                         time_limit_minutes=240)
        count = monitors_quiz_students if index == 0 else per_quiz
        students = [make_student(school_class) for _ in range(count)]
        quizzes.append({"id": quiz.id, "students": [tokens_for(s)["access_token"] for s in students]})
    commit()
    return tokens_for(teacher)["access_token"], [q.id for q in questions], quizzes


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


# --- part 1: fan-out ------------------------------------------------------------------------

def wait_all(arrivals: dict, key: str, n: int, timeout=5.0) -> list[float]:
    deadline = time.perf_counter() + timeout
    while len(arrivals.get(key, ())) < n and time.perf_counter() < deadline:
        gevent.sleep(0.001)
    return arrivals.get(key, [])


def fan_out(args, env, teacher_token, quizzes):
    from flask_socketio import SocketIO

    servers = [Server(args.port, env)]
    if args.socket_instances:
        servers.append(realtime_server(args.port + 1, env, args))
    api_port, socket_port = servers[0].port, servers[-1].port
    try:
        quiz = quizzes[0]
        students = start_attempts(api_port, quiz["id"], quiz["students"][:args.events])
        arrivals: dict = {}
        monitors = connect_monitors(args.monitors, socket_port, teacher_token, quiz["id"], args.monitor_client,
                                    arrivals)
        bare = SocketIO(message_queue=args.redis_url, channel=env["SOCKETIO_CHANNEL"])
        gevent.sleep(1)
        results = {"violation request": [], "bare emit": []}
        for index, (client, attempt_id) in enumerate(students):
            key = f"bare-{index}"
            sent = time.perf_counter()
            bare.emit("violation", {"violation_id": key, "quiz_id": quiz["id"], "attempt_id": attempt_id,
                                    "student_name": "Bench Student", "violation_type": "tab_switch"},
                      to=f"quiz_{quiz['id']}", namespace=MONITOR_NS)
            got = wait_all(arrivals, key, args.monitors)
            results["bare emit"].append([t - sent for t in got])
            gevent.sleep(0.2)
            sent = time.perf_counter()
            status, body = client.post(f"/api/attempts/{attempt_id}/violations", {"violation_type": "tab_switch"})
            assert status == 200, body
            got = wait_all(arrivals, body["violation_id"], args.monitors)
            results["violation request"].append([t - sent for t in got])
            gevent.sleep(0.2)
        for monitor in monitors:
            monitor.close()
        return results
    finally:
        for server in servers:
            server.stop()


def report_fan_out(results, n_monitors):
    print(f"\n== Fan-out to {n_monitors} monitors in one room (ms)")
    for name, per_event in results.items():
        complete = sum(1 for times in per_event if len(times) == n_monitors)
        medians = [statistics.median(t) * 1000 for t in per_event if t]
        maxima = [max(t) * 1000 for t in per_event if t]
        print(f"  {name:<18} events {len(per_event)} (all {n_monitors} delivered: {complete}) "
              f"median {statistics.median(medians):6.1f}  max (median of events) {statistics.median(maxima):6.1f}  "
              f"worst max {max(maxima):6.1f}")


# --- part 2: autosave with and without monitors ----------------------------------------------

class CpuMeter:
    """CPU used by each process of the run over the measured part of a phase, as a
    percentage of one core (where the time goes when monitors are connected), and the
    statements and new connections MariaDB saw (server-wide counters)."""

    def __init__(self, servers, db_url: str, monitors=None, stand_in=None):
        self.db_url = db_url
        numbers = Counter()
        self.groups = {}
        for server in servers:
            numbers[server.label] += 1
            self.groups[f"{server.label} {numbers[server.label]}"] = lambda s=server: group_pids(s.process)
        if monitors is not None:
            self.groups["monitors"] = lambda: [monitors.pid]
        if stand_in is not None:
            self.groups["stand-in"] = lambda: [stand_in.pid]
        self.groups.update({"MariaDB": mariadb_pids, "Redis": lambda: pids_named("redis-server"),
                            "load generator": lambda: [os.getpid()]})

    def start(self):
        self.began, self.before, self.counted = time.perf_counter(), self._read(), self._mariadb_counters()

    def stop(self) -> dict:
        elapsed, after = time.perf_counter() - self.began, self._read()
        counted = self._mariadb_counters()
        cpu = {name: 100 * (after[name] - self.before[name]) / elapsed for name in [*self.groups, "stolen"]}
        # Each reading is one connection and two statements of its own: not the servers'.
        return {**cpu, "statements": counted[0] - self.counted[0] - 2, "connections": counted[1] - self.counted[1] - 1}

    def _read(self) -> dict:
        readings = {name: cpu_seconds(pids()) for name, pids in self.groups.items()}
        # Time the hypervisor gave this machine's CPUs to someone else (/proc/stat "steal",
        # summed over the CPUs): a phase that lost more of it than its partner is not comparable.
        readings["stolen"] = int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8]) / CLK
        return readings

    def _mariadb_counters(self) -> tuple[int, int]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.db_url, poolclass=NullPool)
        with engine.connect() as conn:
            status = dict(conn.execute(text(
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Connections')")).all())
        return int(status["Questions"]), int(status["Connections"])


def autosave_phase(savers, question_ids, seconds, meter: CpuMeter, warmup: float):
    """(latencies, non-2xx count, CPU per process, latencies per instance's port, saves
    including the warm-up's)"""
    latencies, by_port, failures, stop_at = [], {}, [0], time.perf_counter() + warmup + seconds
    saves = [0]
    measure_from = time.perf_counter() + warmup
    gevent.spawn_later(warmup, meter.start)

    def student(client, attempt_id):
        gevent.sleep(random.random())
        index = random.randrange(len(question_ids))
        while time.perf_counter() < stop_at:
            index = (index + 1) % len(question_ids)
            body = {"question_id": question_ids[index], "answer_option": random.randrange(4),
                    "question_index": index}
            began = time.perf_counter()
            status, _ = client.post(f"/api/attempts/{attempt_id}/answer", body)
            saves[0] += 1
            if began >= measure_from:
                latencies.append(time.perf_counter() - began)
                by_port.setdefault(client.port, []).append(latencies[-1])
                failures[0] += status != 200
            gevent.sleep(max(0.0, random.uniform(0.8, 1.2) - (time.perf_counter() - began)))

    gevent.joinall([gevent.spawn(student, c, a) for c, a in savers])
    return latencies, failures[0], meter.stop(), by_port, saves[0]


def plain_phase(args, savers, question_ids, servers, monitors, stand_in=None):
    return autosave_phase(savers, question_ids, args.duration,
                          CpuMeter(servers, args.bench_db_url, monitors, stand_in), args.warmup)


class StandIn:
    """CPU without monitoring: a process at the realtime tier's niceness that wakes 500
    times a second, as the realtime instance does for the saves' Redis messages, and
    spins for a share of a core each time; paused (SIGSTOP) outside the phases it
    stands in for. Run in place of the monitors, it tells whether monitoring's cost to
    autosave is what any work of the same size on these two cores would cost."""

    RATE = 500

    def __init__(self, percent: float, niceness: int):
        spin = percent / 100 / self.RATE
        program = ("import time\n"
                   f"spin, interval = {spin!r}, {1 / self.RATE!r}\n"
                   "due = time.perf_counter()\n"
                   "while True:\n"
                   "    due += interval\n"
                   "    until = time.perf_counter() + spin\n"
                   "    while time.perf_counter() < until:\n"
                   "        pass\n"
                   "    late = time.perf_counter() - due\n"
                   "    if late > interval:  # resumed after a pause: no catching up\n"
                   "        due += late\n"
                   "    time.sleep(max(0.0, due - time.perf_counter()))\n")
        self.child = subprocess.Popen(["nice", "-n", str(niceness), sys.executable, "-c", program])
        self.pid = self.child.pid
        self.pause()

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def close(self) -> None:
        self.child.kill()
        self.child.wait()


def watched_phase(args, savers, question_ids, servers, monitors, stand_in=None):
    if args.monitors_on == "none":  # the A/A control: the monitors stay out of the rooms in both phases
        if stand_in is not None:
            stand_in.resume()
        try:
            return (*plain_phase(args, savers, question_ids, servers, monitors, stand_in), {})
        finally:
            if stand_in is not None:
                stand_in.pause()
    monitors.join()
    try:
        result = plain_phase(args, savers, question_ids, servers, monitors)
    finally:
        gevent.sleep(0.1)  # the last saves' pushes are on their way through Redis
        received = monitors.leave()
    return (*result, received)


def start_socketio_listeners(ports, token):
    """python-socketio starts an instance's Redis listener at its first socket
    connection; one short connection to each instance before the first phase gives the
    phases without monitors the same servers as those with them."""
    for port in ports:
        client = socketio.Client(reconnection=False)
        client.connect(f"http://127.0.0.1:{port}", namespaces=[MONITOR_NS], transports=["websocket"],
                       auth={"token": token}, wait_timeout=30)
        client.disconnect()


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
        self.child = subprocess.Popen(["nice", "-n", "19", sys.executable, __file__, "--monitor-child", spec],
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


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def monitoring_overhead(args, env, teacher_token, question_ids, quizzes):
    ports = [args.port + 1 + i for i in range(args.instances)]
    socket_ports = [ports[-1] + 1 + i for i in range(args.socket_instances)] or ports
    servers = [Server(port, env) if port in ports else realtime_server(port, env, args)
               for port in dict.fromkeys(ports + socket_ports)]
    monitors = stand_in = None
    try:
        savers = []
        for index, quiz in enumerate(quizzes):
            port = ports[index % len(ports)]
            tokens = quiz["students"][args.events:] if index == 0 else quiz["students"]
            savers += start_attempts(port, quiz["id"], tokens)
        start_socketio_listeners(socket_ports, teacher_token)
        if args.stand_in_cpu:
            stand_in = StandIn(args.stand_in_cpu, args.socket_nice)
        monitors = MonitorProcess(socket_ports[:1] if args.monitors_on == "first" else socket_ports, teacher_token,
                                  [quiz["id"] for quiz in quizzes], args.monitor_client, args.monitor_read_interval)
        rows = []
        for pair in range(args.pairs):
            # A B, then B A: a drift over the run does not always favour the same phase.
            if pair % 2 == 0:
                plain = plain_phase(args, savers, question_ids, servers, monitors, stand_in)
                watched = watched_phase(args, savers, question_ids, servers, monitors, stand_in)
            else:
                watched = watched_phase(args, savers, question_ids, servers, monitors, stand_in)
                plain = plain_phase(args, savers, question_ids, servers, monitors, stand_in)
            rows.append((plain[0], watched[0], plain[1] + watched[1]))
            *_measured, saves_watched, received = watched
            print(f"  pair {pair + 1}: without p50 {percentile(plain[0], .5):6.2f} "
                  f"p99 {percentile(plain[0], .99):6.2f} "
                  f"({len(plain[0]) / args.duration:5.0f} req/s) | with p50 {percentile(watched[0], .5):6.2f} "
                  f"p99 {percentile(watched[0], .99):6.2f} ({len(watched[0]) / args.duration:5.0f} req/s) | "
                  f"non-2xx {plain[1] + watched[1]}")
            for name, (latencies, _failed, cpu, by_port, *_rest) in (("without", plain), ("with", watched)):
                print(f"          {name:<7} per instance p50/p99: " + ", ".join(
                    f"{port} {percentile(times, .5):.2f}/{percentile(times, .99):.2f}"
                    for port, times in sorted(by_port.items())))
                saves = len(latencies)
                print(f"          {name:<7} CPU, % of one core: "
                      + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items() if k not in ("statements", "connections"))
                      + f"; MariaDB statements per save {cpu['statements'] / max(saves, 1):.2f}, "
                        f"new connections {cpu['connections']}")
            if args.monitors_on == "none":
                continue
            print(f"          monitors received {received.get('answer_saved', 0)} answer_saved for "
                  f"{saves_watched} saves ({MONITORS_PER_QUIZ} monitors per quiz: {MONITORS_PER_QUIZ * saves_watched} "
                  f"expected), "
                  f"{received.get('quiz_status', 0)} quiz_status")
        return rows
    finally:
        if monitors is not None:
            monitors.close()
        if stand_in is not None:
            stand_in.close()
        for server in servers:
            server.stop()


def median_interval(ratios, resamples: int = 5000, seed: int = 1) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the median of the pairs' ratios: how far the
    run's figure could move had the same machine dealt it other pairs."""
    draw = random.Random(seed)
    medians = sorted(statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def ratio_summary(ratios) -> str:
    low, high = median_interval(ratios)
    return (f"median {statistics.median(ratios):.2f} (95 % interval {low:.2f}-{high:.2f}; "
            f"pairs {min(ratios):.2f}-{max(ratios):.2f})")


def pair_ratios(pairs) -> str:
    """The p50 and p99 ratios (with/without) of pairs recorded as [p50 without, p50 with,
    p99 without, p99 with]."""
    return (f"p50 ratio {ratio_summary([w / p for p, w, *_ in pairs])}; "
            f"p99 ratio {ratio_summary([w / p for *_, p, w in pairs])}")


def report_overhead(rows, args):
    pairs = [[percentile(p, .5), percentile(w, .5), percentile(p, .99), percentile(w, .99)] for p, w, _f in rows]
    failed = sum(f for *_x, f in rows)
    print(f"== Autosave with {MONITORS_PER_QUIZ} monitors x {args.quizzes} quizzes vs without, {len(rows)} pair(s): "
          f"{pair_ratios(pairs)}; non-2xx {failed}")
    if args.record:
        run = {"finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "students": args.students,
               "quizzes": args.quizzes, "instances": args.instances, "socket_instances": args.socket_instances,
               "socket_nice": args.socket_nice, "monitors_on": args.monitors_on,
               "stand_in_cpu": args.stand_in_cpu, "duration": args.duration,
               "non_2xx": failed, "pairs": [[round(v, 3) for v in pair] for pair in pairs]}
        with open(args.record, "a") as record:
            record.write(json.dumps(run) + "\n")


def report_pooled(files) -> None:
    """Each recorded run's p50 ratio, then all their pairs as one sample: runs of 20
    pairs on this machine spread by about +-0.15 around their common figure, and the
    pooled pairs' interval says how well that figure is known."""
    runs = [json.loads(line) for name in files for line in Path(name).read_text().splitlines() if line.strip()]

    def layout(run) -> str:
        return (f"monitors {run['monitors_on']}, {run['students']} students, {run['instances']} API + "
                f"{run['socket_instances']} realtime instance(s) at nice {run['socket_nice']}"
                + (f", stand-in CPU {run['stand_in_cpu']:g} %" if run.get("stand_in_cpu") else ""))

    for run in runs:
        print(f"  {run['finished']} {layout(run)}, {len(run['pairs'])} pairs: "
              f"p50 ratio {ratio_summary([w / p for p, w, *_ in run['pairs']])}")
    for kind in sorted({layout(run) for run in runs}):
        alike = [run for run in runs if layout(run) == kind]
        pairs = [pair for run in alike for pair in run["pairs"]]
        print(f"== {kind}: {len(alike)} run(s), {len(pairs)} pairs pooled: {pair_ratios(pairs)}; "
              f"non-2xx {sum(run['non_2xx'] for run in alike)}")


def main():
    args = parse_args()
    if args.monitor_child:
        return monitor_child(args.monitor_child)
    if args.pooled:
        return report_pooled(args.pooled)
    db_url, drop = throwaway_database(args.db_url, "qms_bench")
    args.bench_db_url = db_url
    env = bench_env(db_url, args.redis_url, f"qms-bench-{uuid.uuid4().hex[:8]}",
                    range(args.port, args.port + args.instances + args.socket_instances + 1))
    os.environ.update(env)
    try:
        from app import create_app

        app = create_app("production")
        with app.app_context():
            per_quiz = max(1, args.students // args.quizzes)
            teacher_token, question_ids, quizzes = seed(args.quizzes, per_quiz, per_quiz + args.events)
        print(f"data: {args.quizzes} quizzes x {per_quiz} students, 5 questions; monitors {args.monitors}; "
              f"database {db_url.rsplit('/', 1)[-1].split('?')[0]}")
        if "fanout" in args.parts:
            report_fan_out(fan_out(args, env, teacher_token, quizzes), args.monitors)
        if "overhead" in args.parts:
            print(f"\n== Autosave, {per_quiz * args.quizzes} students ~1/s, {args.instances} instance(s) (ms)")
            report_overhead(monitoring_overhead(args, env, teacher_token, question_ids, quizzes), args)
    finally:
        drop()


if __name__ == "__main__":
    main()
