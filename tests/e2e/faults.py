"""Fault injection: no acknowledged answer is lost when MariaDB or Redis dies.

Usage (from the repository root, after `make setup`):

    .venv/bin/python tests/e2e/faults.py [--students 12] [--outage 4] [--keep-logs]

Everything runs on loopback with throwaway servers of its own, never the machine's
shared ones: a MariaDB server on 127.0.0.1:3407 (fresh datadir in a temp folder),
redis-server on 127.0.0.1:6407 and the app under gunicorn (one gevent worker) on
127.0.0.1:5650. Every process is stopped by its PID on exit. Bounded: about a
minute; each wait has a timeout.

Phase 1, database: students autosave in a loop (a client moves to its next answer
only once the current one is acknowledged, retrying on 503 and network errors);
MariaDB is killed with SIGKILL and restarted after an outage. Checked:
- during the outage every answer is 503 with Retry-After, never a 2xx;
- within 10 s of MariaDB accepting connections the API acknowledges saves again,
  with no restart of the app;
- every acknowledged answer is stored (the last acknowledged value per question).
Phase 2, Redis: redis-server is stopped mid-run. Checked: autosave and submit keep
working; the per-account login limit still answers 429 (in-memory fallback, see
SECURITY.md); a teacher's live monitor (Socket.IO /quiz-monitor) gets events again
once Redis is back.

Exit status 0 when every check holds, 1 otherwise; 0 with "SKIP" when the servers
or the attempt endpoints are not available.
"""
import argparse
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
HTTP_PORT, DB_PORT, REDIS_PORT = 5650, 3407, 6407
BASE = f"http://{HOST}:{HTTP_PORT}"
PASSWORD = "correct-horse-battery"
RECOVERY_LIMIT_SECONDS = 10


