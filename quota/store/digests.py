"""The digests of stored ID sets, computed in Python from the IDs' text as the backend streams it.

Verify re-hashes every entry's stored IDs: sha256 of its sorted IDs, one per line. DuckDB's own
sha256 runs at ~140 MB/s a core and its ordered aggregate re-sorts what is stored sorted
already, so at 100M IDs that query took 20 s; hashlib (SHA-NI) over runs of rows, in the order
the table holds them, takes about half of that, most of it DuckDB writing the IDs as text.

A run is a maximal stretch of consecutive rows of one (export_id, kind). It is `clean` when its
IDs rise strictly: then its digest is the entry's, if the entry has no other run. Anything else
(a set stored in two places, out of order, or with a repeated ID) is left to the backend's exact
query; nothing here decides that a set matches on a guess.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

SCHEMA = pa.schema([("export_id", pa.string()), ("n", pa.uint8()), ("digest", pa.string()), ("clean", pa.bool_())])

# Past this many out-of-order rows in one batch, every run of the batch is left to the exact query
# (finding each one's run would cost more than that query).
_MANY_BAD_ROWS = 10_000


@dataclass
class _Open:
    """The run still open at the end of a batch: it may go on in the next one."""

    export_id: str
    kind: int
    last_id: int
    clean: bool
    hasher: hashlib._Hash


def run_digests(batches: Iterable[pa.RecordBatch]) -> pa.Table:
    """Digest of every run in `batches`, whose columns are export_id, kind, id (uint64) and
    line (the ID's decimal text and a newline), in the table's own order."""
    parts: list[pa.Table] = []
    closed: list[tuple[str, int, str, bool]] = []  # runs that ended at a batch's first row
    open_run: _Open | None = None
    sha = hashlib.sha256
    for batch in batches:
        n = batch.num_rows
        if n == 0:
            continue
        ex, kd, ids, line = (batch.column(i) for i in range(4))
        if not pa.types.is_string(line.type):
            line = line.cast(pa.string())
        if line.null_count or ids.null_count or ex.null_count:
            raise ValueError("a lineage row has no export, kind or ID")
        # Where a new run starts (a row whose key differs from the row before it).
        if n > 1:
            changes = pc.or_(
                pc.not_equal(ex.slice(1), ex.slice(0, n - 1)), pc.not_equal(kd.slice(1), kd.slice(0, n - 1))
            )
            starts = [0, *(i + 1 for i in pc.indices_nonzero(changes).to_pylist())]
            falling = pc.and_(pc.invert(changes), pc.less_equal(ids.slice(1), ids.slice(0, n - 1)))
            bad_rows = [i + 1 for i in pc.indices_nonzero(falling).to_pylist()]
        else:
            starts, bad_rows = [0], []
        runs = len(starts)
        many = len(bad_rows) > _MANY_BAD_ROWS
        dirty = set(range(runs)) if many else {bisect_right(starts, r) - 1 for r in bad_rows}
        keys = ex.take(pa.array(starts, pa.int64()))
        kinds = kd.take(pa.array(starts, pa.int64()))
        first_key, first_kind = keys[0].as_py(), int(kinds[0].as_py())

        buffers = line.buffers()
        offsets = memoryview(buffers[1]).cast("i")[line.offset : line.offset + n + 1]  # type: ignore[arg-type]
        data = memoryview(buffers[2])  # type: ignore[arg-type]
        bounds = [offsets[s] for s in starts]
        bounds.append(offsets[n])

        first = 0
        if open_run is not None:
            if (open_run.export_id, open_run.kind) == (first_key, first_kind):
                # The open run goes on into this batch's first run.
                open_run.hasher.update(data[bounds[0] : bounds[1]])
                open_run.clean = open_run.clean and int(ids[0].as_py()) > open_run.last_id and 0 not in dirty
                if runs == 1:
                    open_run.last_id = int(ids[n - 1].as_py())
                    continue
                closed.append((open_run.export_id, open_run.kind, open_run.hasher.hexdigest(), open_run.clean))
                first = 1
            else:
                closed.append((open_run.export_id, open_run.kind, open_run.hasher.hexdigest(), open_run.clean))
        # The last run stays open; the others are whole.
        digests = [sha(data[bounds[i] : bounds[i + 1]]).hexdigest() for i in range(first, runs - 1)]
        if digests:
            whole = slice(first, runs - 1)
            parts.append(
                pa.table(
                    [
                        keys[whole],
                        pc.cast(kinds[whole], pa.uint8()),
                        pa.array(digests, pa.string()),
                        pa.array([i not in dirty for i in range(first, runs - 1)], pa.bool_()),
                    ],
                    schema=SCHEMA,
                )
            )
        last = runs - 1
        open_run = _Open(
            keys[last].as_py(),
            int(kinds[last].as_py()),
            int(ids[n - 1].as_py()),
            last not in dirty,
            sha(data[bounds[last] : bounds[last + 1]]),
        )
    if open_run is not None:
        closed.append((open_run.export_id, open_run.kind, open_run.hasher.hexdigest(), open_run.clean))
    if closed:
        columns = list(zip(*closed, strict=True))
        parts.append(pa.table([pa.array(c, f.type) for c, f in zip(columns, SCHEMA, strict=True)], schema=SCHEMA))
    return pa.concat_tables(parts) if parts else SCHEMA.empty_table()
