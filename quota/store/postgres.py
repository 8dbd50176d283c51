"""The shared ledger: a schema on a PostgreSQL server, for many machines and users.

- Check-and-record is race-free across machines: a writer holds a session-level advisory lock
  (one key per ledger schema) from before its first check until it closes, as the DuckDB
  ledger's writers hold an exclusive flock. A writer of one holder's exports holds it shared,
  with that holder's own lock exclusive, so exports to other holders run beside it; each
  appends in a transaction that first takes the chain's end (a transaction-level lock), so the
  time it reads, its check and its events come between other writers' events. If the client
  dies, the server ends its session and with it the locks and any open transaction. Waiting
  writers say so and give up after `wait` seconds (`lock_timeout`).
- Readers take no lock: each reading session is one REPEATABLE READ transaction, one snapshot
  of the ledger, so a report never mixes two states of it.
- Times come from the server's clock (`clock_timestamp()`), so clients with skewed clocks
  cannot reorder the chain or date an export by their own clock.
- X IDs are unsigned 64-bit; they are NUMERIC(20) here (PostgreSQL has no unsigned integer).
- Messages name the host, port and database, never a password.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql
from psycopg.adapt import Loader
from psycopg.conninfo import conninfo_to_dict

from quota.errors import LedgerError, QueryTimeout, UsageError, flag
from quota.store.base import IdFile, IdList, Load, Rows, Store, first_line

if TYPE_CHECKING:
    import pyarrow as pa

# who-received: the IDs asked for, looked up by the index on lineage (id).
LINEAGE_OF = "SELECT id, kind, export_id FROM lineage WHERE id = ANY(?::numeric[])"
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


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

    def scrub(self, text: str) -> str:
        """`text` (a driver's message) without the password."""
        return text.replace(self.password, "***") if self.password else text

    def connect(self, **options: Any) -> psycopg.Connection[Any]:
        """A connection, or LedgerError naming host, port and database (never the password)."""
        try:
            return psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10, **options)
        except psycopg.Error as e:
            raise LedgerError(f"cannot connect to the ledger {self.where}: {self.scrub(first_line(e))}") from None


# What verify's scans set (PgStore.scanning, and its helper sessions): verify's queries end in
# ORDER BY ... LIMIT 1, for which the planner prefers nested loops that would find a first bad
# row quickly, and take hours on an honest ledger with none (off: joins are hashed); and room to
# hash the rows compared in memory (at 4 MB a million of them spill to disk).
_SCANNING = (("enable_nestloop", "off"), ("work_mem", "'64MB'"))


def _tune(store: PgStore) -> None:
    """Every session's settings: UTC, and no JIT, which compiles a plan whenever its cost looks
    high, as verify's (with nested loops off) always does: 0.6 s of compiling for a query that
    runs in milliseconds."""
    store.execute("SET TIME ZONE 'UTC'")
    store.execute("SET jit = off")


def register_loaders(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("numeric", _IntLoader)


class _IntLoader(Loader):
    """NUMERIC as int when it is whole (IDs, sums of counts), as DuckDB returns them."""

    def load(self, data: Any) -> Any:
        text = bytes(data).decode()
        if "." in text or text in ("NaN", "Infinity", "-Infinity"):
            from decimal import Decimal

            return Decimal(text)
        return int(text)


# The tables of the ledger's history (quota/store/sql/postgres/queries/guard.sql).
APPEND_ONLY = ("events", "lineage", "deletion_notice_ids")

FOREIGN_OBJECTS = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = ?),
-- Everything in the schema, through the dependencies each object records on its namespace:
-- an index lookup, where a scan of pg_class grows with every schema a database ever held.
objs AS (SELECT classid, objid FROM pg_depend
         WHERE refclassid = 'pg_namespace'::regclass AND refobjid = (SELECT oid FROM ns)),
rels AS (SELECT c.* FROM pg_class c JOIN objs ON objs.classid = 'pg_class'::regclass AND objs.objid = c.oid)
SELECT 'function ' || p.proname FROM pg_proc p JOIN objs ON objs.classid = 'pg_proc'::regclass AND objs.objid = p.oid
    WHERE (p.proname, p.prosrc) NOT IN (SELECT * FROM unnest(?::text[], ?::text[]))
