"""CPU per autosave and per start, in-process, for the app and the bare floor, on MariaDB.

Runs N requests through each app's WSGI callable (no HTTP server, no load generator),
with gevent's monkey-patching as under gunicorn, against a throwaway database seeded
like benchmarks/autosave.py, and prints the process CPU per request. CPU per request
is far less sensitive to other work on the machine than throughput, so this is the
quick loop for trying a change; the HTTP benchmark (benchmarks/autosave.py) gives the
figures to quote.

Usage (from the repository root):
    .venv/bin/python -m benchmarks.hot_paths                 # 3000 saves, 300 starts
    .venv/bin/python -m benchmarks.hot_paths --profile save  # + the top functions by CPU
    .venv/bin/python -m benchmarks.hot_paths --profile start --saves 1000

Options: --saves N, --starts N, --rounds N (the starts in alternating floor/app rounds),
--mixed-types (saves answer each question as its type is), --mysql URL (default
root@127.0.0.1:3306, allowed to create and drop a database), --profile save|start
(cProfile on CPU time; its overhead inflates pure-Python code, so read it for
proportions only).
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from benchmarks import harness  # noqa: E402
from benchmarks.autosave import seed  # noqa: E402


def environ(method: str, path: str, token: str, body: dict | None) -> dict:
    raw = json.dumps(body).encode() if body is not None else b""
    env = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:5000", "HTTP_AUTHORIZATION": f"Bearer {token}", "wsgi.input": io.BytesIO(raw),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": False, "wsgi.version": (1, 0),
    }
    if body is not None:
        env.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(raw)))
    return env


def call(wsgi, env: dict, expect: str) -> None:
    seen = []
    out = b"".join(wsgi(env, lambda status, headers, exc=None: seen.append(status)))
    if not seen[0].startswith(expect):
        raise RuntimeError(f"{env['PATH_INFO']}: {seen[0]} {out[:300]!r}")


SERVER_COMMANDS = ("Com_select", "Com_insert", "Com_update", "Com_commit", "Com_rollback", "Com_admin_commands",
                   "Questions")


def server_commands(mysql_url: str) -> dict:
    """MariaDB's own counters: what reached the server, pings and pool ROLLBACKs included
    (server-wide, so read them on a quiet server; this query itself adds one Questions)."""
    status = dict(harness.server_query(mysql_url, "SHOW GLOBAL STATUS"))
    return {name.removeprefix("Com_"): int(status[name]) for name in SERVER_COMMANDS}


def cpu_per_request(fn, n: int, profile: bool = False) -> float:
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for i in range(n):
        fn(i)
    if profiler:
        profiler.disable()
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
        stats.print_stats(45)
        if os.environ.get("PROFILE_DUMP"):
            profiler.dump_stats(os.environ["PROFILE_DUMP"])
        # Where the framework's share goes: every before/after-request hook, by cost.
        # PROFILE_SORT and PROFILE_CALLEES (a regular expression) change what is shown;
        # PROFILE_SHOW=callers shows who calls the matching functions instead;
        # PROFILE_DUMP=FILE also writes the raw profile, for pstats.
        show = stats.print_callers if os.environ.get("PROFILE_SHOW") == "callers" else stats.print_callees
        show(os.environ.get(
            "PROFILE_CALLEES", "start_quiz|_start_once|taking_view|dispatch_pending|preprocess_request"))
    return (time.process_time() - started) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=3000)
    parser.add_argument("--starts", type=int, default=300)
    harness.add_mysql_option(parser)
    parser.add_argument("--rounds", type=int, default=5, help="alternating floor/app rounds the starts are split into")
    parser.add_argument("--profile", choices=("save", "start"))
    parser.add_argument("--mixed-types", action="store_true", help="the 30 questions cycle through every type")
    args = parser.parse_args()
    with harness.throwaway_database(args.mysql, "qms_prof") as url:
        harness.production_env(url)
        from app import create_app
        from benchmarks import floor

        app = create_app("production")
        types = tuple(harness.QUESTION_SHAPES) if args.mixed_types else ("mcq",)
        data = seed(app, students=max(400, args.starts * 2 + 10), burst=args.starts * 2, bursts=2,
                    question_types=types)
        measure_saves(args, app, floor.app, data)
        measure_starts(args, app, floor.app, data)


def measure_saves(args, app, floor_app, data: dict) -> None:
    targets, bodies = data["targets"], data["bodies"]

    def saver(wsgi):
        def save(i):
            target = targets[i % len(targets)]
            call(wsgi, environ("POST", f"/api/attempts/{target['attempt_id']}/answer", target["token"],
                               bodies[i % len(bodies)]), "200")
        return save

    for name, wsgi in (("floor", floor_app), ("app", app), ("floor", floor_app), ("app", app)):
        for i in range(300):
            saver(wsgi)(i)
        before = server_commands(args.mysql)
        cpu = cpu_per_request(saver(wsgi), args.saves)
        sent = {k: round((v - before[k]) / args.saves, 2) for k, v in server_commands(args.mysql).items()}
        print(f"{name:<5} save : {cpu:.3f} ms CPU per request; server commands per save {sent}", flush=True)
    if args.profile == "save":
        cpu_per_request(saver(app), args.saves, profile=True)


def measure_starts(args, app, floor_app, data: dict) -> None:
    """Each arm starts its own quiz for the same students, in alternating rounds (floor,
    app, floor, app, ...), so that drift on the machine touches both alike."""
    starters, rounds = data["burst_targets"], max(1, args.rounds)
    per_round = args.starts // rounds
    arms = {"floor": (floor_app, data["burst_quizzes"][0]), "app": (app, data["burst_quizzes"][1])}
    cpu = {"floor": [], "app": []}
    for r in range(rounds):
        for name, (wsgi, quiz) in arms.items():
            def start(i, wsgi=wsgi, quiz=quiz, r=r):
                call(wsgi, environ("POST", f"/api/quizzes/{quiz}/start", starters[r * per_round + i]["token"], None),
                     "201")
            profile = args.profile == "start" and name == "app" and r == rounds - 1
            cpu[name].append(cpu_per_request(start, per_round, profile=profile))
    ratios = sorted(a / f for f, a in zip(cpu["floor"], cpu["app"], strict=True))
    for name in arms:
        print(f"{name:<5} start: {statistics.median(cpu[name]):.3f} ms CPU per request (median of {rounds} rounds "
              f"of {per_round} new attempts, 30 questions: {', '.join(f'{c:.2f}' for c in cpu[name])})", flush=True)
    print(f"start app/floor CPU: median {statistics.median(ratios):.2f} (min {ratios[0]:.2f}, max {ratios[-1]:.2f})",
          flush=True)

if __name__ == "__main__":
    main()
