"""Schemathesis against /api/openapi.json, in process (WSGI), once per role token.

Every documented operation gets schema examples, coverage cases (boundaries and
wrong types) and fuzzed cases, each sent as every caller of the fixture world
(anonymous and the five roles). Checked on every response: no 5xx, the status,
content type, headers and body conform to the documented responses, invalid input
is refused, unsupported methods answer 405 and a missing or invalid token 401.
A stateful run follows the links schemathesis infers between operations.

The world is built once for this module (tokens are minted per call, so a fuzzed
logout cannot revoke the next case's token). Rate limiting is off while fuzzing: a
fuzzer is one address hammering the login, which test_abuse.py covers. Examples per
operation are bounded (SCHEMATHESIS_MAX_EXAMPLES, default 4) to keep the run short.
"""
import os

import pytest
import schemathesis
from flask_jwt_extended import create_access_token
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from app.extensions import db, limiter
from tests.security.world import ROLES, build_world

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
HYPOTHESIS = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True)
def _clean_state():
    """One world for the whole module (the suite's per-test cleaning would empty it)."""
    yield


@pytest.fixture(scope="module")
def world(app):
    limiter.enabled = False
    built = build_world()
    yield built
    limiter.enabled = True
    db.session.rollback()
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
    limiter.reset()


@pytest.fixture(scope="module")
def api_schema(app, world):
    config = SchemathesisConfig.from_dict({
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
                   "stateful": {"enabled": True}},
    })
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


def headers_for(world, role: str) -> dict:
    if role == "anonymous":
        return {}
    user = world.users[role]
    token = create_access_token(identity=user.id, additional_claims={"ver": user.token_version, "role": user.role})
    return {"Authorization": f"Bearer {token}"}


def run_operations(api_schema, call) -> tuple[int, list[str]]:
    """Run every operation's generated cases through `call(case)`; count cases, collect failures.

    Schemathesis' own pytest integration resolves fixtures in a way pytest 9 no longer
    supports, so its test builder is driven directly, one operation at a time.
    """
    from schemathesis.core.result import Ok
    from schemathesis.pytest.lazy import get_all_tests

    cases, failures = [0], []

    def test(case):
        cases[0] += 1
        call(case)

    for result in get_all_tests(schema=api_schema, test_func=test, settings=HYPOTHESIS, given_kwargs={}):
        if not isinstance(result, Ok):
            failures.append(f"schema error: {result.err()}")
            continue
        operation, run = result.ok()
        try:
            run()
        except BaseException as exc:  # schemathesis raises a group of check failures per operation
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{operation.label}: {exc}"[:3000])
    return cases[0], failures


@pytest.mark.parametrize("role", ROLES)
def test_api_conforms_to_its_description(api_schema, world, role):
    count, failures = run_operations(api_schema, lambda case: case.call_and_validate(headers=headers_for(world, role)))
    print(f"schemathesis as {role}: {count} cases")
    assert count > 0
    assert not failures, "\n\n".join(failures)
