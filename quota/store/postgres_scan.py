"""A PostgreSQL verify on several cores: more sessions that see exactly the verifying session's
snapshot (`pg_export_snapshot`, as pg_dump's workers do), for checks side by side, and every
stored ID set re-hashed in ranges of the table side by side.

The server runs each statement on one backend, so a verify of 100M IDs used one core for the
IDs' text, their sort and their hash. Here lineage is hashed in ranges of blocks (a TID range
scan each), one range at a time on each of two sessions. A set whose rows lie in two ranges gets
a wrong digest in each; every set found more than once is hashed again whole by its export (the
index on export_id), so no digest rests on where the rows happen to lie. Streaming the rows to
Python and hashing them there (as DuckDB's are) took twice as long: the server's numeric-to-text
is most of the cost, and the client then needs a core too.

PostgreSQL 15 sorts each set for its ordered aggregate (16 would not, the rows arriving sorted):
three quarters of a range's time. So a range is first hashed in the order its scan reads the
rows, as an export's COPY stored them, ascending; a set whose digest so read equals the one its
entry recorded is confirmed (equal bytes: the same IDs), and any other is hashed again in order
by its export. A range with many sets unconfirmed (stored out of order, or altered) is hashed
again whole with its sort.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from quota.store.postgres import PgStore

_SNAPSHOT = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
# A range of lineage's blocks hashed in one statement: about 1.3M IDs, whose sort (by export,
# as the rows mostly lie already) stays in memory at _RANGE_MEMORY. Two ranges of half the
# table each took 4.8 times the CPU: their sorts spilled to disk.
_RANGE_BLOCKS = 8192
_RANGE_MEMORY = "256MB"
# Past this many sets the stream could not vouch for, the server hashes every set (its one query
# is then cheaper than that many lookups).
_MANY_DIRTY = 10_000
# Past this many sets of a range unconfirmed in scan order, the range is hashed with its sort: a
# table out of order costs a range twice, never a lookup per set.
_MANY_UNCONFIRMED = 100


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
def siblings(store: PgStore, n: int) -> Iterator[list[PgStore]]:
    snapshot = snapshot_of(store) if n > 0 else None
    if snapshot is None:
        yield []
        return
    with ExitStack() as stack:
        yield [stack.enter_context(store.sibling(snapshot)) for _ in range(n)]


def streamed_digests(store: PgStore, stop: threading.Event, sessions: int = 2) -> pa.Table | None:
    """The digest of every stored set, by ranges of lineage's blocks, each hashed by the server
    in its scan's order and confirmed against the recorded digests
    (lineage_digests_confirmed_in_blocks; with its sort, lineage_digests_in_blocks, where many
    sets of a range are not), on one of `sessions` sessions side by side; as
    quota.store.digests.SCHEMA, `clean` where a digest stands. A set split between two ranges is
    found twice, and a set not confirmed is not clean: `settled` hashes each whole. None where
    no snapshot was shared (`siblings`), when stopped, or when a range's rows do not read as
    quota's (the exact query then hashes every set)."""
    import queue

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from quota.store.chain import LINEAGE_KINDS
    from quota.store.digests import SCHEMA

    snapshot = store.exported  # side_by_side exported it, on the verifying session's thread
    if snapshot is None:
        return None
    # On a session of its own: this runs beside the checks on the verifying session's connection.
    with store.sibling(snapshot) as helper:
        blocks = int(helper.rows("SELECT pg_relation_size('lineage') / current_setting('block_size')::int")[1][0][0])
    todo: queue.Queue[tuple[int, int | None]] = queue.Queue()
    for low in range(0, max(blocks, 1), _RANGE_BLOCKS):
        todo.put((low, low + _RANGE_BLOCKS if low + _RANGE_BLOCKS < blocks else None))
    read = pacsv.ReadOptions(column_names=["export_id", "n", "digest", "clean"])
    convert = pacsv.ConvertOptions(
        column_types={"export_id": pa.string(), "n": pa.uint8(), "digest": pa.string(), "clean": pa.bool_()},
        strings_can_be_null=False, true_values=["t"], false_values=["f"],
    )  # fmt: skip
    kinds = ", ".join(f"({n}, '{k}')" for k, n in LINEAGE_KINDS.items())

    def hashed(helper: PgStore, where: str, confirm: bool) -> pa.Table:
        """The range's digests, `clean` where they stand: confirmed, or hashed in order."""
        if confirm:
            sql = store.sql("lineage_digests_confirmed_in_blocks", blocks=where, kinds=kinds)
        else:
            sql = f"SELECT *, true FROM ({store.sql('lineage_digests_in_blocks', blocks=where)}) d"
        data = bytearray()
        with helper.conn.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for chunk in copy:
                data += chunk
        if not data:  # a range of empty blocks
            return SCHEMA.empty_table()
        return pacsv.read_csv(pa.py_buffer(bytes(data)), read_options=read, convert_options=convert).cast(SCHEMA)

    unreadable = threading.Event()

    def worker() -> list[pa.Table]:
        found = []
        with store.sibling(snapshot) as helper:
            helper.execute(f"SET work_mem = '{_RANGE_MEMORY}'")
            while not stop.is_set():
                try:
                    low, high = todo.get_nowait()
                except queue.Empty:
                    break
                where = f"ctid >= '({low},0)'::tid" + (f" AND ctid < '({high},0)'::tid" if high is not None else "")
                try:
                    table = hashed(helper, where, confirm=True)
                    if table.num_rows - (pc.sum(table["clean"]).as_py() or 0) > _MANY_UNCONFIRMED:
                        table = hashed(helper, where, confirm=False)
                except pa.ArrowInvalid:  # a kind past 255, say: not quota's; the exact query judges it
                    unreadable.set()
                    break
                if table.num_rows:
                    found.append(table)
        return found

    with ThreadPoolExecutor(sessions) as pool:
        parts = [t for tables in pool.map(lambda _: worker(), range(sessions)) for t in tables]
    if stop.is_set() or unreadable.is_set():
        return None
    return pa.concat_tables(parts) if parts else SCHEMA.empty_table()


def settled(store: PgStore, computed: pa.Table) -> pa.Table | None:
    """(export_id, n, digest) of every stored set: the range's where a set was found in one
    range only, the server's exact query for the rest; None if too many need it."""
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
