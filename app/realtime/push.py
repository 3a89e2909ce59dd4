"""The one module that emits Socket.IO events, and the one place room names are made.

Every payload is dumped through its event's schema (app.realtime.schemas), the one
the AsyncAPI document describes.

Events raised in a web worker go through the app's `socketio` (which publishes on
the Redis message queue when `REDIS_URL` is set, so every instance delivers them).
A CLI command has no Socket.IO server of its own: it emits through a write-only
`SocketIO(message_queue=...)`, or not at all when there is no queue to reach.
"""
import logging

import click
from flask import current_app
from flask_socketio import SocketIO, emit

from app.extensions import socketio
from app.realtime import schemas
from app.realtime.schemas import MONITOR_NAMESPACE, NOTIFICATIONS_NAMESPACE

log = logging.getLogger(__name__)

_write_only: dict = {}
_redis_clients: dict = {}


def room_for(kind: str, entity_id: str) -> str:
    """`quiz_<id>` for the monitors of a quiz, `user_<id>` for one person's sockets."""
    return f"{kind}_{entity_id}"


def quiz_room(quiz_id: str) -> str:
    return room_for("quiz", quiz_id)


def user_room(user_id: str) -> str:
    return room_for("user", user_id)


def message_queue_url() -> str | None:
    config = current_app.config
    return config.get("REDIS_URL") if config.get("SOCKETIO_USE_REDIS", True) else None


def _emitter():
    if click.get_current_context(silent=True) is None:
        return socketio
    url = message_queue_url()
    if url is None:
        return None  # a CLI process without a queue has no client to reach
    if url not in _write_only:
        channel = current_app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
        _write_only[url] = SocketIO(message_queue=url, channel=channel)
    return _write_only[url]


def _emit(event: str, data: dict, room: str, namespace: str) -> None:
    target = _emitter()
    if target is not None:
        target.emit(event, schemas.dump(namespace, event, data), to=room, namespace=namespace)


def to_quiz_monitors(event: str, data: dict, quiz_id: str) -> None:
    _emit(event, data, quiz_room(quiz_id), MONITOR_NAMESPACE)


def to_user(event: str, data: dict, user_id: str) -> None:
    _emit(event, data, user_room(user_id), NOTIFICATIONS_NAMESPACE)


def end_user_sockets(user_id: str, error: dict) -> None:
    """Tell every socket of the user why, then disconnect it: both namespaces, every
    instance (closing a room disconnects its members, app.realtime.manager)."""
    target = _emitter()
    if target is None:
        return
    room = user_room(user_id)
    for namespace in (MONITOR_NAMESPACE, NOTIFICATIONS_NAMESPACE):
        target.emit("error", schemas.dump(namespace, "error", error), to=room, namespace=namespace)
        target.close_room(room, namespace=namespace)


def end_local_socket(sid: str, namespace: str, error: dict) -> None:
    """Tell one socket of this instance why, then disconnect it."""
    socketio.emit("error", schemas.dump(namespace, "error", error), to=sid, namespace=namespace, ignore_queue=True)
    socketio.server.disconnect(sid, namespace=namespace, ignore_queue=True)


def to_local_quiz_monitors(event: str, data: dict, quiz_id: str) -> None:
    """Only this instance's sockets: each instance runs its own timer for its own members."""
    socketio.emit(event, schemas.dump(MONITOR_NAMESPACE, event, data), to=quiz_room(quiz_id),
                  namespace=MONITOR_NAMESPACE, ignore_queue=True)


def claim_room_status(quiz_id: str, interval: float) -> str | None:
    """Who sends this interval's `quiz_status` to the quiz's room: "everyone" (this
    instance won the room's interval and reaches every instance's monitors through the
    queue), "local" (no queue: this instance's own monitors), or None (another instance
    has already sent it to all of them).

    Every instance with members in a room runs the room's timer; without this, N
    instances would run the same status query N times an interval and their monitors
    would each see their own copy. The claim is a Redis key set only if absent, which
    expires a little before the interval ends, so the instance that ticks first keeps
    the room and another takes over within an interval when it stops. If Redis cannot
    be asked, the instance serves its own monitors: a status sent twice is harmless,
    one not sent is not.
    """
    url = message_queue_url()
    if url is None:
        return "local"
    try:
        client = _redis_clients.get(url)
        if client is None:
            import redis
            client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        channel = current_app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
        won = client.set(f"{channel}:quiz-status:{quiz_id}", "1", nx=True, px=max(1, int(interval * 900)))
    except Exception:
        log.warning("could not claim the status of quiz %s; sending it to this instance's monitors", quiz_id,
                    exc_info=True)
        return "local"
    return "everyone" if won else None


def reply(event: str, data: dict, namespace: str) -> None:
    """To the socket whose event is being handled."""
    emit(event, schemas.dump(namespace, event, data), namespace=namespace)


def has_local_members(namespace: str, room: str) -> bool:
    rooms = socketio.server.manager.rooms.get(namespace) or {}
    return bool(rooms.get(room))
