"""Helpers for socket tests."""
import functools
import time

import jsonschema

from app.realtime.asyncapi import asyncapi_document


def received(client, namespace, name=None):
    events = client.get_received(namespace)
    return [e for e in events if name is None or e["name"] == name]


def wait_for(predicate, timeout=5.0):
    """Poll until `predicate()` is truthy (background tasks run in threads here)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    return predicate()


REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


# --- every event a socket test receives is checked against the AsyncAPI document ---

CONNECTION_EVENTS = ("connect", "disconnect")


@functools.cache
def asyncapi() -> dict:
    return asyncapi_document(host="localhost", secure=False, version="test")


def _channel(namespace: str) -> dict:
    channels = [c for c in asyncapi()["channels"].values() if c["address"] == namespace]
    assert channels, f"namespace {namespace} is not a channel of the AsyncAPI document"
    return channels[0]


def _validate(payload, schema: dict, what: str) -> None:
    root = {**schema, "components": asyncapi()["components"]}
    errors = sorted(jsonschema.Draft7Validator(root).iter_errors(payload), key=str)
    assert not errors, f"{what} does not match the AsyncAPI document: {errors[0].message} at {errors[0].json_path}"


def check_event(namespace: str, name: str, args: list) -> None:
    """A server event as received, against its message in the namespace's channel."""
    message = _channel(namespace)["messages"].get(name)
    assert message is not None and "x-acknowledgement-of" not in message, \
        f"event {name!r} on {namespace} is not in the AsyncAPI document"
    assert len(args) == 1, f"event {name!r} on {namespace} carries {len(args)} arguments, not one payload"
    _validate(args[0], message["payload"], f"event {name!r} on {namespace}")


def check_ack(namespace: str, event: str, ack) -> None:
    """A client event's acknowledgement, against one of its reply messages."""
    messages = _channel(namespace)["messages"]
    replies = [m["payload"] for key, m in messages.items() if m.get("x-acknowledgement-of") == event]
    assert replies, f"client event {event!r} on {namespace} has no acknowledgement in the AsyncAPI document"
    _validate(ack, {"oneOf": replies}, f"the acknowledgement of {event!r} on {namespace}")


def checked(client):
    """Flask-SocketIO's test client, checking every event it receives and every
    acknowledgement it gets against the AsyncAPI document."""
    receive, emit = client.get_received, client.emit

    def get_received(namespace=None):
        events = receive(namespace)
        for event in events:
            check_event(event["namespace"] or "/", event["name"], event["args"])
        return events

    def emit_checked(event, *args, **kwargs):
        ack = emit(event, *args, **kwargs)
        if kwargs.get("callback") and ack is not None:
            check_ack(kwargs.get("namespace") or "/", event, ack)
        return ack

    client.get_received, client.emit = get_received, emit_checked
    return client
