"""Who received an ID: every export or manual entry that delivered it, from the lineage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quota.errors import UsageError
from quota.ids import Kind, id_problem
from quota.ledger import LINEAGE_KINDS, Ledger

COLUMNS = ["id", "kind", "export_id", "entity", "person", "at", "basis"]


def ids_from(args: Sequence[str], file: str | None, kind: str | None) -> tuple[list[int], bool]:
    """The IDs asked about, and whether their kind is known (a plain ID carries none)."""
    if kind is not None and kind not in LINEAGE_KINDS:
        raise UsageError(f"--kind takes post, user or dm, not {kind!r}")
    out: list[int] = []
    for value in args:
        problem = id_problem(value)
        if problem is not None:
            raise UsageError(f"{problem} (an argument)")
        out.append(int(value))
    typed = kind is not None
    if file is not None:
        from quota import strip as strip_mod
        from quota.readers import detect
        from quota.readers.records import Want
        from quota.readers.source import Source

        source = Source.open_path(file)
        try:
            fmt = detect(source)
        finally:
            source.close()
        if fmt != "ids":
            typed = True  # objects say what they are; their own IDs, as --kind (post by default) says
        want = Kind(kind or "post")
        opts = strip_mod.StripOptions(want=Want(frozenset({want})), fmt=fmt)
        with strip_mod.strip([file], opts) as stripped:
            table, _ = stripped.unique(want)
            out.extend(int(i) for (i,) in stripped.con.execute(f"SELECT id FROM {table}").fetchall())
    if not out:
        raise UsageError("give IDs as arguments or --file FILE")
    return out, typed


def who_received(ledger: Ledger, ids: list[int], kind: str | None) -> list[dict[str, Any]]:
    """Every delivery of each ID (committed or open exports, not released or void), by ID then time."""
    import pyarrow as pa

    ledger.views()
    kinds = "CASE l.kind WHEN 1 THEN 'post' WHEN 2 THEN 'user' ELSE 'dm' END"
    where_kind = f"AND l.kind = {LINEAGE_KINDS[kind]}" if kind else ""
    select = f"""SELECT l.id::VARCHAR AS id, {kinds} AS kind, e.export_id, e.entity, e.person, e."at", e.basis
                 FROM lineage l JOIN exports e USING (export_id)"""
    tail = """AND e.state IN ('committed', 'open') ORDER BY l.id, e."at", e.export_id"""
    unique = sorted(set(ids))
    if len(unique) == 1:
        # A constant lets DuckDB skip every row group whose min/max cannot hold the ID.
        return ledger.query(f"{select} WHERE l.id = ?::UBIGINT {where_kind} {tail}", [str(unique[0])])
    con = ledger.con
    con.register("asked_ids", pa.table({"id": pa.array(unique, pa.uint64())}))
    try:
        return ledger.query(f"{select} WHERE l.id IN (SELECT id FROM asked_ids) {where_kind} {tail}")
    finally:
        con.unregister("asked_ids")
