"""Helpers for socket tests."""
import time


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
