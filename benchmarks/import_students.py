#!/usr/bin/env python3
"""Benchmark: import generated students through the real bulk-import endpoint.

Generates a CSV of N students (default 5,000, spread over 20 classes that do not
exist yet, with dates of birth and parent contacts), creates a fresh MariaDB/MySQL
database, builds the schema with the project's migrations, and posts the file to
`POST /api/students/bulk-import` as an admin through Flask's test client (in
process: no server, no port). It reports the wall time of the request and the SQL
statements the database received, split into

- the import's own unit of work (up to and including its COMMIT), and
- what runs after the commit: listeners of the
  `student_added_to_class` event (notifications: one event per class), each in
  its own transaction.

The database is dropped at the end unless --keep is given. Target: the import of
5,000 students in under 10 s on a 2-core machine.

Usage (from the repository root):
    .venv/bin/python -m benchmarks.import_students
    .venv/bin/python -m benchmarks.import_students --rows 5000 --runs 3 \
        --mysql mysql://root@127.0.0.1:3306/
    .venv/bin/python -m benchmarks.import_students --mute-listeners   # the import alone
    .venv/bin/python -m benchmarks.import_students --dry-run          # validation only

Each run uses a new database, so every run imports into an empty school.
Environment: BENCH_MYSQL_URL may replace --mysql. Nothing listens on a port.
"""
import argparse
import contextlib
import io
import platform
import random
import statistics
import time

from sqlalchemy import event

from benchmarks import harness

FIRST = ["Alice", "Bilal", "Chloé", "Daniel", "Elif", "Fatima", "George", "Hana", "Ivan", "Jun", "Kofi", "Léa"]
LAST = ["Johnson", "Rahman", "Dubois", "Okafor", "Yilmaz", "Sato", "Petrov", "Núñez", "Haddad", "Kim"]


def generate_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("name,email,registration_number,class_name,section,academic_year,date_of_birth,"
              "parent_email,parent_phone\n")
    for n in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        grade, section = 6 + n % 5, "ABCD"[(n // 5) % 4]
        out.write(f"{first} {last},student{n:05d}@bench.school.test,BEN{n:06d},Grade {grade},{section},"
                  f"2026-2027,{2008 + n % 6}-{1 + n % 12:02d}-{1 + n % 28:02d},"
                  f"parent{n:05d}@mail.test,+4470000{n:05d}\n")
    return out.getvalue().encode("utf-8")


class StatementLog:
    """Statements SQLAlchemy executed, queries the driver sent, and where the import's COMMIT fell.

    One `executemany` is one SQLAlchemy statement; PyMySQL sends it as multi-row
    INSERTs of up to ~1 MB each, counted in `wire` (PyMySQL only, else None).
    """

    def __init__(self, engine):
        self.engine, self.statements, self.wire, self.commits = engine, 0, 0, []
        self._cursor_class = None

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        if self.engine.dialect.driver == "pymysql":
            import pymysql.cursors

            self._cursor_class, original = pymysql.cursors.Cursor, pymysql.cursors.Cursor._query
            log = self

            def counted_query(cursor, q):
                log.wire += 1
                return original(cursor, q)

            self._original_query = original
            pymysql.cursors.Cursor._query = counted_query
        else:
            self.wire = None
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)
        if self._cursor_class is not None:
            self._cursor_class._query = self._original_query

    def _statement(self, *args):
        self.statements += 1

    def _commit(self, _conn):
        self.commits.append((self.statements, self.wire, time.perf_counter()))


def run_once(server_url: str, content: bytes, *, keep: bool, mute: bool, dry_run: bool) -> dict:
    from flask_migrate import upgrade

    from app import create_app
    from app.auth.passwords import hash_password
    from app.auth.tokens import issue_token_pair
    from app.common import events
    from app.common.db import commit
    from app.extensions import db
    from app.users.models import User

    version = harness.server_query(server_url, "SELECT VERSION()")[0][0]
    with harness.throwaway_database(server_url, "qms_bench_import", keep=keep) as url:
        app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"})
        with app.app_context():
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                upgrade()
            admin = User(email="bench-admin@school.test", name="Bench Admin", role="admin", is_active=True,
                         password_hash=hash_password("bench-admin-passphrase"))
            db.session.add(admin)
            db.session.flush()
            token = issue_token_pair(admin)["access_token"]
            commit()
            client = app.test_client()
            data = {"file": (io.BytesIO(content), "students.csv", "text/csv")}
            if dry_run:
                data["dry_run"] = "true"
            muted = events.student_added_to_class.muted() if mute else contextlib.nullcontext()
            with muted, StatementLog(db.engine) as log:
                started = time.perf_counter()
                response = client.post("/api/students/bulk-import", data=data, content_type="multipart/form-data",
                                       headers={"Authorization": f"Bearer {token}"})
                elapsed = time.perf_counter() - started
            body = response.get_json()
            db.session.remove()
            db.engine.dispose()
    if response.status_code != 200:
        raise SystemExit(f"import failed: HTTP {response.status_code} {body}")
    statements, wire, committed_at = log.commits[0] if log.commits else (log.statements, log.wire, started + elapsed)
    return {
        "status": response.status_code, "imported": body["imported"], "failed": body["failed"],
        "classes_created": len(body["classes_created"]), "seconds": elapsed,
        "import_seconds": committed_at - started, "statements": log.statements,
        "import_statements": statements, "import_wire": wire,
        "after_commit_statements": log.statements - statements, "commits": len(log.commits), "server": version,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=1)
    harness.add_mysql_option(parser)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database(s)")
    parser.add_argument("--mute-listeners", action="store_true",
                        help="do not run the listeners of student_added_to_class (measures the import alone)")
    parser.add_argument("--dry-run", action="store_true", help="validate only (dry_run=true)")
    args = parser.parse_args()

    content = generate_csv(args.rows)
    results = [run_once(args.mysql, content, keep=args.keep, mute=args.mute_listeners, dry_run=args.dry_run)
               for _ in range(args.runs)]
    import pandas
    import sqlalchemy

    print(f"rows={args.rows} file={len(content) / 1024:.0f} KiB runs={args.runs} dry_run={args.dry_run} "
          f"listeners={'muted' if args.mute_listeners else 'connected'}")
    print(f"server={results[0]['server']} python={platform.python_version()} "
          f"sqlalchemy={sqlalchemy.__version__} pandas={pandas.__version__}")
    for n, r in enumerate(results, 1):
        print(f"run {n}: HTTP {r['status']} imported={r['imported']} failed={r['failed']} "
              f"classes_created={r['classes_created']} wall={r['seconds']:.2f}s "
              f"(import unit of work {r['import_seconds']:.2f}s) statements={r['statements']} "
              f"(import {r['import_statements']}, sent by the driver as {r['import_wire']} queries; "
              f"after commit {r['after_commit_statements']}) commits={r['commits']}")
    if len(results) > 1:
        print(f"median wall={statistics.median(r['seconds'] for r in results):.2f}s "
              f"median import={statistics.median(r['import_seconds'] for r in results):.2f}s")


if __name__ == "__main__":
    main()
