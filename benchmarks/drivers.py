"""Which MySQL driver under gunicorn's gevent worker? PyMySQL vs mysqlclient, measured.

A gevent worker serves every client of an instance from one OS thread. A driver whose
socket I/O goes through Python (PyMySQL) yields to the event loop while it waits for
the server; a C driver (mysqlclient) waits inside C and blocks the whole worker: every
other request and websocket of that instance stalls for the length of the query.

For each driver that is installed, with the standard library monkey-patched as in the
gevent worker, this script measures:

1. throughput: `--greenlets` greenlets, each with its own connection, run `SELECT 1`
   (round trips dominate) for `--seconds`, then a 100-row SELECT (result parsing
   dominates) for half that: queries/s and p50/p99 latency;
2. stall: one greenlet runs `SELECT SLEEP(0.5)` while another, due 50 ms later, runs
   a fast `SELECT 1`; reported: the fast query's latency counted from when it was due
   (what a concurrent request of the same worker sees) and the longest time the event
   loop went without running a 5 ms ticker (its longest "freeze").

Usage:
    .venv/bin/python -m benchmarks.drivers [--mysql mysql://root@127.0.0.1:3306/]
        [--greenlets 20] [--seconds 2] [--json]

Needs a reachable MySQL/MariaDB server (no database is created or written). mysqlclient
is measured only where it is installed (`pip install mysqlclient`, which needs the
MariaDB/MySQL client headers and pkg-config). Bounded: about 2 × (1.5 × seconds + 1) s.
"""
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from importlib.metadata import version  # noqa: E402
from urllib.parse import unquote, urlparse  # noqa: E402

import gevent  # noqa: E402

from benchmarks.harness import add_mysql_option, percentile  # noqa: E402


def connection_args(url: str) -> dict:
    parsed = urlparse(url.replace("mysql+pymysql://", "mysql://").replace("mysql+mysqldb://", "mysql://"))
    return {
        "host": parsed.hostname or "127.0.0.1",
        "port": parsed.port or 3306,
        "user": unquote(parsed.username or "root"),
        "password": unquote(parsed.password or ""),
    }


def drivers() -> dict:
    found = {}
    try:
        import pymysql

        found["PyMySQL " + version("PyMySQL")] = lambda a: pymysql.connect(
            host=a["host"], port=a["port"], user=a["user"], password=a["password"], connect_timeout=5)
    except ImportError:
        pass
    try:
        import MySQLdb

        found["mysqlclient " + version("mysqlclient")] = lambda a: MySQLdb.connect(
            host=a["host"], port=a["port"], user=a["user"], passwd=a["password"], connect_timeout=5)
    except ImportError:
        pass
    return found


def query(conn, sql: str) -> float:
    start = time.perf_counter()
    cur = conn.cursor()
    cur.execute(sql)
    cur.fetchall()
    cur.close()
    return time.perf_counter() - start


ROWS_SQL = "SELECT * FROM information_schema.COLLATIONS LIMIT 100"


def throughput(connect, args, greenlets: int, seconds: float, sql: str = "SELECT 1") -> dict:
    conns = [connect(args) for _ in range(greenlets)]
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def loop(conn):
        while time.perf_counter() < deadline:
            latencies.append(query(conn, sql))

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(loop, c) for c in conns], timeout=seconds + 10)
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close()
    return {
        "queries_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
    }


def stall(connect, args) -> dict:
    slow_conn, fast_conn = connect(args), connect(args)
    gaps: list[float] = []
    running = True

    def ticker():
        last = time.perf_counter()
        while running:
            gevent.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    def fast(due: float):
        # Latency from when the request was due, as a client of that worker sees it:
        # a blocked loop delays even the start of the query.
        gevent.sleep(max(0.0, due - time.perf_counter()))
        query(fast_conn, "SELECT 1")
        return time.perf_counter() - due

    tick = gevent.spawn(ticker)
    gevent.sleep(0.02)
    slow = gevent.spawn(query, slow_conn, "SELECT SLEEP(0.5)")
    quick = gevent.spawn(fast, time.perf_counter() + 0.05)
    gevent.joinall([slow, quick], timeout=10)
    running = False
    tick.join(timeout=1)
    slow_conn.close()
    fast_conn.close()
    return {
        "fast_query_while_slow_ms": round(quick.value * 1000, 1) if quick.value is not None else None,
        "slow_query_ms": round(slow.value * 1000, 1) if slow.value is not None else None,
        "longest_loop_freeze_ms": round(max(gaps) * 1000, 1) if gaps else None,
        "median_tick_ms": round(statistics.median(gaps) * 1000, 1) if gaps else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_mysql_option(parser)
    parser.add_argument("--greenlets", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    opts = parser.parse_args()
    args = connection_args(opts.mysql)
    found = drivers()
    if not found:
        print("no MySQL driver installed (pip install PyMySQL mysqlclient)", file=sys.stderr)
        return 1
    results = {}
    for name, connect in found.items():
        results[name] = {"throughput": throughput(connect, args, opts.greenlets, opts.seconds),
                         "rows_100": throughput(connect, args, opts.greenlets, opts.seconds / 2, ROWS_SQL),
                         "stall": stall(connect, args)}
    if opts.json:
        print(json.dumps({"greenlets": opts.greenlets, "seconds": opts.seconds, "results": results}, indent=2))
        return 0
    print(f"gevent, {opts.greenlets} greenlets x own connection: SELECT 1 for {opts.seconds:g} s, a 100-row "
          "SELECT for half that; then SELECT SLEEP(0.5) beside a fast SELECT 1")
    print(f"{'driver':<20}{'SELECT 1 q/s':>13}{'p99 ms':>8}{'100 rows q/s':>14}{'p99 ms':>8}"
          f"{'fast q during SLEEP ms':>24}{'loop freeze ms':>16}")
    for name, r in results.items():
        t, rows, s = r["throughput"], r["rows_100"], r["stall"]
        print(f"{name:<20}{t['queries_per_s']:>13}{t['p99_ms']:>8}{rows['queries_per_s']:>14}{rows['p99_ms']:>8}"
              f"{s['fast_query_while_slow_ms']!s:>24}{s['longest_loop_freeze_ms']!s:>16}")
    if len(found) == 1:
        print("(mysqlclient not installed: only PyMySQL measured)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
