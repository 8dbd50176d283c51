"""Who received an ID: every export or manual entry that delivered it, from the lineage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quota.errors import UsageError, flag
from quota.ids import Kind, id_problem
from quota.store.chain import LINEAGE_KINDS
from quota.store.session import Session
from quota.store.sqlfiles import marks

COLUMNS = [
    "id",
    "kind",
    "export_id",
    "entity",
    "person",
    "at",
    "basis",
    "declared",
    "state",
    "void_reason",
    "voided_by",
]
_SOURCE = {1: "post_source", 2: "user_source", 3: "dm_source"}


def ids_from(args: Sequence[str], file: str | None, kind: str | None) -> tuple[list[int], bool]:
    """The IDs asked about, and whether their kind is known (a plain ID carries none)."""
    if kind is not None and kind not in LINEAGE_KINDS:
        raise UsageError(f"{flag('--kind takes', 'the kinds of IDs are')} post, user or dm, not {kind!r}")
    out: list[int] = []
    for value in args:
        problem = id_problem(value)
        if problem is not None:
            raise UsageError(f"{problem} (an argument)")
        out.append(int(value))
    typed = kind is not None
    if file is not None:
        from quota import stripping as strip_mod
        from quota.readers.records import Want
        from quota.readers.source import document_file

        if file != "-":
            document_file(Path(file), file)
        want = Kind(kind or "post")
        opts = strip_mod.StripOptions(want=Want(frozenset({want})))
        with strip_mod.strip([file], opts) as stripped:
            if stripped.inputs[0].format != "ids":
                typed = True  # objects say what they are; their own IDs, as --kind (post by default) says
            out.extend(stripped.ids(want))
    if not out:
        raise UsageError(flag("give IDs as arguments or --file FILE", "give IDs, or a file of them"))
    return out, typed


def who_received(ledger: Session, ids: list[int], kind: str | None) -> list[dict[str, Any]]:
    """Every delivery of each ID (committed, open or void entries; not released ones, which were
    never delivered), by ID then time.

    With `kind`, an entry whose IDs of another kind were declared (the operator's word, see
    Stripped.sources) is found too, marked `declared`: the ID may be of the kind asked about.

    Two steps, because a join of the lineage with every export costs a scan of a million
    exports: first the stored IDs (DuckDB skips every row group whose min/max cannot hold
    them; PostgreSQL uses its index), then only the exports they name (by primary key)."""
    ledger.views(upto="exports")
    hits = ledger.lineage_of(sorted(set(ids)))
    wanted = sorted({export_id for _, _, export_id in hits})
    exports: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 1000):
        part = wanted[start : start + 1000]
        for row in ledger.query("receipts_of", part, keys=marks(len(part))):
            exports[row["export_id"]] = row
    names = {n: k for k, n in LINEAGE_KINDS.items()}
    asked = LINEAGE_KINDS[kind] if kind else None
    rows = []
    for i, k, e in hits:
        if e not in exports:
            continue
        declared = exports[e][_SOURCE[k]] == "declared"
        if asked is None or k == asked or declared:
            rows.append({"id": str(i), "kind": names[k], **exports[e], "declared": declared})
    rows.sort(key=lambda r: (int(r["id"]), r["at"], r["export_id"]))
    return [{c: r[c] for c in COLUMNS} for r in rows]
