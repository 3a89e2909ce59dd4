"""The docs UI served offline, and the small HTTP conventions of the API contract:
`request_id` in error bodies, the cache-buster `_` ignored, one charset on CSV."""
import re

from tests.factories import auth, make_admin, make_teacher
from tests.helpers import assert_error


def test_the_docs_page_loads_its_assets_from_this_server_only(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets, page
    assert all(asset.startswith("/api/docs/assets/") for asset in assets), assets
    assert "http://" not in page and "https://" not in page


def test_every_asset_the_docs_page_names_is_served(client):
    page = client.get("/api/docs").get_data(as_text=True)
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page):
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.data) > 1000, asset


def test_an_unknown_docs_asset_is_404(client):
    assert_error(client.get("/api/docs/assets/nothing.js"), 404, "NOT_FOUND")
    assert_error(client.get("/api/docs/assets/../__init__.py"), 404, "NOT_FOUND")


def test_an_error_body_carries_the_request_id_of_its_header(client):
    response = client.get("/api/no-such-thing")
    body = assert_error(response, 404, "NOT_FOUND")
    assert body["request_id"] == response.headers["X-Request-ID"]


def test_an_error_body_echoes_a_well_formed_incoming_request_id(client):
    response = client.get("/api/users", headers={"X-Request-ID": "proxy-id-12345678"})
    assert assert_error(response, 401)["request_id"] == "proxy-id-12345678"


def test_a_validation_error_carries_the_request_id_too(client):
    response = client.get("/api/users?page=0", headers=auth(make_admin()))
    assert assert_error(response, 422, "VALIDATION_ERROR")["request_id"] == response.headers["X-Request-ID"]


def test_the_cache_buster_parameter_is_ignored(client):
    admin = make_admin()
    plain = client.get("/api/users", headers=auth(admin))
    busted = client.get("/api/users?_=1733570000000&page=1", headers=auth(admin))
    assert busted.status_code == 200
    assert busted.get_json()["total"] == plain.get_json()["total"]


def test_the_cache_buster_does_not_hide_another_unknown_parameter(client):
    response = client.get("/api/users?_=1&bogus=1", headers=auth(make_admin()))
    body = assert_error(response, 422, "VALIDATION_ERROR")
    assert set(body["details"]) == {"bogus"}


def test_a_csv_download_names_its_charset_once(client):
    response = client.get("/api/students/export", headers=auth(make_teacher()))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
