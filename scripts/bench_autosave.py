"""Autosave benchmark: the real endpoint against a bare floor, in the same run, on MariaDB.

Serves the real app (`wsgi:app`) and the floor (`scripts/bench_floor.py`: decode the
JWT, read the attempt by key, upsert one answer, commit) with gunicorn's gevent worker,
both on one throwaway database, and measures, alternating floor/app in pairs:

  1. saturated throughput: 64 keep-alive connections saving back to back (wrk, or the
     Python closed loop of bench_load.py when wrk is missing), with the app's and
     MariaDB's CPU per request and the commits observed (MariaDB's server-wide
     Com_commit: anything else using the server inflates it). wrk's timeout is 10 s;
     timeouts are counted as errors and shown apart;
  2. latency at an offered load: 500 students each saving about once a second
     (p50/p99 from sending, p99 from the moment each save was due, errors, and the
     share of the machine's CPU the server and MariaDB used; bench_load.py paced,
     after a paced warm-up). Latency is quoted only from this open-loop run, never
     from the saturated closed loop;
  3. a class-size burst: 300 students starting the same (fresh) quiz at one instant
     (p99, total time, all must get 201);
  plus the SQL statements one save and one start issue in each app (counted
  in-process), package versions and the load average before and after the run. Floor
  and app alternate in pairs, so their per-pair ratio stays comparable when absolute
  numbers drift with other work on the machine (which shows in the load average).

Prerequisites: the project's .venv (`make setup`), a MariaDB/MySQL server reachable as
`--mysql` (default root@127.0.0.1:3306, allowed to create and drop a database), and
optionally wrk for saturation (`apt-get install wrk`).

Usage (from the repository root):
    .venv/bin/python scripts/bench_autosave.py                # 3 pairs, 10 s runs: ~4 min
    .venv/bin/python scripts/bench_autosave.py --pairs 1 --duration 5 --warmup 2   # quick look

Options: --phases saturation,paced,burst (a subset), --pairs N, --duration S, --warmup S,
--students N (500), --burst N (300), --workers N (4 gevent workers per server),
--port-app (5101), --port-floor (5102), --mysql URL, --keep-db. Everything it starts (two gunicorn process groups, load
generators) is stopped by PID when it ends, and its database is dropped.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUESTIONS = 30
CLK = os.sysconf("SC_CLK_TCK")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--burst", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--port-app", type=int, default=5101)
    parser.add_argument("--port-floor", type=int, default=5102)
    parser.add_argument("--mysql", default="mysql+pymysql://root@127.0.0.1:3306")
    parser.add_argument("--phases", default="saturation,paced,burst", help="comma-separated subset to run")
    parser.add_argument("--keep-db", action="store_true")
    return parser.parse_args()


# --- environment and data ------------------------------------------------------------

def bench_env(args, database: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "APP_ENV")}
    env.update({
        "DATABASE_URL": f"{args.mysql}/{database}?charset=utf8mb4", "APP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32), "JWT_SECRET_KEY": secrets.token_hex(32),
        "CORS_ORIGINS": "http://127.0.0.1", "LOG_LEVEL": "WARNING", "JWT_ACCESS_MINUTES": "240",
        "PYTHONUNBUFFERED": "1",
    })
    # Two servers of `--workers` workers each, every worker with its own pool: the
    # app's default of 20 per worker would pass MariaDB's default max_connections (151).
    env.setdefault("DB_POOL_SIZE", str(max(4, 60 // args.workers)))
    env.setdefault("DB_MAX_OVERFLOW", "0")
    return env


def create_database(args, database: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{args.mysql}/")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    engine.dispose()


def drop_database(args, database: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{args.mysql}/")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {database}"))
    engine.dispose()


def seed(app, args, bursts: int) -> dict:
    """A class of students with tokens, a 30-question quiz with one attempt each, fresh burst quizzes."""
    from datetime import timedelta

    from flask_jwt_extended import create_access_token
    from sqlalchemy import insert

    from app.attempts.models import QuizAttempt
    from app.classes.models import SchoolClass, TeacherClass
    from app.common.clock import utcnow
    from app.common.db import new_id
    from app.common.identifiers import login_key
    from app.extensions import db
    from app.questions.models import Question
    from app.quizzes.models import Quiz, QuizClass, QuizQuestion
    from app.users.models import Student, Teacher, User

    with app.app_context():
        db.create_all()
        now, ex = utcnow(), db.session.execute
        teacher_id, class_id = new_id(), new_id()
        ex(insert(User), [{"id": teacher_id, "email": "teacher@bench.test", "email_key": "teacher@bench.test",
                           "role": "teacher", "name": "T"}])
        ex(insert(Teacher), [{"id": teacher_id}])
        ex(insert(SchoolClass), [{"id": class_id, "name": "Bench", "section": "A"}])
        ex(insert(TeacherClass), [{"teacher_id": teacher_id, "class_id": class_id}])
        students = [new_id() for _ in range(args.students)]
        ex(insert(User), [{"id": s, "email": f"s{i}@bench.test", "email_key": f"s{i}@bench.test", "role": "student",
                           "name": f"Student {i}"} for i, s in enumerate(students)])
        ex(insert(Student), [{"id": s, "registration_number": f"B{i:05d}", "registration_key": login_key(f"B{i:05d}"),
                              "class_id": class_id, "is_account_claimed": True} for i, s in enumerate(students)])
        questions = [new_id() for _ in range(QUESTIONS)]
        ex(insert(Question), [{"id": q, "text": f"Question {i}?", "type": "mcq", "marks": 1, "created_by": teacher_id,
                               "options": ["A", "B", "C", "D"], "correct_answer": i % 4}
                              for i, q in enumerate(questions)])
        quizzes = [new_id() for _ in range(2 + bursts)]  # main, one per burst, one to count a start
        ex(insert(Quiz), [{"id": z, "title": f"Bench {i}", "subject": "Maths", "access_code": f"BENCH{i:03d}",
                           "time_limit_minutes": 600, "status": "published", "created_by": teacher_id,
                           "start_date": now - timedelta(hours=1), "end_date": now + timedelta(days=1),
                           "max_attempts": 100, "max_violations": 100} for i, z in enumerate(quizzes)])
        ex(insert(QuizClass), [{"quiz_id": z, "class_id": class_id} for z in quizzes])
        ex(insert(QuizQuestion), [{"quiz_id": z, "question_id": q, "order_index": i}
                                  for z in quizzes for i, q in enumerate(questions)])
        main_quiz = quizzes[0]
        attempts = {s: new_id() for s in students}
        ex(insert(QuizAttempt), [{
            "id": attempts[s], "quiz_id": main_quiz, "student_id": s, "attempt_number": 1,
            "in_progress_key": QuizAttempt.in_progress_key_for(main_quiz, s), "started_at": now,
            "deadline_at": now + timedelta(minutes=600), "status": "in_progress", "question_order": questions,
            "option_order": {q: [0, 1, 2, 3] for q in questions}} for s in students])
        db.session.commit()
        tokens = {s: create_access_token(identity=s, additional_claims={"ver": 0, "role": "student"})
                  for s in students}
    return {
        "questions": questions, "burst_quizzes": quizzes[1:-1], "count_quiz": quizzes[-1],
        "targets": [{"token": tokens[s], "attempt_id": attempts[s]} for s in students],
        "burst_targets": [{"token": tokens[s]} for s in students[: args.burst]],
    }


def count_statements(app, data: dict) -> dict:
    """Statements one save issues, counted on each app's engine (COMMIT not included)."""
    import bench_floor  # scripts/ is on sys.path
    from sqlalchemy import event

    from app.extensions import db

    def counted(engine, client, target, path=None):
        seen = []

        def before(_conn, _cursor, statement, *_a):
            seen.append(statement.split(None, 1)[0].upper())

        event.listen(engine, "before_cursor_execute", before)
        try:
            response = client.post(path or f"/api/attempts/{target['attempt_id']}/answer",
                                   headers={"Authorization": f"Bearer {target['token']}"},
                                   json=None if path else {"question_id": data["questions"][0], "answer_option": 1})
        finally:
            event.remove(engine, "before_cursor_execute", before)
        assert response.status_code in (200, 201), response.get_json()
        return seen

    start = f"/api/quizzes/{data['count_quiz']}/start"
    with app.app_context():
        client = app.test_client()
        client.post("/api/attempts/x/answer")  # let the app create its engine and caches first
        real = counted(db.engine, client, data["targets"][-1])
        real_start = counted(db.engine, client, data["targets"][-1], start)
    floor_client = bench_floor.app.test_client()
    floor = counted(bench_floor.engine, floor_client, data["targets"][-2])
    floor_start = counted(bench_floor.engine, floor_client, data["targets"][-2], start)
    return {"app save": real, "floor save": floor, "app start": real_start, "floor start": floor_start}


