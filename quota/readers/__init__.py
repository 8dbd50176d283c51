"""Input formats: detection from content, and one reader per format.

Every reader returns (role, ID text) rows for one input and says how many lines it read
and skipped. JSON-lines formats go through the fast DuckDB path first (quota.readers.fast)
and fall back to the careful line reader when that path cannot vouch for the file.
"""

from __future__ import annotations

import csv
import io
import json
import re

from quota.errors import BadInput
from quota.readers.source import Source, bounded_lines

FORMATS = ("v2-pages", "dm-events", "v2-flat", "v1", "v1-array", "archive", "csv", "parquet", "ids")
_DIGITS = re.compile(rb"\s*[0-9]+\s*")


def _first_line(source: Source) -> bytes:
    """The first non-blank line, whole (pages run to megabytes)."""
    try:
        with source.open() as f:
            for line in bounded_lines(f, source.name):
                if line.strip():
                    return line.lstrip(b"\xef\xbb\xbf").strip()
    except (EOFError, OSError) as e:
        raise BadInput(source.name, f"the gzip data is damaged or truncated ({e})") from e
    return b""


def _json_shape(obj: object) -> str | None:
    if not isinstance(obj, dict):
        return None
    if any(k in obj for k in ("data", "includes", "meta", "errors")):
        data = obj.get("data")
        first = data[0] if isinstance(data, list) and data else data
        if isinstance(first, dict) and "event_type" in first:
            return "dm-events"
        return "v2-pages"
    if "id_str" in obj:
        return "v1"
    if "id" in obj or "event_type" in obj:
        return "v2-flat"
    return None


def detect(source: Source, id_column: str | None = None) -> str:
    """The format of `source` from its content; BadInput when it cannot be told."""
    if source.size == 0:
        raise BadInput(source.name, "is empty")
    with open(source.path, "rb") as f:
        if not source.gzip and f.read(4) == b"PAR1":
            return "parquet"
    head = source.head(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if not head:
        raise BadInput(source.name, "holds only blank lines" if not source.gzip else "is empty once decompressed")
    if head.startswith(b"window.YTD."):
        return "archive"
    if head.startswith(b"["):
        return "v1-array"
    if head.startswith(b"{"):
        line = _first_line(source)
        try:
            shape = _json_shape(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise BadInput(
                source.name, "the first line is not valid JSON, so the format cannot be told (use --format)", 1
            ) from None
        if shape is None:
            raise BadInput(source.name, "is JSON of an unknown shape (use --format to say what it is)", 1)
        return shape
    first = _first_line(source)
    if _DIGITS.fullmatch(first):
        return "ids"
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        header = []
    if len(header) > 1 or header == ["id"] or (id_column is not None and id_column in header):
        return "csv"
    if source.name.removesuffix(".gz").endswith(".txt"):
        return "ids"  # an ID list whose first line is bad: the reader names the line
    raise BadInput(source.name, "is in an unknown format (use --format: " + ", ".join(FORMATS) + ")")
