"""The Socket.IO client manager: here, closing a room disconnects its members.

python-socketio can disconnect a socket only by its id, which only the instance
holding the socket knows, and its `close_room` merely takes the members out of the
room. Closing a room, though, does reach every instance: through the message queue
when there is one. So each instance, when a room is closed, disconnects the members
it holds. `push.end_user_sockets` closes a user's room to end every socket of theirs,
wherever it is connected.

A socket joins its user's room while its connect handler is still running (before
its token's account is read, see namespaces.AuthenticatedNamespace.authenticate), and
python-socketio cannot disconnect a socket that has not finished connecting. Such a
socket is marked when its room closes and disconnected as soon as it is connected.
"""
import socketio


class DisconnectOnClose:
    """Mixed into python-socketio's managers, ahead of them."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closed_while_connecting: set[str] = set()

    def basic_close_room(self, room, namespace):
        # Every way a room is closed, here or on another instance, ends up here.
        for sid, _eio_sid in self.get_participants(namespace, room):
            if self.is_connected(sid, namespace):
                self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
            elif self.is_pre_connected(sid, namespace):
                self.closed_while_connecting.add(sid)
        super().basic_close_room(room, namespace)

    def connect(self, sid, namespace):
        sid = super().connect(sid, namespace)
        if sid in self.closed_while_connecting:
            self.closed_while_connecting.discard(sid)
            self.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        return sid

    def basic_disconnect(self, sid, namespace, **kwargs):
        self.closed_while_connecting.discard(sid)  # a refused connection is not connected later
        return super().basic_disconnect(sid, namespace, **kwargs)


class LocalManager(DisconnectOnClose, socketio.Manager):
    """One instance, no message queue."""


class RedisManager(DisconnectOnClose, socketio.RedisManager):
    """Instances joined by Redis: a closed room reaches all of them."""


def client_manager(message_queue: str | None, channel: str):
    if message_queue is None:
        return LocalManager()
    return RedisManager(message_queue, channel=channel)
