"""Autosave benchmark: the real endpoint against a bare floor, in the same run, on MariaDB.

Serves the real app (`wsgi:app`) and the floor (`benchmarks/floor.py`: decode the JWT,
read the attempt by key, upsert one answer, commit) with gunicorn's gevent worker, both
on one throwaway database, and measures, alternating floor/app in pairs:

  1. saturated throughput: 64 keep-alive connections saving back to back (wrk, or the
     Python closed loop of benchmarks/loadgen.py when wrk is missing), with the app's
     and MariaDB's CPU per request and the commits observed (MariaDB's server-wide
     Com_commit: anything else using the server inflates it). wrk's timeout is 10 s;
     timeouts are counted as errors and shown apart;
  2. latency at an offered load: 500 students each saving about once a second
     (p50/p99 from sending, p99 from the moment each save was due, errors, and the
     share of the machine's CPU the server and MariaDB used; loadgen.py paced, after a
     paced warm-up). Latency is quoted only from this open-loop run, never from the
     saturated closed loop;
  3. a class-size burst: 300 students starting the same (fresh) quiz at one instant
     (p99, total time, all must get 201, and the attempts the database then holds for
     that quiz: one per student, none duplicated). `--burst 1000 --students 1000
     --mixed-types --redis-url redis://...` is a year group at the bell on a quiz of
     30 questions of every type, with Redis as in production;
  plus the SQL statements one save and one start issue in each app (counted
  in-process), package versions and the load average before and after the run. Floor
  and app alternate in pairs, so their per-pair ratio stays comparable when absolute
  numbers drift with other work on the machine (which shows in the load average).

Prerequisites: the project's .venv (`make setup`), a MariaDB/MySQL server reachable as
`--mysql` (default root@127.0.0.1:3306, allowed to create and drop a database), and
optionally wrk for saturation (`apt-get install wrk`).

Usage (from the repository root):
    .venv/bin/python -m benchmarks.autosave                # 3 pairs, 10 s runs: ~4 min
    .venv/bin/python -m benchmarks.autosave --pairs 1 --duration 5 --warmup 2   # quick look

Options: --phases saturation,paced,burst (a subset), --pairs N, --duration S, --warmup S,
--students N (500), --burst N (300), --workers N (4 gevent workers per server),
--mixed-types (the 30 questions cycle through every type, not only mcq),
--redis-url URL (the app's REDIS_URL, as in production; default none),
--port-app (5101), --port-floor (5102), --mysql URL, --keep-db. Everything it starts
(two gunicorn process groups, load generators) is stopped by PID when it ends, and its
database is dropped.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import harness

QUESTIONS = 30
ARMS = ("floor", "app")
PHASES = ("saturation", "paced", "burst")


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
    harness.add_mysql_option(parser)
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset to run")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--mixed-types", action="store_true")
    parser.add_argument("--redis-url", default=None)
    return parser.parse_args()


def seed(app, students: int, burst: int, bursts: int, question_types: tuple) -> dict:
    """One class: an attempt in progress for every student on the main quiz, a fresh quiz
    per burst, one more to count a start's statements; the load generator's targets."""
    school = harness.seed_school(app, class_sizes=[students], questions=QUESTIONS, quizzes_per_class=2 + bursts,
                                 attempts_on_first_quiz=True, question_types=question_types)
    (school_class,) = school.classes
    return {
        "questions": school.questions, "bodies": school.save_bodies, "burst_quizzes": school_class.quizzes[1:-1],
        "count_quiz": school_class.quizzes[-1],
        "targets": [{"token": s.token, "attempt_id": s.attempt_id} for s in school_class.students],
        "burst_targets": [{"token": s.token} for s in school_class.students[:burst]],
    }


def count_statements(app, data: dict) -> dict:
    """Statements one save and one start issue, counted on each app's engine (COMMIT not included)."""
    from app.extensions import db
    from benchmarks import floor

    def counted(engine, client, target, path=None):
        with harness.counting_statements(engine) as seen:
            response = client.post(path or f"/api/attempts/{target['attempt_id']}/answer",
                                   headers={"Authorization": f"Bearer {target['token']}"},
                                   json=None if path else data["bodies"][0])
        assert response.status_code in (200, 201), response.get_json()
        return seen

    start = f"/api/quizzes/{data['count_quiz']}/start"
    with app.app_context():
        client = app.test_client()
        client.post("/api/attempts/x/answer")  # let the app create its engine and caches first
        real = counted(db.engine, client, data["targets"][-1])
        real_start = counted(db.engine, client, data["targets"][-1], start)
    floor_client = floor.app.test_client()
    floor_save = counted(floor.engine, floor_client, data["targets"][-2])
    floor_start = counted(floor.engine, floor_client, data["targets"][-2], start)
    return {"app save": real, "floor save": floor_save, "app start": real_start, "floor start": floor_start}


