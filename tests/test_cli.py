"""Operator commands: `flask create-admin`, `flask seed-demo`, `flask auth purge-tokens`, and
the scripts wrapping them."""
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.auth.models import PasswordResetToken, RefreshToken, TokenBlocklist
from app.classes.models import SchoolClass
from app.common import clock
from app.common.audit import AuditLog
from app.demo import ADMIN_PASSWORD, DEMO_LOGINS, STUDENT_PASSWORD, TEACHER_PASSWORD, UNCLAIMED_CLAIM_CODE
from app.extensions import db
from app.questions.models import Question
from app.quizzes.models import Quiz
from app.students.models import Student
from app.users.models import User
from tests.factories import make_admin, make_teacher, tokens_for

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def login(client, identifier, password):
    return client.post("/api/auth/login", json={"email_or_reg_no": identifier, "password": password})


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- create-admin -------------------------------------------------------------------------

def test_create_admin_creates_an_admin_who_can_log_in(runner, client):
    result = runner.invoke(args=["create-admin", "--email", "Head@School.test", "--password", "head-of-school-1",
                                 "--name", "Head Teacher"])
    assert result.exit_code == 0, result.output
    assert "head@school.test" in result.output
    user = db.session.scalar(select(User).where(User.email == "head@school.test"))
    assert (user.role, user.name, user.is_active) == ("admin", "Head Teacher", True)
    assert login(client, "head@school.test", "head-of-school-1").status_code == 200
    assert count(AuditLog, AuditLog.action == "admin_created", AuditLog.entity_id == user.id) == 1


def test_create_admin_resets_the_password_of_an_existing_admin(runner, client):
    make_admin(email="boss@school.test")
    result = runner.invoke(args=["create-admin", "--email", "boss@school.test", "--password", "new-boss-password"])
    assert result.exit_code == 0, result.output
    assert count(User, User.email == "boss@school.test") == 1
    assert login(client, "boss@school.test", "new-boss-password").status_code == 200


def test_create_admin_resetting_a_password_revokes_the_old_tokens(runner, client):
    boss = make_admin(email="boss@school.test")
    old = {"Authorization": f"Bearer {tokens_for(boss)['access_token']}"}
    assert client.get("/api/auth/me", headers=old).status_code == 200
    result = runner.invoke(args=["create-admin", "--email", "boss@school.test", "--password", "new-boss-password"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/auth/me", headers=old).status_code == 401
    assert count(AuditLog, AuditLog.action == "admin_password_reset", AuditLog.entity_id == boss.id) == 1


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-admin", "--email", "weak@school.test", "--password", "password"])
    assert result.exit_code != 0
    assert "password" in result.output.lower()
    assert count(User, User.email == "weak@school.test") == 0


def test_create_admin_refuses_to_promote_another_role(runner):
    make_teacher(email="teacher@school.test")
    result = runner.invoke(args=["create-admin", "--email", "teacher@school.test", "--password", "long-enough-pass"])
    assert result.exit_code != 0 and "not an admin" in result.output
    assert db.session.scalar(select(User.role).where(User.email == "teacher@school.test")) == "teacher"


def test_create_admin_requires_email_and_password(runner):
    assert runner.invoke(args=["create-admin", "--email", "x@school.test"]).exit_code != 0


# --- seed-demo ----------------------------------------------------------------------------

def test_seed_demo_builds_a_small_school_and_prints_the_logins(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for _role, identifier, _password in DEMO_LOGINS:
        assert identifier in result.output
    assert (count(User, User.role == "admin"), count(User, User.role == "teacher")) == (1, 2)
    assert count(SchoolClass) == 3 and count(Student) == 30
    assert count(Student, Student.is_account_claimed.is_(False)) > 0
    assert count(Question) >= 8
    statuses = set(db.session.scalars(select(Quiz.status)))
    assert statuses == {"draft", "published", "archived"}


def test_the_printed_demo_logins_work(runner, client):
    runner.invoke(args=["seed-demo"])
    for identifier, password in (("admin@school.test", ADMIN_PASSWORD), ("john.smith@school.test", TEACHER_PASSWORD),
                                 ("STU2024001", STUDENT_PASSWORD)):
        assert login(client, identifier, password).status_code == 200, identifier
    claimed = client.post("/api/auth/claim-account", json={
        "registration_number": "STU2024006", "claim_code": UNCLAIMED_CLAIM_CODE,
        "password": "my-own-passphrase", "confirm_password": "my-own-passphrase"})
    assert claimed.status_code == 200


def test_seed_demo_if_empty_leaves_a_populated_database_alone(runner):
    make_admin()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "admin@school.test" in result.output
    assert count(User) == 1


def test_seed_demo_if_empty_seeds_an_empty_database(runner):
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert count(Student) == 30


# --- the scripts ------------------------------------------------------------------------

def run_script(name: str, database_url: str, *args: str) -> subprocess.CompletedProcess:
    db.session.remove()  # no open transaction may hold the SQLite file while the script writes
    env = {**os.environ, "APP_ENV": "testing", "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, str(ROOT / "scripts" / name), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_create_admin_script_creates_an_admin(database_url, client):
    done = run_script("create_admin.py", database_url, "--email", "script@school.test", "--password", "script-pass-1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert login(client, "script@school.test", "script-pass-1").status_code == 200


def test_seed_data_script_seeds_once(database_url):
    first = run_script("seed_data.py", database_url, "--if-empty")
    assert first.returncode == 0, first.stderr[-2000:]
    assert count(Student) == 30
    second = run_script("seed_data.py", database_url, "--if-empty")
    assert second.returncode == 0 and "skipped" in second.stdout
    assert count(Student) == 30


# --- auth purge-tokens ------------------------------------------------------------------

def test_purge_tokens_deletes_only_expired_token_rows(runner, client):
    user = make_admin()
    old = tokens_for(user)
    client.post("/api/auth/logout", headers={"Authorization": f"Bearer {old['access_token']}"})
    client.post("/api/auth/forgot-password", json={"email": user.email})
    clock.set_frozen(clock.utcnow() + timedelta(days=7, minutes=1))
    fresh = tokens_for(user)
    result = runner.invoke(args=["auth", "purge-tokens"])
    assert result.exit_code == 0, result.output
    assert "1 blocklisted access tokens, 1 refresh tokens, 1 reset codes deleted." in result.output
    assert (count(TokenBlocklist), count(PasswordResetToken)) == (0, 0)
    assert count(RefreshToken) == 1
    clock.set_frozen(None)
    assert client.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]}).status_code == 200
