from tests.realtime.conftest import _listeners_connected, sockets  # noqa: F401  (shared socket fixtures)
