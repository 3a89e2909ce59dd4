"""GET /api/asyncapi.json: the Socket.IO interface as an AsyncAPI 3.0 document, valid
against the specification's own JSON Schema, and generated from the schemas the app
emits with. (Every event the socket tests receive is checked against it as well:
tests.realtime.helpers.checked and LiveClient.close.)"""
import copy
import json
from pathlib import Path

import jsonschema
import pytest

from app.realtime import asyncapi_page
from app.realtime.push import MONITOR_NAMESPACE, NOTIFICATIONS_NAMESPACE
from app.realtime.schemas import CLIENT_EVENTS, SERVER_EVENTS, QuizStatusSchema, RosterEntrySchema
from tests.realtime.helpers import check_ack, check_event
from tests.test_docs import socket_events

# The official JSON Schema of AsyncAPI 3.0.0, vendored from the npm package
# @asyncapi/specs 6.11.1 (schemas/3.0.0.json, Apache-2.0, github.com/asyncapi/spec-json-schemas).
SPEC_SCHEMA = Path(__file__).parent / "contracts" / "asyncapi-3.0.0.schema.json"


@pytest.fixture(scope="module")
def spec_validator():
    return jsonschema.Draft7Validator(json.loads(SPEC_SCHEMA.read_text()))


@pytest.fixture
def document(client):
    response = client.get("/api/asyncapi.json", base_url="https://quiz.example.org")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_served_document_is_valid_asyncapi_3(document, spec_validator):
    errors = [f"{e.json_path}: {e.message[:200]}" for e in spec_validator.iter_errors(document)]
    assert errors == []
    assert document["asyncapi"] == "3.0.0"
    assert document["servers"]["api"] == {**document["servers"]["api"], "host": "quiz.example.org",
                                          "protocol": "wss", "pathname": "/socket.io"}


def test_the_specification_schema_refuses_a_broken_document(document, spec_validator):
    broken = copy.deepcopy(document)
    operation = next(iter(broken["operations"].values()))
    operation["action"] = "publish"  # AsyncAPI 2's word, not 3's
    assert not spec_validator.is_valid(broken)


def test_both_namespaces_are_channels_with_every_event_and_acknowledgement(document):
    by_address = {c["address"]: c for c in document["channels"].values()}
    assert set(by_address) == {MONITOR_NAMESPACE, NOTIFICATIONS_NAMESPACE}
    for namespace, channel in by_address.items():
        server_names = {m["name"] for m in channel["messages"].values() if "x-acknowledgement-of" not in m}
        assert server_names >= set(SERVER_EVENTS[namespace]) | set(CLIENT_EVENTS[namespace]) | {"connect_error"}
        acknowledged = {m["x-acknowledgement-of"] for m in channel["messages"].values() if "x-acknowledgement-of" in m}
        assert acknowledged == set(CLIENT_EVENTS[namespace])
    receives = [op for op in document["operations"].values() if op["action"] == "receive"]
    assert len(receives) == sum(len(events) for events in CLIENT_EVENTS.values())
    assert all(len(op["reply"]["messages"]) == 2 for op in receives)


def test_the_payload_schemas_are_the_marshmallow_schemas_the_app_emits_with(document):
    schemas = document["components"]["schemas"]
    assert set(schemas["QuizStatus"]["properties"]) == set(QuizStatusSchema().fields)
    assert schemas["QuizStatus"]["properties"]["students"]["items"] == {"$ref": "#/components/schemas/RosterEntry"}
    roster = schemas["RosterEntry"]
    assert set(roster["properties"]) == set(RosterEntrySchema().fields)
    assert "not_started" in roster["properties"]["status"]["enum"]
    assert roster["additionalProperties"] is False


def test_the_document_describes_authentication_and_the_rejoin_after_reconnecting(document):
    scheme = document["components"]["securitySchemes"]["accessToken"]
    assert scheme["x-socketio-auth"] == {"$ref": "#/components/schemas/ConnectAuth"}
    assert document["components"]["schemas"]["ConnectAuth"]["required"] == ["token"]
    monitor = document["channels"]["quizMonitor"]
    assert "join_quiz" in monitor["description"] and "reconnection" in monitor["description"]
    assert "SESSION_ENDED" in document["channels"]["notifications"]["description"]


def test_the_event_check_refuses_what_the_document_does_not_allow():
    with pytest.raises(AssertionError, match="not in the AsyncAPI document"):
        check_event(MONITOR_NAMESPACE, "made_up", [{}])
    with pytest.raises(AssertionError, match="does not match"):
        check_event(NOTIFICATIONS_NAMESPACE, "unread_count", [{"unread_count": "three"}])
    with pytest.raises(AssertionError, match="does not match"):
        check_event(MONITOR_NAMESPACE, "left", [{"quiz_id": "q", "undocumented": 1}])
    with pytest.raises(AssertionError, match="does not match"):
        check_ack(MONITOR_NAMESPACE, "join_quiz", {"success": False})
    check_event(NOTIFICATIONS_NAMESPACE, "unread_count", [{"unread_count": 3}])
    check_ack(MONITOR_NAMESPACE, "join_quiz", {"message": "No", "error_code": "NOT_FOUND"})


def test_the_events_page_of_the_docs_is_the_document_rendered():
    page = Path(__file__).parents[2] / "docs" / "realtime-events.md"
    assert page.read_text() == asyncapi_page.page(), \
        "docs/realtime-events.md is stale: .venv/bin/python -m app.realtime.asyncapi_page > docs/realtime-events.md"


def test_every_event_the_code_emits_or_handles_is_in_the_document(document):
    named = {m["name"] for channel in document["channels"].values() for m in channel["messages"].values()}
    assert socket_events() - {"connect", "disconnect"} <= named
