"""Socket.IO namespaces: `/quiz-monitor` (teachers, admins) and `/notifications` (everyone).

A socket's token gets the checks an HTTP request gets (app.auth.tokens); the claims
are kept per socket and re-checked against the database before each action. Pushes
are not re-checked per event, so every socket is in its user's room, and logout,
deactivation, a password change or reset and a role change disconnect all of that
user's sockets on every instance (listeners.on_access_revoked).

A monitor is disconnected when its token expires (`error` TOKEN_EXPIRED first); a
fresh token sent with `join_quiz` before then keeps it. The notifications socket
stays open as long as its token is not revoked.
"""
import logging
import threading
import time
from datetime import datetime

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, Namespace, join_room, leave_room

from app.auth.tokens import access_claims, user_for_claims
from app.common.authz import get_managed_quiz
from app.common.clock import utcnow
from app.common.db import commit
from app.errors import DomainError, Forbidden, Unauthorized, ValidationFailed
from app.extensions import db, socketio
from app.notifications import services as notifications
from app.realtime import push, schemas
from app.realtime.status import quiz_status

log = logging.getLogger(__name__)


def register(socketio) -> None:
    socketio.on_namespace(MonitorNamespace(push.MONITOR_NAMESPACE))
    socketio.on_namespace(NotificationsNamespace(push.NOTIFICATIONS_NAMESPACE))


def _token_from(auth) -> str | None:
    return auth.get("token") if isinstance(auth, dict) else None


def _error_payload(exc: DomainError) -> dict:
    return {"message": exc.message, "error_code": exc.error_code}


_EPOCH = datetime(1970, 1, 1)
TOKEN_EXPIRED = {"message": "The token has expired", "error_code": "TOKEN_EXPIRED"}


def seconds_left(claims: dict) -> float:
    """How long the token is still valid, by the app's clock."""
    return claims.get("exp", 0) - (utcnow() - _EPOCH).total_seconds()


class AuthenticatedNamespace(Namespace):
    """Keeps each socket's token claims; `user()` re-checks them on every action.

    An authenticated socket is in its user's room. With `drops_expired_tokens`, it is
    disconnected when its token expires unless a fresh token came first.
    """

    drops_expired_tokens = False

    def __init__(self, namespace):
        super().__init__(namespace)
        self.claims: dict = {}
        self.expiry_watched: set[str] = set()

    def permit(self, user):
        """The user, when this namespace lets them in; a DomainError otherwise."""
        return user

    def authenticate(self, raw) -> object:
        claims = access_claims(raw)
        sid, held = request.sid, self.claims.get(request.sid)
        # In the user's room before the account is read: a revocation committed after
        # that read still reaches this socket (app.realtime.manager).
        join_room(push.user_room(claims["sub"]))
        try:
            user = self.permit(user_for_claims(claims))
        except DomainError:
            if held is None or held["sub"] != claims["sub"]:
                leave_room(push.user_room(claims["sub"]))
            raise
        if held is not None and held["sub"] != claims["sub"]:
            leave_room(push.user_room(held["sub"]))
        self.claims[sid] = claims
        if self.drops_expired_tokens:
            self.watch_expiry(sid)
        return user

    def watch_expiry(self, sid: str) -> None:
        if sid not in self.expiry_watched:
            self.expiry_watched.add(sid)
            socketio.start_background_task(self._drop_when_expired, sid)

    def _drop_when_expired(self, sid: str) -> None:
        """Sleep until the socket's token expires (a fresh token moves that on), then
        disconnect it; end as soon as the socket has gone."""
        try:
            while (claims := self.claims.get(sid)) is not None:
                left = seconds_left(claims)
                if left <= 0:
                    push.end_local_socket(sid, self.namespace, TOKEN_EXPIRED)
                    return
                socketio.sleep(left)
        finally:
            self.expiry_watched.discard(sid)

    def refuse(self, exc: DomainError):
        db.session.rollback()
        self.claims.pop(request.sid, None)  # a refused socket never disconnects
        raise ConnectionRefusedError(schemas.SocketErrorSchema().dump(_error_payload(exc)))

    def send(self, event: str, data: dict) -> None:
        """To the socket whose event is being handled."""
        push.reply(event, data, self.namespace)

    def ack(self, event: str, data: dict) -> dict:
        return schemas.dump_ack(self.namespace, event, data)

    def user(self, token: str | None = None, *, unexpired: bool = False):
        """The socket's user; `unexpired` also refuses a token that has expired since connect."""
        if token:
            return self.authenticate(token)
        claims = self.claims.get(request.sid)
        if claims is None:
            return self.authenticate(None)
        if unexpired and seconds_left(claims) <= 0:
            raise Unauthorized("The token has expired; send a fresh one", error_code="TOKEN_EXPIRED")
        return self.permit(user_for_claims(claims))

    def fail(self, exc: DomainError) -> dict:
        db.session.rollback()
        payload = _error_payload(exc)
        self.send("error", payload)
        return schemas.dump(self.namespace, "error", payload)  # the acknowledgement

    def on_disconnect(self, reason=None):
        self.claims.pop(request.sid, None)


