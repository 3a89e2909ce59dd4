"""The authorization matrix: every route × method × role × {own, other} has an expected outcome.

Routes come from the app's URL map: a route without a row in authz_matrix.yaml fails
`test_every_route_has_a_row`. Reads run against one world; a write that is expected
to succeed runs on a fresh world, after the refusals have been checked on a shared one.
"""
import pytest

from tests.security.matrix import app_routes, load_rows, matches, mutates, request
from tests.security.world import build_world

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
    for role, variant, expected in cells:
        if mutates(row, expected):
            world = build_world()
            response = request(client, world, row, role, variant)
            if not matches(expected, response.status_code):
                wrong.append(f"{role} on {variant}: expected {expected}, got {response.status_code} "
                             f"{(response.get_json(silent=True) or {}).get('message')}")
    assert not wrong, f"{row.key}:\n" + "\n".join(wrong)
