"""The shared ledger: a schema on a PostgreSQL server, for many machines and users.

- Check-and-record is race-free across machines: a writer holds a session-level advisory lock
  (`pg_advisory_lock`, one key per ledger schema) from before its first check until it closes,
  as the DuckDB ledger's writers hold an exclusive flock. A transaction-level lock would not
  do: a check reads the ledger before the transaction that records its result begins. If the
  client dies, the server ends its session and with it the lock and any open transaction.
  Waiting writers say so and give up after `wait` seconds (`lock_timeout`).
- Readers take no lock: each reading session is one REPEATABLE READ transaction, one snapshot
  of the ledger, so a report never mixes two states of it.
- Times come from the server's clock (`clock_timestamp()`), so clients with skewed clocks
  cannot reorder the chain or date an export by their own clock.
- X IDs are unsigned 64-bit; they are NUMERIC(20) here (PostgreSQL has no unsigned integer).
- Messages name the host, port and database, never a password.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql
from psycopg.adapt import Loader

from quota.errors import LedgerError, UsageError
from quota.store.base import IdFile, IdList, Load, Rows, Store
from quota.store.duckdb import first_line

_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def is_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


class Target:
    """A ledger URL: postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?schema=NAME&...].

    `schema` (default `quota`) is quota's own parameter: the schema that holds the ledger, so
    one database can hold several. Every other parameter goes to libpq unchanged."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        params = parse_qsl(parts.query, keep_blank_values=True)
        schema = "quota"
        rest = []
        for key, value in params:
            if key == "schema":
                schema = value
            else:
                rest.append((key, value))
        if not _SCHEMA.fullmatch(schema):
            raise UsageError(f"the schema {schema!r} in the ledger URL must be lower-case letters, digits and '_'")
        self.schema = schema
        self.conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
        host = parts.hostname or "localhost (socket)"
        port = f":{parts.port}" if parts.port else ""
        db = parts.path.lstrip("/") or parts.username or "(default)"
        self.where = f"postgresql://{host}{port}/{db} (schema {schema})"
        self.password = parts.password


