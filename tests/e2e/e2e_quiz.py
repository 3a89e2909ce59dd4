"""Play a whole quiz through nginx against two app nodes, and kill one mid-run.

Driven by tests/e2e/e2e.sh, which starts MariaDB data, two nodes and nginx. A node is an
API instance (nginx's `quiz_app`, /api/) and a realtime instance (`quiz_realtime`,
/socket.io/) in one process group, as one host of the shipped layout runs them; with as
many servers in both upstreams, ip_hash sends a client to the same node's instance of
each. This script only talks HTTP/Socket.IO to nginx (plus the database, read-only, to
verify).

What it does, each step reported PASS / FAIL / UNAVAILABLE (the route is not in the
served OpenAPI document, or the quiz-monitor namespace does not exist):
  1. health, the headers nginx adds, gzip, 413 above 16 MB; logins of a teacher and
     two students;
  2. finds the quiz (publishes it if it is a draft); learns from nginx's access log
     which node serves 127.0.0.1 (the monitor and student A) and picks a loopback
     source address that ip_hash sends to the OTHER node (student B);
  3. a Socket.IO monitor (websocket through nginx) joins the quiz room;
  4. student B starts (sending a forged X-Forwarded-For, which must not be believed),
     saves an answer and reports a violation on the other node: the monitor must
     receive them through Redis;
  5. student A autosaves answers in a loop; the node serving A and the monitor (both
     its instances) is killed with SIGKILL; A retries every failed save until it is
     acknowledged; the monitor must reconnect through nginx to the surviving node and
     receive A's later saves;
  6. both submit and fetch their results; the monitor receives `attempt_submitted`;
  7. the database holds, for every question, exactly the last value acknowledged (2xx).

Exit status: 1 if any step FAILED, 0 otherwise (UNAVAILABLE steps are listed).

Usage (normally via tests/e2e/e2e.sh):
    python tests/e2e/e2e_quiz.py --base http://127.0.0.1:8480 --access-log LOG \
        --db-url mysql://root@127.0.0.1:3306/DB --instance 127.0.0.1:5500=PGID \
        --instance 127.0.0.1:5502=PGID [--deadline 150]
(each --instance: a node's API address, as nginx logs it, and the node's process group)
"""
import argparse
import os
import re
import signal
import sys
import threading
import time
import uuid
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlparse

import requests
from requests.adapters import HTTPAdapter

TEACHER = ("john.smith@school.test", "demo-teacher-pass")
STUDENTS = (("STU2024001", "demo-student-pass"), ("STU2024002", "demo-student-pass"))
QUIZ_CODE = "ALG10A"
TIMEOUT = 5
NAMESPACE = "/quiz-monitor"
ROOT = Path(__file__).resolve().parents[2]


class Unavailable(Exception):
    """What the step needs is not served (yet)."""


class StepFailed(Exception):
    pass


# --- reporting ----------------------------------------------------------------------

class Report:
    def __init__(self):
        self.rows: list[tuple[str, str, str]] = []

    def run(self, name: str, fn, *args, required: bool = True):
        started = time.monotonic()
        try:
            detail = fn(*args) or ""
            self.add(name, "PASS", f"{detail} ({time.monotonic() - started:.2f}s)")
            return True
        except Unavailable as exc:
            self.add(name, "UNAVAILABLE", str(exc))
        except Exception as exc:  # every other exception is a real failure of what exists
            self.add(name, "FAIL", f"{type(exc).__name__}: {exc}")
        if required:
            raise StopRun()
        return False

    def add(self, name, status, detail):
        self.rows.append((name, status, detail))
        print(f"[{status:<11}] {name}: {detail}", flush=True)

    def summary(self) -> int:
        failed = [r for r in self.rows if r[1] == "FAIL"]
        missing = [r for r in self.rows if r[1] == "UNAVAILABLE"]
        passed = [r for r in self.rows if r[1] == "PASS"]
        print()
        for name, _, detail in missing:
            print(f"  unavailable (skipped): {name}: {detail}")
        for name, _, detail in failed:
            print(f"  FAILED: {name}: {detail}")
        closing = f"e2e: {len(passed)} passed, {len(failed)} failed"
        print(closing + (f", {len(missing)} skipped" if missing else ""), flush=True)
        return 1 if failed else 0


class StopRun(Exception):
    pass