# --- load ------------------------------------------------------------------------------------

LUA = """
local targets, bodies = {}, {}
function init(args)
  for line in io.lines(args[1]) do
    local kind, rest = line:match("^(%a) (.*)$")
    if kind == "t" then
      local token, attempt = rest:match("^(%S+) (%S+)$")
      table.insert(targets, {token, attempt})
    elseif kind == "b" then
      table.insert(bodies, rest)
    end
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local t = targets[math.random(#targets)]
  return wrk.format("POST", "/api/attempts/" .. t[2] .. "/answer",
    {["Authorization"] = "Bearer " .. t[1], ["Content-Type"] = "application/json"}, bodies[math.random(#bodies)])
end
"""


def write_targets(tmp: Path, data: dict) -> None:
    (tmp / "targets.json").write_text(json.dumps(data))
    (tmp / "targets.txt").write_text("".join(f"t {t['token']} {t['attempt_id']}\n" for t in data["targets"])
                                     + "".join(f"b {json.dumps(b)}\n" for b in data["bodies"]))
    (tmp / "save.lua").write_text(LUA)


def saturate(args, port: int, tmp: Path, duration: float) -> dict:
    if not shutil.which("wrk"):
        return load(port, tmp, "closed", "--duration", str(duration), "--connections", str(args.connections))
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


def load(port: int, tmp: Path, mode: str, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.loadgen", mode, "--port", str(port),
           "--targets", str(tmp / "targets.json"), *extra]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=harness.ROOT)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def per_request(reading: harness.Reading, requests: int) -> dict:
    n = max(requests, 1)
    app_cpu, db_cpu = reading.cpu["server"], reading.cpu["MariaDB"]
    # Share of the machine's CPUs that the server and MariaDB used (the load generator
    # and anything else running come on top): a paced run should sit at 50-70 %.
    busy = (app_cpu + db_cpu) / max(reading.wall, 1e-9) / (os.cpu_count() or 1)
    return {"app_cpu_ms": round(app_cpu * 1000 / n, 3), "db_cpu_ms": round(db_cpu * 1000 / n, 3),
            "commits_per_req": round(reading.commits / n, 2), "new_connections": reading.connections,
            "cpu_busy_pct": round(100 * busy, 1)}


# --- the run ---------------------------------------------------------------------------------

def run_phase(args, kind: str, server: harness.Server, tmp: Path, bursts) -> dict:
    port = server.port
    # Warm-up of the same kind, not measured: the workers open their pool connections
    # and compile their statements, the clients connect.
    if kind == "saturation":
        saturate(args, port, tmp, args.warmup)
    elif kind == "paced":
        load(port, tmp, "paced", "--duration", str(args.warmup), "--students", str(args.students))
    with harness.CpuMeter(args.mysql, {"server": server.pids}) as meter:
        if kind == "saturation":
            measured = saturate(args, port, tmp, args.duration)
        elif kind == "paced":
            measured = load(port, tmp, "paced", "--duration", str(args.duration), "--students", str(args.students))
        else:
            quiz_id = next(bursts)
            measured = load(port, tmp, "burst", "--quiz-id", quiz_id, "--students", str(args.burst))
    if kind == "burst":
        measured.update(attempts_in_database(args, quiz_id))
    return {**measured, **per_request(meter.reading, measured["requests"])}


def attempts_in_database(args, quiz_id: str) -> dict:
    """What the burst left in the database: attempts, and how many students have more than one."""
    rows, students = harness.server_query(args.mysql, (
        f"SELECT COUNT(*), COUNT(DISTINCT student_id) FROM {args.database}.quiz_attempts "
        f"WHERE quiz_id = '{quiz_id}'"))[0]
    return {"in_database": int(rows), "duplicated": int(rows) - int(students)}


def run_pairs(args, servers: dict, tmp: Path, data: dict) -> dict:
    results = {kind: [] for kind in PHASES}
    bursts = iter(data["burst_quizzes"])
    for pair in range(args.pairs):
        for kind in [k for k in PHASES if k in args.phases.split(",")]:
            row = {name: run_phase(args, kind, servers[name], tmp, bursts) for name in harness.pair_order(pair, ARMS)}
            print(f"pair {pair + 1} {kind:<10} " + json.dumps(row), flush=True)
            results[kind].append(row)
    return results


