"""Quota's values as JSON text: times ISO 8601 in UTC, exact decimals and large integers as
text, durations ISO 8601. The CLI's --json, the report's JSON and the API share it."""

from __future__ import annotations

import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from quota.times import iso

SAFE = 2**53 - 1


def duration(d: timedelta) -> str:
    """ISO 8601: P3DT4H5M6.5S (negative: -P...)."""
    sign = "-" if d < timedelta(0) else ""
    d = abs(d)
    hours, rest = divmod(d.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    frac = f".{d.microseconds:06d}".rstrip("0") if d.microseconds else ""
    return f"{sign}P{d.days}DT{hours}H{minutes}M{seconds}{frac}S"


def plain(value: Any) -> Any:
    """A value JSON and CSV can carry, whatever DuckDB returned: times as ISO 8601, decimals
    exact as text, bytes as hex, integers beyond 2^53 as text (JSON readers round them)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration(value)
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if -SAFE <= value <= SAFE else str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(plain(data), indent=2, ensure_ascii=False, allow_nan=False)