class MonitorNamespace(AuthenticatedNamespace):
    """Live monitoring of a quiz: one room per quiz, one status timer per room."""

    drops_expired_tokens = True

    def __init__(self, namespace):
        super().__init__(namespace)
        self.timers = RoomTimers()

    def permit(self, user):
        return require_monitor(user)

    def on_connect(self, auth=None):
        token = _token_from(auth)
        if token is None:
            return  # seed 002's client sends its token with join_quiz
        try:
            self.authenticate(token)
        except DomainError as exc:
            self.refuse(exc)

    def on_join_quiz(self, data=None):
        data = data if isinstance(data, dict) else {}
        try:
            quiz_id = _quiz_id(data)
            user = self.user(data.get("token"), unexpired=True)
            quiz = get_managed_quiz(quiz_id, user)
            status = quiz_status(quiz.id)
        except DomainError as exc:
            return self.fail(exc)
        join_room(push.quiz_room(quiz.id))
        self.send("joined", {"quiz_id": quiz.id, "title": quiz.title})
        self.send("quiz_status", status)
        self.timers.ensure(current_app._get_current_object(), quiz.id)
        return self.ack("join_quiz", {"success": True, "quiz_id": quiz.id})

    def on_leave_quiz(self, data=None):
        quiz_id = str((data or {}).get("quiz_id") or "") if isinstance(data, dict) else ""
        leave_room(push.quiz_room(quiz_id))
        self.send("left", {"quiz_id": quiz_id})
        return self.ack("leave_quiz", {"success": True, "quiz_id": quiz_id})

    def on_start_monitoring(self, data=None):
        # Accepted for seed 002's clients: status updates already run while a room has members.
        return self.ack("start_monitoring", {"success": True})


def require_monitor(user):
    if not (user.is_teacher or user.is_admin):
        raise Forbidden("Only teachers and administrators can monitor quizzes")
    return user


def _quiz_id(data: dict) -> str:
    quiz_id = data.get("quiz_id")
    if not isinstance(quiz_id, str) or not quiz_id.strip():
        raise ValidationFailed("quiz_id is required", details={"quiz_id": ["Missing data for required field."]})
    return quiz_id.strip()


class RoomTimers:
    """One background task per monitored quiz, ending when the room empties.

    Rooms opened together (several teachers at the bell, one teacher opening each of
    their classes' quizzes) would otherwise tick together: every interval their status
    queries would reach the worker at the same instant, a burst that the saves queued
    behind it wait out. So each new room starts at its own offset within the interval,
    taken from the golden-ratio sequence (any number of rooms stays roughly evenly
    spread), and keeps to a fixed schedule so that the offsets do not drift together.

    With several instances, each one with members in a room runs that room's timer, and
    at each tick the first of them in the interval computes the status once for the
    monitors of all (send_status).
    """

    GOLDEN_RATIO_FRACTION = 0.6180339887498949

    def __init__(self):
        self.running: set[str] = set()
        self.lock = threading.Lock()
        self.started = 0

    def ensure(self, app, quiz_id: str) -> None:
        with self.lock:
            if quiz_id in self.running:
                return
            self.running.add(quiz_id)
            offset = (0.5 + self.started * self.GOLDEN_RATIO_FRACTION) % 1.0
            self.started += 1
        from app.extensions import socketio
        socketio.start_background_task(self._run, app, quiz_id, offset)

    def _run(self, app, quiz_id: str, offset: float) -> None:
        from app.extensions import socketio
        interval = app.config.get("MONITOR_STATUS_INTERVAL", 5)
        due = time.monotonic() + interval * offset  # the join itself sent a status just now
        while True:
            socketio.sleep(max(0.0, due - time.monotonic()))
            due = next_tick(due, interval, time.monotonic())
            with self.lock:
                if not push.has_local_members(push.MONITOR_NAMESPACE, push.quiz_room(quiz_id)):
                    self.running.discard(quiz_id)
                    return
            try:
                with app.app_context():
                    send_status(quiz_id, interval)
            except Exception:  # a failed tick must not end monitoring of the room
                log.exception("quiz status for %s failed", quiz_id)


def send_status(quiz_id: str, interval: float) -> None:
    """One status per room and interval across all instances (push.claim_room_status)."""
    audience = push.claim_room_status(quiz_id, interval)
    if audience is None:
        return
    send = push.to_quiz_monitors if audience == "everyone" else push.to_local_quiz_monitors
    send("quiz_status", quiz_status(quiz_id), quiz_id)


def next_tick(due: float, interval: float, now: float) -> float:
    """The next time on the room's schedule after `now`: a tick that ran late is not
    followed by a burst of catch-up ticks, and the schedule keeps its offset."""
    due += interval
    if due <= now:
        due += interval * ((now - due) // interval + 1)
    return due


class NotificationsNamespace(AuthenticatedNamespace):
    """Each socket joins its user's room; pushes come from app.notifications."""

    def on_connect(self, auth=None):
        try:
            user = self.authenticate(_token_from(auth))  # which also joins the user's room
        except DomainError as exc:
            self.refuse(exc)
        self.send("unread_count", {"unread_count": notifications.unread_count(user.id)})

    def on_mark_read(self, data=None):
        data = data if isinstance(data, dict) else {}
        try:
            user = self.user()
            notification = notifications.mark_read(str(data.get("notification_id") or ""), actor=user)
            commit()
        except DomainError as exc:
            return self.fail(exc)
        return self.ack("mark_read", {"success": True, "notification_id": notification.id})

    def on_heartbeat(self, data=None):
        payload = {"status": "ok", "server_time": utcnow()}
        self.send("heartbeat", payload)
        return self.ack("heartbeat", payload)