# --- processes and measurements ------------------------------------------------------------

def serve(name: str, port: int, target: str, cwd: Path, env: dict, workers: int) -> subprocess.Popen:
    cmd = [str(BIN / "gunicorn"), "-k", "gevent", "-w", str(workers), "-b", f"127.0.0.1:{port}",
           "--worker-connections", "2000", "--keep-alive", "5", "--backlog", "2048",
           "--log-level", "warning", "--timeout", "60", target]
    log = open(Path(env["BENCH_TMP"]) / f"{name}.log", "w")
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def wait_ready(port: int, path: str, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}{path}", method="POST",
                                                          data=b"{}"), timeout=2)
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer means it serves
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server on port {port} did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)  # the group of the gunicorn we started: master + workers
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError):
            pass
    return total / CLK


def group_pids(proc: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    return [proc.pid] + [int(p) for p in children.read_text().split()] if children.exists() else [proc.pid]


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


class Meter:
    """CPU of the server and of MariaDB, and commits seen by the server, around one run."""

    def __init__(self, args, proc):
        from sqlalchemy import create_engine

        self.engine = create_engine(f"{args.mysql}/")
        self.proc, self.db_pids = proc, mariadb_pids()

    def counters(self) -> tuple[int, int]:
        """MariaDB's commits and connections opened so far (a pool that keeps opening and
        closing connections under load shows here)."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            status = dict(conn.execute(text(
                "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_commit', 'Connections')")).all())
        return int(status["Com_commit"]), int(status["Connections"])

    def __enter__(self):
        self.wall0 = time.perf_counter()
        self.app_pids = group_pids(self.proc)
        self.cpu0, self.db0, self.c0 = cpu_seconds(self.app_pids), cpu_seconds(self.db_pids), self.counters()
        return self

    def __exit__(self, *exc):
        self.app_cpu = cpu_seconds(self.app_pids) - self.cpu0
        self.db_cpu = cpu_seconds(self.db_pids) - self.db0
        commits, connections = self.counters()
        # Each reading opens one connection of its own: not the server's.
        self.commit_count, self.connections = commits - self.c0[0], connections - self.c0[1] - 1
        self.wall = time.perf_counter() - self.wall0
        self.engine.dispose()

    def per_request(self, requests: int) -> dict:
        n = max(requests, 1)
        # Share of the machine's CPUs that the server and MariaDB used (the load generator
        # and anything else running come on top): a paced run should sit at 50-70 %.
        busy = (self.app_cpu + self.db_cpu) / max(self.wall, 1e-9) / (os.cpu_count() or 1)
        return {"app_cpu_ms": round(self.app_cpu * 1000 / n, 3), "db_cpu_ms": round(self.db_cpu * 1000 / n, 3),
                "commits_per_req": round(self.commit_count / n, 2), "new_connections": self.connections,
                "cpu_busy_pct": round(100 * busy, 1)}


LUA = """
local targets, questions = {}, {}
function init(args)
  for line in io.lines(args[1]) do
    local kind, a, b = line:match("^(%a) (%S+) ?(%S*)$")
    if kind == "t" then table.insert(targets, {a, b}) elseif kind == "q" then table.insert(questions, a) end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local t = targets[math.random(#targets)]
  local body = '{"question_id":"' .. questions[math.random(#questions)] .. '","answer_option":'
    .. math.random(0, 3) .. '}'
  return wrk.format("POST", "/api/attempts/" .. t[2] .. "/answer",
    {["Authorization"] = "Bearer " .. t[1], ["Content-Type"] = "application/json"}, body)
end
"""


def saturate(args, port: int, tmp: Path, duration: float) -> dict:
    if shutil.which("wrk"):
        out = subprocess.run(
            ["wrk", "-t2", f"-c{args.connections}", f"-d{max(1, int(duration))}s", "--timeout", "10s",
             "-s", str(tmp / "save.lua"), f"http://127.0.0.1:{port}", "--", str(tmp / "targets.txt")],
            capture_output=True, text=True, timeout=duration + 30).stdout
        rate = float(out.split("Requests/sec:")[1].split()[0])
        total = int(out.split(" requests in ")[0].split()[-1])
        errors = int(out.split("Non-2xx or 3xx responses:")[1].split()[0]) if "Non-2xx" in out else 0
        socket = {}
        if "Socket errors:" in out:  # "connect 0, read 0, write 0, timeout 12"
            words = out.split("Socket errors:")[1].splitlines()[0].replace(",", "").split()
            socket = {words[i]: int(words[i + 1]) for i in range(0, len(words) - 1, 2)}
        return {"rate": rate, "requests": total, "errors": errors + sum(socket.values()),
                "non_2xx": errors, "timeouts": socket.get("timeout", 0)}
    return load(port, tmp, "closed", "--duration", str(duration), "--connections", str(args.connections))


def load(port: int, tmp: Path, mode: str, *extra: str) -> dict:
    cmd = [sys.executable, str(ROOT / "scripts" / "bench_load.py"), mode, "--port", str(port),
           "--targets", str(tmp / "targets.json"), *extra]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- the run ---------------------------------------------------------------------------------

def run_pairs(args, servers: dict, tmp: Path, data: dict) -> dict:
    results = {"saturation": [], "paced": [], "burst": []}
    bursts = iter(data["burst_quizzes"])
    for pair in range(args.pairs):
        for kind in [k for k in ("saturation", "paced", "burst") if k in args.phases.split(",")]:
            row = {}
            for name in ("floor", "app"):
                proc, port = servers[name]
                # Warm-up of the same kind, not measured: the workers open their pool
                # connections and compile their statements, the clients connect.
                if kind == "saturation":
                    saturate(args, port, tmp, args.warmup)
                elif kind == "paced":
                    load(port, tmp, "paced", "--duration", str(args.warmup), "--students", str(args.students))
                with Meter(args, proc) as meter:
                    if kind == "saturation":
                        measured = saturate(args, port, tmp, args.duration)
                    elif kind == "paced":
                        measured = load(port, tmp, "paced", "--duration", str(args.duration),
                                        "--students", str(args.students))
                    else:
                        measured = load(port, tmp, "burst", "--quiz-id", next(bursts), "--students", str(args.burst))
                row[name] = {**measured, **meter.per_request(measured["requests"])}
            print(f"pair {pair + 1} {kind:<10} " + json.dumps(row), flush=True)
            results[kind].append(row)
    return results


def args_students(results: dict) -> int:
    return int(results["paced"][0]["floor"].get("offered_rate", 0)) if results["paced"] else 0


def args_burst(results: dict, name: str) -> int:
    return results["burst"][0][name]["requests"] if results["burst"] else 0


def ratio_summary(rows: list[dict], key: str) -> str:
    ratios = [r["app"][key] / r["floor"][key] for r in rows if r["floor"][key]]
    if not ratios:
        return "n/a"
    return f"median {statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f})"


def report(results: dict, statements: dict, versions: dict) -> None:
    def med(kind, name, key):
        return statistics.median(r[name][key] for r in results[kind]) if results[kind] else float("nan")

    print("\n== summary (medians over pairs; ratios are app / floor per pair)")
    for name in ("floor", "app"):
        print(f"{name:<5} saturated {med('saturation', name, 'rate'):8.0f} saves/s  "
              f"app CPU {med('saturation', name, 'app_cpu_ms'):.2f} ms/req  "
              f"DB CPU {med('saturation', name, 'db_cpu_ms'):.2f} ms/req  "
              f"commits/req {med('saturation', name, 'commits_per_req'):.2f}  "
              f"errors {sum(r[name]['errors'] for r in results['saturation'])}")
    print(f"saturated throughput ratio: {ratio_summary(results['saturation'], 'rate')}")
    for name in ("floor", "app"):
        print(f"{name:<5} {args_students(results)} students ~1/s: {med('paced', name, 'rate'):.0f} saves/s  "
              f"p50 {med('paced', name, 'p50_ms'):.1f} ms  p99 {med('paced', name, 'p99_ms'):.1f} ms  "
              f"(p99 from due time {med('paced', name, 'p99_due_ms'):.1f} ms)  "
              f"server+DB CPU {med('paced', name, 'cpu_busy_pct'):.0f} % of the machine  "
              f"errors {sum(r[name]['errors'] for r in results['paced'])}")
    print("p50/p99 come only from the paced run (open loop, fixed offered load), never from the "
          "saturated closed loop, whose latencies measure the queue, not the server.")
    for name in ("floor", "app"):
        print(f"{name:<5} burst of starts: p99 {med('burst', name, 'p99_ms'):.0f} ms  "
              f"total {med('burst', name, 'elapsed_s'):.2f} s  "
              f"created {min((r[name]['created'] for r in results['burst']), default=0)}/{args_burst(results, name)}"
              f"  errors {sum(r[name]['errors'] for r in results['burst'])}")
    for name, seen in statements.items():
        print(f"SQL statements per {name}: {len(seen)} + COMMIT  {seen}")
    print("versions: " + json.dumps(versions))
    print("load average (1/5/15 min) before the run: {}, after: {}".format(
        *(" ".join(f"{x:.2f}" for x in load) for load in (LOAD_BEFORE, os.getloadavg()))))


def show_server_errors(tmp: Path) -> None:
    for name in ("app", "floor"):
        lines = [line for line in (tmp / f"{name}.log").read_text().splitlines()
                 if any(word in line for word in ("ERROR", "Error", "WARNING", "Traceback"))]
        if lines:
            print(f"-- {name} server log: {len(lines)} warning/error lines, last ones:")
            print("\n".join(line[:200] + " … " + line[-400:] for line in lines[-3:]))


def versions(args) -> dict:
    from importlib.metadata import version

    from sqlalchemy import create_engine, text

    engine = create_engine(f"{args.mysql}/")
    with engine.connect() as conn:
        server = conn.execute(text("SELECT VERSION()")).scalar()
    engine.dispose()
    found = {p: version(p) for p in ("gunicorn", "gevent", "Flask", "SQLAlchemy", "PyMySQL")}
    found.update(server=server, wrk=bool(shutil.which("wrk")), cpus=os.cpu_count())
    return found


LOAD_BEFORE = os.getloadavg()


def main() -> None:
    args = parse_args()
    database = f"qms_bench_{secrets.token_hex(4)}"
    tmp = Path(tempfile.mkdtemp(prefix="qms-bench-"))
    env = bench_env(args, database)
    env["BENCH_TMP"] = str(tmp)
    os.environ.update(env)
    sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
    servers, started = {}, time.time()
    create_database(args, database)
    try:
        from app import create_app

        app = create_app("production")
        data = seed(app, args, bursts=args.pairs * 2)
        (tmp / "targets.json").write_text(json.dumps(data))
        (tmp / "targets.txt").write_text("".join(f"t {t['token']} {t['attempt_id']}\n" for t in data["targets"])
                                         + "".join(f"q {q}\n" for q in data["questions"]))
        (tmp / "save.lua").write_text(LUA)
        statements = count_statements(app, data)
        servers["app"] = (serve("app", args.port_app, "wsgi:app", ROOT, env, args.workers), args.port_app)
        servers["floor"] = (serve("floor", args.port_floor, "bench_floor:app", ROOT / "scripts", env, args.workers),
                            args.port_floor)
        wait_ready(args.port_app, "/api/attempts/x/answer")
        wait_ready(args.port_floor, "/api/attempts/x/answer")
        print(f"seeded {args.students} students, {QUESTIONS} questions; servers up in {time.time() - started:.0f} s",
              flush=True)
        results = run_pairs(args, servers, tmp, data)
        report(results, statements, versions(args))
        print(f"total time {time.time() - started:.0f} s")
        show_server_errors(tmp)
    finally:
        for proc, _port in servers.values():
            stop(proc)
        if not args.keep_db:
            drop_database(args, database)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
