"""The authorization matrix: every route × method × role × {own, other} has an expected outcome.

Routes come from the app's URL map: a route without a row in authz_matrix.yaml fails
`test_every_route_has_a_row`. Reads run against one world; writes that are expected
to succeed run on fresh worlds (two at a time when they touch different sides), after
the refusals have been checked on a shared one.
"""
import pytest

from tests.security.matrix import app_routes, load_rows, matches, mutates, request, response_text
from tests.security.world import OTHER_SIDE, SIDE, build_world

ROWS = load_rows()


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
