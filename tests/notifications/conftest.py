from tests.realtime.conftest import sockets  # noqa: F401  (socket test clients, disconnected afterwards)
