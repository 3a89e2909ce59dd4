"""Shared fixtures: one app and schema per session, tables emptied after each test.

The suite runs on a SQLite file by default; with TEST_DATABASE_URL set to a
MySQL/MariaDB server URL it creates a throwaway database there and drops it after.
"""
import os
import shutil
import tempfile

import pytest

from app import create_app
from app.common import clock
from app.extensions import db
from tests.helpers import QueryCounter, empty_database, throwaway_database

MYSQL_ONLY = "needs MySQL/MariaDB semantics (row locks, concurrent transactions): set TEST_DATABASE_URL"


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.mysql_only(reason=...)` skips a test on SQLite, saying why."""
    if os.environ.get("TEST_DATABASE_URL"):
        return
    for item in items:
        marker = item.get_closest_marker("mysql_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", MYSQL_ONLY)))


@pytest.fixture(scope="session")
def database_url():
    if os.environ.get("TEST_DATABASE_URL"):
        url, drop = throwaway_database(os.environ["TEST_DATABASE_URL"], "qms_test")
        yield url
        drop()
    else:
        folder = tempfile.mkdtemp(prefix="qms-test-")
        yield f"sqlite:///{folder}/test.db"


@pytest.fixture(scope="session")
def app(database_url):
    media_root = tempfile.mkdtemp(prefix="qms-media-")
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "MEDIA_ROOT": media_root})
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
    shutil.rmtree(app.config["MEDIA_ROOT"], ignore_errors=True)  # the question media of the test


@pytest.fixture
def is_mysql(app):
    return db.engine.dialect.name in ("mysql", "mariadb")


@pytest.fixture
def count_queries(app):
    return QueryCounter(db.engine)