# --- HTTP ---------------------------------------------------------------------------

class SourceAddressAdapter(HTTPAdapter):
    """Connect from a given loopback address, so nginx's ip_hash sees another client."""

    def __init__(self, source: str, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


class Api:
    def __init__(self, base: str, source: str = "127.0.0.1", spec_paths: set | None = None):
        self.base = base.rstrip("/")
        self.source = source
        self.session = requests.Session()
        adapter = SourceAddressAdapter(source)
        self.session.mount("http://", adapter)
        self.token = None
        self.spec_paths = spec_paths

    def require(self, method: str, template: str) -> None:
        if self.spec_paths is not None and (template, method.lower()) not in self.spec_paths:
            raise Unavailable(f"{method} {template} is not served")

    def call(self, method: str, path: str, template: str | None = None, expect=(200, 201), **kw):
        if template:
            self.require(method, template)
        headers = kw.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = self.session.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kw)
        if expect and response.status_code not in expect:
            raise StepFailed(f"{method} {path} -> {response.status_code} {response.text[:300]}")
        return response

    def login(self, login: str, password: str) -> dict:
        body = self.call("POST", "/api/auth/login", "/api/auth/login",
                         json={"email_or_reg_no": login, "password": password}).json()
        self.token = body["access_token"]
        return body["user"]


def openapi_paths(base: str) -> set:
    spec = requests.get(base + "/api/openapi.json", timeout=TIMEOUT).json()
    found = set()
    for path, methods in spec.get("paths", {}).items():
        template = re.sub(r"\{[^}]+\}", "{}", path)
        for method in methods:
            found.add((template, method.lower()))
    return found


def spec_has(paths: set, method: str, template: str) -> bool:
    return (template, method.lower()) in paths


# --- the run --------------------------------------------------------------------------