UNION ALL SELECT 'operator ' || o.oprname FROM pg_operator o
    JOIN objs ON objs.classid = 'pg_operator'::regclass AND objs.objid = o.oid
UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN objs ON objs.classid = 'pg_type'::regclass AND objs.objid = t.oid
    WHERE t.typtype <> 'c'
    AND NOT (t.typcategory = 'A' AND EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typtype = 'c'))
UNION ALL SELECT 'column ' || c.relname || '.' || a.attname || ' of type ' || format_type(a.atttypid, a.atttypmod)
    FROM rels c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON t.oid = a.atttypid
    WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0
      AND NOT a.attisdropped AND t.typnamespace <> 'pg_catalog'::regnamespace
UNION ALL SELECT 'rule ' || r.rulename || ' on ' || c.relname FROM pg_rewrite r JOIN rels c ON c.oid = r.ev_class
    WHERE r.rulename <> '_RETURN'
UNION ALL SELECT 'trigger ' || g.tgname || ' on ' || c.relname FROM pg_trigger g JOIN rels c ON c.oid = g.tgrelid
    WHERE NOT g.tgisinternal
      AND NOT (g.tgname IN ('quota_append_only_rows', 'quota_append_only_truncate') AND g.tgfoid =
               (SELECT oid FROM pg_proc WHERE proname = 'quota_append_only' AND pronamespace = (SELECT oid FROM ns)))
UNION ALL SELECT 'row policy on ' || c.relname FROM rels c WHERE c.relrowsecurity
UNION ALL SELECT CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'm' THEN 'materialized view ' ELSE 'foreign table ' END
    || c.relname FROM rels c
    WHERE c.relkind IN ('m', 'f') OR (c.relkind = 'v' AND c.relname <> ALL (?::text[]))
