"""What every benchmark here shares, so that each benchmark file is only what differs.

- a throwaway MariaDB database (`throwaway_database`) and the environment a production
  instance reads (`production_env`);
- data: a school of students with tokens, quizzes and attempts, written in bulk
  (`seed_school`);
- servers: the app and the bare floor (`benchmarks/floor.py`) under gunicorn's gevent
  worker, each a process group started and stopped by its PID (`serve`);
- measurement: CPU of process groups and of MariaDB, the time the hypervisor stole and
  MariaDB's counters around one run (`CpuMeter`), SQL statements seen by an engine
  (`counting_statements`);
- interleaved A/B pairs (`pair_order`) summarised by the median of per-pair ratios with
  min–max, and optionally a bootstrap interval (`ratio_summary`);
- the report's context: package versions, load average, server log errors.

Nothing here imports the app at module level: a benchmark sets the environment the
app's configuration reads first. Run benchmarks from the repository root as
`.venv/bin/python -m benchmarks.<name>`; see benchmarks/README.md.
"""
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
CLK = os.sysconf("SC_CLK_TCK")
DEFAULT_MYSQL = os.environ.get("BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306/")


def add_mysql_option(parser) -> None:
    parser.add_argument("--mysql", default=DEFAULT_MYSQL,
                        help="MariaDB/MySQL server; a benchmark that needs data creates and drops a "
                             "database of its own there (default: $BENCH_MYSQL_URL or %(default)s)")


# --- database and environment ---------------------------------------------------------------

def _pymysql(server_url: str):
    url = make_url(server_url)
    return url.set(drivername="mysql+pymysql") if url.drivername == "mysql" else url


TOO_MANY_CONNECTIONS = 1040


def connect(engine, wait: float = 15.0):
    """A connection, waiting up to `wait` seconds while the server refuses new ones: on a
    shared server other clients' pools can hold every connection for a while."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return engine.connect()
        except OperationalError as exc:
            if exc.orig.args[0] != TOO_MANY_CONNECTIONS or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@contextmanager
def throwaway_database(server_url: str, prefix: str, *, keep: bool = False):
    """A new `<prefix>_<random>` database on the server (utf8mb4), dropped on exit unless
    `keep`; yields its URL (PyMySQL unless the server URL names another driver)."""
    server = _pymysql(server_url).set(database=None)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, poolclass=NullPool)
    with connect(admin) as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    try:
        yield server.set(database=name, query={"charset": "utf8mb4"}).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            with connect(admin) as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


def server_query(server_url: str, sql: str):
    """All rows of one statement on the server, on a connection of its own."""
    engine = create_engine(_pymysql(server_url).set(database=None), poolclass=NullPool)
    try:
        with connect(engine) as conn:
            return conn.execute(text(sql)).all()
    finally:
        engine.dispose()


def production_env(database_url: str, **overrides: str) -> dict:
    """The environment of a production instance on `database_url`, with fresh secrets and
    no Redis unless `REDIS_URL` is among the overrides; also applied to this process, so
    that the in-process app (seeding, counting) signs and reads tokens as the servers do."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "APP_ENV")}
    env.update({
        "APP_ENV": "production", "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32),
        "CORS_ORIGINS": "http://127.0.0.1", "LOG_LEVEL": "WARNING", "JWT_ACCESS_MINUTES": "240",
        "PYTHONUNBUFFERED": "1", **overrides,
    })
    os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    return env


# --- data ---------------------------------------------------------------------------------------

@dataclass
class Student:
    id: str
    token: str
    attempt_id: str | None = None


@dataclass
class SchoolClass:
    students: list[Student]
    quizzes: list[str]


@dataclass
class School:
    teacher_token: str
    questions: list[str]
    classes: list[SchoolClass] = field(default_factory=list)
    # One valid autosave body per question of the seeded attempts (`save_bodies`).
    save_bodies: list[dict] = field(default_factory=list)


QUESTION_SHAPES = {  # type: the fields a question of it is seeded with
    "mcq": {"options": ["A", "B", "C", "D"], "correct_answer": 1},
    "true_false": {"options": ["True", "False"], "correct_answer": 0},
    "short_answer": {"accepted_answers": ["Paris"]},
    "descriptive": {"sample_answer": "An essay."},
    "multiple_select": {"options": ["2", "3", "4", "5"], "correct_options": [0, 1, 3], "scoring": "partial"},
    "numeric": {"correct_value": 9.81, "tolerance": 0.01, "tolerance_type": "absolute"},
    "matching": {"pairs": [{"prompt": "France", "match": "Paris"}, {"prompt": "Spain", "match": "Madrid"}],
                 "distractors": ["Rome"]},
    "ordering": {"items": ["one", "two", "three"], "scoring": "partial"},
    "fill_in_blanks": {"text": "{{1}} is the capital of {{2}}.",
                       "blanks": [{"accepted": [{"text": "Paris", "credit": 1}], "case_sensitive": False},
                                  {"options": ["France", "Spain"], "correct_option": 0}]},
}
# Every key a shape sets, so that each seeded row names the same columns.
SHAPE_KEYS = sorted({key for shape in QUESTION_SHAPES.values() for key in shape} - {"text"})