class Run:
    def __init__(self, opts):
        self.opts = opts
        self.base = opts.base.rstrip("/")
        self.instances = dict(item.split("=", 1) for item in opts.instance)  # addr -> pgid
        self.report = Report()
        self.paths: set = set()
        self.monitor = None
        self.quiz_id = None
        self.question_ids: list[str] = []
        self.acked: dict[str, dict] = {}
        self.a_instance = None
        self.b_source = None

    # steps ------------------------------------------------------------------------
    def health(self):
        response = requests.get(self.base + "/api/health", timeout=TIMEOUT)
        body = response.json()
        if response.status_code != 200 or body.get("database") != "ok":
            raise StepFailed(f"health {response.status_code} {body}")
        if body.get("redis") != "ok":
            raise StepFailed(f"redis is {body.get('redis')}")
        for header in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"):
            if header not in response.headers:
                raise StepFailed(f"nginx did not add {header}")
        if response.headers.get("X-Content-Type-Options", "").count("nosniff") != 1:
            raise StepFailed("X-Content-Type-Options appears more than once")
        spec = requests.get(self.base + "/api/openapi.json", headers={"Accept-Encoding": "gzip"}, timeout=TIMEOUT)
        if spec.headers.get("Content-Encoding") != "gzip":
            raise StepFailed("nginx did not gzip the OpenAPI document")
        self.paths = openapi_paths(self.base)
        too_large = requests.post(self.base + "/api/auth/login", data=b"x" * (16 * 1024 * 1024 + 1),
                                  headers={"Content-Type": "application/json"}, timeout=30)
        if too_large.status_code != 413 or too_large.json().get("error_code") != "PAYLOAD_TOO_LARGE":
            raise StepFailed(f"a 16 MB + 1 body got {too_large.status_code} {too_large.text[:200]}")
        return (f"database ok, redis ok, security headers, gzip, 413 above 16 MB; "
                f"{len(self.paths)} operations served")

    def logins(self):
        self.teacher = Api(self.base, spec_paths=self.paths)
        self.teacher_user = self.teacher.login(*TEACHER)
        self.students = []
        for login, password in STUDENTS:
            api = Api(self.base, spec_paths=self.paths)
            api.user = api.login(login, password)
            self.students.append(api)
        return f"teacher {self.teacher_user['id'][:8]}, students {[s.user['id'][:8] for s in self.students]}"

    def find_quiz(self):
        if spec_has(self.paths, "get", "/api/quizzes/access/{}"):
            quiz = self.students[0].call("GET", f"/api/quizzes/access/{QUIZ_CODE}").json()
            self.quiz_id = quiz["id"]
            how = "GET /api/quizzes/access/{code} as the student"
        else:
            self.quiz_id = self.quiz_id_from_db()
            how = "database lookup (GET /api/quizzes/access/{code} not served)"
        status = self.quiz_status_in_db()
        if status == "draft":
            self.teacher.call("POST", f"/api/quizzes/{self.quiz_id}/publish", "/api/quizzes/{}/publish")
            how += ", published"
        return f"quiz {self.quiz_id[:8]} via {how}"

    def routing(self):
        """Which node's API instance answers 127.0.0.1, and a source address ip_hash
        sends to the other node."""
        self.a_instance = self.instance_for("127.0.0.1")
        for k in range(1, 64):
            source = f"127.0.{k}.1"
            if self.instance_for(source) != self.a_instance:
                self.b_source = source
                break
        if self.b_source is None:
            raise StepFailed("no loopback source address is hashed to the second node")
        b_instance = self.instance_for(self.b_source)
        # An Engine.IO polling handshake: nginx logs it at once (a websocket only when it closes).
        sockets = self.instance_for("127.0.0.1", "/socket.io/?EIO=4&transport=polling")
        if sockets in self.instances:
            raise StepFailed(f"nginx sent /socket.io/ to the API instance {sockets}")
        return (f"127.0.0.1 -> {self.a_instance} (/socket.io/ -> {sockets}, the realtime tier); "
                f"{self.b_source} -> {b_instance}")

    def connect_monitor(self):
        if not self.namespace_exists():
            raise Unavailable("Socket.IO namespace /quiz-monitor is not served")
        self.monitor = Monitor(self.base, lambda: self.teacher.token, self.quiz_id)
        self.monitor.connect()
        if not self.monitor.wait_for(lambda: self.monitor.joins >= 1, 10):
            raise StepFailed(f"no 'joined' after join_quiz (errors: {self.monitor.errors})")
        if not self.monitor.wait_for(lambda: self.monitor.count("quiz_status") >= 1, 10):
            raise StepFailed("no quiz_status after joining")
        return f"joined quiz room over {self.monitor.transport()}"

    def student_b_on_other_instance(self):
        b = self.students[1]
        b.session.mount("http://", SourceAddressAdapter(self.b_source))
        # A client-sent X-Forwarded-For must not be believed: ProxyFix trusts one hop (nginx).
        start = b.call("POST", f"/api/quizzes/{self.quiz_id}/start", "/api/quizzes/{}/start",
                       headers={"X-Forwarded-For": "203.0.113.66"}).json()
        b.attempt = start
        question = start["questions"][0]
        b.call("POST", f"/api/attempts/{start['attempt_id']}/answer", "/api/attempts/{}/answer",
               json=answer_for(question, 0))
        marker = f"e2e-{uuid.uuid4().hex[:12]}"
        sent = time.monotonic()
        result = b.call("POST", f"/api/attempts/{start['attempt_id']}/violations", "/api/attempts/{}/violations",
                        json={"violation_type": "tab_switch", "question_index": 0, "client_event_id": marker}).json()
        if result.get("total_violations") != 1:
            raise StepFailed(f"violation response {result}")
        if self.monitor is None:
            self.check_client_address(start["attempt_id"], self.b_source)
            return "saved and reported on the other node (no monitor to check)"
        uid = b.user["id"]
        got = self.monitor.wait_for(lambda: self.monitor.find("violation", student_id=uid), 5)
        if not got:
            raise StepFailed("the monitor did not receive the violation raised on the other node")
        self.check_client_address(start["attempt_id"], self.b_source)
        latency = self.monitor.find("violation", student_id=uid)["_at"] - sent
        saved = self.monitor.find("answer_saved", student_id=uid)
        return (f"monitor on node {self.a_instance} got the violation from {self.b_source}'s node in "
                f"{latency * 1000:.0f} ms via Redis; answer_saved {'received' if saved else 'missing'}; "
                f"spoofed X-Forwarded-For ignored")

    def kill_during_autosave(self):
        a = self.students[0]
        start = a.call("POST", f"/api/quizzes/{self.quiz_id}/start", "/api/quizzes/{}/start").json()
        a.attempt = start
        questions = start["questions"]
        self.question_ids = [q["id"] for q in questions]
        saver = AutoSaver(a, start["attempt_id"], questions, self.acked)
        thread = threading.Thread(target=saver.run, args=(time.monotonic() + 6,), daemon=True)
        thread.start()
        time.sleep(1.5)
        before_kill = saver.acks
        pgid = int(self.instances[self.a_instance])
        os.killpg(pgid, signal.SIGKILL)
        killed_at = time.monotonic()
        print(f"    killed node {self.a_instance} (process group {pgid}) after {before_kill} acked saves",
              flush=True)
        thread.join(timeout=30)
        if thread.is_alive():
            raise StepFailed("autosave loop did not finish")
        if saver.error is not None:
            raise StepFailed(f"autosave gave up: {saver.error}")
        if saver.acks_after(killed_at) == 0:
            raise StepFailed("no save was acknowledged after the kill")
        survivor = self.instance_for("127.0.0.1")
        if survivor == self.a_instance:
            raise StepFailed(f"nginx still routes to the killed node {survivor}")
        detail = (f"{saver.acks} saves acknowledged ({saver.acks_after(killed_at)} after the kill), "
                  f"{saver.failures} failed tries retried; 127.0.0.1 now served by {survivor}")
        if self.monitor is not None:
            self.check_monitor_reconnected(killed_at, a.user["id"])
            detail += (f"; monitor reconnected over {self.monitor.transport()} "
                       f"({self.monitor.disconnects} disconnect(s), {self.monitor.joins} joins)")
        return detail

    def check_monitor_reconnected(self, killed_at: float, student_id: str):
        m = self.monitor
        if not m.wait_for(lambda: m.disconnects >= 1, 10):
            raise StepFailed("the monitor never noticed its instance went away")
        if not m.wait_for(lambda: m.joins >= 2 and m.connected, 20):
            raise StepFailed(f"the monitor did not reconnect and rejoin (errors: {m.errors})")
        rejoined_at = m.last_join_at
        a = self.students[0]
        # A fresh save after the rejoin must reach the monitor, now on the survivor.
        question = a.attempt["questions"][0]
        payload = answer_for(question, 99)
        save_until_acked(a, a.attempt["attempt_id"], payload, self.acked, deadline=time.monotonic() + 15)
        if not m.wait_for(lambda: m.find("answer_saved", student_id=student_id, after=rejoined_at), 5):
            raise StepFailed("no answer_saved reached the monitor after it reconnected")

    def submit_and_results(self):
        summaries = [self.submit_one(api) for api in self.students]
        if self.monitor is not None:
            for api in self.students:
                if not self.monitor.wait_for(partial(self.monitor.find, "attempt_submitted",
                                                     student_id=api.user["id"]), 5):
                    raise StepFailed(f"monitor missed attempt_submitted of {api.user['id'][:8]}")
            summaries.append("monitor got both attempt_submitted")
        return "; ".join(summaries)

    def submit_one(self, api: Api) -> str:
        attempt_id = api.attempt["attempt_id"]
        api.require("POST", "/api/attempts/{}/submit")
        api.require("GET", "/api/attempts/{}")
        result = retry(partial(api.call, "POST", f"/api/attempts/{attempt_id}/submit", expect=(200, 409)))
        detail = retry(partial(api.call, "GET", f"/api/attempts/{attempt_id}")).json()
        if detail.get("status") not in ("submitted", "graded", "auto_submitted"):
            raise StepFailed(f"attempt {attempt_id} status after submit: {detail.get('status')}")
        score = f"{detail.get('score')}/{detail.get('total_marks')}"
        return f"{detail['status']} score={score} (submit {result.status_code})"

    def verify_database(self):
        import pymysql

        stored = {}
        with db_connection(self.opts.db_url) as conn, conn.cursor(pymysql.cursors.DictCursor) as cur:
            cur.execute("SELECT question_id, answer_option, answer_text FROM student_answers "
                        "WHERE attempt_id = %s", (self.students[0].attempt["attempt_id"],))
            for row in cur.fetchall():
                stored[row["question_id"]] = {"answer_option": row["answer_option"],
                                              "answer_text": row["answer_text"]}
        lost = []
        for question_id, payload in self.acked.items():
            row = stored.get(question_id)
            want_option, want_text = payload.get("answer_option"), payload.get("answer_text")
            if row is None or row["answer_option"] != want_option or row["answer_text"] != want_text:
                lost.append((question_id[:8], payload, row))
        if lost:
            raise StepFailed(f"acknowledged answers not stored as acknowledged: {lost}")
        return f"{len(self.acked)} questions: the last acknowledged value of each is stored"

    # helpers ----------------------------------------------------------------------
    def check_client_address(self, attempt_id: str, source: str) -> None:
        with db_connection(self.opts.db_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT ip_address FROM quiz_attempts WHERE id = %s", (attempt_id,))
            stored = cur.fetchone()[0]
        if stored != source:
            raise StepFailed(f"attempt recorded client address {stored!r}, expected {source} (ProxyFix)")

    def instance_for(self, source: str, path: str = "/api/health/") -> str:
        """Send a probe from `source` and read which upstream nginx logged for it."""
        marker = uuid.uuid4().hex
        api = Api(self.base, source=source)
        api.call("GET", f"{path}{'&' if '?' in path else '?'}probe={marker}", expect=(200,))
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with open(self.opts.access_log) as log:
                for line in log:
                    if marker in line:
                        match = re.search(r"upstream=(\S+)", line)
                        return match.group(1).split(",")[-1].strip() if match else "?"
            time.sleep(0.05)
        raise StepFailed(f"probe from {source} not found in nginx's access log")

    def namespace_exists(self) -> bool:
        return (ROOT / "app" / "realtime" / "namespaces.py").exists()

    def quiz_id_from_db(self) -> str:
        with db_connection(self.opts.db_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT id FROM quizzes WHERE access_code = %s", (QUIZ_CODE,))
            row = cur.fetchone()
        if row is None:
            raise StepFailed(f"quiz {QUIZ_CODE} not seeded")
        return row[0]

    def quiz_status_in_db(self) -> str:
        with db_connection(self.opts.db_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT status FROM quizzes WHERE id = %s", (self.quiz_id,))
            return cur.fetchone()[0]

    def main(self) -> int:
        r = self.report
        try:
            r.run("health, nginx headers and gzip", self.health)
            r.run("login teacher and two students", self.logins)
            r.run("find (and publish) the quiz", self.find_quiz)
            r.run("ip_hash routing of two client addresses", self.routing)
            r.run("Socket.IO monitor joins through nginx (websocket)", self.connect_monitor, required=False)
            r.run("student B on the other node: start, answer, violation pushed via Redis",
                  self.student_b_on_other_instance)
            r.run("kill -9 the node serving student A and the monitor during autosave",
                  self.kill_during_autosave)
            r.run("submit both attempts and fetch the results", self.submit_and_results)
            r.run("database holds every acknowledged answer", self.verify_database)
        except StopRun:
            pass
        finally:
            if self.monitor is not None:
                self.monitor.close()
        return r.summary()


# --- autosave with retries ------------------------------------------------------------

def answer_for(question: dict, n: int) -> dict:
    payload = {"question_id": question["id"], "question_index": question.get("question_index")}
    options = question.get("options") or []
    if question["type"] in ("mcq", "true_false") and options:
        payload["answer_option"] = options[n % len(options)]["index"]
    else:
        payload["answer_text"] = f"answer {n} to {question['id'][:8]}"
    return payload


def save_until_acked(api: Api, attempt_id: str, payload: dict, acked: dict, deadline: float) -> int:
    """POST one answer until the server acknowledges it; returns the failed tries."""
    failures = 0
    while time.monotonic() < deadline:
        try:
            response = api.call("POST", f"/api/attempts/{attempt_id}/answer", expect=None, json=payload)
        except requests.RequestException:
            response = None
        if response is not None and 200 <= response.status_code < 300:
            acked[payload["question_id"]] = {k: v for k, v in payload.items() if k.startswith("answer_")}
            return failures
        if response is not None and 400 <= response.status_code < 500:
            raise StepFailed(f"answer refused: {response.status_code} {response.text[:200]}")
        failures += 1
        time.sleep(min(0.05 * failures, 0.5))
    raise StepFailed(f"answer to {payload['question_id'][:8]} never acknowledged")


class AutoSaver:
    def __init__(self, api: Api, attempt_id: str, questions: list, acked: dict):
        self.api, self.attempt_id, self.questions, self.acked = api, attempt_id, questions, acked
        self.acks = 0
        self.failures = 0
        self.ack_times: list[float] = []
        self.error = None

    def run(self, until: float):
        n = 0
        try:
            while time.monotonic() < until:
                question = self.questions[n % len(self.questions)]
                self.failures += save_until_acked(self.api, self.attempt_id, answer_for(question, n), self.acked,
                                                  deadline=time.monotonic() + 20)
                self.acks += 1
                self.ack_times.append(time.monotonic())
                n += 1
                time.sleep(0.02)
        except Exception as exc:  # reported by the step through acks_after / acked
            self.error = exc
            print(f"    autosave stopped: {exc}", flush=True)

    def acks_after(self, moment: float) -> int:
        return sum(1 for t in self.ack_times if t > moment)


def retry(fn, tries: int = 5):
    """Retry a call that failed on the way (connection error, 5xx from a dying instance)."""
    for attempt in range(tries):
        try:
            return fn()
        except (requests.RequestException, StepFailed) as exc:
            if attempt == tries - 1 or (isinstance(exc, StepFailed) and " -> 5" not in str(exc)):
                raise
            time.sleep(0.3)


def db_connection(url: str):
    import pymysql

    parsed = urlparse(url)
    return pymysql.connect(host=parsed.hostname or "127.0.0.1", port=parsed.port or 3306,
                           user=unquote(parsed.username or "root"), password=unquote(parsed.password or ""),
                           database=parsed.path.lstrip("/"), connect_timeout=5)


# --- the monitor ----------------------------------------------------------------------

class Monitor:
    """A teacher's live monitor: python-socketio over websocket, rejoining on reconnect."""

    def __init__(self, base: str, token, quiz_id: str):
        import socketio

        self.base, self.token, self.quiz_id = base, token, quiz_id
        self.events: list[tuple[str, dict]] = []
        self.errors: list = []
        self.joins = 0
        self.disconnects = 0
        self.last_join_at = 0.0
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=True, reconnection_attempts=0, reconnection_delay=0.5,
                                   reconnection_delay_max=1.0, request_timeout=TIMEOUT)
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("*", self._on_event, namespace=NAMESPACE)

    def connect(self):
        self.sio.connect(self.base, namespaces=[NAMESPACE], transports=["websocket"],
                         auth=lambda: {"token": self.token()}, wait_timeout=10)

    @property
    def connected(self) -> bool:
        return NAMESPACE in self.sio.namespaces

    def transport(self) -> str:
        return self.sio.transport() or "?"

    def _on_connect(self):
        self.sio.emit("join_quiz", {"quiz_id": self.quiz_id}, namespace=NAMESPACE)

    def _on_disconnect(self, *args):
        with self.lock:
            self.disconnects += 1

    def _on_event(self, event, data=None):
        now = time.monotonic()
        with self.lock:
            if event == "joined":
                self.joins += 1
                self.last_join_at = now
            elif event == "error":
                self.errors.append(data)
            payload = dict(data) if isinstance(data, dict) else {"value": data}
            payload["_at"] = now
            self.events.append((event, payload))

    def count(self, event: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.events if name == event)

    def find(self, event: str, after: float = 0.0, **match):
        with self.lock:
            for name, data in self.events:
                if name == event and data["_at"] >= after and all(data.get(k) == v for k, v in match.items()):
                    return data
        return None

    @staticmethod
    def wait_for(condition, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return True
            time.sleep(0.05)
        return bool(condition())

    def close(self):
        try:
            self.sio.disconnect()
        except Exception:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description="End-to-end quiz run through nginx")
    parser.add_argument("--base", required=True, help="nginx base URL, e.g. http://127.0.0.1:8480")
    parser.add_argument("--access-log", required=True, help="nginx access log (upstream per request)")
    parser.add_argument("--db-url", required=True, help="mysql://user:pass@host:port/database")
    parser.add_argument("--instance", action="append", required=True,
                        help="ADDR=PGID: a node's API address and process group")
    parser.add_argument("--deadline", type=float, default=150, help="give up after this many seconds")
    opts = parser.parse_args()
    timer = threading.Timer(opts.deadline, lambda: os._exit(3))  # bounded whatever happens
    timer.daemon = True
    timer.start()
    return Run(opts).main()


if __name__ == "__main__":
    sys.exit(main())
