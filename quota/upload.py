"""The compliance loop with X: the upload file X's batch compliance jobs take.

Every distinct Post (or User) ID delivered in a period (ID exports, imports with their IDs, manual
hand-overs; open and void deliveries too, whose IDs may have been handed over; not released
ones), one per line, ascending, no header. The team runs `twarc2 compliance-job create` on it and
records the result with `quota notice add --job`.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path

from quota.errors import DiskError, UsageError
from quota.store.session import Session
from quota.times import EARLIEST, utc_naive

KINDS = {"post": 1, "user": 2}


def write(ledger: Session, kind: str, since: datetime | None, out: Path) -> int:
    """Write the upload file to `out` (whole, or not at all); returns how many IDs it holds."""
    import pyarrow as pa

    if kind not in KINDS:
        raise UsageError(f"X's compliance jobs take Post or User IDs: the kind is post or user, not {kind!r}")
    start = utc_naive(since) if since is not None else utc_naive(EARLIEST)
    stamp = f"TIMESTAMP '{start.isoformat(sep=' ')}'"
    sql = ledger.store.sql("upload_ids", kind=KINDS[kind], since=stamp)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    n = 0
    try:
        with open(tmp, "w", encoding="ascii") as f:
            for batch in ledger.store.batches(sql, pa.schema([("id", pa.string())])):
                ids = batch.column("id").to_pylist()
                if ids:
                    f.write("\n".join(ids) + "\n")
                    n += len(ids)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, FileNotFoundError | NotADirectoryError | PermissionError | IsADirectoryError):
            raise UsageError(f"cannot write the upload file {out} ({e.strerror})") from None
        raise DiskError(f"cannot write the upload file {out} ({e.strerror})") from None
    return n
