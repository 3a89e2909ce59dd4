"""The one Alembic chain and the models agree, on a fresh database of the suite's kind.

The migrations run through `flask db …` in a separate process, exactly as an operator
runs them; the comparison with the models is Alembic's autogenerate diff.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from app.extensions import db
from tests.helpers import throwaway_database

ROOT = Path(__file__).resolve().parents[1]
FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.fixture
def fresh_database_url(tmp_path):
    """An empty database, not the suite's: a SQLite file, or a new MariaDB/MySQL schema."""
    if not os.environ.get("TEST_DATABASE_URL"):
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    url, drop = throwaway_database(os.environ["TEST_DATABASE_URL"], "qms_migrations")
    try:
        yield url
    finally:
        drop()


def flask_db(url: str, *args: str) -> None:
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url}
    done = subprocess.run([FLASK, "--app", "wsgi", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"flask db {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"


def schema_differences(url: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_matches_the_models_and_downgrades_to_base_and_back(fresh_database_url):
    url = fresh_database_url
    flask_db(url, "upgrade")
    assert table_names(url) == set(db.metadata.tables) | {"alembic_version"}
    assert schema_differences(url) == []

    flask_db(url, "downgrade", "base")
    assert table_names(url) <= {"alembic_version"}

    flask_db(url, "upgrade")
    assert schema_differences(url) == []
