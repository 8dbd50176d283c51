"""Whole JSON documents, pretty-printed or not: what `curl` or an SDK saves of one response.

- an X API v2 response `{"data": [...], "includes": ..., "meta": ...}`, or a JSON array of them;
- a JSON array of v2 posts or users;
- v1.1 wrappers: search `{"statuses": [...]}`, `{"users": [...]}`, and cursor responses
  `{"ids": [...], "next_cursor": ...}`, whose IDs (numbers or strings) are of the kind --ids
  names: declared, not typed (see ReadResult.declared).

The document is read as text (at most DOC_LIMIT) and walked one element at a time, so that a
problem is named by the line its element starts on and memory holds one element's objects,
not the document's. The fast path (quota.readers.fast) reads the v2 shapes with DuckDB.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

from quota.errors import BadInput, UsageError, flag
from quota.readers import v1, v2
from quota.readers.arrays import elements, text_of
from quota.readers.jsonl import DECODER
from quota.readers.kinds import looks_like
from quota.readers.records import KIND_OF_ROLE, Fatal, Problem, ReadResult, Role, Rows, Sink, Want, add
from quota.readers.source import Source

_WS = " \t\r\n"
# The arrays of a v1.1 wrapper, and what their elements are.
V1_LISTS = ("statuses", "users")
ROLE_OF_KIND = {KIND_OF_ROLE[r]: r for r in (Role.POST, Role.USER, Role.DM)}


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _decode(name: str, text: str, pos: int) -> tuple[Any, int]:
    try:
        return DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as e:
        raise BadInput(name, f"invalid JSON ({e.msg})", e.lineno) from None
    except RecursionError:
        raise BadInput(name, "invalid JSON (nested too deeply)", text.count("\n", 0, pos) + 1) from None


def members(name: str, text: str, start: int) -> Generator[tuple[str, int], int, None]:
    """(key, offset of its value) for each member of the object that opens at `start`. The
    caller reads each value and sends back its end offset."""
    pos = _skip(text, start + 1)
    if pos < len(text) and text[pos] == "}":
        return
    while True:
        key, pos = _decode(name, text, pos)
        if not isinstance(key, str):
            raise BadInput(name, "invalid JSON (an object key is not a string)", text.count("\n", 0, pos) + 1)
        pos = _skip(text, pos)
        if pos >= len(text) or text[pos] != ":":
            raise BadInput(name, "invalid JSON (expected ':')", text.count("\n", 0, pos) + 1)
        end = yield key, _skip(text, pos + 1)
        pos = _skip(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "}":
            rest = _skip(text, pos + 1)
            if rest < len(text):
                raise BadInput(name, "unexpected text after the JSON document", text.count("\n", 0, rest) + 1)
            return
        raise BadInput(
            name, "the JSON document is not closed (the file may be truncated)", text.count("\n", 0, pos) + 1
        )


def _one(obj: Any, want: Want, where: str) -> Rows:
    """An element of a top-level array, or a lone object: a v2 page, a v2 or v1.1 object."""
    if isinstance(obj, dict) and any(k in obj for k in v2.PAGE_KEYS):
        return v2.page(obj, want)
    if isinstance(obj, dict) and "id_str" in obj:
        return v1.post(obj, want, where)
    if isinstance(obj, dict) and ("id" in obj or "event_type" in obj):
        return _v2_element(obj, want, where)
    raise Problem(f"{where} {looks_like(obj)}")


def read(source: Source, want: Want, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    """Every element of the document; BadInput at the first bad one unless `skip_bad`."""
    text = text_of(source)
    result = ReadResult(rows=[], sink=sink)

    def take(line: int, fn: Any, obj: Any, where: str) -> None:
        result.lines += 1
        try:
            result.add(fn(obj, want, where))
        except Problem as p:
            if not skip_bad or isinstance(p, Fatal):
                raise BadInput(source.name, str(p), line) from None
            result.note_bad(line, str(p))

    start = _skip(text, 0)
    if start < len(text) and text[start] == "[":
        for i, (line, obj) in enumerate(elements(source.name, text, start)):
            take(line, _one, obj, f"element {i}")
        return result
    if start >= len(text) or text[start] != "{":
        raise BadInput(source.name, "is not a JSON document (it starts with neither { nor [)")
    walk = members(source.name, text, start)
    keys: list[str] = []
    includes: Any = None
    try:
        key, pos = next(walk)
        while True:
            keys.append(key)
            line = text.count("\n", 0, pos) + 1
            end = [pos]
            if key in ("data", *V1_LISTS, "ids") and text.startswith("[", pos):
                if key == "ids":
                    _one_kind(source.name, want)
                    result.declared = True
                fn = {"data": _v2_element, "ids": _cursor_id}.get(key, _v1_element)
                for i, (n, obj) in enumerate(elements(source.name, text, pos, end)):
                    take(n, fn, obj, f"{key}[{i}]")
            else:
                value, end[0] = _decode(source.name, text, pos)
                if key == "data":
                    take(line, _v2_element, value, "data")  # a lookup of one object
                elif key == "includes":
                    includes = value
            key, pos = walk.send(end[0])
    except StopIteration:
        pass
    if not any(k in keys for k in ("data", *V1_LISTS, "ids")):
        if any(k in keys for k in v2.PAGE_KEYS):
            return result  # a response without data (errors only, or zero results)
        # A lone object, pretty-printed: read as one element.
        take(1, _one, DECODER.decode(text), "the object")
    elif want.referenced and includes is not None:
        try:
            result.add(v2.page({"includes": includes}, want))
        except Problem as p:
            raise BadInput(source.name, str(p)) from None
    return result


def _v2_element(obj: Any, want: Want, where: str) -> Rows:
    rows: Rows = []
    v2.element(obj, want, rows, where)
    return rows


def _v1_element(obj: Any, want: Want, where: str) -> Rows:
    return v1.post(obj, want, where)


def _cursor_id(obj: Any, want: Want, where: str) -> Rows:
    rows: Rows = []
    (kind,) = want.kinds
    add(rows, ROLE_OF_KIND[kind], obj, where)
    return rows


def _one_kind(name: str, want: Want) -> None:
    if len(want.kinds) != 1:
        raise UsageError(
            f"{name} is a v1.1 list of IDs, which holds one kind of ID: "
            + flag("name it with --ids", "ask for exactly one kind of ID")
        )
