"""Load generator for benchmarks/autosave.py (gevent, one keep-alive connection per client).

Runs in a process of its own (gevent-patched), so that its clients do not share an
event loop with the benchmark that starts the servers.

Modes (each prints one JSON line of results):
  paced     N students, each saving about once per `interval` seconds (open loop per
            student, jittered), for `duration` seconds: offered load, p50/p99, errors.
            Latency is timed from the moment the request is sent (p50_ms/p99_ms) and
            also from the moment it was due (p99_due_ms): a server that falls behind
            delays a student's next save, and only the second figure shows that queue.
  closed    C connections saving back to back for `duration` seconds (saturation;
            the fallback when wrk is not installed).
  burst     every student POSTs /api/quizzes/<quiz>/start at the same instant
            (connections are opened first): p50/p99/max latency and the total time.

    .venv/bin/python -m benchmarks.loadgen paced --port 5101 --targets targets.json --duration 15
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
from gevent.event import Event  # noqa: E402

from benchmarks.harness import percentile  # noqa: E402


class Client:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(self, path: str, body: dict | None = None) -> tuple[int, float]:
        payload = json.dumps(body) if body is not None else None
        started = time.perf_counter()
        try:
            self.conn.request("POST", path, body=payload, headers=self.headers)
            response = self.conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            status = 0
        return status, time.perf_counter() - started


def save_body(target: dict, bodies: list[dict]) -> tuple[str, dict]:
    """One of the attempt's questions, answered as its type is (benchmarks.harness.save_bodies)."""
    return f"/api/attempts/{target['attempt_id']}/answer", random.choice(bodies)


def summary(latencies: list[float], statuses: list[int], elapsed: float) -> dict:
    errors = sum(1 for s in statuses if not 200 <= s < 300)
    codes = {str(code): statuses.count(code) for code in sorted(set(statuses))}
    return {"codes": codes,
        "requests": len(statuses), "errors": errors, "elapsed_s": round(elapsed, 3),
        "rate": round(len(statuses) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, .5) * 1000, 2), "p99_ms": round(percentile(latencies, .99) * 1000, 2),
        "max_ms": round(max(latencies, default=0) * 1000, 2),
    }


def paced(args, data) -> dict:
    targets, bodies = data["targets"][: args.students], data["bodies"]
    latencies, statuses, due = [], [], []
    deadline = time.perf_counter() + args.duration

    def student(target):
        client = Client(args.port, target["token"])
        next_at = time.perf_counter() + random.random() * args.interval
        while True:
            gevent.sleep(max(0.0, next_at - time.perf_counter()))
            if time.perf_counter() >= deadline:
                return
            path, body = save_body(target, bodies)
            status, latency = client.post(path, body)
            statuses.append(status)
            latencies.append(latency)
            due.append(time.perf_counter() - next_at)
            next_at += args.interval * random.uniform(0.9, 1.1)

    started = time.perf_counter()
    gevent.joinall([gevent.spawn(student, t) for t in targets])
    result = summary(latencies, statuses, time.perf_counter() - started)
    result["p99_due_ms"] = round(percentile(due, .99) * 1000, 2)
    result["offered_rate"] = round(len(targets) / args.interval, 1)
    return result


def closed(args, data) -> dict:
    targets, bodies = data["targets"], data["bodies"]
    latencies, statuses = [], []
    deadline = time.perf_counter() + args.duration

    def connection(i):
        target = targets[i % len(targets)]
        client = Client(args.port, target["token"])
        while time.perf_counter() < deadline:
            path, body = save_body(target, bodies)
            status, latency = client.post(path, body)
            statuses.append(status)
            latencies.append(latency)

    started = time.perf_counter()
    gevent.joinall([gevent.spawn(connection, i) for i in range(args.connections)])
    return summary(latencies, statuses, time.perf_counter() - started)


def burst(args, data) -> dict:
    targets = data["burst_targets"][: args.students]
    go, latencies, statuses = Event(), [], []

    def student(target):
        client = Client(args.port, target["token"])
        client.conn.connect()
        go.wait()
        status, latency = client.post(f"/api/quizzes/{args.quiz_id}/start")
        statuses.append(status)
        latencies.append(latency)

    greenlets = [gevent.spawn(student, t) for t in targets]
    gevent.sleep(1.0)  # every connection open before the bell
    started = time.perf_counter()
    go.set()
    gevent.joinall(greenlets)
    result = summary(latencies, statuses, time.perf_counter() - started)
    result["created"] = sum(1 for s in statuses if s == 201)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("paced", "closed", "burst"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--targets", required=True, help="JSON file written by benchmarks/autosave.py")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quiz-id")
    args = parser.parse_args()
    with open(args.targets) as handle:
        data = json.load(handle)
    print(json.dumps({"paced": paced, "closed": closed, "burst": burst}[args.mode](args, data)))


if __name__ == "__main__":
    main()
