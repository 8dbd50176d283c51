"""Where a ledger is kept. `open_store` picks the backend from the target:

- a path (or nothing: $QUOTA_DB, else the per-user default file) selects the embedded DuckDB
  ledger (`quota.store.duckdb`);
- `postgresql://USER@HOST[:PORT]/DBNAME` selects the shared PostgreSQL ledger
  (`quota.store.postgres`, the `quota[postgres]` extra).

Both keep the same chain, events, state tables, lineage and views (sql/<dialect>/), so every
command works unchanged on both. Only this package imports a database driver for the ledger.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from quota.errors import LedgerError
from quota.store.base import IdFile, IdList, Load, Rows, Store

__all__ = ["IdFile", "IdList", "Load", "Rows", "Store", "default_path", "is_url", "open_store", "resolve"]


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "quota" / "ledger.duckdb"


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def resolve(db: str | Path | None) -> str | Path:
    """--db, else $QUOTA_DB, else the per-user default: a URL as text, a file as a Path."""
    value = db or os.environ.get("QUOTA_DB") or default_path()
    if isinstance(value, str) and is_url(value):
        return value
    return Path(value)


@contextmanager
def open_store(
    db: str | Path | None, write: bool, wait: float, create: bool, say: Callable[[str], None]
) -> Iterator[Store]:
    target = resolve(db)
    if isinstance(target, str):
        try:
            from quota.store.postgres import open_postgres
        except ImportError:
            raise LedgerError("a PostgreSQL ledger needs the psycopg driver: pip install 'quota[postgres]'") from None
        with open_postgres(target, write, wait, create, say) as store:
            yield store
    else:
        from quota.store.duckdb import open_duckdb

        with open_duckdb(target, write, wait, create, say) as store:
            yield store
