"""Rendering query results: a plain table for people, --json and --csv for scripts."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from quota.times import iso

SAFE = 2**53 - 1


def _duration(d: timedelta) -> str:
    """ISO 8601: P3DT4H5M6.5S (negative: -P...)."""
    sign = "-" if d < timedelta(0) else ""
    d = abs(d)
    hours, rest = divmod(d.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    frac = f".{d.microseconds:06d}".rstrip("0") if d.microseconds else ""
    return f"{sign}P{d.days}DT{hours}H{minutes}M{seconds}{frac}S"


def _plain(value: Any) -> Any:
    """A value JSON and CSV can carry, whatever DuckDB returned: times as ISO 8601, decimals
    exact as text, bytes as hex, integers beyond 2^53 as text (JSON readers round them)."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _duration(value)
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
        return {k if isinstance(k, str) else str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def to_json(data: Any) -> str:
    return json.dumps(_plain(data), indent=2, ensure_ascii=False, allow_nan=False)


def _cell(value: Any) -> str:
    """A value as CSV or table text: as JSON writes it for booleans, empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_cell(v) for v in value)
    return str(_plain(value))


def to_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    return out.getvalue()


def to_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str) -> str:
    if fmt == "json":
        return to_json([{c: r.get(c) for c in columns} for r in rows])
    if fmt == "csv":
        return to_csv(rows, columns).rstrip("\n")
    return to_table(rows, columns) if rows else "(none)"
