"""Datasets: the collections the data team holds, from which researchers ask for ID sets.

A dataset is registered by path, never copied: its inputs (any files `strip` reads) are read once
to count their unique Post and User IDs and hash each file, and the dataset's event records
those figures with a title, description, collection method, period and citation. What a
researcher later receives names the inputs by file name and sha256 only, never by path.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import UsageError
from quota.ids import Kind
from quota.names import unknown
from quota.store.session import Session, check_name
from quota.times import iso

if TYPE_CHECKING:
    from quota.stripping import Progress
from quota.readers.records import Want

COLUMNS = ["name", "title", "post_ids", "user_ids", "inputs", "period_from", "period_until", "collected_with"]


@dataclass(frozen=True)
class Collection:
    """What reading a dataset's inputs found: per input its path, name, sha256, size and
    format, and the unique Post and User IDs of all of them together."""

    inputs: list[dict[str, Any]]
    post_ids: int
    user_ids: int


def read(inputs: Sequence[str], progress: Progress | None = None) -> Collection:
    """Read and count the inputs (BadInput on a bad line, as `strip` would)."""
    from quota.stripping import StripOptions, strip

    if "-" in inputs:
        raise UsageError("a dataset is registered by path and read again later: standard input (-) cannot be one")
    paths = [str(Path(p).absolute()) for p in inputs]
    if len(set(paths)) != len(paths):
        raise UsageError("an input is named twice")
    # A plain ID list holds Post IDs (as a dataset of posts, its researchers ask for posts); its
    # User IDs, none, so the users are counted over the other inputs.
    typed = [p for p in paths if _format(p) != "ids"]
    both = Want(frozenset({Kind.POST, Kind.USER}))
    opts = StripOptions(want=both if len(typed) == len(paths) else Want(frozenset({Kind.POST})))
    with strip(paths, opts, progress) as s:
        posts, users = s.unique(Kind.POST)[1], s.unique(Kind.USER)[1] if Kind.USER in s.want.kinds else 0
        files = [
            {"path": r.path, "file": os.path.basename(r.path), "sha256": r.sha256, "bytes": r.bytes, "format": r.format}
            for r in s.inputs
        ]
    if typed and len(typed) != len(paths):
        with strip(typed, StripOptions(want=both)) as s:
            users = s.unique(Kind.USER)[1]
    return Collection(files, posts, users)


def _format(path: str) -> str:
    from quota.readers import detect
    from quota.readers.source import Source

    source = Source.open_path(path)
    try:
        return detect(source)
    finally:
        source.close()


def add(
    ledger: Session,
    name: str,
    collection: Collection,
    title: str,
    description: str,
    collected_with: str | None = None,
    start: datetime | None = None,
    until: datetime | None = None,
    citation: str | None = None,
) -> int:
    check_name("dataset", name)
    if not title.strip() or not description.strip():
        raise UsageError("a dataset needs a title and a description: they tell its researchers what it is")
    if start is not None and until is not None and until <= start:
        raise UsageError("the dataset's period must end (until) after it starts (from)")
    if find(ledger, name) is not None:
        raise UsageError(f"dataset {name!r} is already registered")
    body: dict[str, Any] = {
        "name": name,
        "title": title.strip(),
        "description": description.strip(),
        "collected_with": collected_with.strip() if collected_with and collected_with.strip() else None,
        "from": iso(start) if start else None,
        "until": iso(until) if until else None,
        "citation": citation.strip() if citation and citation.strip() else None,
        "inputs": collection.inputs,
        "post_ids": collection.post_ids,
        "user_ids": collection.user_ids,
    }
    return ledger.append("dataset", body)


def find(ledger: Session, name: str) -> dict[str, Any] | None:
    rows = ledger.query("dataset_named", [name])
    if not rows:
        return None
    row = rows[0]
    row["inputs"] = json.loads(row["inputs"])
    return row


def show(ledger: Session, name: str) -> dict[str, Any]:
    """One dataset with its inputs, as registered (event seq and time included)."""
    row = find(ledger, name)
    if row is None:
        raise unknown(ledger, "dataset", name)
    recorded = ledger.query("event_recorded_at", [row["seq"]])[0]["recorded_at"]
    return {**row, "registered_at": recorded}


def listing(ledger: Session) -> list[dict[str, Any]]:
    rows = ledger.query("datasets_by_name")
    for r in rows:
        r["inputs"] = len(json.loads(r["inputs"]))
    return rows
