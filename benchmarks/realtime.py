"""Benchmark live monitoring: fan-out latency and the cost of monitoring to autosave.

Usage (from the repository root; needs MariaDB and Redis on this machine):

    .venv/bin/python -m benchmarks.realtime            # full run (about 7 minutes)
    .venv/bin/python -m benchmarks.realtime --quick    # short run while developing

Options: --mysql mysql://root@127.0.0.1:3306/ (server URL; a throwaway database is
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
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import socketio  # noqa: E402

from benchmarks import harness  # noqa: E402
from benchmarks.realtime_clients import (  # noqa: E402
    MONITOR_NS,
    MONITORS_PER_QUIZ,
    MonitorProcess,
    connect_monitors,
    start_attempts,
)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small, short run")
    harness.add_mysql_option(p)
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
    args = p.parse_args()
    if args.stand_in_cpu and args.monitors_on != "none":
        p.error("--stand-in-cpu stands in for monitoring: use it with --monitors-on none")
    if args.quick:
        args.students, args.duration, args.pairs = min(args.students, 100), 5, 2
    return args


# --- servers and measurement ---------------------------------------------------------------

# The shipped gunicorn_config.py, with keep-alive longer than a student's think time and
# a short stop.
SHIPPED_GUNICORN = {"GUNICORN_KEEPALIVE": "75", "GUNICORN_GRACEFUL_TIMEOUT": "2"}


def api_instance(args, number: int, port: int) -> harness.Server:
    """An instance of the API tier, which the students' requests reach."""
    return harness.serve(f"instance {number}", port, "wsgi:app", args.env, args.log_dir, **SHIPPED_GUNICORN)


def realtime_instance(args, number: int, port: int) -> harness.Server:
    """An instance of the realtime tier: only sockets reach it, at `--socket-nice`."""
    return harness.serve(f"realtime {number}", port, "wsgi:app", args.env, args.log_dir, niceness=args.socket_nice,
                         **SHIPPED_GUNICORN)


def cpu_meter(args, servers, monitors=None, stand_in=None) -> harness.CpuMeter:
    """CPU used by each process of the run over the measured part of a phase (where the
    time goes when monitors are connected), and the statements and new connections
    MariaDB saw."""
    groups = {server.name: server.pids for server in servers}
    if monitors is not None:
        groups["monitors"] = lambda: [monitors.pid]
    if stand_in is not None:
        groups["stand-in"] = lambda: [stand_in.pid]
    groups.update({"MariaDB": harness.mariadb_pids, "Redis": lambda: harness.pids_named("redis-server"),
                   "load generator": lambda: [os.getpid()]})
    return harness.CpuMeter(args.mysql, groups)


def cpu_shares(reading: harness.Reading) -> dict:
    """Each process's CPU as a percentage of one core, and MariaDB's statements and new connections."""
    return {**{name: reading.share_of_core(name) for name in reading.cpu},
            "statements": reading.statements, "connections": reading.connections}


def ms(values, q: float) -> float:
    return harness.percentile(values, q) * 1000


# --- part 1: fan-out ------------------------------------------------------------------------

def wait_all(arrivals: dict, key: str, n: int, timeout=5.0) -> list[float]:
    deadline = time.perf_counter() + timeout
    while len(arrivals.get(key, ())) < n and time.perf_counter() < deadline:
        gevent.sleep(0.001)
    return arrivals.get(key, [])


def fan_out(args, teacher_token, quizzes):
    from flask_socketio import SocketIO

    with harness.stopping_servers() as servers:
        servers["api"] = api_instance(args, 1, args.port)
        if args.socket_instances:
            servers["realtime"] = realtime_instance(args, 1, args.port + 1)
        api_port, socket_port = servers["api"].port, list(servers.values())[-1].port
        quiz = quizzes[0]
        students = start_attempts(api_port, quiz["id"], quiz["students"][:args.events])
        arrivals: dict = {}
        monitors = connect_monitors(args.monitors, socket_port, teacher_token, quiz["id"], args.monitor_client,
                                    arrivals)
        bare = SocketIO(message_queue=args.redis_url, channel=args.env["SOCKETIO_CHANNEL"])
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

def autosave_phase(savers, question_ids, seconds, meter: harness.CpuMeter, warmup: float):
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
    return latencies, failures[0], cpu_shares(meter.stop()), by_port, saves[0]


def plain_phase(args, savers, question_ids, servers, monitors, stand_in=None):
    return autosave_phase(savers, question_ids, args.duration,
                          cpu_meter(args, servers, monitors, stand_in), args.warmup)


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


def monitoring_overhead(args, teacher_token, question_ids, quizzes):
    ports = [args.port + 1 + i for i in range(args.instances)]
    socket_ports = [ports[-1] + 1 + i for i in range(args.socket_instances)] or ports
    with harness.stopping_servers() as started:
        for number, port in enumerate(ports, 1):
            started[port] = api_instance(args, number, port)
        for number, port in enumerate([p for p in socket_ports if p not in ports], 1):
            started[port] = realtime_instance(args, number, port)
        return overhead_pairs(args, list(started.values()), ports, socket_ports, teacher_token, question_ids,
                              quizzes)