LIMIT 1
"""


@functools.cache
def _shipped_function_bodies() -> dict[str, str]:
    """name -> body of each function the migrations create (`CREATE FUNCTION name(...) ... AS $$body$$`)."""
    import re

    from quota.store import sqlfiles

    out = {}
    texts = [sql for _, _, sql, _ in sqlfiles.migrations("postgres")] + [
        sqlfiles.queries("postgres")["append_only_function"]
    ]
    for sql in texts:
        for m in re.finditer(r"CREATE (?:OR REPLACE )?FUNCTION (\w+)\(.*?AS \$\$(.*?)\$\$", sql, re.S):
            out[m.group(1)] = m.group(2)
    return out


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
    keeps_views = True

    def __init__(
        self, target: Target, conn: psycopg.Connection[Any], writable: bool, say: Callable[[str], None]
    ) -> None:
        super().__init__(target.where, writable)
        self.target = target
        self.conn = conn
        self.say = say
        self._in_txn = False  # a reader's session: one REPEATABLE READ transaction
        self.exported: str | None = None  # its snapshot, once shared (quota.store.postgres_scan)
        self._ahead: Future[pa.Table | None] | None = None
        self.views_shared = False
        self._actor: str | None = None
        self._reader: str | None = None

    def _scrub(self, text: str) -> str:
        return self.target.scrub(text)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.conn.cursor() as cur:
            cur.execute(_placeholders(sql), list(params) or None)
            if cur.description is None:
                return [], []
            return [d.name for d in cur.description], cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self.conn.cursor() as cur:
            cur.execute(_placeholders(sql), list(params) or None)

    def clock(self) -> datetime:
        t: datetime = self.rows("SELECT clock_timestamp()")[1][0][0]
        return t.astimezone(UTC)

    def actor(self) -> str:
        if self._actor is None:
            # session_user: the role that logged in, which SET ROLE does not change.
            self._actor = f"pg:{self.rows('SELECT session_user')[1][0][0]}"
        return self._actor

    def initialised(self) -> bool:
        return bool(self.rows("SELECT to_regclass('schema_migrations') IS NOT NULL")[1][0][0])

    def create_view(self, sql: str) -> None:
        self.execute(sql)

    def lineage_of(self, ids: Sequence[int]) -> list[tuple[int, int, str]]:
        rows = self.rows(LINEAGE_OF, [[str(i) for i in ids]])[1]
        return [(int(i), int(k), str(e)) for i, k, e in rows]

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        import pyarrow as pa

        with self.conn.cursor() as cur:
            cur.execute(_placeholders(sql), list(params) or None)
            names = [d.name for d in cur.description or []]
            numeric = [d.type_code == _NUMERIC for d in cur.description or []]
            rows = cur.fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = []
        for values, is_numeric in zip(columns, numeric, strict=True):
            # NUMERIC(20) holds IDs: uint64, as DuckDB gives them; a sum past 2^64 stays a decimal.
            if is_numeric and all(v is None or (isinstance(v, int) and 0 <= v < 2**64) for v in values):
                arrays.append(pa.array(values, pa.uint64()))
            else:
                arrays.append(pa.array(values))
        return pa.table(arrays, names=names)

    def batches(self, sql: str, schema: pa.Schema, size: int = 1 << 16) -> Iterator[pa.Table]:
        import pyarrow as pa

        # A server-side cursor: the rows come `size` at a time, never all at once.
        with self.transaction(), self.conn.cursor(name="quota_batches", scrollable=False) as cur:
            cur.itersize = size
            cur.execute(sql)
            while rows := cur.fetchmany(size):
                columns = list(zip(*rows, strict=True))
                yield pa.table([pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=schema)

    @contextmanager
    def scanning(self, ids: bool = True) -> Iterator[None]:
        for name, value in _SCANNING:
            self.execute(f"SET {name} = {value}")
        try:
            yield
        finally:
            for name, _ in _SCANNING:
                self.execute(f"RESET {name}")

    @contextmanager
    def sibling(self, snapshot: str) -> Iterator[PgStore]:
        """A read-only session of the same ledger that sees exactly `snapshot` (exported by a
        reading session: quota.store.postgres_scan), tuned as verify's own (nested loops off,
        no JIT, room to hash in memory)."""
        conn = self.target.connect(application_name="quota-verify", cursor_factory=psycopg.RawCursor)
        try:
            register_loaders(conn)
            helper = PgStore(self.target, conn, False, self.say)
            helper.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            helper.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            helper._in_txn = True
            _tune(helper)
            helper.execute(f"SET search_path TO {pgsql.Identifier(self.target.schema).as_string(conn)}")
            for name, value in _SCANNING:
                helper.execute(f"SET {name} = {value}")
            yield helper
        finally:
            conn.close()

    def lock_append(self) -> None:
        if self.shared:  # an exclusive writer is the only one
            self.execute("SELECT pg_advisory_xact_lock(hashtextextended('quota-append:' || current_schema(), 0))")

    def lock_holder(self, holder: str, wait: float) -> None:
        if self.shared:
            _lock(self, wait, self.say, holder=holder)

    @contextmanager
    def side_by_side(self, n: int) -> Iterator[list[Store]]:
        from quota.store.postgres_scan import siblings

        with siblings(self, n) as found:
            self.helpers = list(found)
            try:
                yield self.helpers
            finally:
                self.helpers = []

    @contextmanager
    def digests_ahead(self) -> Iterator[None]:
        # Streamed by sessions of the same snapshot while this one runs the other checks; a
        # writer's (ledger copy's, before it commits) are hashed by the server's exact query.
        from quota.store.postgres_scan import streamed_digests

        if self.exported is None:  # no snapshot shared (side_by_side): a writer's, or none asked
            yield
            return
        stop = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            self._ahead = pool.submit(streamed_digests, self, stop)
            try:
                yield
            finally:
                stop.set()  # a verify that stopped early does not wait for the rest
                self._ahead = None

    @contextmanager
    def stored_digests(self) -> Iterator[str]:
        from quota.store.postgres_scan import settled

        computed = self._ahead.result() if self._ahead is not None else None
        final = settled(self, computed) if computed is not None else None
        if final is None:
            yield self.sql("lineage_digests")
            return
        self.execute("CREATE TEMP TABLE quota_stored_digests (export_id VARCHAR, n SMALLINT, digest VARCHAR)")
        try:
            self.load(Rows("quota_stored_digests", final))
            yield "SELECT export_id, n, digest FROM quota_stored_digests"
        finally:
            with suppress(psycopg.Error):  # a failed statement ended the transaction, and the table with it
                self.execute("DROP TABLE IF EXISTS quota_stored_digests")

    def analyze(self) -> None:
        from quota.store.chain import STATE_TABLES

        # This schema's tables only: a bare ANALYZE would go through the whole database.
        self.execute(f"ANALYZE {', '.join(('events', 'lineage', 'deletion_notice_ids', *STATE_TABLES))}")

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
            # Imported here: an export's lineage is a file, and pyarrow would add a tenth of a
            # second to every export.
            import pyarrow as pa
            import pyarrow.csv as pacsv

            # Arrow writes the rows as CSV (NULL unquoted and empty, text quoted where needed),
            # which COPY reads as fast as the server can store them.
            columns = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in item.data.column_names)
            statement = pgsql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(pgsql.Identifier(item.table), columns)
            options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
            with self.conn.cursor() as cur, cur.copy(statement) as copy:
                for batch in item.data.to_batches(max_chunksize=1 << 16):
                    sink = pa.BufferOutputStream()
                    pacsv.write_csv(pa.Table.from_batches([batch]), sink, options)
                    copy.write(sink.getvalue().to_pybytes())

    def run_script(self, sql: str, name: str) -> None:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql)
        except psycopg.Error as e:
            raise LedgerError(f"migration {name} failed on {self.where}: {first_line(e)}") from None

    # ---------------------------------------------------------- views and the reader role

    @property
    def reader_role(self) -> str:
        """The login role `quota sql` runs as: it may only read this schema's tables and views.
        Named after the database and the schema, so that no two ledgers share one (and one
        left behind by a dropped database is plainly that database's)."""
        if self._reader is None:
            database = str(self.rows("SELECT current_database()")[1][0][0])
            name = f"{database}_{self.target.schema}_reader"
            if len(name) > 63:  # PostgreSQL's longest name
                name = f"quota_{hashlib.sha256(f'{database}.{self.target.schema}'.encode()).hexdigest()[:20]}_reader"
            self._reader = name
        return self._reader

    @property
    def legacy_reader_role(self) -> str:
        """The name quota gave the reader before (the schema's alone), which older ledgers use
        until quota init makes theirs."""
        return f"{self.target.schema}_reader"

    def _views_digest(self, views: Sequence[tuple[str, str]]) -> str:
        return hashlib.sha256("\n".join(sql for _, sql in views).encode()).hexdigest()

    def views_current(self, views: Sequence[tuple[str, str]]) -> bool:
        rows = self.rows(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = ?", [self.target.schema]
        )[1]
        self.views_shared = bool(rows) and rows[0][0] == f"quota views {self._views_digest(views)}"
        if self.views_shared:  # and every one of them is there (a DROP ... CASCADE takes views along)
            names = [name for name, _ in views]
            (present,) = self.rows(
                """SELECT count(*) FROM pg_class c
                   WHERE c.relname = ANY(?::text[]) AND c.relnamespace = ?::regnamespace AND c.relkind = 'v'""",
                [names, self.target.schema],
            )[1][0]
            self.views_shared = int(present) == len(names)
        return self.views_shared

    def stored_views_differ(self, views: Sequence[tuple[str, str]]) -> str | None:
        """Each stored view's definition against the same SQL made TEMP (as deparsed by the
        server: the two read alike only when they are alike). Called before the session's TEMP
        views exist, so that the stored ones' deparse names their tables as the TEMP ones will."""
        if not self.views_current(views):
            return None  # an older quota's: TEMP views shadow them, and quota sql refuses them
        names = [name for name, _ in views]
        # By name and namespace: pg_class's index (a scan of it grows with every schema ever made).
        stored = dict(
            self.rows(
                """SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
                   WHERE c.relname = ANY(?::text[]) AND c.relnamespace = ?::regnamespace AND c.relkind = 'v'""",
                [names, self.target.schema],
            )[1]
        )
        # One round trip for the views and one for their deparse (each costs as much as a view).
        with self.conn.cursor() as cur:
            cur.execute(";\n".join(sql for _, sql in views))
        self.views_made.extend(name for name, _ in views)
        mine = dict(
            self.rows(
                """SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c
                   WHERE c.relname = ANY(?::text[]) AND c.relnamespace = pg_my_temp_schema()""",
                [names],
            )[1]
        )
        for name, _ in views:
            if stored.get(name) != mine.get(name):
                return name
        return None

    def foreign_objects(self, fresh: bool = False) -> str | None:
        # Anything in the schema that name resolution can prefer to the built-ins quota's SQL
        # means (a function or operator on a more exact type, a domain with its own `<>`), or
        # that changes what a table returns (a rule, a trigger, a row policy), or a view quota
        # does not define.
        from quota.store import sqlfiles

        views = [name for name, _ in sqlfiles.views(self.dialect)]
        body = _shipped_function_bodies()
        found = self.rows(FOREIGN_OBJECTS, [self.target.schema, list(body), list(body.values()), views])[1]
        return str(found[0][0]) if found else None

    def missing_guard(self) -> str | None:
        guarded = self.rows(
            """SELECT c.relname, count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = ? AND g.tgname LIKE 'quota_append_only_%' AND g.tgenabled <> 'D'
               GROUP BY c.relname""",
            [self.target.schema],
        )[1]
        have = {name for name, n in guarded if n == 2}
        if missing := [t for t in APPEND_ONLY if t not in have]:
            return f"the ledger's table {missing[0]} lacks its append-only triggers (quota init, as the owner, puts them back)"
        return None

    def owns_schema(self) -> bool:
        return bool(
            self.rows(
                "SELECT pg_has_role(current_user, nspowner, 'USAGE') FROM pg_namespace WHERE nspname = ?",
                [self.target.schema],
            )[1][0][0]
        )

    def grant_writer(self, role: str) -> None:
        """What the role quota writes with may do: read every table and add rows, never change
        or remove one; the ledger's identity and its migrations it may only read."""
        schema = pgsql.Identifier(self.target.schema).as_string(self.conn)
        who = pgsql.Identifier(role).as_string(self.conn)
        self.execute(f"GRANT USAGE ON SCHEMA {schema} TO {who}")
        self.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}")
        self.execute(f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {schema} TO {who}")
        self.execute(f"REVOKE INSERT ON {schema}.ledger_meta, {schema}.schema_migrations FROM {who}")

    def publish_views(self, views: Sequence[tuple[str, str]]) -> None:
        """The documented views as the schema's own (not TEMP) views, so that the reader role can
        read them; re-made when the code or the profile in force changed them. Only the schema's
        owner can: a writer role leaves them to the next quota init (quota sql says so)."""
        if self.views_current(views) or not self.owns_schema():
            return
        schema = pgsql.Identifier(self.target.schema).as_string(self.conn)
        with self.transaction():
            for name, _ in reversed(views):
                self.execute(f"DROP VIEW IF EXISTS {schema}.{name} CASCADE")
            for _, sql in views:
                self.execute(sql.replace("CREATE OR REPLACE TEMP VIEW ", f"CREATE VIEW {schema}.", 1))
            self.execute(f"COMMENT ON SCHEMA {schema} IS 'quota views {self._views_digest(views)}'")
            self._grant_reader()
        self.views_shared = True

    def _grant_reader(self) -> None:
        if not self.rows("SELECT 1 FROM pg_roles WHERE rolname = ?", [self.reader_role])[1]:
            return
        schema = pgsql.Identifier(self.target.schema).as_string(self.conn)
        role = pgsql.Identifier(self.reader_role).as_string(self.conn)
        self.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        self.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")

    def migrate(self, ledger_id: str | None = None, created_at: datetime | None = None) -> list[str]:
        if self.initialised() and not self.owns_schema():
            from quota.store import sqlfiles

            # The writer role of a ledger another role owns: it has nothing to make.
            if self.schema_version() < sqlfiles.migrations(self.dialect)[-1][0]:
                raise LedgerError(
                    f"the ledger {self.where} needs migrations that only the role owning its schema may apply: "
                    "run quota init --owner URL"
                )
            return []
        applied = super().migrate(ledger_id, created_at)
        self.execute(self.sql("append_only_function"))
        for table in APPEND_ONLY:
            self.execute(self.sql("append_only_rows", table=table))
            self.execute(self.sql("append_only_truncate", table=table))
        role = pgsql.Identifier(self.reader_role).as_string(self.conn)
        if not self.rows("SELECT 1 FROM pg_roles WHERE rolname = ?", [self.reader_role])[1]:
            try:
                self.execute(
                    f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
                )
            except psycopg.errors.InsufficientPrivilege:
                self.say(
                    f"could not create the role {self.reader_role} that quota sql runs as (this login may not "
                    "create roles): ask the server's administrator to create it, then run quota init again"
                )
        self._grant_reader()
        self._limit_reader()
        return applied

    def _sql_role(self) -> str:
        """The reader role, or an older ledger's (named by its schema alone) until init runs."""
        for name in (self.reader_role, self.legacy_reader_role):
            if self.rows("SELECT 1 FROM pg_roles WHERE rolname = ?", [name])[1]:
                return name
        return self.reader_role

    def _limit_reader(self) -> None:
        """The reader role's own settings, for a login with psql that skips quota sql's options:
        read-only, a statement timeout, idle sessions ended (a session-level advisory lock a
        reader took would hold writers back only until then), temp files bounded (superuser
        only: skipped, with a word, where quota init is not one)."""
        if not self.rows("SELECT 1 FROM pg_roles WHERE rolname = ?", [self.reader_role])[1]:
            return
        role = pgsql.Identifier(self.reader_role).as_string(self.conn)
        for name, value in READER_SETTINGS:
            try:
                self.execute(f"ALTER ROLE {role} SET {name} = '{value}'")
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.CantChangeRuntimeParam):
                self.say(f"could not set {name} for {self.reader_role} (it needs a superuser): set it as one")
        # A read-only transaction still creates large objects: their functions are PUBLIC's,
        # so only a superuser can take them back (for this database; quota uses none).
        if not self.rows("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[1][0][0]:
            return
        functions = ", ".join(f"'{f}'::regprocedure" for f in LARGE_OBJECT_WRITES)
        with self.transaction():
            # The functions are the database's, shared by every ledger in it: two inits revoking
            # at once would update the same catalog rows ("tuple concurrently updated").
            self.execute("SELECT pg_advisory_xact_lock(hashtextextended('quota-large-object-grants', 0))")
            if self.rows(
                f"SELECT 1 FROM unnest(ARRAY[{functions}]) f WHERE has_function_privilege('public', f, 'EXECUTE')"
            )[1]:
                self.execute(f"REVOKE EXECUTE ON FUNCTION {', '.join(LARGE_OBJECT_WRITES)} FROM PUBLIC")

    def user_select(self, query: str, timeout: float, max_rows: int, max_bytes: int) -> pa.Table:
        """Four locks: the query runs on its own connection as the reader role, which may only
        SELECT this schema's tables and views (not a SET ROLE, which the query could undo); in
        a READ ONLY transaction with a statement timeout; through the extended protocol, which
        takes exactly one statement; and after a check of its text that refuses what a read
        could still reach beyond the ledger (server files, large objects, dblink, settings,
        functions of other schemas)."""
        if problem := statement_problem(query):
            raise UsageError(problem)
        if not getattr(self, "views_shared", False):
            raise UsageError(
                f"the views of {self.where} are not those of this quota: run quota init (as the ledger's owner) first"
            )
        params: dict[str, Any] = conninfo_to_dict(self.target.conninfo)
        params.pop("password", None)
        params["user"] = self._sql_role()
        ms = max(1, int(timeout * 1000))
        params["options"] = (
            f"-c default_transaction_read_only=on -c statement_timeout={ms} "
            f"-c search_path={self.target.schema} -c idle_in_transaction_session_timeout={ms + 5000} -c jit=off"
        )
        try:
            conn = psycopg.connect(
                **params, connect_timeout=10, application_name="quota sql", cursor_factory=psycopg.RawCursor
            )
        except psycopg.Error as e:
            raise LedgerError(
                f"cannot connect to {self.where} as the reader role {params['user']} that quota sql runs as: "
                f"{self._scrub(first_line(e))}"
            ) from None
        try:
            conn.adapters.register_loader("numeric", _IntLoader)
            with conn.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'", [])
                # Row by row from the server (a plain execute holds the whole result in the
                # client first), stopped at the limits; parameters, even none, mean one
                # statement only.
                fetched: list[tuple[Any, ...]] = []
                size = 0
                description = None
                for row in cur.stream(query, []):
                    description = description or cur.description
                    fetched.append(row)
                    size += sum(len(v) if isinstance(v, str | bytes) else 8 for v in row)
                    if len(fetched) > max_rows or size > max_bytes:
                        break
                description = description or cur.description or []
                table = _typed_table(description, fetched)
        except psycopg.errors.QueryCanceled:
            raise QueryTimeout(f"the query ran longer than its time limit of {timeout:g} s") from None
        except psycopg.errors.InsufficientPrivilege as e:
            raise UsageError(f"refused: the query reaches outside the ledger ({first_line(e)})") from None
        except psycopg.errors.ReadOnlySqlTransaction:
            raise UsageError("only SELECT queries run here: the ledger is read-only") from None
        except psycopg.Error as e:
            if "multiple commands" in str(e):
                raise UsageError("give exactly one SELECT statement, not several statements") from None
            raise UsageError(f"the query failed: {first_line(e)[:200]}") from None
        finally:
            conn.close()
        return table


_NUMERIC = 1700  # the type of IDs (NUMERIC(20)) and of sums
LARGE_OBJECT_WRITES = (
    "lo_create(oid)", "lo_creat(integer)", "lo_from_bytea(oid, bytea)", "lo_import(text)", "lo_import(text, oid)",
    "lowrite(integer, bytea)", "lo_put(oid, bigint, bytea)",
)  # fmt: skip
READER_SETTINGS = (
    ("default_transaction_read_only", "on"),
    ("statement_timeout", "30s"),
    ("idle_in_transaction_session_timeout", "35s"),
    ("idle_session_timeout", "60s"),
    ("temp_file_limit", "1GB"),
)


def _typed_table(description: Sequence[Any], rows: list[tuple[Any, ...]]) -> pa.Table:
    """Rows as Arrow, each column of the type the server declared (so an all-null column keeps
    it): NUMERIC(20,0) (IDs) as uint64, any other NUMERIC as
    decimal128 (as DuckDB gives a HUGEINT sum); times as timestamp[us, UTC]."""
    import pyarrow as pa

    from quota.answers import arrow_type_of_pg

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in description]
    arrays = []
    for d, values in zip(description, columns, strict=True):
        if d.type_code == _NUMERIC:
            whole = all(v is None or isinstance(v, int) for v in values)
            if d.precision == 20 and d.scale == 0 and whole and all(v is None or 0 <= v < 2**64 for v in values):
                arrays.append(pa.array(values, pa.uint64()))
            else:  # a sum (HUGEINT on DuckDB) or a decimal: quota.answers makes a whole one int64 where it fits
                from decimal import Decimal

                exponents = [Decimal(v).as_tuple().exponent for v in values if v is not None]
                scale = (
                    d.scale if d.scale is not None else max((-e for e in exponents if isinstance(e, int)), default=0)
                )
                arrays.append(pa.array([None if v is None else Decimal(v) for v in values], pa.decimal128(38, scale)))
        else:
            arrays.append(pa.array(values, arrow_type_of_pg(d.type_code)))
    return pa.table(arrays, names=[d.name for d in description])


