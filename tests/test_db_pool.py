"""The pool's rollback-on-return is sent only when a transaction may still be open, and
its ping only when a connection has sat idle.

Checked against a real MariaDB/MySQL server on a one-connection pool, so every
checkout gets the same connection back: whatever the previous user left open would be
visible to the next one.
"""

import pytest
from sqlalchemy import create_engine, text

from app.common.db import ping_connections_idle_for, rollback_on_return_only_when_needed

pytestmark = pytest.mark.mysql_only(
    reason="transaction state on a returned connection needs a real MariaDB/MySQL server")


def _pool_of_one(database_url, ping_idle_seconds: float = 1):
    """One connection, configured as Config.engine_options and create_app configure the app's."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0, pool_reset_on_return=None,
                           pool_pre_ping=False)
    ping_connections_idle_for(engine, ping_idle_seconds)
    rollback_on_return_only_when_needed(engine)
    return engine


@pytest.fixture
def one_connection(database_url):
    engine = _pool_of_one(database_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE reset_probe (id INT PRIMARY KEY) ENGINE=InnoDB"))
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE reset_probe"))
    engine.dispose()


def _rollbacks(engine) -> int:
    with engine.connect() as conn:
        value = int(conn.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'")).first()[1])
        conn.commit()
    return value


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM reset_probe")).scalar()


def test_a_committed_connection_goes_back_without_another_rollback(one_connection):
    before = _rollbacks(one_connection)
    for _ in range(3):
        with one_connection.connect() as conn:
            conn.execute(text("SELECT COUNT(*) FROM reset_probe"))
            conn.commit()
    assert _rollbacks(one_connection) == before


def test_a_transaction_left_open_on_the_raw_connection_is_rolled_back_on_return(one_connection):
    raw = one_connection.raw_connection()
    cursor = raw.cursor()
    cursor.execute("INSERT INTO reset_probe (id) VALUES (1)")
    cursor.close()
    raw.close()  # back to the pool without commit or rollback
    assert _count(one_connection) == 0  # the same connection: its own insert would show


def test_a_read_snapshot_is_not_carried_into_the_next_checkout(one_connection, database_url):
    raw = one_connection.raw_connection()
    cursor = raw.cursor()
    cursor.execute("SELECT COUNT(*) FROM reset_probe")  # opens a REPEATABLE READ snapshot
    cursor.fetchall()
    cursor.close()
    raw.close()
    other = create_engine(database_url)
    with other.begin() as conn:
        conn.execute(text("INSERT INTO reset_probe (id) VALUES (2)"))
    other.dispose()
    assert _count(one_connection) == 1  # a stale snapshot would still say 0


def test_a_connection_closed_mid_transaction_is_rolled_back(one_connection):
    conn = one_connection.connect()
    conn.execute(text("INSERT INTO reset_probe (id) VALUES (3)"))
    conn.close()
    assert _count(one_connection) == 0


def test_a_connection_killed_mid_transaction_rolls_back_cleanly_and_the_pool_recovers(one_connection,
                                                                                       database_url):
    """The server drops the connection (a restart, a KILL): the rollback that follows must
    not raise (the request then answers 503, not 500), and the next checkout works."""
    from sqlalchemy.exc import OperationalError

    killer = create_engine(database_url)
    conn = one_connection.connect()
    conn.execute(text("INSERT INTO reset_probe (id) VALUES (7)"))
    connection_id = conn.execute(text("SELECT CONNECTION_ID()")).scalar()
    with killer.connect() as other:
        other.execute(text(f"KILL {int(connection_id)}"))
    with pytest.raises(OperationalError):
        conn.execute(text("INSERT INTO reset_probe (id) VALUES (8)"))
    conn.rollback()  # raised PendingRollbackError from the reset hook before
    conn.close()
    killer.dispose()
    assert _count(one_connection) == 0


def _session_counter(conn, name: str) -> int:
    return int(conn.execute(text(f"SHOW SESSION STATUS LIKE '{name}'")).first()[1])


def _kill(database_url, connection_id: int) -> None:
    killer = create_engine(database_url)
    with killer.connect() as other:
        other.execute(text(f"KILL {int(connection_id)}"))
    killer.dispose()


def test_a_connection_back_from_a_recent_request_is_not_pinged(database_url):
    engine = _pool_of_one(database_url, ping_idle_seconds=60)
    with engine.connect() as conn:
        before = _session_counter(conn, "Com_admin_commands")  # COM_PING counts here
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    with engine.connect() as conn:
        assert _session_counter(conn, "Com_admin_commands") == before
    engine.dispose()


def test_a_connection_idle_past_the_window_is_pinged(database_url):
    engine = _pool_of_one(database_url, ping_idle_seconds=0)
    with engine.connect() as conn:
        before = _session_counter(conn, "Com_admin_commands")
    with engine.connect() as conn:
        assert _session_counter(conn, "Com_admin_commands") == before + 1
    engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_before_use(database_url):
    engine = _pool_of_one(database_url, ping_idle_seconds=0)
    with engine.connect() as conn:
        dead = conn.execute(text("SELECT CONNECTION_ID()")).scalar()
    _kill(database_url, dead)
    with engine.connect() as conn:  # the ping fails; the pool reconnects; no error reaches the caller
        assert conn.execute(text("SELECT CONNECTION_ID()")).scalar() != dead
    engine.dispose()


def test_a_connection_that_died_within_the_window_fails_once_then_the_pool_reconnects(database_url):
    """Not pinged, so its first statement meets the disconnect: the request answers 503
    (a database outage), and the pool hands out a fresh connection next time."""
    from sqlalchemy.exc import OperationalError

    engine = _pool_of_one(database_url, ping_idle_seconds=60)
    with engine.connect() as conn:
        dead = conn.execute(text("SELECT CONNECTION_ID()")).scalar()
    _kill(database_url, dead)
    with engine.connect() as conn:
        with pytest.raises(OperationalError) as failure:
            conn.execute(text("SELECT 1"))
        assert failure.value.connection_invalidated
    with engine.connect() as conn:
        assert conn.execute(text("SELECT CONNECTION_ID()")).scalar() != dead
    engine.dispose()


def test_the_app_connects_without_building_a_tls_context(app):
    """DB_TLS=off (the default): no SSL context per new connection (see Config)."""
    from app.extensions import db

    raw = db.engine.raw_connection()
    try:
        assert raw.driver_connection.ssl is False and not hasattr(raw.driver_connection, "ctx")
    finally:
        raw.close()
