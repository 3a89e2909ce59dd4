"""The one clock. Everything stores naive UTC; tests move time with `freeze`."""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Current UTC time as a naive datetime (the form stored in the database)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(timezone.utc).replace(tzinfo=None)


def isoformat(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def to_naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def set_frozen(value: datetime | None) -> None:
    global _frozen
    _frozen = value


@contextmanager
def freeze(at: datetime):
    """Freeze the clock at `at` (naive UTC); `advance` moves it on."""
    previous = _frozen
    set_frozen(at)
    try:
        yield FrozenClock()
    finally:
        set_frozen(previous)


class FrozenClock:
    def advance(self, **kwargs) -> datetime:
        set_frozen(utcnow() + timedelta(**kwargs))
        return utcnow()
