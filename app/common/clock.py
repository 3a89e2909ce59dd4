"""The one clock. Everything stores naive UTC; tests move time with `freeze`.

People read times in the school's zone (`SCHOOL_TIMEZONE`): PDFs and spreadsheets
convert with `school_time`; the API speaks UTC.
"""
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    # Milliseconds when there are any (an answer's order within a second matters to
    # clients), whole seconds otherwise: both are ISO 8601 and parse alike.
    return value.isoformat(timespec="milliseconds" if value.microsecond else "seconds") + "Z"


def school_zone() -> ZoneInfo:
    from flask import current_app

    return zone_named(current_app.config["SCHOOL_TIMEZONE"])


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name`; a RuntimeError naming it when it does not exist."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"SCHOOL_TIMEZONE must be an IANA time zone name such as Europe/Paris, "
                           f"not {name!r}") from exc


def school_time(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) time as the school's wall-clock time, zone attached."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).astimezone(school_zone())


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
