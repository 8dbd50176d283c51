"""A PostgreSQL verify on several cores: more sessions that see exactly the verifying session's
snapshot (`pg_export_snapshot`, as pg_dump's workers do), and every stored ID set re-hashed as the
server streams lineage to them.

The server runs each statement on one backend, so a verify of 100M IDs used one core for the
IDs' text, their sort and their hash. Here the table is read in two halves by block range (a
TID range scan each, in the table's own order), each half streamed as CSV by COPY into Arrow and
hashed by quota.store.digests, exactly as DuckDB's rows are: a set is taken from the stream only
where it is one clean run of rising IDs; any other (a set stored in two places, split between the
halves, out of order, or with an ID CSV cannot carry) is hashed by the server's exact query.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import psycopg
from psycopg import sql as pgsql

if TYPE_CHECKING:
    import pyarrow as pa

    from quota.store.postgres import PgStore

_SNAPSHOT = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
# Past this many sets the stream could not vouch for, the server hashes every set (its one query
# is then cheaper than that many lookups).
_MANY_DIRTY = 10_000
_CHUNK = 1 << 23  # bytes of CSV parsed at a time


def snapshot_of(store: PgStore) -> str | None:
    """The reading session's snapshot, exported for others to share; None for a writer (its
    rows before it commits, no other session sees)."""
    if not store._in_txn:
        return None
    if store.exported is None:
        found = str(store.rows("SELECT pg_export_snapshot()")[1][0][0])
        if not _SNAPSHOT.fullmatch(found):
            return None
        store.exported = found
    return store.exported


@contextmanager
def sibling(store: PgStore, snapshot: str) -> Iterator[PgStore]:
    """A read-only session of the same ledger that sees exactly `snapshot`, tuned as verify's
    own (nested loops off, no JIT, room to hash in memory)."""
    from quota.store.postgres import PgStore, register_loaders

    conn = store.target.connect(application_name="quota-verify", cursor_factory=psycopg.RawCursor)
    try:
        register_loaders(conn)
        helper = PgStore(store.target, conn, False, store.say)
        helper.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        helper.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        helper._in_txn = True
        schema = pgsql.Identifier(store.target.schema).as_string(conn)
        for setting in (
            "SET TIME ZONE 'UTC'", "SET jit = off", "SET enable_nestloop = off", "SET work_mem = '64MB'",
            f"SET search_path TO {schema}",
        ):  # fmt: skip
            helper.execute(setting)
        yield helper
    finally:
        conn.close()


@contextmanager
def siblings(store: PgStore, n: int) -> Iterator[list[PgStore]]:
    snapshot = snapshot_of(store) if n > 0 else None
    if snapshot is None:
        yield []
        return
    with ExitStack() as stack:
        yield [stack.enter_context(sibling(store, snapshot)) for _ in range(n)]


def streamed_digests(store: PgStore, stop: threading.Event, parts: int = 2) -> pa.Table | None:
    """Digest of every run of lineage (quota.store.digests.SCHEMA), read in `parts` block ranges
    side by side; None when the stream cannot be read as IDs (the exact query then does it all)."""
    import pyarrow as pa

    snapshot = snapshot_of(store)
    if snapshot is None:
        return None
    blocks = int(store.rows("SELECT pg_relation_size('lineage') / current_setting('block_size')::int")[1][0][0])
    step = -(-blocks // parts) if blocks else 1
    ranges = [(k * step, (k + 1) * step if k < parts - 1 else None) for k in range(parts)]

    def one(bounds: tuple[int, int | None]) -> pa.Table | None:
        with sibling(store, snapshot) as helper:
            return _range_digests(helper, *bounds, stop)

    with ThreadPoolExecutor(parts) as pool:
        found = list(pool.map(one, ranges))
    if any(t is None for t in found):
        return None
    return pa.concat_tables([t for t in found if t is not None])


def server_digests(store: PgStore, stop: threading.Event, parts: int = 2) -> pa.Table | None:
    """streamed_digests, hashed by the server: each range's sets by lineage_digests_in_blocks
    on a session of its own (a set split between ranges is found twice: `settled` hashes it whole)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from quota.store.digests import SCHEMA

    snapshot = snapshot_of(store)
    if snapshot is None:
        return None
    blocks = int(store.rows("SELECT pg_relation_size('lineage') / current_setting('block_size')::int")[1][0][0])
    step = -(-blocks // parts) if blocks else 1
    ranges = [(k * step, (k + 1) * step if k < parts - 1 else None) for k in range(parts)]

    def one(bounds: tuple[int, int | None]) -> pa.Table:
        low, high = bounds
        where = f"ctid >= '({low},0)'::tid" + (f" AND ctid < '({high},0)'::tid" if high is not None else "")
        statement = f"COPY ({helper_sql(store, where)}) TO STDOUT (FORMAT csv)"
        data = bytearray()
        with sibling(store, snapshot) as helper, helper.conn.cursor() as cur, cur.copy(statement) as copy:
            for chunk in copy:
                if stop.is_set():
                    break
                data += chunk
        read = pacsv.ReadOptions(column_names=["export_id", "n", "digest"])
        convert = pacsv.ConvertOptions(
            column_types={"export_id": pa.string(), "n": pa.uint8(), "digest": pa.string()}, strings_can_be_null=False
        )
        table = pacsv.read_csv(pa.py_buffer(bytes(data)), read_options=read, convert_options=convert)
        return table.append_column("clean", pa.array([True] * table.num_rows, pa.bool_())).cast(SCHEMA)

    with ThreadPoolExecutor(parts) as pool:
        return pa.concat_tables(list(pool.map(one, ranges)))


def helper_sql(store: PgStore, where: str) -> str:
    return store.sql("lineage_digests_in_blocks", blocks=where)


def _range_digests(helper: PgStore, low: int, high: int | None, stop: threading.Event) -> pa.Table | None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from quota.store.digests import run_digests

    where = f"ctid >= '({low},0)'::tid" + (f" AND ctid < '({high},0)'::tid" if high is not None else "")
    statement = f"COPY (SELECT export_id, kind, id FROM lineage WHERE {where}) TO STDOUT (FORMAT csv)"
    read = pacsv.ReadOptions(column_names=["export_id", "kind", "id"])
    convert = pacsv.ConvertOptions(
        column_types={"export_id": pa.string(), "kind": pa.uint8(), "id": pa.uint64()}, strings_can_be_null=False
    )

    def parse(data: bytes) -> Iterator[pa.RecordBatch]:
        yield from pacsv.read_csv(pa.py_buffer(data), read_options=read, convert_options=convert).to_batches()

    def batches() -> Iterator[pa.RecordBatch]:
        pending = bytearray()
        with helper.conn.cursor() as cur, cur.copy(statement) as copy:
            for chunk in copy:
                if stop.is_set():
                    return
                pending += chunk
                if len(pending) >= _CHUNK:
                    # Whole lines only (a quoted newline is not quota's: the parse then fails).
                    cut = pending.rfind(b"\n") + 1
                    yield from parse(bytes(pending[:cut]))
                    del pending[:cut]
        if pending:
            yield from parse(bytes(pending))

    try:
        return run_digests(batches())
    except (pa.ArrowInvalid, ValueError):
        return None


def settled(store: PgStore, computed: pa.Table) -> pa.Table | None:
    """(export_id, n, digest) of every stored set: the stream's where a set was one clean run,
    the server's exact query for the rest; None if too many need it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    grouped = computed.group_by(["export_id", "n"]).aggregate([("clean", "all"), ("digest", "count")])
    dirty = grouped.filter(pc.or_(pc.greater(grouped["digest_count"], 1), pc.invert(grouped["clean_all"])))
    if dirty.num_rows > _MANY_DIRTY:
        return None
    keys = dirty.select(["export_id", "n"])
    clean = computed.join(keys, keys=["export_id", "n"], join_type="left anti").select(["export_id", "n", "digest"])
    if not keys.num_rows:
        return clean
    wanted = {(str(e), int(n)) for e, n in zip(keys["export_id"].to_pylist(), keys["n"].to_pylist(), strict=True)}
    rows = store.rows(store.sql("lineage_digests_of"), [sorted({e for e, _ in wanted})])[1]
    exact = [(str(e), int(n), str(d)) for e, n, d in rows if (str(e), int(n)) in wanted]
    schema = clean.schema
    columns = list(zip(*exact, strict=True)) if exact else [(), (), ()]
    extra = pa.table([pa.array(c, f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)
    return pa.concat_tables([clean, extra])