def overhead_pairs(args, servers, ports, socket_ports, teacher_token, question_ids, quizzes):
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
            phases = {"without": plain_phase, "with": watched_phase}
            done = {arm: phases[arm](args, savers, question_ids, servers, monitors, stand_in)
                    for arm in harness.pair_order(pair, tuple(phases), alternate=True)}
            plain, watched = done["without"], done["with"]
            rows.append((plain[0], watched[0], plain[1] + watched[1]))
            report_pair(args, pair, plain, watched)
        return rows
    finally:
        if monitors is not None:
            monitors.close()
        if stand_in is not None:
            stand_in.close()


def report_pair(args, pair: int, plain, watched) -> None:
    """One pair's latencies overall and per instance, CPU per process, and the pushes
    the monitors received."""
    *_measured, saves_watched, received = watched
    print(f"  pair {pair + 1}: without p50 {ms(plain[0], .5):6.2f} "
          f"p99 {ms(plain[0], .99):6.2f} "
          f"({len(plain[0]) / args.duration:5.0f} req/s) | with p50 {ms(watched[0], .5):6.2f} "
          f"p99 {ms(watched[0], .99):6.2f} ({len(watched[0]) / args.duration:5.0f} req/s) | "
          f"non-2xx {plain[1] + watched[1]}")
    for name, (latencies, _failed, cpu, by_port, *_rest) in (("without", plain), ("with", watched)):
        print(f"          {name:<7} per instance p50/p99: " + ", ".join(
            f"{port} {ms(times, .5):.2f}/{ms(times, .99):.2f}"
            for port, times in sorted(by_port.items())))
        saves = len(latencies)
        print(f"          {name:<7} CPU, % of one core: "
              + ", ".join(f"{k} {v:.0f}" for k, v in cpu.items() if k not in ("statements", "connections"))
              + f"; MariaDB statements per save {cpu['statements'] / max(saves, 1):.2f}, "
                f"new connections {cpu['connections']}")
    if args.monitors_on == "none":
        return
    print(f"          monitors received {received.get('answer_saved', 0)} answer_saved for "
          f"{saves_watched} saves ({MONITORS_PER_QUIZ} monitors per quiz: {MONITORS_PER_QUIZ * saves_watched} "
          f"expected), "
          f"{received.get('quiz_status', 0)} quiz_status")


def pair_ratios(pairs) -> str:
    """The p50 and p99 ratios (with/without) of pairs recorded as [p50 without, p50 with,
    p99 without, p99 with]."""
    return (f"p50 ratio {harness.ratio_summary([w / p for p, w, *_ in pairs], interval=True)}; "
            f"p99 ratio {harness.ratio_summary([w / p for *_, p, w in pairs], interval=True)}")


def report_overhead(rows, args):
    pairs = [[ms(p, .5), ms(w, .5), ms(p, .99), ms(w, .99)] for p, w, _f in rows]
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
              f"p50 ratio {harness.ratio_summary([w / p for p, w, *_ in run['pairs']], interval=True)}")
    for kind in sorted({layout(run) for run in runs}):
        alike = [run for run in runs if layout(run) == kind]
        pairs = [pair for run in alike for pair in run["pairs"]]
        print(f"== {kind}: {len(alike)} run(s), {len(pairs)} pairs pooled: {pair_ratios(pairs)}; "
              f"non-2xx {sum(run['non_2xx'] for run in alike)}")


def main():
    args = parse_args()
    if args.pooled:
        return report_pooled(args.pooled)
    with harness.throwaway_database(args.mysql, "qms_bench") as db_url:
        ports = range(args.port, args.port + args.instances + args.socket_instances + 1)
        args.env = harness.production_env(
            db_url, REDIS_URL=args.redis_url, SOCKETIO_CHANNEL=f"qms-bench-{uuid.uuid4().hex[:8]}",
            CORS_ORIGINS=",".join(f"http://127.0.0.1:{port}" for port in ports), TRUSTED_PROXY_HOPS="0",
            RATELIMIT_STORAGE_URI="memory://")
        args.log_dir = Path(tempfile.mkdtemp(prefix="qms-bench-realtime-"))
        from app import create_app

        per_quiz = max(1, args.students // args.quizzes)
        # The first quiz's class also holds the students who report part 1's violations.
        school = harness.seed_school(create_app("production"), class_sizes=[per_quiz + args.events]
                                     + [per_quiz] * (args.quizzes - 1), questions=5, time_limit_minutes=240,
                                     max_violations=1000)
        quizzes = [{"id": c.quizzes[0], "students": [s.token for s in c.students]} for c in school.classes]
        print(f"data: {args.quizzes} quizzes x {per_quiz} students, 5 questions; monitors {args.monitors}; "
              f"database {db_url.rsplit('/', 1)[-1].split('?')[0]}; server logs in {args.log_dir}")
        if "fanout" in args.parts:
            report_fan_out(fan_out(args, school.teacher_token, quizzes), args.monitors)
        if "overhead" in args.parts:
            print(f"\n== Autosave, {per_quiz * args.quizzes} students ~1/s, {args.instances} instance(s) (ms)")
            report_overhead(monitoring_overhead(args, school.teacher_token, school.questions, quizzes), args)


if __name__ == "__main__":
    main()
