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

from quota.errors import BadInput, flag
from quota.readers.kinds import v1_is_dm
from quota.readers.source import Source, bounded_lines

FORMATS = (
    "v2-pages", "dm-events", "v2-flat", "v1", "v1-array", "archive", "csv", "parquet", "ids",
    "v2-document", "v2-array", "v1-document", "v1-dms", "v1-dm-array", "archive-zip",
)  # fmt: skip
ZIP_MAGIC = b"PK\x03\x04"
# Whole-file JSON documents (quota.readers.documents), and the keys that open them.
DOCUMENTS = ("v2-document", "v2-array", "v1-document")
V1_WRAPPER_KEYS = ("statuses", "users", "ids", "search_metadata", "next_cursor", "next_cursor_str", "previous_cursor")
_FIRST_KEY = re.compile(rb'\{\s*"([A-Za-z_]{1,40})"')
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
    if any(isinstance(obj.get(k), list) for k in ("statuses", "users", "ids")):
        return "v1-document"
    if v1_is_dm(obj):  # its `id` is a message's, not a post's
        return "v1-dms"
    if "id_str" in obj:
        return "v1"
    if "id" in obj or "event_type" in obj:
        return "v2-flat"
    return None


def _document_shape(head: bytes) -> str | None:
    """A pretty-printed document, told by its first key; None when the head looks like JSON
    lines instead (the next line opens another object: a bad first line, not a document)."""
    lines = [x for x in head.split(b"\n") if x.strip()]
    if len(lines) > 1 and lines[1].lstrip().startswith(b"{") and not lines[1][:1].isspace():
        return None
    key = _FIRST_KEY.match(head)
    if key is None:
        return "v2-document" if head.rstrip() == b"{" or len(lines) > 1 else None
    name = key.group(1).decode()
    return "v1-document" if name in V1_WRAPPER_KEYS or name == "id_str" else "v2-document"


def _array_shape(source: Source) -> str:
    """A JSON array, told by its first element: v2 responses, v2 objects, or v1.1 objects."""
    for n in (1 << 16, 1 << 20, 1 << 24):
        raw = source.head(n)
        # A multi-byte character cut at the end is dropped: the element before it is whole.
        text = raw.lstrip(b"\xef\xbb\xbf").decode("utf-8", errors="ignore")
        start = len(text) - len(text.lstrip()) + 1  # just after the [
        start += len(text[start:]) - len(text[start:].lstrip())
        try:
            first, _ = json.JSONDecoder().raw_decode(text, start)
        except (json.JSONDecodeError, RecursionError):
            if len(raw) < n:  # the whole file was read: the careful reader names the problem
                break
            continue
        if isinstance(first, dict) and any(k in first for k in ("data", "includes", "meta", "errors")):
            return "v2-document"
        if isinstance(first, dict) and v1_is_dm(first):
            return "v1-dm-array"
        if isinstance(first, dict) and "id_str" not in first and ("id" in first or "event_type" in first):
            return "v2-array"
        if isinstance(first, dict) and "id_str" in first:
            return "v1-array"
        break
    # Not told (a first element past 16 MB, or of no known shape): the document reader takes
    # each element for what it is, and names the first it cannot.
    return "v2-document"


def detect(source: Source, id_column: str | None = None) -> str:
    """The format of `source` from its content; BadInput when it cannot be told."""
    if source.size == 0:
        raise BadInput(source.name, "is empty")
    with open(source.path, "rb") as f:
        magic = f.read(4)
        if not source.gzip and magic == b"PAR1":
            return "parquet"
        if not source.gzip and magic == ZIP_MAGIC:
            return "archive-zip"  # X's account archive as X sends it (quota.readers.arrays)
    head = source.head(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    if not head:
        raise BadInput(source.name, "holds only blank lines" if not source.gzip else "is empty once decompressed")
    if head.startswith(b"window.YTD."):
        return "archive"
    if head.startswith(b"["):
        return _array_shape(source)
    if head.startswith(b"{"):
        line = _first_line(source)
        try:
            shape = _json_shape(json.loads(line))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            document = _document_shape(head)
            if document is None:
                raise BadInput(
                    source.name, "the first line is not valid JSON, so the format cannot be told (use --format)", 1
                ) from None
            return document
        if shape is None:
            raise BadInput(
                source.name,
                f"is JSON of an unknown shape ({flag('use --format', 'name its format')} to say what it is)",
                1,
            )
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
    raise BadInput(
        source.name, f"is in an unknown format ({flag('use --format', 'name its format')}: {', '.join(FORMATS)})"
    )