def seed_school(app, *, class_sizes: list[int], questions: int, quizzes_per_class: int = 1,
                attempts_on_first_quiz: bool = False, question_types: tuple = ("mcq",), **quiz_fields) -> School:
    """A teacher of every class; per class its students and `quizzes_per_class` published,
    open quizzes of the same `questions` questions, of `question_types` in turn (`quiz_fields` override
    the quizzes' settings); optionally every student's attempt in progress on their
    class's first quiz. Rows are written in bulk; every user gets a token pair from the
    app's own issuer."""
    from datetime import timedelta

    from sqlalchemy import insert

    from app.attempts.models import QuizAttempt
    from app.classes.models import SchoolClass as ClassRow
    from app.classes.models import TeacherClass
    from app.common.clock import utcnow
    from app.common.db import new_id
    from app.common.identifiers import login_key
    from app.extensions import db
    from app.questions.models import Question
    from app.quizzes.models import Quiz, QuizClass, QuizQuestion
    from app.students.models import Student as StudentRow
    from app.teachers.models import Teacher
    from app.users.models import User

    with app.app_context():
        db.create_all()
        now, ex = utcnow(), db.session.execute
        teacher_id = new_id()
        ex(insert(User), [{"id": teacher_id, "email": "teacher@bench.test", "email_key": "teacher@bench.test",
                           "role": "teacher", "name": "T"}])
        ex(insert(Teacher), [{"id": teacher_id}])
        question_ids = [new_id() for _ in range(questions)]
        kinds = [question_types[i % len(question_types)] for i in range(questions)]
        ex(insert(Question), [{"id": q, "text": f"Question {i}?", "type": kinds[i], "marks": 1,
                               "created_by": teacher_id, **dict.fromkeys(SHAPE_KEYS),
                               **QUESTION_SHAPES[kinds[i]]}
                              for i, q in enumerate(question_ids)])
        classes, number, quiz_number, bodies = [], 0, 0, []
        for index, size in enumerate(class_sizes):
            class_id, students = new_id(), [new_id() for _ in range(size)]
            ex(insert(ClassRow), [{"id": class_id, "name": f"Bench {index}", "section": "A"}])
            ex(insert(TeacherClass), [{"teacher_id": teacher_id, "class_id": class_id}])
            ex(insert(User), [{"id": s, "email": f"s{number + i}@bench.test",
                               "email_key": f"s{number + i}@bench.test", "role": "student",
                               "name": f"Student {number + i}"} for i, s in enumerate(students)])
            ex(insert(StudentRow), [{"id": s, "registration_number": f"B{number + i:05d}",
                                     "registration_key": login_key(f"B{number + i:05d}"), "class_id": class_id,
                                     "is_account_claimed": True} for i, s in enumerate(students)])
            number += size
            quizzes = [new_id() for _ in range(quizzes_per_class)]
            ex(insert(Quiz), [{"id": z, "title": f"Bench {quiz_number + i}", "subject": "Maths",
                               "access_code": f"BENCH{quiz_number + i:03d}", "status": "published",
                               "created_by": teacher_id, "start_date": now - timedelta(hours=1),
                               "end_date": now + timedelta(days=1), "published_at": now,
                               **{"time_limit_minutes": 600, "max_attempts": 100, "max_violations": 100,
                                  **quiz_fields}} for i, z in enumerate(quizzes)])
            quiz_number += len(quizzes)
            ex(insert(QuizClass), [{"quiz_id": z, "class_id": class_id} for z in quizzes])
            ex(insert(QuizQuestion), [{"quiz_id": z, "question_id": q, "order_index": i}
                                      for z in quizzes for i, q in enumerate(question_ids)])
            attempts = {s: new_id() for s in students} if attempts_on_first_quiz else {}
            if attempts:
                order, option_order, answer_forms = _attempt_layout(quizzes[0])
                bodies = save_bodies(order, option_order, answer_forms)
                ex(insert(QuizAttempt), [{
                    "id": attempts[s], "quiz_id": quizzes[0], "student_id": s, "attempt_number": 1,
                    "in_progress_key": QuizAttempt.in_progress_key_for(quizzes[0], s), "started_at": now,
                    "deadline_at": now + timedelta(minutes=600), "status": "in_progress",
                    "question_order": order, "option_order": option_order, "answer_forms": answer_forms or None,
                } for s in students])
            classes.append((students, quizzes, attempts))
        tokens = _issue_tokens()
        db.session.commit()
    return School(
        teacher_token=tokens[teacher_id], questions=question_ids,
        classes=[SchoolClass([Student(s, tokens[s], attempts.get(s)) for s in students], quizzes)
                 for students, quizzes, attempts in classes], save_bodies=bodies)


