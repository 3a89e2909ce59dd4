"""Column types shared by the models, and the unit-of-work boundary."""
import functools
import uuid

from flask import g
from sqlalchemy import JSON, DateTime, String, insert, inspect
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import make_transient_to_detached

from app.extensions import db

# DATETIME(6) on MySQL/MariaDB keeps sub-second timing (answer order, deadlines).
UTCDateTime = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
JSONType = JSON().with_variant(mysql.JSON(), "mysql", "mariadb")


def login_key_type(length: int):
    """A column holding `app.common.identifiers.login_key` values, compared byte for byte:
    SQLite already does; MySQL/MariaDB get a binary collation instead of the
    database's default, which calls accented and unaccented spellings equal."""
    return String(length).with_variant(mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


def new_id() -> str:
    return str(uuid.uuid4())


def insert_as_loaded(model, values: dict):
    """INSERT one new row of `model` as one Core statement, and return its object in the
    session as though just loaded, without the unit of work's flush.

    For the one hot insert: a new attempt at the bell, where flushing one new object
    through the unit of work cost about as much CPU again as the INSERT it sends. The
    column defaults apply as in a flush (Core evaluates them); the object holds exactly
    the values inserted (NULL for a column neither given nor defaulted), with nothing
    pending; a column the server fills itself loads on first access. `values` are keyed
    by attribute. Refused for a model with insert listeners, which a flush would run and
    this does not; relationships are not set here (set them afterwards with
    `set_committed_value`). Like any statement on the session's connection it does not
    autoflush: the session's pending changes are flushed later, at the next ORM query or
    the commit.
    """
    mapper, columns = _insertable(model)
    if mapper.dispatch.before_insert or mapper.dispatch.after_insert:
        raise TypeError(f"{model.__name__} has insert listeners, which only a flush runs")
    row = {columns[key][0]: value for key, value in values.items()}
    result = db.session.connection().execute(insert(mapper.local_table), row)
    inserted = result.last_inserted_params()
    # A column neither given nor defaulted is NULL, unless the server fills it: that one
    # stays unloaded (it loads on access).
    instance = model(**{key: inserted.get(column) for key, (column, server_fills) in columns.items()
                        if column in inserted or not server_fills})
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


@functools.cache
def _insertable(model) -> tuple:
    """(mapper, {attribute: (column key, filled by the server)}) for `insert_as_loaded`."""
    mapper = inspect(model)
    table = mapper.local_table
    return mapper, {prop.key: (prop.columns[0].key, table.c[prop.columns[0].key].server_default is not None)
                   for prop in mapper.column_attrs}


def commit() -> None:
    """Commit the unit of work, then let domain-event handlers run.

    The request boundary and the CLI commands call this; services only flush.
    """
    from app.common import events

    db.session.commit()
    _forget_kept_changes()
    events.dispatch_pending()


def rollback() -> None:
    from app.common import events

    db.session.rollback()
    _forget_kept_changes()
    events.discard_pending()


def keep_changes_if_refused() -> None:
    """Keep what this unit of work has done even though the request is then refused.

    For the refusals that are themselves a change: a spent refresh token presented
    again revokes its family, a wrong reset code uses up a try, a save past the
    deadline closes the attempt. The request boundary then commits before sending the
    refusal (4xx) instead of rolling back (`commits_at_boundary`); an unexpected error
    (5xx) still rolls everything back. Services never commit themselves.
    """
    g.keep_changes_if_refused = True


def commits_at_boundary(status: int) -> bool:
    """Does the request boundary commit a response of this status, or roll back?"""
    return status < 400 or (status < 500 and bool(g.get("keep_changes_if_refused")))


def _forget_kept_changes() -> None:
    # `g` outlives one request when an app context was pushed before it (tests, CLI).
    g.pop("keep_changes_if_refused", None)


def enable_sqlite_foreign_keys() -> None:
    """SQLite ignores foreign keys unless asked, per connection."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


enable_sqlite_foreign_keys()


def ping_connections_idle_for(engine, seconds: float) -> None:
    """Ping a pooled connection on checkout only when it has sat idle `seconds` or more.

    `pool_pre_ping` pings on every checkout: one more round trip per request, which
    on the autosave cost as much as the SELECT itself. A connection returned moments
    ago by a request that used it successfully is almost surely alive; the ones that
    go stale (server restart during a quiet spell, wait_timeout, a dropped link) have
    sat idle. A connection that died within the window fails its first statement
    instead: SQLAlchemy recognises the disconnect, answers it like any database outage
    (503 with Retry-After) and discards every connection of the pool older than the
    failure, so the next request connects afresh. Raising DisconnectionError from the
    checkout event makes the pool replace a connection whose ping failed, exactly as
    pool_pre_ping does.
    """
    from time import monotonic

    from sqlalchemy import event, exc

    key = "qms_alive_at"

    def alive(_dbapi_connection, record) -> None:  # just connected, or back from a request
        record.info[key] = monotonic()

    def checked_out(dbapi_connection, record, _proxy) -> None:
        if monotonic() - record.info.get(key, 0.0) < seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from error
            raise
        record.info[key] = monotonic()

    event.listen(engine, "connect", alive)
    event.listen(engine, "checkin", alive)
    event.listen(engine, "checkout", checked_out)


def rollback_on_return_only_when_needed(engine) -> None:
    """Send the pool's ROLLBACK on return only when a transaction may still be open.

    The pool's default (`reset_on_return="rollback"`) rolls back every connection it
    gets back, even after a COMMIT has ended the transaction: one more round trip on
    every request. With `pool_reset_on_return=None` (see Config.engine_options) this
    hook does the reset instead, skipping it only when SQLAlchemy saw the connection's
    last transaction end (COMMIT or ROLLBACK, with no error since). A connection
    returned in any other state (mid-transaction, after an error, garbage-collected
    from a killed request, used through the raw DBAPI connection) is rolled back as
    before, so no connection ever goes back to the pool with an open transaction or an
    old REPEATABLE READ snapshot: every checkout starts out "maybe in a transaction".
    """
    from sqlalchemy import event

    key = "qms_transaction_open"

    def checked_out(_dbapi_connection, record, _proxy) -> None:
        record.info[key] = True

    def opened(conn) -> None:
        conn.info[key] = True

    def ended(conn) -> None:
        # A connection lost mid-transaction is invalidated: the pool discards it rather
        # than resetting it, and reading its info would raise inside the rollback.
        if not conn.invalidated:
            conn.info[key] = False

    def failed(context) -> None:
        if context.connection is not None and not context.connection.invalidated:
            context.connection.info[key] = True

    def reset(dbapi_connection, record, state) -> None:
        if record is None or state.terminate_only:
            return
        if record.info.get(key, True) and not state.transaction_was_reset:
            dbapi_connection.rollback()
        record.info[key] = False

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "begin", opened)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    event.listen(engine, "handle_error", failed)
    event.listen(engine, "reset", reset)
