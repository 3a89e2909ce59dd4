"""The AsyncAPI 3.0 document of the Socket.IO interface, generated from app.realtime.schemas.

One channel per namespace. Operations take the server's side: `send` for an event
the server emits, `receive` for one a client emits, whose `reply` is the Socket.IO
acknowledgement (the success shape, or the error one after an `error` event).
Payload schemas are the marshmallow schemas the app dumps with, converted by apispec.
"""
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from app.realtime.schemas import (
    CLIENT_EVENTS,
    MONITOR_NAMESPACE,
    NOTIFICATIONS_NAMESPACE,
    SERVER_EVENTS,
    AnySchema,
    ConnectAuthSchema,
    SocketErrorSchema,
)

ASYNCAPI_VERSION = "3.0.0"
CHANNELS = {MONITOR_NAMESPACE: "quizMonitor", NOTIFICATIONS_NAMESPACE: "notifications"}

MONITOR_DESCRIPTION = """Live monitoring of a running quiz, for teachers (their own quizzes)
and admins (any quiz). Authenticate at connect with the `auth` payload `{"token"}`, or
send the token with `join_quiz`. Rooms do not survive a reconnection: on every
`connect` (the first and each automatic reconnection) send `join_quiz` again for each
watched quiz; its first `quiz_status` catches up on whatever was missed. A monitor is
disconnected when its token expires (`error` TOKEN_EXPIRED first) unless `join_quiz`
brought a fresh token before then."""

NOTIFICATIONS_DESCRIPTION = """Every role. The token is required at connect; the socket then
joins its user's room and receives `unread_count` at once. Students also hear
`attempt_updated` here when a teacher changes one of their attempts."""

ACCESS_ENDED = """When the user's access ends (logout, deactivation, a password change or reset,
a role change), each of their sockets in both namespaces receives `error` with
`error_code: "SESSION_ENDED"` and is disconnected, on every instance."""

SERVER_SUMMARIES = {
    "joined": "This socket joined the quiz's room (after `join_quiz`).",
    "left": "This socket left the quiz's room (after `leave_quiz`).",
    "quiz_status": "The whole roster of the quiz's classes: after `join_quiz`, then every "
                   "MONITOR_STATUS_INTERVAL seconds to the room.",
    "attempt_started": "A student started an attempt.",
    "answer_saved": "A student's answer was stored (every acknowledged save).",
    "violation": "A violation was recorded.",
    "attempt_updated": "A teacher extended, force-submitted or reopened an attempt.",
    "attempt_submitted": "An attempt closed, however it ended.",
    "error": "An action was refused, or the user's access ended (SESSION_ENDED, then disconnect) "
             "or the monitor's token expired (TOKEN_EXPIRED, then disconnect).",
    "notification": "A notification for this user was stored (exactly as the REST API shows it).",
    "unread_count": "On connect, and whenever the user's unread count changes.",
    "heartbeat": "The answer to the client's `heartbeat`.",
}
CLIENT_SUMMARIES = {
    "join_quiz": "Join a quiz's room; send again after every reconnection.",
    "leave_quiz": "Leave a quiz's room.",
    "start_monitoring": "Accepted for older clients; status updates run while a room has members.",
    "mark_read": "Mark one of the caller's notifications read.",
    "heartbeat": "Ask the server for a `heartbeat`.",
}


def schema_name(schema) -> str:
    """`QuizStatus` for QuizStatusSchema (apispec passes nested schemas as instances)."""
    schema_class = schema if isinstance(schema, type) else type(schema)
    return schema_class.__name__.removesuffix("Schema")


def _all_schema_classes() -> list:
    classes = [ConnectAuthSchema, SocketErrorSchema]
    for events in SERVER_EVENTS.values():
        classes += events.values()
    for events in CLIENT_EVENTS.values():
        for incoming, ack in events.values():
            classes += [incoming, ack]
    return [c for c in dict.fromkeys(classes) if c is not AnySchema]


def component_schemas() -> dict:
    """JSON Schemas of every payload, under components/schemas (nested ones by $ref)."""
    spec = APISpec(title="payloads", version="1", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=schema_name)])
    for schema_class in _all_schema_classes():
        spec.components.schema(schema_name(schema_class), schema=schema_class)
    schemas = spec.to_dict()["components"]["schemas"]
    schemas[schema_name(AnySchema)] = {"description": AnySchema.__doc__}
    return schemas


