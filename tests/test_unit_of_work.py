"""One transaction per request: the boundary commits a success, rolls back a failure,
and commits a refusal only when the work asked to be kept (`keep_changes_if_refused`).
Nothing below the boundaries commits."""
import ast
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.common.audit import AuditLog
from app.common.db import keep_changes_if_refused
from app.errors import Conflict, Unauthorized
from app.extensions import db

APP = Path(__file__).resolve().parents[1] / "app"


def _request(app, outcome, *, keep: bool):
    """One request whose work adds an audit row, then ends with `outcome`."""
    with app.test_request_context("/api/health"):
        app.preprocess_request()
        db.session.add(AuditLog(action="unit-of-work-test"))
        if keep:
            keep_changes_if_refused()
        if isinstance(outcome, Exception):
            response = app.make_response(app.handle_user_exception(outcome))
        else:
            response = app.make_response(outcome)
        return app.process_response(response)


def _kept() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "unit-of-work-test"))


@pytest.mark.parametrize("keep", [False, True])
def test_a_success_is_committed(app, keep):
    assert _request(app, ({"ok": True}, 200), keep=keep).status_code == 200
    assert _kept() == 1


def test_a_refusal_rolls_back(app):
    assert _request(app, Conflict("No"), keep=False).status_code == 409
    assert _kept() == 0


@pytest.mark.parametrize("refusal", [Conflict("No"), Unauthorized("No")])
def test_a_refusal_that_keeps_its_changes_commits_them(app, refusal):
    assert _request(app, refusal, keep=True).status_code == refusal.status
    assert _kept() == 1


def test_an_unexpected_error_rolls_back_even_kept_changes(app):
    assert _request(app, RuntimeError("boom"), keep=True).status_code == 500
    assert _kept() == 0


def test_kept_changes_belong_to_one_request(app):
    """The test client shares `g` between requests: the request after one that kept its
    changes rolls back its own refusal."""
    _request(app, ({"ok": True}, 200), keep=True)
    assert _request(app, Conflict("No"), keep=False).status_code == 409
    assert _kept() == 1


# Where a unit of work may end: the request boundary, commands, socket handlers, a
# reaction that runs after a commit as a unit of its own, and the sweep's batches.
BOUNDARY_MODULES = {"__init__.py", "common/db.py"}  # the app factory's hooks; commit() itself
BOUNDARY_NAMES = {"cli.py", "listeners.py"}
BOUNDARY_PACKAGES = {"realtime"}
# A regrade releases its savepoint (`savepoint.commit()`), which ends no transaction: the
# request boundary still commits once.
BOUNDARY_FUNCTIONS = {("attempts/services.py", "close_expired"), ("grading/regrade.py", "regrade_question")}


def _commits(path: Path):
    """(function name, line) of every `commit()` / `x.commit()` call in a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                if name == "commit":
                    yield function.name, node.lineno


def test_only_boundaries_commit():
    """A service that commits and then refuses would bypass the boundary's decision:
    such work says `keep_changes_if_refused()` instead."""
    found = []
    for path in sorted(APP.rglob("*.py")):
        module = path.relative_to(APP).as_posix()
        if module in BOUNDARY_MODULES or path.name in BOUNDARY_NAMES or module.split("/")[0] in BOUNDARY_PACKAGES:
            continue
        found += [f"{module}:{line} in {name}()" for name, line in _commits(path)
                  if (module, name) not in BOUNDARY_FUNCTIONS]
    assert found == []
