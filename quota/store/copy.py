"""`quota ledger copy`: a whole ledger into a new one of either backend, verified.

Only a source that verifies is copied. The copy keeps the source's ledger id and every event exactly (sequence, time, kind, body,
hashes), so it extends the same chain: a checkpoint of the source verifies against the copy.
Its state tables are rebuilt from the events by the target's own replay queries, and its
lineage and notice IDs are copied row for row; then the target is verified in full before
the transaction that filled it commits. A copy that fails leaves nothing behind.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from quota.errors import LedgerError, UsageError
from quota.store import Rows, open_store, resolve
from quota.store.base import Store
from quota.store.chain import STATE_TABLES
from quota.store.verify import VerifyReport, verify


@dataclass
class CopyReport:
    ledger_id: str
    events: int
    lineage: int
    notice_ids: int
    target: str
    verified: VerifyReport


def _schemas() -> dict[str, object]:
    import pyarrow as pa

    text = pa.string()
    return {
        "events": pa.schema([("seq", pa.int64()), ("recorded_at", text), ("kind", text), ("body", text),
                             ("prev_hash", text), ("hash", text)]),
        "lineage": pa.schema([("export_id", text), ("kind", pa.uint8()), ("id", pa.uint64())]),
        "deletion_notice_ids": pa.schema([("notice_id", text), ("kind", pa.uint8()), ("id", pa.uint64()),
                                          ("action", text), ("reason", text), ("created_at", text),
                                          ("redacted_at", text)]),
    }  # fmt: skip


def _new_target(target: str | Path) -> None:
    """A copy makes its target: a file that does not exist, or a schema that does not."""
    if isinstance(target, Path):
        if target.exists():
            raise UsageError(f"{target} already exists: a ledger is copied to a new file only")
        return
    from quota.store.postgres import schema_in_use

    if schema_in_use(target):
        raise UsageError(f"{target_name(target)} already exists: a ledger is copied to a new schema only")


def target_name(target: str | Path) -> str:
    if isinstance(target, Path):
        return str(target)
    from quota.store.postgres import Target

    return Target(target).where


def copy_ledger(
    source: Store,
    profile: str,
    to: str | Path,
    wait: float,
    say: Callable[[str], None],
    publish: Callable[[Store], None] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CopyReport:
    """Copy the ledger open in `source` (read-only) to the new ledger `to`; `profile`: the
    source's profile in force (the copy's is the same: its events are); `publish`: makes the
    copy's documented views, where its backend keeps them; `progress(step, done, total)`: told
    as each batch goes over (a terminal shows it)."""
    tell = progress or (lambda step, done, total: None)
    target = resolve(to)
    _new_target(target)
    # Only a ledger that verifies is copied: the copy's tables are rebuilt from the events, so
    # a changed table of the source would vanish from sight in it.
    tell("verifying the source", 0, 1)
    checked = verify(source, profile, full=True)
    if not checked.ok:
        raise LedgerError(f"the ledger {source.where} does not verify, so it was not copied: {checked.problem}")
    ledger_id = source.ledger_id()
    count, _ = source.head()
    made = False
    try:
        with open_store(target, write=True, wait=wait, create=True, say=say) as store:
            if store.initialised():  # made by another process since the look above
                raise UsageError(f"{store.where} is a ledger already: copy to a new, empty place")
            made = True
            created = source.rows("SELECT created_at FROM ledger_meta")[1][0][0]
            schemas = _schemas()
            sizes = {"lineage": 0, "deletion_notice_ids": 0}
            # One transaction makes and fills the copy: killed at any moment, it leaves no ledger.
            with store.transaction():
                store.migrate(ledger_id=ledger_id, created_at=created)
                done = 0
                for batch in source.batches("SELECT * FROM events ORDER BY seq", schemas["events"]):
                    store.load(Rows("events", batch))
                    done += batch.num_rows
                    tell("events", done, count)
                for table in STATE_TABLES:
                    store.execute(f"INSERT INTO {table} {store.sql(table)}")
                for table in ("lineage", "deletion_notice_ids"):
                    total = int(source.rows(f"SELECT count(*) FROM {table}")[1][0][0])
                    for batch in source.batches(f"SELECT * FROM {table}", schemas[table]):
                        store.load(Rows(table, batch))
                        sizes[table] += batch.num_rows
                        tell(table, sizes[table], total)
                store.analyze()
                tell("verifying the copy", 0, 1)
                report = verify(store, profile, full=True)
                if not report.ok:
                    raise LedgerError(f"the copy does not verify, so nothing was kept: {report.problem}")
                if report.events != count:
                    raise LedgerError(f"the copy holds {report.events} events, the source {count}: nothing was kept")
            if publish is not None:
                publish(store)
            where = store.where
    except BaseException:
        if made:
            _remove(target)
        raise
    return CopyReport(ledger_id, count, sizes["lineage"], sizes["deletion_notice_ids"], where, report)


def _remove(target: str | Path) -> None:
    """Undo a copy that failed: the file (and its lock and WAL), or the schema quota made."""
    if isinstance(target, Path):
        for p in (target, target.with_name(target.name + ".wal"), target.with_name(target.name + ".lock")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        return
    from quota.store.postgres import drop_schema

    drop_schema(target)
