"""Mass assignment: extra fields in a write change nothing the caller may not change.

Every write route of the authorization matrix is called by its least privileged
caller that may use it, with its usual body plus fields a caller must not set
(`role`, `is_active`, `teacher_id`, `created_by`, `score`, `status`, `submitted_at`,
`total_violations`, …), also inside the items of list bodies. Either the request is
refused (422 names the field), or the database ends up exactly as it does after the
same request without the extra fields (doing less, such as refusing the items of a
bulk request one by one, counts as a refusal): both runs start from the same world at
the same frozen time, and the comparison replaces every id by a label derived from the row's
content, so two worlds can be compared row for row. Multipart uploads are left out:
their options are validated by schemas that refuse unknown fields in the same way.
"""
import json
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from app.common import clock
from app.extensions import db
from tests.security.matrix import fill_body, fill_path, load_rows, matches
from tests.security.world import PEER, SIDE, build_world

FROZEN_AT = datetime(2026, 3, 2, 9, 30)
PREFERENCE = ("anonymous", "student_a", "teacher_a", "admin")
SKIPPED_TABLES = {"refresh_tokens", "token_blocklist", "password_reset_tokens"}
VOLATILE_COLUMNS = {"id", "password_hash", "claim_code_hash", "code_hash", "jti", "family_id", "replaced_by",
                    "access_code", "token_version", "request_id"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# (route, field) pairs a caller of that route may legitimately set: they must change
# only what the route's own body would.
ALLOWED = {
    ("POST /api/users", "role"),  # an admin creates admins and teachers
}


def extras(world, role: str) -> dict:
    """Values a caller might try to smuggle in: another side's ids and privileged states."""
    victim_side = "b" if SIDE[role] == "a" else "a"
    return {
        "role": "admin", "is_active": False, "is_admin": True, "token_version": 99,
        "teacher_id": world.get("teacher", victim_side).id, "created_by": world.get("teacher", victim_side).id,
        "user_id": world.users[PEER[role]].id, "student_id": world.get("student", victim_side).id,
        "graded_by": world.get("teacher", victim_side).id, "score": 987.5, "percentage": 99.5, "passed": True,
        "marks_awarded": 77, "is_correct": True, "total_marks": 555, "status": "graded",
        "submitted_at": "2020-01-01T00:00:00Z", "deleted_at": "2020-01-01T00:00:00Z",
        "total_violations": 0, "auto_submit_reason": "violations", "is_account_claimed": True,
        "additional_attempts_granted": 50, "attempt_number": 9, "is_reset": True,
        "id": "11111111-2222-3333-4444-555555555555",
    }


def snapshot() -> list[tuple]:
    """Every row of every table, ids replaced by content labels, as a sorted multiset."""
    labels: dict[str, str] = {}
    rows = []
    for table in db.metadata.sorted_tables:
        if table.name in SKIPPED_TABLES:
            continue
        for record in db.session.execute(select(table)).mappings():
            content = tuple(sorted(
                (column, _normalise(value, labels)) for column, value in record.items()
                if column not in VOLATILE_COLUMNS
            ))
            label = f"{table.name}:{hash(content) & 0xFFFFFFFF:08x}"
            if "id" in record:
                labels[str(record["id"])] = label
            rows.append((table.name, content))
    return sorted(rows, key=repr)


def _normalise(value, labels: dict) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(_relabel(value, labels), sort_keys=True, default=str)
    return UUID.sub(lambda m: labels.get(m.group(0), "<uuid>"), str(value))


def _relabel(value, labels: dict):
    if isinstance(value, dict):
        return {_normalise(k, labels): _relabel(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_relabel(v, labels) for v in value]
    return _normalise(value, labels) if isinstance(value, str) else value


def call(client, row, role: str, extra: set | None, *, nested: bool = False, variant: str = "own"):
    """Build a fresh world at the frozen time, send the row's request, return (response, snapshot)."""
    with clock.freeze(FROZEN_AT):
        world = build_world()
        body = fill_body(world, row.body, role, variant) if row.body is not None else {}
        if extra:
            body = {**body, **{k: v for k, v in extras(world, role).items() if k in extra}}
        if nested:
            body = {k: ([{**item, **extras(world, role)} if isinstance(item, dict) else item for item in v]
                        if isinstance(v, list) else v) for k, v in body.items()}
        response = client.open(fill_path(world, row, role, variant), method=row.method, json=body or None,
                               headers=world.headers(role))
        db.session.rollback()
        return response, snapshot()


def _first_allowed(row):
    """The least privileged caller (and object) for which the route succeeds."""
    for variant in row.variants:
        for role in PREFERENCE:
            if matches(row.expect[role][variant], 200):
                return role, variant
    return None, None


WRITE_ROWS = [r for r in load_rows() if r.method != "GET" and not r.upload]


def _flagged(response) -> set[str]:
    if response.status_code != 422:
        return set()
    return set((response.get_json() or {}).get("details", {}))


@pytest.mark.parametrize("row", WRITE_ROWS, ids=lambda r: r.key)
def test_extra_fields_change_nothing_the_caller_may_not_change(client, row):
    role, variant = _first_allowed(row)
    if role is None:
        pytest.skip("no caller may use this route successfully in the fixture world")
    base, base_state = call(client, row, role, None, variant=variant)
    assert 200 <= base.status_code < 300, base.get_json()
    names = set(extras_names())
    problems = []
    response, state = call(client, row, role, names, variant=variant)
    if 200 <= response.status_code < 300:
        if _applied(base_state, state):
            problems.append(f"extra fields accepted and applied: {_difference(base_state, state)}")
        accepted = set()
    elif response.status_code == 422:
        accepted = names - _flagged(response)
    else:
        accepted = set()
        if response.status_code >= 500:
            problems.append(f"extra fields answered {response.status_code}")
    for name in sorted(accepted):
        single, single_state = call(client, row, role, {name}, variant=variant)
        if 200 <= single.status_code < 300 and _applied(base_state, single_state) and (row.key, name) not in ALLOWED:
            problems.append(f"{name!r} was applied: {_difference(base_state, single_state)}")
        elif single.status_code >= 500:
            problems.append(f"{name!r} answered {single.status_code}")
    if isinstance(row.body, dict) and any(isinstance(v, list) and v and isinstance(v[0], dict)
                                          for v in row.body.values()):
        nested, nested_state = call(client, row, role, None, nested=True, variant=variant)
        if 200 <= nested.status_code < 300 and _applied(base_state, nested_state):
            problems.append(f"extra fields inside list items were applied: {_difference(base_state, nested_state)}")
    assert not problems, f"{row.key} as {role} on {variant}:\n" + "\n".join(problems)


def extras_names():
    return ("role", "is_active", "is_admin", "token_version", "teacher_id", "created_by", "user_id", "student_id",
            "graded_by", "score", "percentage", "passed", "marks_awarded", "is_correct", "total_marks", "status",
            "submitted_at", "deleted_at", "total_violations", "auto_submit_reason", "is_account_claimed",
            "additional_attempts_granted", "attempt_number", "is_reset", "id")


def _applied(base_state: list, state: list) -> bool:
    """Did the extras produce a row the plain request did not? (Doing less, e.g. refusing
    the items of a bulk request one by one, is a refusal; the audit trail follows suit.)"""
    return any(row not in base_state for row in state if row[0] != "audit_logs")


def _difference(before: list, after: list) -> str:
    removed = [r for r in before if r not in after]
    added = [r for r in after if r not in before]
    return f"rows only without the extras: {removed[:2]}; rows only with them: {added[:2]}"


def test_the_comparison_sees_a_change(client):
    """The detector itself: the same request with a different legitimate value is a different state."""
    row = next(r for r in WRITE_ROWS if r.key == "PUT /api/users/{user_id}")
    _response, renamed = call(client, row, "admin", None)
    with clock.freeze(FROZEN_AT):
        world = build_world()
        client.put(f"/api/users/{world.users['admin'].id}", json={"name": "Someone else"},
                   headers=world.headers("admin"))
        db.session.rollback()
        assert snapshot() != renamed