def log(message: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Processes:
    """The servers this script started, stopped by PID (never by name)."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        out = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                                start_new_session=True)
        self.running[name] = proc
        return proc

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.kill(name, signal.SIGTERM)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((HOST, port)) == 0


def wait_until(check, timeout: float, step: float = 0.1) -> float | None:
    """Seconds until check() held, or None on timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if check():
                return time.monotonic() - start
        except Exception:  # a server coming up refuses or resets connections
            pass
        time.sleep(step)
    return None


def mysql_ready() -> bool:
    import pymysql

    pymysql.connect(host=HOST, port=DB_PORT, user="root", connect_timeout=1).close()
    return True


# --- servers -------------------------------------------------------------------------

def start_mariadb(procs: Processes, datadir: Path) -> None:
    procs.start("mariadb", [
        shutil.which("mariadbd") or shutil.which("mysqld"), "--no-defaults", f"--datadir={datadir}",
        f"--port={DB_PORT}", f"--bind-address={HOST}", f"--socket={procs.workdir / 'mysql.sock'}",
        f"--pid-file={procs.workdir / 'mysql.pid'}", "--user=root", "--skip-grant-tables",
        "--skip-log-bin", "--innodb-buffer-pool-size=64M", "--max-connections=200",
        f"--log-error={procs.workdir / 'mariadb-error.log'}",
    ])


def install_mariadb(procs: Processes) -> Path:
    datadir = procs.workdir / "data"
    installer = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    subprocess.run([installer, "--no-defaults", f"--datadir={datadir}", "--user=root", "--skip-test-db",
                    "--auth-root-authentication-method=normal"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    return datadir


def start_redis(procs: Processes) -> None:
    procs.start("redis", [shutil.which("redis-server"), "--port", str(REDIS_PORT), "--bind", HOST,
                          "--save", "", "--appendonly", "no", "--dir", str(procs.workdir)])


def app_env() -> dict:
    return {
        **os.environ,
        "APP_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32),
        "CORS_ORIGINS": BASE, "TRUSTED_PROXY_HOPS": "0", "BCRYPT_LOG_ROUNDS": "4", "LOG_LEVEL": "WARNING",
        "DATABASE_URL": f"mysql://root@{HOST}:{DB_PORT}/qms_faults",
        "REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/0", "DB_POOL_TIMEOUT": "3", "FLASK_APP": "wsgi",
        "RATELIMIT_AUTH_PER_ACCOUNT": "5 per minute;20 per hour",
    }


SEED = """
import json, os, sys
sys.path.insert(0, os.getcwd())
from app import create_app
app = create_app()
with app.app_context():
    from tests.factories import make_class, make_question, make_quiz, make_student, make_teacher
    school_class = make_class("Faults")
    teacher = make_teacher(classes=[school_class], email="monitor@school.test")
    questions = [make_question(teacher, type="mcq") for _ in range(8)]
    quiz = make_quiz(teacher, questions=questions, classes=[school_class], time_limit_minutes=60,
                     max_attempts=1)
    students = [make_student(school_class).student.registration_number for _ in range(int(sys.argv[1]))]
    print(json.dumps({"quiz_id": quiz.id, "students": students, "teacher": teacher.email}))
"""


def prepare_database(env: dict, students: int) -> dict:
    import pymysql

    conn = pymysql.connect(host=HOST, port=DB_PORT, user="root")
    with conn.cursor() as cursor:
        cursor.execute("CREATE DATABASE qms_faults CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, timeout=180)
    seeded = subprocess.run([str(VENV_BIN / "python"), "-c", SEED, str(students)], env=env, cwd=ROOT,
                            check=True, capture_output=True, text=True, timeout=180)
    return json.loads(seeded.stdout.strip().splitlines()[-1])


def start_app(procs: Processes, env: dict) -> None:
    # The production settings (gunicorn_config.py: one gevent-websocket worker), on our port.
    procs.start("gunicorn", [str(VENV_BIN / "gunicorn"), "-c", "gunicorn_config.py", "wsgi:app"],
                env={**env, "GEVENT_PATCH": "1", "GUNICORN_BIND": f"{HOST}:{HTTP_PORT}", "GUNICORN_WORKERS": "1",
                     "GUNICORN_GRACEFUL_TIMEOUT": "5", "GUNICORN_ACCESS_LOG": "", "GUNICORN_CONTROL_SOCKET": ""})


# --- clients ------------------------------------------------------------------------

class Student:
    """One student autosaving: the next answer is sent only once the current one is acknowledged."""

    def __init__(self, registration_number: str, quiz_id: str, journal: "Journal"):
        import requests

        self.http = requests.Session()
        self.registration_number, self.quiz_id, self.journal = registration_number, quiz_id, journal
        self.attempt_id = None
        self.questions: list[str] = []
        self.acked: dict[str, int] = {}
        self.submitted = False

    def call(self, method: str, path: str, *, deadline: float, **kwargs):
        """Retry on 503 and network errors until a non-503 answer or the deadline."""
        while time.monotonic() < deadline:
            sent = time.monotonic()
            try:
                response = self.http.request(method, BASE + path, timeout=5, **kwargs)
            except Exception:
                self.journal.record(sent, None, path)
                time.sleep(0.2)
                continue
            self.journal.record(sent, response, path)
            if response.status_code != 503:
                return response
            time.sleep(0.3)  # a real client honours Retry-After; the script keeps the run short
        return None

    def login_and_start(self, deadline: float) -> None:
        response = self.call("POST", "/api/auth/login", deadline=deadline,
                             json={"email_or_reg_no": self.registration_number, "password": PASSWORD})
        response.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        response = self.call("POST", f"/api/quizzes/{self.quiz_id}/start", deadline=deadline)
        response.raise_for_status()
        body = response.json()
        self.attempt_id = body["attempt_id"]
        self.questions = [question["id"] for question in body["questions"]]

    def autosave(self, stop: threading.Event, deadline: float) -> None:
        step = 0
        while not stop.is_set() and time.monotonic() < deadline:
            question = self.questions[step % len(self.questions)]
            option = random.randrange(4)
            response = self.call("POST", f"/api/attempts/{self.attempt_id}/answer", deadline=deadline,
                                 json={"question_id": question, "answer_option": option})
            if response is not None and response.status_code == 200:
                self.acked[question] = option
                step += 1
            elif response is not None:
                self.journal.unexpected.append(f"save answered {response.status_code}: {response.text[:200]}")
                time.sleep(0.2)

    def submit(self, deadline: float) -> int | None:
        response = self.call("POST", f"/api/attempts/{self.attempt_id}/submit", deadline=deadline)
        self.submitted = response is not None and response.status_code == 200
        return None if response is None else response.status_code


class Journal:
    """Every response with its send and receive times (monotonic)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[tuple[float, float, int | None, str | None, str]] = []
        self.unexpected: list[str] = []

    def record(self, sent: float, response, path: str) -> None:
        with self.lock:
            status = None if response is None else response.status_code
            retry_after = None if response is None else response.headers.get("Retry-After")
            self.entries.append((sent, time.monotonic(), status, retry_after, path))

    def between(self, start: float, end: float):
        return [e for e in self.entries if e[0] >= start and e[1] <= end]

    def first_ack_after(self, start: float) -> float | None:
        times = [e[1] for e in self.entries if e[0] >= start and e[2] is not None and 200 <= e[2] < 300
                 and e[4].endswith("/answer")]
        return min(times) if times else None


def run_students(students: list[Student], stop: threading.Event, deadline: float) -> list[threading.Thread]:
    threads = [threading.Thread(target=s.autosave, args=(stop, deadline), daemon=True) for s in students]
    for thread in threads:
        thread.start()
    return threads


def stored_answers(attempt_ids: list[str]) -> dict:
    import pymysql

    conn = pymysql.connect(host=HOST, port=DB_PORT, user="root", database="qms_faults")
    with conn.cursor() as cursor:
        marks = ",".join(["%s"] * len(attempt_ids))
        cursor.execute(f"SELECT attempt_id, question_id, answer_option FROM student_answers "
                       f"WHERE attempt_id IN ({marks})", attempt_ids)
        rows = cursor.fetchall()
        cursor.execute(f"SELECT id, status FROM quiz_attempts WHERE id IN ({marks})", attempt_ids)
        statuses = dict(cursor.fetchall())
    conn.close()
    return {"answers": {(a, q): o for a, q, o in rows}, "statuses": statuses}


def lost_answers(students: list[Student]) -> list[str]:
    stored = stored_answers([s.attempt_id for s in students])["answers"]
    lost = []
    for student in students:
        for question, option in student.acked.items():
            if stored.get((student.attempt_id, question)) != option:
                lost.append(f"{student.registration_number} {question}: acked {option}, "
                            f"stored {stored.get((student.attempt_id, question))}")
    return lost


# --- phases --------------------------------------------------------------------------

def database_phase(procs: Processes, datadir: Path, students: list[Student], journal: Journal,
                   outage: float, failures: list[str]) -> None:
    stop = threading.Event()
    threads = run_students(students, stop, time.monotonic() + 90)
    time.sleep(3)
    log("killing MariaDB with SIGKILL")
    procs.kill("mariadb", signal.SIGKILL)
    killed_at = time.monotonic()
    time.sleep(outage)
    restarting_at = time.monotonic()
    log("restarting MariaDB")
    start_mariadb(procs, datadir)
    ready = wait_until(mysql_ready, 60)
    if ready is None:
        failures.append("MariaDB did not come back within 60 s")
        stop.set()
        return
    up_at = restarting_at + ready
    log(f"MariaDB accepts connections again after {ready:.1f} s of recovery")
    wait_until(lambda: journal.first_ack_after(up_at) is not None, RECOVERY_LIMIT_SECONDS + 5)
    time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(30)

    during = journal.between(killed_at, restarting_at)
    saves = [e for e in during if e[4].endswith("/answer")]
    acked_during = [e for e in saves if e[2] is not None and 200 <= e[2] < 300]
    without_retry_after = [e for e in during if e[2] == 503 and not e[3]]
    other = sorted({e[2] for e in during if e[2] not in (503, None)})
    log(f"outage: {len(saves)} saves answered, {sum(1 for e in saves if e[2] == 503)} with 503")
    if not saves:
        failures.append("no save reached the API during the outage")
    if acked_during:
        failures.append(f"{len(acked_during)} saves were acknowledged while the database was down")
    if without_retry_after:
        failures.append(f"{len(without_retry_after)} 503 answers without Retry-After")
    if other:
        failures.append(f"statuses other than 503 during the outage: {other}")
    first_ack = journal.first_ack_after(up_at)
    if first_ack is None or first_ack - up_at > RECOVERY_LIMIT_SECONDS:
        failures.append(f"the API did not acknowledge a save within {RECOVERY_LIMIT_SECONDS} s of the database "
                        f"accepting connections ({None if first_ack is None else round(first_ack - up_at, 1)})")
    else:
        log(f"API serving again {first_ack - up_at:.1f} s after MariaDB accepted connections")
    lost = lost_answers(students)
    log(f"acknowledged answers checked: {sum(len(s.acked) for s in students)}, lost: {len(lost)}")
    failures.extend(f"lost answer: {item}" for item in lost)


def monitor_client(teacher_email: str, quiz_id: str, events: list):
    import requests
    import socketio

    token = requests.post(BASE + "/api/auth/login", json={"email_or_reg_no": teacher_email, "password": PASSWORD},
                          timeout=5).json()["access_token"]
    client = socketio.Client(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=2)
    client.on("answer_saved", lambda data: events.append(time.monotonic()), namespace="/quiz-monitor")
    # A monitor joins its quiz's room on every (re)connection, as the front end does.
    client.on("connect", lambda: client.emit("join_quiz", {"quiz_id": quiz_id}, namespace="/quiz-monitor"),
              namespace="/quiz-monitor")
    client.connect(BASE, namespaces=["/quiz-monitor"], auth={"token": token}, wait_timeout=5)
    return client


def redis_phase(procs: Processes, students: list[Student], journal: Journal, seed: dict,
                failures: list[str]) -> None:
    events: list[float] = []
    try:
        monitor = monitor_client(seed["teacher"], seed["quiz_id"], events)
    except Exception as exc:  # the namespace may not exist in this build
        monitor = None
        log(f"monitor check skipped: cannot connect to /quiz-monitor ({exc.__class__.__name__})")
    half = len(students) // 2
    stop = threading.Event()
    threads = run_students(students, stop, time.monotonic() + 90)
    time.sleep(2)
    log("stopping Redis")
    procs.kill("redis", signal.SIGTERM)
    stopped_at = time.monotonic()
    time.sleep(3)
    throttled = _failed_logins(journal)
    if 429 not in throttled:
        failures.append(f"no 429 for repeated failed logins while Redis was down: {throttled}")
    stop.set()
    for thread in threads:
        thread.join(30)
    during = journal.between(stopped_at, time.monotonic())
    bad = [e for e in during if e[4].endswith("/answer") and e[2] != 200]
    if bad:
        failures.append(f"{len(bad)} saves failed while Redis was down (statuses {sorted({e[2] for e in bad})})")
    for student in students[:half]:
        status = student.submit(time.monotonic() + 20)
        if status != 200:
            failures.append(f"submit while Redis was down answered {status}")
    log(f"Redis down: {len(during)} requests, {half} submits")
    start_redis(procs)
    if wait_until(lambda: port_open(REDIS_PORT), 20) is None:
        failures.append("Redis did not come back")
        return
    back_at = time.monotonic()
    rest = students[half:]
    stop = threading.Event()
    threads = run_students(rest, stop, time.monotonic() + 60)
    if monitor is not None:
        reached = wait_until(lambda: any(t > back_at for t in events), 20)
        if reached is None:
            failures.append("the monitor received no event within 20 s of Redis coming back")
        else:
            log(f"monitor received events again {reached:.1f} s after Redis came back")
    else:
        time.sleep(2)
    stop.set()
    for thread in threads:
        thread.join(30)
    for student in rest:
        if student.submit(time.monotonic() + 20) != 200:
            failures.append("submit after Redis returned failed")
    if monitor is not None:
        monitor.disconnect()
    stored = stored_answers([s.attempt_id for s in students])
    open_attempts = [a for a, status in stored["statuses"].items() if status == "in_progress"]
    if open_attempts:
        failures.append(f"{len(open_attempts)} attempts still in progress after submit")
    lost = lost_answers(students)
    failures.extend(f"lost answer: {item}" for item in lost)
    log(f"after Redis phase: {sum(len(s.acked) for s in students)} acknowledged answers, {len(lost)} lost")


def _failed_logins(journal: Journal) -> list[int | None]:
    import requests

    statuses = []
    for _ in range(8):
        try:
            statuses.append(requests.post(BASE + "/api/auth/login", timeout=5, json={
                "email_or_reg_no": "monitor@school.test", "password": "not-the-password"}).status_code)
        except Exception:
            statuses.append(None)
    return statuses


# --- main ----------------------------------------------------------------------------

def preflight() -> str | None:
    for tool in ("mariadbd", "redis-server"):
        if not (shutil.which(tool) or (tool == "mariadbd" and shutil.which("mysqld"))):
            return f"{tool} is not installed"
    if not (shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")):
        return "mariadb-install-db is not installed"
    for port in (HTTP_PORT, DB_PORT, REDIS_PORT):
        if port_open(port):
            return f"port {port} is already in use"
    probe = subprocess.run([str(VENV_BIN / "python"), "-c",
                            "from app import create_app; a = create_app('testing'); "
                            "print(any(r.rule.endswith('/answer') for r in a.url_map.iter_rules()))"],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    if probe.stdout.strip().splitlines()[-1:] != ["True"]:
        return "the attempt endpoints are not available"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=12)
    parser.add_argument("--outage", type=float, default=4.0, help="seconds MariaDB stays down")
    parser.add_argument("--keep-logs", action="store_true")
    args = parser.parse_args()
    reason = preflight()
    if reason:
        log(f"SKIP: {reason}")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="qms-faults-"))
    procs = Processes(workdir)
    failures: list[str] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        log(f"work folder {workdir}")
        datadir = install_mariadb(procs)
        start_mariadb(procs, datadir)
        start_redis(procs)
        if wait_until(mysql_ready, 60) is None or wait_until(lambda: port_open(REDIS_PORT), 20) is None:
            log("FAIL: the throwaway servers did not start")
            return 1
        env = app_env()
        seed = prepare_database(env, args.students)
        start_app(procs, env)
        if wait_until(lambda: port_open(HTTP_PORT), 60) is None:
            log("FAIL: gunicorn did not start")
            return 1
        journal = Journal()
        students = [Student(number, seed["quiz_id"], journal) for number in seed["students"]]
        for student in students:
            student.login_and_start(time.monotonic() + 30)
        log(f"{len(students)} students started their attempts")
        database_phase(procs, datadir, students, journal, args.outage, failures)
        redis_phase(procs, students, journal, seed, failures)
        statuses = {}
        for entry in journal.entries:
            statuses[entry[2]] = statuses.get(entry[2], 0) + 1
        log(f"requests: {len(journal.entries)} by status {statuses}")
        if statuses.get(500):  # a request cut off by the outage must still hear 503, never 500
            failures.append(f"{statuses[500]} answers were 500 Internal Server Error")
    except Exception as exc:
        failures.append(f"the run stopped early: {exc!r}")
    finally:
        procs.stop_all()
        if failures:
            log(f"logs kept in {workdir}")
        elif not args.keep_logs:
            shutil.rmtree(workdir, ignore_errors=True)
    for failure in failures:
        log(f"FAIL: {failure}")
    log("all fault checks passed" if not failures else f"{len(failures)} fault check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
