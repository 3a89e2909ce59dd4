"""The one Alembic chain and the models agree, on a fresh database of the suite's kind.

The migrations run through `flask db …` in a separate process, exactly as an operator
runs them; the comparison with the models is Alembic's autogenerate diff.
"""
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

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


def column_names(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
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


# --- 0003: login keys ------------------------------------------------------------------
# Pairs that the old schema held apart (binary on SQLite; utf8mb4_unicode_ci on MariaDB,
# which gives every character beyond the BMP one weight) and NFKC folds together.
BOLD_K, BOLD_S = "\U0001d424", "\U0001d412"  # MATHEMATICAL BOLD SMALL K, CAPITAL S


def add_account(url: str, email: str, registration_number: str | None = None) -> str:
    """An account written as the schema of revision 0002 stores it."""
    from datetime import datetime

    from sqlalchemy import MetaData, insert

    engine, user_id = create_engine(url), str(uuid.uuid4())
    tables = MetaData()
    tables.reflect(engine, only=["users", "students"])
    now = datetime(2026, 9, 1)
    with engine.begin() as conn:
        conn.execute(insert(tables.tables["users"]).values(
            id=user_id, email=email, role="student" if registration_number else "admin", name=email,
            is_active=True, is_email_verified=False, token_version=0, created_at=now, updated_at=now))
        if registration_number:
            conn.execute(insert(tables.tables["students"]).values(
                id=user_id, registration_number=registration_number,
                registration_key=registration_number.strip().upper(), is_account_claimed=False, created_at=now))
    engine.dispose()
    return user_id


def stored(url: str, sql: str) -> list:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def flask_db_refused(url: str, *args: str) -> str:
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": url}
    done = subprocess.run([FLASK, "--app", "wsgi", "db", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0, done.stdout[-2000:]
    return done.stdout + done.stderr


def test_upgrade_stores_each_accounts_login_key(fresh_database_url):
    url = fresh_database_url
    flask_db(url, "upgrade", "0002")
    admin = add_account(url, " Head@School.TEST ")
    student = add_account(url, "ｋate@school.test", f"{BOLD_S}TU2024001")
    flask_db(url, "upgrade")
    assert sorted(stored(url, "SELECT id, email_key FROM users")) == sorted(
        [(admin, "head@school.test"), (student, "kate@school.test")])
    assert stored(url, "SELECT id, registration_key FROM students") == [(student, "stu2024001")]
    assert schema_differences(url) == []


def test_upgrade_refuses_accounts_that_share_a_login_key_and_names_them(fresh_database_url):
    url = fresh_database_url
    flask_db(url, "upgrade", "0002")
    kate = add_account(url, "kate@school.test", "STU2024001")
    bold_kate = add_account(url, f"{BOLD_K}ate@school.test", f"{BOLD_S}TU2024001")
    add_account(url, "other@school.test", "STU2024002")
    ligature = add_account(url, "x" * 240 + "@\ufdfa.test")  # one character, eighteen once normalised

    output = flask_db_refused(url, "upgrade")
    refusals = [line for line in output.splitlines() if "share the login key" in line]
    assert len(refusals) == 2, output[-3000:]
    emails, numbers = sorted(refusals, key=lambda line: not line.startswith("users.email"))
    for who in (f"'kate@school.test' (id {kate})", f"'{BOLD_K}ate@school.test' (id {bold_kate})"):
        assert who in emails
    assert emails.endswith("share the login key 'kate@school.test'")
    for who in (f"'STU2024001' (id {kate})", f"'{BOLD_S}TU2024001' (id {bold_kate})"):
        assert who in numbers
    assert numbers.startswith("students.registration_number:") and numbers.endswith("'stu2024001'")
    assert "other@school.test" not in output  # an account without a twin is not named
    assert f"(id {ligature}) has the login key" in output and "over 255 characters" in output
    assert stored(url, "SELECT version_num FROM alembic_version") == [("0002",)]
    assert "email_key" not in column_names(url, "users")

    engine = create_engine(url)
    with engine.begin() as conn:  # the administrator renames one of them
        conn.execute(text("UPDATE users SET email = 'kate.b@school.test' WHERE id = :id"), {"id": bold_kate})
        conn.execute(text("UPDATE users SET email = 'long@school.test' WHERE id = :id"), {"id": ligature})
        conn.execute(text("UPDATE students SET registration_number = 'STU2024003' WHERE id = :id"),
                     {"id": bold_kate})
    engine.dispose()
    flask_db(url, "upgrade")
    assert sorted(stored(url, "SELECT registration_key FROM students")) == [
        ("stu2024001",), ("stu2024002",), ("stu2024003",)]


def test_login_key_columns_compare_bytes_on_mariadb(fresh_database_url):
    """Autogenerate does not compare collations: the migrated columns are checked here."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite compares bytes whatever the column")
    flask_db(fresh_database_url, "upgrade")
    collations = dict(stored(fresh_database_url, (
        "SELECT CONCAT(table_name, '.', column_name), collation_name FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND column_name IN ('email_key', 'registration_key')")))
    assert collations == {"users.email_key": "utf8mb4_bin", "students.registration_key": "utf8mb4_bin"}
