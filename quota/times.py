"""Times as the ledger holds them: UTC instants, ISO 8601 text, and the range a time may take.

X began in 2006, so no distribution, acceptance or notice can be older; and the window
arithmetic adds and subtracts days, which must never leave Python's or DuckDB's calendar.
A time outside the range is a mistake the user made, not something to store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EARLIEST = datetime(2006, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


# How far two clocks may disagree: a time this close to now is "now", and a ledger clock this
# far behind its last event is a clock that stepped back, not one set back on purpose.
CLOCK_SLACK = timedelta(minutes=5)


class TimeProblem(ValueError):
    """Why a text or time is not a usable instant: one short sentence."""


def iso(t: datetime) -> str:
    """ISO 8601 in UTC with microseconds; a naive time (as DuckDB returns them) is UTC."""
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    # Not strftime('%Y'): it drops the leading zeros of years before 1000 on Linux.
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}Z"


def utc_naive(t: datetime) -> datetime:
    """What the ledger's TIMESTAMP columns hold: UTC without an offset."""
    return t.astimezone(UTC).replace(tzinfo=None) if t.tzinfo else t


def in_range(t: datetime) -> datetime:
    """`t` in UTC, or TimeProblem when it lies outside the years a ledger time may take."""
    t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if not EARLIEST <= t < LATEST:
        raise TimeProblem(
            f"{iso(t)} is outside the times quota records ({EARLIEST.year} to {LATEST.year - 1}; X began in 2006)"
        )
    return t


def parse_iso(text: str) -> datetime:
    """ISO 8601 text as a UTC instant; a time without an offset is UTC. TimeProblem otherwise."""
    value = text.strip()
    try:
        t = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value)
    except (ValueError, OverflowError):
        raise TimeProblem(f"{text[:60]!r} is not an ISO 8601 time such as 2026-11-22T10:00:00Z") from None
    try:
        return in_range(t)
    except OverflowError:  # an offset that moves year 1 or 9999 off the calendar
        raise TimeProblem(f"{text[:60]!r} is outside the times quota records") from None


def not_future(t: datetime, what: str, now: datetime) -> None:
    """A time stated for the past or now may be recorded; one in the future may not (a few
    minutes of clock skew aside)."""
    from quota.errors import UsageError

    if t > now + CLOCK_SLACK:
        raise UsageError(f"{what} {iso(t)} is more than 5 minutes in the future")