def report(results: dict, statements: dict, versions: dict) -> None:
    def med(kind, name, key):
        return statistics.median(r[name][key] for r in results[kind]) if results[kind] else float("nan")

    def errors(kind, name):
        return sum(r[name]["errors"] for r in results[kind])

    def ratio(kind, key):
        return harness.ratio_summary([r["app"][key] / r["floor"][key] for r in results[kind] if r["floor"][key]])

    students = int(results["paced"][0]["floor"].get("offered_rate", 0)) if results["paced"] else 0
    print("\n== summary (medians over pairs; ratios are app / floor per pair)")
    for name in ARMS:
        print(f"{name:<5} saturated {med('saturation', name, 'rate'):8.0f} saves/s  "
              f"app CPU {med('saturation', name, 'app_cpu_ms'):.2f} ms/req  "
              f"DB CPU {med('saturation', name, 'db_cpu_ms'):.2f} ms/req  "
              f"commits/req {med('saturation', name, 'commits_per_req'):.2f}  "
              f"errors {errors('saturation', name)}")
    print(f"saturated throughput ratio: {ratio('saturation', 'rate')}")
    for name in ARMS:
        print(f"{name:<5} {students} students ~1/s: {med('paced', name, 'rate'):.0f} saves/s  "
              f"p50 {med('paced', name, 'p50_ms'):.1f} ms  p99 {med('paced', name, 'p99_ms'):.1f} ms  "
              f"(p99 from due time {med('paced', name, 'p99_due_ms'):.1f} ms)  "
              f"server+DB CPU {med('paced', name, 'cpu_busy_pct'):.0f} % of the machine  "
              f"errors {errors('paced', name)}")
    print(f"paced p50 ratio: {ratio('paced', 'p50_ms')}; p99 ratio: {ratio('paced', 'p99_ms')}")
    print("p50/p99 come only from the paced run (open loop, fixed offered load), never from the "
          "saturated closed loop, whose latencies measure the queue, not the server.")
    for name in ARMS:
        requested = results["burst"][0][name]["requests"] if results["burst"] else 0
        print(f"{name:<5} burst of starts: p99 {med('burst', name, 'p99_ms'):.0f} ms  "
              f"total {med('burst', name, 'elapsed_s'):.2f} s  "
              f"created {min((r[name]['created'] for r in results['burst']), default=0)}/{requested}"
              f"  in the database {min((r[name]['in_database'] for r in results['burst']), default=0)}"
              f"  duplicated {sum(r[name]['duplicated'] for r in results['burst'])}"
              f"  app CPU {med('burst', name, 'app_cpu_ms'):.2f} ms/start"
              f"  DB CPU {med('burst', name, 'db_cpu_ms'):.2f} ms/start"
              f"  errors {errors('burst', name)}")
    print(f"burst p99 ratio: {ratio('burst', 'p99_ms')}; total time ratio: {ratio('burst', 'elapsed_s')}; "
          f"app CPU per start ratio: {ratio('burst', 'app_cpu_ms')}")
    for name, seen in statements.items():
        print(f"SQL statements per {name}: {len(seen)} + COMMIT  {seen}")
    print("versions: " + json.dumps(versions))
    print(harness.load_averages())


def main() -> None:
    args = parse_args()
    started = time.time()
    with harness.throwaway_database(args.mysql, "qms_bench", keep=args.keep_db) as url, \
            tempfile.TemporaryDirectory(prefix="qms-bench-") as tmp, harness.stopping_servers() as servers:
        tmp = Path(tmp)
        # Two servers of `--workers` workers each, every worker with its own pool: the
        # app's default of 20 per worker would pass MariaDB's default max_connections (151).
        redis = {"REDIS_URL": args.redis_url} if args.redis_url else {}
        env = harness.production_env(url, DB_POOL_SIZE=os.environ.get("DB_POOL_SIZE", str(max(4, 60 // args.workers))),
                                     DB_MAX_OVERFLOW=os.environ.get("DB_MAX_OVERFLOW", "0"), **redis)
        args.database = url.rsplit("/", 1)[1].split("?")[0]
        from app import create_app

        app = create_app("production")
        types = tuple(harness.QUESTION_SHAPES) if args.mixed_types else ("mcq",)
        data = seed(app, args.students, args.burst, bursts=args.pairs * 2, question_types=types)
        write_targets(tmp, data)
        statements = count_statements(app, data)
        servers["app"] = harness.serve("app", args.port_app, "wsgi:app", env, tmp, workers=args.workers)
        servers["floor"] = harness.serve("floor", args.port_floor, "benchmarks.floor:app", env, tmp,
                                         workers=args.workers)
        print(f"seeded {args.students} students, {QUESTIONS} questions of {', '.join(types)}; "
              f"Redis {'at ' + args.redis_url if args.redis_url else 'not used'}; servers up in "
              f"{time.time() - started:.0f} s", flush=True)
        results = run_pairs(args, servers, tmp, data)
        report(results, statements, harness.versions(args.mysql) | {"wrk": bool(shutil.which("wrk"))})
        print(f"total time {time.time() - started:.0f} s")
        harness.show_server_errors(servers.values())


if __name__ == "__main__":
    main()