# What a read can still reach beyond the ledger, by function name; and a call qualified by a
# schema other than pg_catalog (an extension's function, another application's).
_DENIED = re.compile(
    r"\b(set_config|current_setting|pg_read_file|pg_read_binary_file|pg_ls_\w+|pg_stat_file|lo_\w+|dblink\w*"
    r"|pg_sleep\w*|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_advisory\w*|pg_notify"
    r"|pg_logical_\w+|pg_file_\w+|\w+_to_xml\w*|query_to_\w+|copy)\s*\(|\bcopy\b",
    re.IGNORECASE,
)
_QUALIFIED_CALL = re.compile(r'\b("?)(\w+)\1\s*\.\s*"?\w+"?\s*\(')
_LEADING = re.compile(r"\s*\(*\s*(select|with|values|table)\b", re.IGNORECASE)


def _code_only(query: str) -> str:
    """The query without its comments and string literals (what a check of its text may read)."""
    query = re.sub(r"--[^\n]*", " ", query)
    query = re.sub(r"/\*.*?\*/", " ", query, flags=re.DOTALL)
    query = re.sub(r"\$(\w*)\$.*?\$\1\$", "''", query, flags=re.DOTALL)
    return re.sub(r"'(?:[^']|'')*'", "''", query)


def statement_problem(query: str) -> str | None:
    """Why `query` may not run on a PostgreSQL ledger, or None."""
    code = _code_only(query)
    if not _LEADING.match(code):
        return "only SELECT queries run here: the ledger is read-only"
    if ";" in code.rstrip().rstrip(";"):
        return "give exactly one SELECT statement, not several statements"
    # A quoted identifier names the same function as the bare word ("set_config"(...)).
    unquoted = re.sub(r'"((?:[^"]|"")*)"', lambda m: " " + m.group(1).replace('""', '"') + " ", code)
    if found := _DENIED.search(unquoted):
        return f"refused: the query reaches outside the ledger ({found.group(0).rstrip('(').strip()})"
    for m in _QUALIFIED_CALL.finditer(code):
        if m.group(2).lower() != "pg_catalog":
            return f"refused: the query calls a function of another schema ({m.group(2)})"
    return None


