import pytest

from app import connect_listeners
from app.extensions import socketio
from tests.realtime.helpers import checked


@pytest.fixture
def sockets(app):
    """`sockets(namespace, token=None, auth=None)` → a connected test client, disconnected afterwards.

    Every event it receives and every acknowledgement it gets is checked against the
    AsyncAPI document (tests.realtime.helpers.checked)."""
    clients = []

    def connect(namespace, token=None, auth=None):
        if auth is None and token is not None:
            auth = {"token": token}
        client = checked(socketio.test_client(app, namespace=namespace, auth=auth))
        clients.append((client, namespace))
        return client

    yield connect
    for client, namespace in clients:
        if client.is_connected(namespace):
            client.get_received(namespace)  # what the test did not read is checked too
            client.disconnect(namespace=namespace)


@pytest.fixture(autouse=True)
def _listeners_connected(app):
    """Re-connect the real listeners (idempotent): a test elsewhere may have cleared a signal."""
    connect_listeners()


@pytest.fixture(autouse=True)
def _no_status_tick_mid_test(app, monkeypatch):
    """An in-process test sees the periodic `quiz_status` only when it shortens the
    interval itself: a tick in the middle of another test's exact event list (after
    a slow step on a loaded machine) would fail it by chance."""
    monkeypatch.setitem(app.config, "MONITOR_STATUS_INTERVAL", 600)
