"""A named job of one ledger that only one process at a time may run (not the ledger's write lock,
which every writer takes briefly): `quota notify run`, by cron and by every portal worker."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from quota.errors import LedgerError


@contextmanager
def exclusive(place: str | Path, name: str) -> Iterator[bool]:
    """Yields whether this process holds the job `name` of the ledger at `place` (it never
    waits). A killed holder lets go with its process: a file lock, or a PostgreSQL session's
    advisory lock."""
    if isinstance(place, Path):
        lock = place.with_name(f"{place.name}.{name}.lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            raise LedgerError(f"cannot open the lock {lock} ({e.strerror})") from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)
        return
    from quota.store.postgres import Target

    target = Target(place)
    conn = target.connect(application_name=f"quota-{name}")
    try:
        key = f"quota-{name}:{target.schema}"
        row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key]).fetchone()
        yield bool(row and row[0])
    finally:
        conn.close()
