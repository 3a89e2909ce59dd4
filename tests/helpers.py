"""Test helpers: auth headers, query counting, JSON walking, throwaway databases.

Nothing here imports the app at module level (`empty_database` imports it when called).
"""
import uuid
from contextlib import contextmanager

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url


def throwaway_database(server_url: str, prefix: str) -> tuple[str, callable]:
    """Create `<prefix>_<random>` on a MariaDB/MySQL server (the test suite's database,
    the migrations test's); return its URL (PyMySQL, utf8mb4) and a function that drops it."""
    url = make_url(server_url)
    if url.drivername == "mysql":
        url = url.set(drivername="mysql+pymysql")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database=None))
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()

    return url.set(database=name, query={"charset": "utf8mb4"}).render_as_string(hide_password=False), drop


class QueryCounter:
    """`with count_queries() as counted: ...; counted.count`"""

    def __init__(self, engine):
        self.engine = engine

    @contextmanager
    def __call__(self):
        record = _Counted()

        def before(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                record.statements.append(statement)

        event.listen(self.engine, "before_cursor_execute", before)
        try:
            yield record
        finally:
            event.remove(self.engine, "before_cursor_execute", before)


class _Counted:
    def __init__(self):
        self.statements = []

    @property
    def count(self) -> int:
        return len(self.statements)


def walk_keys(value):
    """Every dict key anywhere inside a JSON value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from walk_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk_keys(inner)


def assert_error(response, status: int, error_code: str | None = None):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    for key in ("error", "error_code", "message", "details", "timestamp", "request_id"):
        assert key in body, body
    if error_code:
        assert body["error_code"] == error_code, body
    return body


def empty_database() -> None:
    """Every table emptied (children first) and the rate limits reset: a clean slate."""
    from app.extensions import db, limiter

    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    limiter.reset()
