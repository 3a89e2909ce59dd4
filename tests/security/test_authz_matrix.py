"""The authorization matrix: every route × method × role × {own, other} has an expected outcome.

Routes come from the app's URL map: a route without a row in authz_matrix.yaml fails
`test_every_route_has_a_row`. Reads run against one world; writes that are expected
to succeed run on fresh worlds (two at a time when they touch different sides), after
the refusals have been checked on a shared one.

Ids in bodies and query strings get the same rule as ids in paths: the `foreign_ids`
probes name the other side's objects there, and the answer must be the one an id
that exists nowhere gets. Every id field the OpenAPI document describes has a probe.
"""
import json
import re
import uuid

import pytest

from tests.security.matrix import (
    app_routes,
    foreign_id,
    foreign_request,
    load_foreign_probes,
    load_rows,
    matches,
    mutates,
    request,
    response_text,
)
from tests.security.world import OTHER_SIDE, SIDE, build_world

ROWS = load_rows()
PROBES, NOT_FOREIGN = load_foreign_probes()
ID_FIELD = re.compile(r"(_ids?|^ids)$")


def test_every_route_has_a_row_and_every_row_a_route(app):
    served, listed = app_routes(app), {row.key for row in ROWS}
    assert not served - listed, f"routes without a row in authz_matrix.yaml: {sorted(served - listed)}"
    assert not listed - served, f"rows for routes the app does not serve: {sorted(listed - served)}"
    assert len(listed) == len(ROWS), "a route is listed twice"


def test_read_routes_match_the_matrix(client):
    world = build_world()
    wrong = []
    for row in ROWS:
        if row.method != "GET":
            continue
        for role, variant, expected in row.cells():
            status = request(client, world, row, role, variant).status_code
            if not matches(expected, status):
                wrong.append(f"{row.key} as {role} on {variant}: expected {expected}, got {status}")
    assert not wrong, "\n".join(wrong)


def test_no_read_shows_a_teacher_or_student_the_other_side_of_the_school(client):
    """Beyond status codes: lists and details of side A never carry an id from side B."""
    world = build_world()
    leaks = []
    for row in ROWS:
        if row.method != "GET" or row.path.startswith(("/api/openapi", "/api/docs", "/static")):
            continue
        for role in ("student_a", "student_b", "teacher_a", "teacher_b"):
            body = response_text(request(client, world, row, role, "own"))
            foreign = world.ids[OTHER_SIDE[SIDE[role]]]
            seen = sorted(i for i in foreign if i in body)
            if seen:
                leaks.append(f"{row.key} as {role} shows {len(seen)} object(s) of the other side")
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("row", [r for r in ROWS if r.method != "GET"], ids=lambda r: r.key)
def test_write_route_matches_the_matrix(client, row):
    wrong = []
    cells = list(row.cells())
    world = build_world()
    for role, variant, expected in cells:
        if not mutates(row, expected):
            response = request(client, world, row, role, variant)
            if not matches(expected, response.status_code):
                wrong.append(f"{role} on {variant}: expected {expected}, got {response.status_code} "
                             f"{(response.get_json(silent=True) or {}).get('message')}")
    for round_ in _rounds([cell for cell in cells if mutates(row, cell[2])]):
        world = build_world()
        for role, variant, expected in round_:
            response = request(client, world, row, role, variant)
            if not matches(expected, response.status_code):
                wrong.append(f"{role} on {variant}: expected {expected}, got {response.status_code} "
                             f"{(response.get_json(silent=True) or {}).get('message')}")
    assert not wrong, f"{row.key}:\n" + "\n".join(wrong)


def _rounds(cells):
    """Successful writes grouped so that no two in a round touch the same side of the world."""
    rounds: list[dict] = []
    for role, variant, expected in cells:
        side = SIDE[role] if variant == "own" else OTHER_SIDE[SIDE[role]]
        target = next((r for r in rounds if side not in r), None)
        if target is None:
            target = {}
            rounds.append(target)
        target[side] = (role, variant, expected)
    return [list(r.values()) for r in rounds]


def documented_id_fields(spec: dict) -> set[str]:
    """'METHOD /path field' for every id field of a documented JSON body ('list[].name'
    inside lists) or query string ('?name')."""
    found = set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            route = f"{method.upper()} {path}"
            for param in operation.get("parameters", []):
                if param.get("in") == "query" and ID_FIELD.search(param["name"]):
                    found.add(f"{route} ?{param['name']}")
            body = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            if body:
                found |= {f"{route} {field}" for field in _id_fields(body["schema"], "", spec, ())}
    return found


def _id_fields(schema: dict, prefix: str, spec: dict, seen: tuple):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _id_fields(spec["components"]["schemas"][name], prefix, spec, (*seen, name))
        return
    for combined in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _id_fields(combined, prefix, spec, seen)
    if schema.get("type") == "array" and "items" in schema:
        yield from _id_fields(schema["items"], f"{prefix}[]", spec, seen)
    for name, field in (schema.get("properties") or {}).items():
        path = f"{prefix}.{name}" if prefix else name
        if ID_FIELD.search(name):
            yield path
        yield from _id_fields(field, path, spec, seen)


def test_every_id_field_in_a_body_or_query_string_has_a_foreign_id_probe(client):
    documented = documented_id_fields(client.get("/api/openapi.json").get_json())
    probed = {f"{probe.key} {field}" for probe in PROBES for field in probe.fields()}
    accounted = probed | set(NOT_FOREIGN)
    assert not documented - accounted, f"id fields without a foreign_ids probe: {sorted(documented - accounted)}"
    assert not accounted - documented, f"probes of fields no route documents: {sorted(accounted - documented)}"


def _comparable(response, named_id: str) -> tuple[int, str]:
    """Status and body, with the id it was asked about and the timestamp blanked."""
    body = response.get_json(silent=True)
    if isinstance(body, dict):
        body.pop("timestamp", None)
        body.pop("request_id", None)
    text = json.dumps(body, sort_keys=True) if body is not None else response_text(response)
    return response.status_code, text.replace(named_id, "<id>")


def test_a_foreign_id_in_a_body_or_query_string_is_answered_as_an_unknown_id(client):
    world = build_world()
    wrong = []
    for probe in PROBES:
        for role in probe.callers:
            foreign, unknown = foreign_id(world, probe, role), str(uuid.uuid4())
            seen = foreign_request(client, world, probe, role, foreign)
            unseen = foreign_request(client, world, probe, role, unknown)
            where = f"{probe.key} {sorted(probe.fields())} as {role}"
            if not matches(probe.expect, seen.status_code):
                wrong.append(f"{where}: expected {probe.expect}, got {seen.status_code} "
                             f"{(seen.get_json(silent=True) or {}).get('message')}")
            elif _comparable(seen, foreign) != _comparable(unseen, unknown):
                wrong.append(f"{where}: the foreign id is answered {_comparable(seen, foreign)}, "
                             f"an unknown one {_comparable(unseen, unknown)}")
    assert not wrong, "\n".join(wrong)