def _attempt_layout(quiz_id: str) -> tuple[list, dict, dict]:
    """The question order, option order and answer forms a start of this quiz decides,
    by the app's own code, shared by every seeded attempt at it."""
    from app.attempts.ordering import decide_order
    from app.extensions import db
    from app.quizzes import shown
    from app.quizzes.models import Quiz

    quiz = db.session.get(Quiz, quiz_id)
    return decide_order(quiz, shown.shown_questions(quiz))


def save_bodies(order: list, option_order: dict, answer_forms: dict) -> list[dict]:
    """One valid autosave body per question, shaped as a student of its type sends it."""
    responses = {
        "multiple_select": lambda form: [0],
        "numeric": lambda form: 9.81,
        "matching": lambda form: [i % form["choices"] for i in range(form["prompts"])],
        "ordering": lambda form: list(range(form["choices"])),
        "fill_in_blanks": lambda form: ["Paris" if gap is None else 0 for gap in form["gaps"]],
    }
    bodies = []
    for question_id in order:
        form = answer_forms.get(question_id)
        if form is not None:
            bodies.append({"question_id": question_id, "response": responses[form["type"]](form)})
        elif question_id in option_order:
            bodies.append({"question_id": question_id, "answer_option": 1 % len(option_order[question_id])})
        else:
            bodies.append({"question_id": question_id, "answer_text": "An answer."})
    return bodies


def _issue_tokens() -> dict[str, str]:
    """An access token for every user, issued as a login issues it (refresh rows included)."""
    from sqlalchemy import select

    from app.auth.tokens import issue_token_pair
    from app.extensions import db
    from app.users.models import User

    return {user.id: issue_token_pair(user)["access_token"] for user in db.session.scalars(select(User))}


# --- servers ---------------------------------------------------------------------------------------

