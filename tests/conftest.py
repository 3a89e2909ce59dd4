"""Shared fixtures: one app and schema per session, tables emptied after each test.

The suite runs on a SQLite file by default; with TEST_DATABASE_URL set to a
MySQL/MariaDB server URL it creates a throwaway database there and drops it after.
"""
import os
import tempfile
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.common import clock
from app.extensions import db
from tests.helpers import QueryCounter, empty_database


def _mysql_test_database():
    server_url = make_url(os.environ["TEST_DATABASE_URL"])
    if server_url.drivername == "mysql":
        server_url = server_url.set(drivername="mysql+pymysql")
    name = f"qms_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url.set(database=None))
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()

    url = server_url.set(database=name, query={"charset": "utf8mb4"})
    return url.render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url():
    if os.environ.get("TEST_DATABASE_URL"):
        url, drop = _mysql_test_database()
        yield url
        drop()
    else:
        folder = tempfile.mkdtemp(prefix="qms-test-")
        yield f"sqlite:///{folder}/test.db"


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {}
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request, app):
    yield
    clock.set_frozen(None)
    empty_database()


@pytest.fixture
def is_mysql(app):
    return db.engine.dialect.name in ("mysql", "mariadb")


@pytest.fixture
def count_queries(app):
    return QueryCounter(db.engine)
