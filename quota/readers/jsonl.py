"""The careful reader for one-JSON-object-per-line files: every line parsed with the
standard library, IDs kept as text, each problem named by line. It is the reference the
fast DuckDB path is tested against, and what runs when that path finds anything odd."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from quota.errors import BadInput
from quota.ids import JSONFloat, JSONInt
from quota.readers.records import Problem, ReadResult, Rows, Sink, Want
from quota.readers.source import Source, bounded_lines

DECODER = json.JSONDecoder(parse_int=JSONInt, parse_float=JSONFloat)

RecordFn = Callable[[Any, Want], Rows]


def parse(text: str) -> Any:
    """One JSON value, with numbers kept as their text (see quota.ids)."""
    try:
        return DECODER.decode(text)
    except json.JSONDecodeError as e:
        raise Problem(f"invalid JSON ({e.msg} at column {e.colno})") from None
    except RecursionError:
        raise Problem("invalid JSON (nested too deeply)") from None


def numbered_lines(source: Source) -> Iterator[tuple[int, str]]:
    """(line number, text) of each non-blank line; damaged gzip or bad UTF-8 is fatal."""
    n = 0
    try:
        with source.open() as f:
            for raw in bounded_lines(f, source.name):
                n += 1
                if not raw.strip():
                    continue
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise BadInput(source.name, f"is not UTF-8 text (byte {e.start + 1} of the line)", n) from None
                yield n, text
    except (EOFError, zlib.error) as e:
        raise BadInput(source.name, f"the gzip data is damaged or truncated after line {n} ({e})") from e
    except OSError as e:  # gzip.BadGzipFile is an OSError
        raise BadInput(source.name, f"cannot be read after line {n} ({e})") from e


def read(source: Source, fn: RecordFn, want: Want, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    result = ReadResult(rows=[], sink=sink)
    for n, text in numbered_lines(source):
        result.lines += 1
        try:
            rows = fn(parse(text), want)
        except Problem as p:
            if not skip_bad:
                raise BadInput(source.name, str(p), n) from None
            result.note_bad(n, str(p))
            continue
        result.add(rows)
    return result