def _lock(
    store: PgStore, wait: float, say: Callable[[str], None], shared: bool = False, holder: str | None = None
) -> None:
    """The ledger's writer lock: exclusive, or `shared` by writers that each hold a holder of
    their own (`holder`: the lock of that one holder, taken under the shared one)."""
    if holder is None:
        key, what = "hashtextextended('quota-ledger:' || current_schema(), 0)", "the ledger lock"
    else:
        key, what = "hashtextextended('quota-holder:' || current_schema() || ':' || ?, 0)", f"the lock of {holder}"
    params = [] if holder is None else [holder]
    mode = "_shared" if shared else ""
    if store.rows(f"SELECT pg_try_advisory_lock{mode}({key})", params)[1][0][0]:
        return
    say(f"waiting for {what} on {store.where} (another quota process is writing; giving up after {wait:g} s)")
    try:
        store.execute(f"SET lock_timeout = '{max(1, int(wait * 1000))}ms'")
        store.execute(f"SELECT pg_advisory_lock{mode}({key})", params)
    except psycopg.errors.LockNotAvailable:
        raise LedgerError(
            f"gave up after {wait:g} s waiting for {what} on {store.where}: another quota process is still writing"
        ) from None
    store.execute("SET lock_timeout = 0")


@contextmanager
def open_postgres(
    url: str, write: bool, wait: float, create: bool, say: Callable[[str], None], shared: bool = False
) -> Iterator[PgStore]:
    """`shared` (a writer of one holder's exports): the writer lock shared with other such
    writers, each of which takes its holder's lock (`lock_holder`) and appends one at a time
    (`lock_append`); any other writer waits for all of them, and they for it."""
    target = Target(url)
    conn = target.connect(application_name="quota", cursor_factory=psycopg.RawCursor)
    store = PgStore(target, conn, write or create, say)
    store.shared = shared and write and not create
    try:
        register_loaders(conn)
        _tune(store)
        schema = pgsql.Identifier(target.schema).as_string(conn)
        if create and not store.rows("SELECT 1 FROM pg_namespace WHERE nspname = ?", [target.schema])[1]:
            store.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        store.execute(f"SET search_path TO {schema}")
        if not create and not store.rows("SELECT 1 FROM pg_namespace WHERE nspname = ?", [target.schema])[1]:
            raise LedgerError(
                f"there is no ledger at {target.where}: create it with quota init{flag(' (or pass --db)', '')}"
            )
        if write or create:
            _lock(store, wait, say, shared=store.shared)
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


def schema_in_use(url: str) -> bool:
    """Whether the URL's schema holds anything (an empty one, such as a killed copy leaves, does not)."""
    target = Target(url)
    with target.connect() as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s LIMIT 1",
            [target.schema],
        ).fetchone()
        return found is not None


def drop_schema(url: str) -> None:
    """Remove a schema quota made and filled (a ledger copy that failed)."""
    target = Target(url)
    with target.connect() as conn:
        conn.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(target.schema)))