def _ref(*path: str) -> dict:
    return {"$ref": "#/" + "/".join(path)}


def _message(name: str, schema_class, summary: str, **extra) -> dict:
    return {"name": name, "summary": summary, "contentType": "application/json",
            "payload": _ref("components", "schemas", schema_name(schema_class)), **extra}


def _ack_key(event: str, kind: str) -> str:
    return f"{event}.ack.{kind}"


def _channel_messages(namespace: str) -> dict:
    messages = {event: _message(event, schema, SERVER_SUMMARIES[event])
                for event, schema in SERVER_EVENTS[namespace].items()}
    messages["connect_error"] = _message("connect_error", SocketErrorSchema,
                                         "Socket.IO's refusal of the connection: the token is missing, "
                                         "invalid, expired or revoked, or the role may not use the namespace.")
    for event, (incoming, ack) in CLIENT_EVENTS[namespace].items():
        key = f"{event}.request" if event in messages else event
        messages[key] = _message(event, incoming, CLIENT_SUMMARIES[event])
        messages[_ack_key(event, "ok")] = _message(
            event, ack, f"The acknowledgement of `{event}`.", **{"x-acknowledgement-of": event})
        messages[_ack_key(event, "error")] = _message(
            event, SocketErrorSchema, f"The acknowledgement of a refused `{event}` (an `error` event came first).",
            **{"x-acknowledgement-of": event})
    return messages


def _operations(namespace: str) -> dict:
    channel = CHANNELS[namespace]
    operations = {}
    for event in [*SERVER_EVENTS[namespace], "connect_error"]:
        operations[f"{channel}.send.{event}"] = {
            "action": "send", "channel": _ref("channels", channel),
            "summary": SERVER_SUMMARIES.get(event, "The connection was refused."),
            "messages": [_ref("channels", channel, "messages", event)],
        }
    for event in CLIENT_EVENTS[namespace]:
        key = f"{event}.request" if event in SERVER_EVENTS[namespace] else event
        operations[f"{channel}.receive.{event}"] = {
            "action": "receive", "channel": _ref("channels", channel), "summary": CLIENT_SUMMARIES[event],
            "messages": [_ref("channels", channel, "messages", key)],
            "reply": {"channel": _ref("channels", channel), "messages": [
                _ref("channels", channel, "messages", _ack_key(event, "ok")),
                _ref("channels", channel, "messages", _ack_key(event, "error"))]},
        }
    return operations


@cache
def _body(version: str) -> dict:
    channels = {
        CHANNELS[MONITOR_NAMESPACE]: {"address": MONITOR_NAMESPACE, "title": "Quiz monitor",
                                      "description": MONITOR_DESCRIPTION + "\n\n" + ACCESS_ENDED,
                                      "messages": _channel_messages(MONITOR_NAMESPACE)},
        CHANNELS[NOTIFICATIONS_NAMESPACE]: {"address": NOTIFICATIONS_NAMESPACE, "title": "Notifications",
                                            "description": NOTIFICATIONS_DESCRIPTION + "\n\n" + ACCESS_ENDED,
                                            "messages": _channel_messages(NOTIFICATIONS_NAMESPACE)},
    }
    operations = {**_operations(MONITOR_NAMESPACE), **_operations(NOTIFICATIONS_NAMESPACE)}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "Quiz Management System: Socket.IO interface", "version": version,
                 "description": "Socket.IO (protocol v5) at the path `/socket.io/`, one channel per "
                                "namespace. Events mirror what was stored and are delivered at most once; "
                                "answers travel over HTTP."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {"accessToken": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "An access token from `POST /api/auth/login`, sent in the Socket.IO connect "
                               "`auth` payload (`ConnectAuth`: `{\"token\": …}`), never in the query string. "
                               "It gets the checks an HTTP request's token gets.",
                "x-socketio-auth": _ref("components", "schemas", schema_name(ConnectAuthSchema)),
            }},
        },
    }


def asyncapi_document(*, host: str, secure: bool, version: str) -> dict:
    """The document, with the server the caller reached."""
    server = {"host": host, "protocol": "wss" if secure else "ws", "pathname": "/socket.io",
              "description": "This instance (behind nginx, the realtime tier).",
              "security": [_ref("components", "securitySchemes", "accessToken")]}
    return {**_body(version), "servers": {"api": server}}
