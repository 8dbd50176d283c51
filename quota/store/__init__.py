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
import re
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


# Any other scheme: DuckDB would take `mysql://...` or `s3://...` as an extension to fetch.
_OTHER_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


def resolve(db: str | Path | None) -> str | Path:
    """--db, else $QUOTA_DB, else the per-user default: a URL as text, a file as a Path."""
    value = db or os.environ.get("QUOTA_DB") or default_path()
    if isinstance(value, str) and is_url(value):
        from quota.store.postgres_url import check_url

        check_url(value)
        return value
    if isinstance(value, str) and _OTHER_URL.match(value):
        from quota.errors import UsageError

        raise UsageError(
            f"{value[:80]!r} is not a ledger quota can open: give a file path or a postgresql:// URL "
            "(a file whose name begins with a word and a colon: ./NAME)"
        )
    return Path(value)


@contextmanager
def open_store(
    db: str | Path | None, write: bool, wait: float, create: bool, say: Callable[[str], None], shared: bool = False
) -> Iterator[Store]:
    """`shared`: a writer of one holder's exports, which shares the ledger with others like it
    where the backend can (PostgreSQL; a DuckDB file has one writer at a time)."""
    target = resolve(db)
    if isinstance(target, str):
        try:
            from quota.store.postgres import open_postgres
        except ImportError:
            raise LedgerError("a PostgreSQL ledger needs the psycopg driver: pip install 'quota[postgres]'") from None
        with open_postgres(target, write, wait, create, say, shared) as store:
            yield store
    else:
        from quota.store.duckdb import open_duckdb

        with open_duckdb(target, write, wait, create, say) as store:
            yield store


def owner_and_writer(owner: str, db: str | Path | None) -> tuple[str, str]:
    """The owner's URL (with the ledger's schema) and the name of the role the ledger URL logs
    in as, for a ledger whose schema one role owns and another writes."""
    from quota.errors import UsageError

    target = resolve(db)
    if not isinstance(target, str) or not is_url(owner):
        raise UsageError("an owner role is a PostgreSQL idea: give the ledger and its owner as postgresql:// URLs")
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    from quota.store.postgres import Target

    mine, theirs = Target(target), Target(owner)
    parts = urlsplit(owner)
    if "schema" not in dict(parse_qsl(parts.query)):
        query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), ("schema", mine.schema)])
        owner = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        theirs = Target(owner)
    if theirs.where != mine.where:
        raise UsageError(f"the owner's URL names {theirs.where}, the ledger is {mine.where}: give the same place")
    with mine.connect() as conn:
        row = conn.execute("SELECT current_user").fetchone()
    assert row is not None
    role = str(row[0])
    with theirs.connect() as conn:
        row = conn.execute("SELECT current_user").fetchone()
    if row is not None and str(row[0]) == role:
        raise UsageError(f"the owner and the writer are one role ({role}): give the owner's own login")
    return owner, role