class _IntLoader(Loader):
    """NUMERIC as int when it is whole (IDs, sums of counts), as DuckDB returns them."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        if "." in text or text in ("NaN", "Infinity", "-Infinity"):
            from decimal import Decimal

            return Decimal(text)
        return int(text)


def _placeholders(query: str) -> str:
    """`?` (outside quotes) as PostgreSQL's `$1, $2, ...`: the SQL files use DuckDB's style."""
    if "?" not in query:
        return query
    out, n, quote = [], 0, ""
    for ch in query:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


class PgStore(Store):
    dialect = "postgres"

    def __init__(self, target: Target, conn: psycopg.Connection[Any], writable: bool) -> None:
        super().__init__(target.where, writable)
        self.target = target
        self.conn = conn
        self._in_txn = False

    def _scrub(self, text: str) -> str:
        return text.replace(self.target.password, "***") if self.target.password else text

    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.conn.cursor() as cur:
            cur.execute(_placeholders(sql), list(params) or None)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.conn.cursor() as cur:
            cur.execute(_placeholders(sql), list(params) or None)

    def now(self) -> datetime:
        t = self.rows("SELECT clock_timestamp()")[1][0][0]
        return t.astimezone(UTC)

    def initialised(self) -> bool:
        return bool(self.rows("SELECT to_regclass('schema_migrations') IS NOT NULL")[1][0][0])

    def create_view(self, sql: str) -> None:
        self.execute(sql)

    def lineage_of(self, ids: Sequence[int]) -> list[tuple[int, int, str]]:
        rows = self.rows(
            "SELECT id, kind, export_id FROM lineage WHERE id = ANY(?::numeric[])", [[str(i) for i in ids]]
        )[1]
        return [(int(i), int(k), str(e)) for i, k, e in rows]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_txn:  # a reader's session is one snapshot already
            yield
            return
        with self.conn.transaction():
            yield

    def _copy_ids(self, export_id: str, kind: int, chunks: Iterator[bytes]) -> None:
        # Lineage enters with COPY into a scratch table of this transaction, then one INSERT.
        self.execute("CREATE TEMP TABLE IF NOT EXISTS loaded_ids (id NUMERIC(20)) ON COMMIT DELETE ROWS")
        self.execute("TRUNCATE loaded_ids")
        with self.conn.cursor() as cur, cur.copy("COPY loaded_ids (id) FROM STDIN") as copy:
            for chunk in chunks:
                copy.write(chunk)
        self.execute("INSERT INTO lineage SELECT ?, ?, id FROM loaded_ids", [export_id, kind])

    def load(self, item: Load) -> None:
        if isinstance(item, IdFile):

            def chunks() -> Iterator[bytes]:
                with open(item.path, "rb") as f:
                    while block := f.read(1 << 20):
                        yield block

            self._copy_ids(item.export_id, item.kind, chunks())
        elif isinstance(item, IdList):
            self._copy_ids(item.export_id, item.kind, iter(["".join(f"{i}\n" for i in item.ids).encode()]))
        elif isinstance(item, Rows):
            columns = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in item.data.column_names)
            statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(pgsql.Identifier(item.table), columns)
            with self.conn.cursor() as cur, cur.copy(statement) as copy:
                for row in zip(*(item.data.column(c).to_pylist() for c in item.data.column_names), strict=True):
                    copy.write_row(row)

    def run_script(self, sql: str, name: str) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
        except psycopg.Error as e:
            raise LedgerError(f"migration {name} failed on {self.where}: {first_line(e)}") from None

    def user_select(
        self, query: str, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], set[int]]:
        # Run as the ledger's owner, a query could call the server's functions (read files,
        # change settings): quota sql on PostgreSQL waits for its read-only login role.
        raise UsageError(
            f"quota sql does not run on a PostgreSQL ledger yet ({self.where}): query its tables with psql "
            "as a role that can only read them"
        )


def _lock(store: PgStore, wait: float, say: Callable[[str], None]) -> None:
    key = "SELECT hashtextextended('quota-ledger:' || current_schema(), 0)"
    if store.rows(f"SELECT pg_try_advisory_lock(({key}))")[1][0][0]:
        return
    say(f"waiting for the ledger lock on {store.where} (another quota process is writing; giving up after {wait:g} s)")
    try:
        store.execute(f"SET lock_timeout = '{max(1, int(wait * 1000))}ms'")
        store.execute(f"SELECT pg_advisory_lock(({key}))")
    except psycopg.errors.LockNotAvailable:
        raise LedgerError(
            f"gave up after {wait:g} s waiting for the ledger lock on {store.where}: another quota process is still writing"
        ) from None
    store.execute("SET lock_timeout = 0")


@contextmanager
def open_postgres(url: str, write: bool, wait: float, create: bool, say: Callable[[str], None]) -> Iterator[PgStore]:
    target = Target(url)
    try:
        conn = psycopg.connect(
            target.conninfo,
            autocommit=True,
            connect_timeout=10,
            application_name="quota",
            cursor_factory=psycopg.RawCursor,
        )
    except psycopg.Error as e:
        text = first_line(e)
        if target.password:
            text = text.replace(target.password, "***")
        raise LedgerError(f"cannot connect to the ledger {target.where}: {text}") from None
    store = PgStore(target, conn, write or create)
    try:
        conn.adapters.register_loader("numeric", _IntLoader)
        store.execute("SET TIME ZONE 'UTC'")
        schema = pgsql.Identifier(target.schema).as_string(conn)
        if create:
            store.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        store.execute(f"SET search_path TO {schema}")
        if not create and not store.rows("SELECT 1 FROM pg_namespace WHERE nspname = ?", [target.schema])[1]:
            raise LedgerError(f"there is no ledger at {target.where}: create it with quota init (or pass --db)")
        if write or create:
            _lock(store, wait, say)
        else:
            store.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            store._in_txn = True
        yield store
    except (psycopg.errors.SyntaxError, psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedFunction):
        raise  # quota's own SQL is wrong: a bug, shown as one
    except psycopg.OperationalError as e:
        raise LedgerError(f"lost the connection to the ledger {target.where}: {store._scrub(first_line(e))}") from None
    except psycopg.Error as e:
        raise LedgerError(f"the ledger {target.where} failed: {store._scrub(first_line(e))}") from None
    finally:
        with suppress(psycopg.Error):
            conn.close()
