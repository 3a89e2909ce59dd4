"""Column types shared by the models, and the unit-of-work boundary."""
import uuid

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.dialects import mysql

from app.extensions import db

# DATETIME(6) on MySQL/MariaDB keeps sub-second timing (answer order, deadlines).
UTCDateTime = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
JSONType = JSON().with_variant(mysql.JSON(), "mysql", "mariadb")


def new_id() -> str:
    return str(uuid.uuid4())


def id_column_type() -> String:
    return String(36)


def commit() -> None:
    """Commit the unit of work, then let domain-event handlers run.

    The request boundary and the CLI commands call this; services only flush.
    """
    from app.common import events

    db.session.commit()
    events.dispatch_pending()


def rollback() -> None:
    from app.common import events

    db.session.rollback()
    events.discard_pending()


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