class Server:
    """A process group this benchmark started (gunicorn's master and its workers),
    stopped by its PID; its output goes to `<log_dir>/<name>.log`."""

    def __init__(self, name: str, port: int, argv: list[str], env: dict, log_dir: Path, niceness: int = 0):
        self.name, self.port = name, port
        self.log = Path(log_dir) / f"{name}.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen((["nice", "-n", str(niceness)] if niceness else []) + argv,
                                            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_ready(self, timeout: float = 120.0) -> "Server":  # a loaded machine imports slowly
        """Until it answers HTTP (any status: the floor has no health route)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=2)
                return self
            except urllib.error.HTTPError:
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        tail = Path(self.log).read_text(errors="replace")[-3000:] if Path(self.log).exists() else ""
        raise RuntimeError(f"{self.name} on port {self.port} did not start; its log ends:\n{tail}")

    def pids(self) -> list[int]:
        return group_pids(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def error_lines(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines()
                if any(word in line for word in ("ERROR", "Error", "WARNING", "Traceback"))]


@contextmanager
def stopping_servers():
    """A dict to put started servers in; every one of them is stopped on exit."""
    servers = {}
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def serve(name: str, port: int, target: str, env: dict, log_dir: Path, *, workers: int | None = None,
          niceness: int = 0, **gunicorn_env: str) -> Server:
    """`target` (`wsgi:app`, `benchmarks.floor:app`) under gunicorn's gevent worker.

    With `workers`, the benchmark's own settings: N plain gevent workers, each with its
    own pool. Without, the shipped `gunicorn_config.py` (one gevent-websocket worker per
    instance) with `gunicorn_env` as its GUNICORN_* settings: the production layout."""
    if workers:
        argv = [sys.executable, "-m", "gunicorn", "-k", "gevent", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                "--worker-connections", "2000", "--keep-alive", "5", "--backlog", "2048",
                "--log-level", "warning", "--timeout", "60", target]
    else:
        argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn_config.py", target]
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": "",
               "GUNICORN_LOG_LEVEL": "warning", **gunicorn_env}
    return Server(name, port, argv, env, log_dir, niceness).wait_ready()


# --- measuring -----------------------------------------------------------------------------------

def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (a process that has gone counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / CLK


def group_pids(pid: int) -> list[int]:
    """A process and its children (gunicorn's master and workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid] + [int(p) for p in children.read_text().split()] if children.exists() else [pid]


def pids_named(*names: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def mariadb_pids() -> list[int]:
    return pids_named("mariadbd", "mysqld")


def stolen_seconds() -> float:
    """CPU time the hypervisor gave this machine's CPUs to someone else (/proc/stat steal)."""
    return int(Path("/proc/stat").read_text().split("\n", 1)[0].split()[8]) / CLK


MARIADB_COUNTERS = ("Com_commit", "Connections", "Questions")


@dataclass
class Reading:
    """What a `CpuMeter` saw between start() and stop()."""
    wall: float
    cpu: dict[str, float]  # CPU seconds per process group, and "stolen"
    commits: int
    connections: int  # new connections MariaDB accepted
    statements: int  # MariaDB's Questions

    def share_of_core(self, name: str) -> float:
        return 100 * self.cpu[name] / max(self.wall, 1e-9)


class CpuMeter:
    """CPU of named process groups and of MariaDB, stolen time, and MariaDB's server-wide
    commits, statements and connections between start() and stop(). `groups` maps a name
    to a function giving its PIDs, asked at each reading (workers may come and go)."""

    def __init__(self, mysql_url: str, groups: dict):
        self.mysql_url = mysql_url
        self.groups = {**groups, "MariaDB": mariadb_pids}

    def start(self) -> "CpuMeter":
        self.began, self.before, self.counted = time.perf_counter(), self._cpu(), self._counters()
        return self

    def stop(self) -> Reading:
        wall, after = time.perf_counter() - self.began, self._cpu()
        counted = self._counters()
        delta = {name: counted[name] - self.counted[name] for name in MARIADB_COUNTERS}
        # Each reading is one new connection and two statements of its own: not the servers'.
        return Reading(wall, {name: after[name] - self.before[name] for name in after}, delta["Com_commit"],
                       delta["Connections"] - 1, delta["Questions"] - 2)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.reading = self.stop()

    def _cpu(self) -> dict:
        return {**{name: cpu_seconds(pids()) for name, pids in self.groups.items()}, "stolen": stolen_seconds()}

    def _counters(self) -> dict:
        names = ", ".join(f"'{name}'" for name in MARIADB_COUNTERS)
        return {name: int(value) for name, value in server_query(
            self.mysql_url, f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")}


@contextmanager
def counting_statements(engine):
    """The first word of every statement the engine sends while inside (COMMIT is not one)."""
    seen = []

    def before(_conn, _cursor, statement, *_args):
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def percentile(values, q: float) -> float:
    """The q-quantile (0..1) of the values, nearest rank; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- pairs and ratios ----------------------------------------------------------------------------

def pair_order(pair: int, arms: tuple, *, alternate: bool = False) -> tuple:
    """The arms of pair number `pair` (from 0) in the order to run them: always as given
    (A B, A B, ...), or with `alternate` reversed every other pair (A B, B A, ...), so
    that a drift over the run does not always favour the same arm."""
    return tuple(reversed(arms)) if alternate and pair % 2 else arms


def bootstrap_interval(ratios, resamples: int = 5000, seed: int = 1) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of the median of the pairs' ratios: how far the
    run's figure could move had the same machine dealt it other pairs."""
    draw = random.Random(seed)
    medians = sorted(statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(resamples))
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def ratio_summary(ratios, *, interval: bool = False) -> str:
    """The median of per-pair ratios with their min–max (and the bootstrap interval)."""
    if not ratios:
        return "n/a"
    median = statistics.median(ratios)
    if not interval:
        return f"median {median:.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"
    low, high = bootstrap_interval(ratios)
    return f"median {median:.2f} (95 % interval {low:.2f}-{high:.2f}; pairs {min(ratios):.2f}-{max(ratios):.2f})"


# --- the report's context ------------------------------------------------------------------------

LOAD_BEFORE = os.getloadavg()


def versions(mysql_url: str, *packages: str) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    def installed(package):
        try:
            return version(package)
        except PackageNotFoundError:
            return None

    found = {p: installed(p) for p in packages or ("gunicorn", "gevent", "Flask", "SQLAlchemy", "PyMySQL")}
    found.update(server=server_query(mysql_url, "SELECT VERSION()")[0][0], cpus=os.cpu_count())
    return found


def load_averages() -> str:
    return "load average (1/5/15 min) before the run: {}, after: {}".format(
        *(" ".join(f"{x:.2f}" for x in load) for load in (LOAD_BEFORE, os.getloadavg())))


def show_server_errors(servers) -> None:
    for server in servers:
        lines = server.error_lines()
        if lines:
            print(f"-- {server.name} server log: {len(lines)} warning/error lines, last ones:")
            print("\n".join(line[:200] + " … " + line[-400:] for line in lines[-3:]))
