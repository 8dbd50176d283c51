"""The embedded ledger: one DuckDB file on a local disk.

- Writers hold an exclusive `flock` on `<ledger>.lock`, readers a shared one, so a check and
  the record it leads to can never interleave with another writer's (DuckDB itself allows one
  writing process per file).
- The file, its WAL and its lock are created owner-only (0600).
- The clock is this machine's.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from itertools import takewhile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from quota.errors import LedgerError, QueryTimeout, UsageError, flag
from quota.store.base import IdFile, IdList, Load, Rows, Store, first_line

if TYPE_CHECKING:
    import pyarrow as pa


class _Lock:
    """A blocking flock with a timeout. A helper thread blocks in flock (a polling lock
    starves waiters); if we stop waiting, the thread drops the lock as soon as it gets it."""

    def __init__(self, path: Path, exclusive: bool, wait: float, say: Callable[[str], None]) -> None:
        self.path = path
        self.fd = -1
        if path.is_dir() or (path.exists() and not path.is_file()):
            raise UsageError(f"{path} (the ledger's lock file) is not a file: move it away")
        old = os.umask(0o077)
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as e:
            # A reader may lock through a read-only descriptor of an existing lock file, and on
            # a read-only file system needs no lock at all: nothing can write the ledger there.
            if exclusive:
                raise LedgerError(f"cannot create or open the lock file {path} ({e.strerror})") from None
            try:
                self.fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                if e.errno != errno.EROFS:
                    raise LedgerError(f"cannot create the lock file {path} ({e.strerror})") from None
                return
            except OSError as again:
                raise LedgerError(f"cannot open the lock file {path} ({again.strerror})") from None
        finally:
            os.umask(old)
        op = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(self.fd, op | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        say(f"waiting for the ledger lock on {path} (another quota process holds it; giving up after {wait:g} s)")
        got = threading.Event()
        abandoned = threading.Event()

        def take() -> None:
            fcntl.flock(self.fd, op)
            if abandoned.is_set():
                fcntl.flock(self.fd, fcntl.LOCK_UN)
                os.close(self.fd)
            else:
                got.set()

        threading.Thread(target=take, daemon=True).start()
        if not got.wait(wait):
            abandoned.set()
            if got.is_set():  # it arrived just now after all
                return
            raise LedgerError(
                f"gave up after {wait:g} s waiting for the ledger lock on {path}: another quota process is still using the ledger"
            )

    def release(self) -> None:
        if self.fd >= 0:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


# DuckDB's memory for a whole-ledger scan; below it, verify slows down. The chain and the
# windows alone (the report's checks) run as fast in half of it: at 1M exports, the report's
# peak RSS is then 0.9 GiB instead of 1.1.
_SCAN_MEMORY = 1 << 30
_CHECK_MEMORY = 1 << 29


# The state (mtime, size of the file and its WAL) in which each ledger file (path, device,
# inode) was last found to hold nothing foreign, or left so by this process's own writes.
_CLEAN: dict[tuple[str, int, int], tuple[int, ...]] = {}


def _file_state(path: Path) -> tuple[tuple[str, int, int], tuple[int, ...]]:
    st = path.stat()
    try:
        wal = path.with_name(path.name + ".wal").stat()
        walled = (wal.st_mtime_ns, wal.st_size)
    except FileNotFoundError:
        walled = (0, -1)
    return (str(path.absolute()), st.st_dev, st.st_ino), (st.st_mtime_ns, st.st_size, *walled)


class DuckStore(Store):
    dialect = "duckdb"

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, writable: bool) -> None:
        super().__init__(str(path), writable)
        self.path = path
        self.con = con
        self._depth = 0
        self._ahead: Future[pa.Table] | None = None
        self.clean = False  # found holding nothing foreign when it was opened

    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        cur = self.con.execute(sql, list(params))
        return [d[0] for d in cur.description or []], cur.fetchall()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.con.execute(sql, list(params))

    def clock(self) -> datetime:
        return datetime.now(UTC)

    def actor(self) -> str:
        import pwd

        # The process's own user id, not $USER or $LOGNAME, which anyone can set.
        try:
            return f"os:{pwd.getpwuid(os.geteuid()).pw_name}"
        except KeyError:
            return f"os:uid {os.geteuid()}"

    def initialised(self) -> bool:
        rows = self.rows("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'")[1]
        return bool(rows[0][0])

    def create_view(self, sql: str) -> None:
        self.con.execute(sql)

    def publish_views(self, views: Sequence[tuple[str, str]]) -> None:
        """Nothing: a DuckDB ledger keeps no views; each session makes its TEMP ones, so a file
        written by an older quota reads with this one's views."""

    def foreign_objects(self, fresh: bool = False) -> str | None:
        # A macro in the file shadows the built-in of its name (a `sha256` that returns what a
        # hash should be would pass verify); a type or view is no part of a quota ledger either.
        # Listing the functions costs ~13 ms: a process looks again only when the file (or
        # its WAL) changed since it found it clean, and after its own writes it knows the new
        # state (it held the lock); verify always looks.
        key, seen = _file_state(self.path)
        if not fresh and _CLEAN.get(key) == seen:
            return None
        found = self.rows(
            """SELECT 'macro ' || function_name FROM duckdb_functions()
                   WHERE database_name = current_database() AND NOT internal
               UNION ALL SELECT 'type ' || type_name FROM duckdb_types()
                   WHERE database_name = current_database() AND NOT internal
               UNION ALL SELECT 'view ' || view_name FROM duckdb_views()
                   WHERE database_name = current_database() AND NOT internal
               ORDER BY 1 LIMIT 1"""
        )[1]
        if found:
            _CLEAN.pop(key, None)
            return str(found[0][0])
        _CLEAN[key] = seen
        self.clean = True
        return None

    def lineage_of(self, ids: Sequence[int]) -> list[tuple[int, int, str]]:
        import pyarrow as pa

        if len(ids) == 1:
            rows = self.rows("SELECT id, kind, export_id FROM lineage WHERE id = ?::UBIGINT", [str(ids[0])])[1]
        else:
            self.con.register("asked_ids", pa.table({"id": pa.array(ids, pa.uint64())}))
            try:
                rows = self.rows("SELECT id, kind, export_id FROM lineage WHERE id IN (SELECT id FROM asked_ids)")[1]
            finally:
                self.con.unregister("asked_ids")
        return [(int(i), int(k), str(e)) for i, k, e in rows]

    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        # A relation, not an execute() result: Arrow straight from DuckDB, without a copy.
        return self.con.sql(sql, params=list(params) or None).to_arrow_table()

    def batches(self, sql: str, schema: pa.Schema, size: int = 1 << 16) -> Iterator[pa.Table]:
        import pyarrow as pa

        # A relation's reader streams (an execute() result would be read whole first); on a
        # cursor of its own, so the connection stays free for other statements meanwhile.
        cursor = self.con.cursor()
        try:
            with cursor.sql(sql).to_arrow_reader(batch_size=size) as reader:
                for batch in reader:
                    yield pa.Table.from_batches([batch]).cast(schema)
        finally:
            cursor.close()

    @contextmanager
    def scanning(self, ids: bool = True) -> Iterator[None]:
        # DuckDB keeps every block it reads cached, up to 80 % of the machine's memory: a verify
        # reads the whole file (1 GB at 100M IDs) and would hold all of it. Capped, it drops
        # cached blocks instead (at 100M IDs: 1.2 GiB RSS instead of 1.7, the same time).
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        cap = _SCAN_MEMORY if ids else _CHECK_MEMORY
        self.con.execute(f"SET memory_limit = '{min(cap, int(0.8 * ram)) // 2**20}MiB'")
        try:
            yield
        finally:
            # After a failed statement inside a transaction DuckDB refuses any other: the
            # error that ended the block is the one to show.
            with suppress(duckdb.Error):
                self.con.execute("RESET memory_limit")

    def _digests(self, con: duckdb.DuckDBPyConnection, stop: threading.Event | None = None) -> pa.Table:
        from quota.store.digests import run_digests

        # Streamed in the table's order and hashed by hashlib: half the time of DuckDB's own
        # sha256 over an ordered aggregate (quota/store/digests.py says why it stays exact).
        with con.sql(self.sql("lineage_in_order")).to_arrow_reader(batch_size=1 << 20) as reader:
            return run_digests(reader if stop is None else takewhile(lambda _: not stop.is_set(), reader))

    @contextmanager
    def digests_ahead(self) -> Iterator[None]:
        # Hashing leaves half a core idle and DuckDB's other checks use both: computed on a
        # cursor of its own meanwhile, verify takes the longest check's time plus the rest's.
        # Not inside a transaction (ledger copy verifies its new ledger before committing it):
        # another connection would not see the tables.
        if self._depth:
            yield
            return
        stop = threading.Event()
        cursor = self.con.cursor()
        try:
            with ThreadPoolExecutor(1) as pool:
                self._ahead = pool.submit(self._digests, cursor, stop)
                try:
                    yield
                finally:
                    # A verify that stopped early (a broken chain) does not wait for the rest.
                    stop.set()
                    self._ahead = None
        finally:
            cursor.close()

    @contextmanager
    def stored_digests(self) -> Iterator[str]:
        computed = self._ahead.result() if self._ahead is not None else self._digests(self.con)
        self.con.register("computed_digests", computed)
        try:
            yield self.sql("lineage_digests_streamed")
        finally:
            self.con.unregister("computed_digests")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:  # inside another: part of it (ledger copy makes and fills in one)
            yield
            return
        self._depth += 1
        self.con.execute("BEGIN")
        try:
            yield
        except BaseException:
            # Never COMMIT after an error: DuckDB would silently roll back and look successful.
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._depth -= 1
        self.con.execute("COMMIT")

    def load(self, item: Load) -> None:
        if isinstance(item, IdFile):
            self.con.execute(
                f"""INSERT INTO lineage SELECT ?, {int(item.kind)}, id
                    FROM read_csv(?, columns = {{'id': 'UBIGINT'}}, header = false, auto_detect = false)""",
                [item.export_id, str(item.path)],
            )
        elif isinstance(item, IdList):
            # Imported here: an export's lineage comes from files, and pyarrow (with numpy) would
            # add a sixth of a second to every export.
            import pyarrow as pa

            self.con.register("loaded_ids", pa.table({"id": pa.array(item.ids, pa.uint64())}))
            try:
                self.con.execute(
                    f"INSERT INTO lineage SELECT ?, {int(item.kind)}, id FROM loaded_ids", [item.export_id]
                )
            finally:
                self.con.unregister("loaded_ids")
        elif isinstance(item, Rows):
            self.con.register("loaded_rows", item.data)
            try:
                self.con.execute(f"INSERT INTO {item.table} SELECT * FROM loaded_rows")
            finally:
                self.con.unregister("loaded_rows")

    def run_script(self, sql: str, name: str) -> None:
        try:
            self.con.execute(sql)
        except duckdb.Error as e:
            raise LedgerError(f"migration {name} failed on {self.where}: {first_line(e)}") from None

    def user_select(self, query: str, timeout: float, max_rows: int, max_bytes: int) -> pa.Table:
        """Three locks, each enough on its own for what it guards: the ledger is open read-only
        (no write can reach the file); only a single SELECT as DuckDB's own parser classifies it
        is accepted (so casing, comments or a second statement cannot hide an INSERT, ATTACH,
        COPY, SET, INSTALL or PRAGMA); and external access is switched off and the
        configuration locked before the query runs (so no table function can read a file or
        the network, and the query cannot switch that back on)."""
        import pyarrow as pa

        con = self.con
        if problem := _statement_problem(con, query):
            raise UsageError(problem)
        con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        # Nowhere to spill on a read-only ledger, and no unbounded spill files on a writable one.
        con.execute("SET max_temp_directory_size = '0B'")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        # DuckDB has no statement timeout: a timer interrupts the query.
        timer = threading.Timer(timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            # Streamed in batches (a relation's reader; an execute() result would be copied
            # whole first) and stopped at the limits: the answer never grows past them in this
            # process (a whole fetch of a 3 GB result took 12 GB).
            reader = con.sql(query).to_arrow_reader(1 << 14)
            batches, rows, size = [], 0, 0
            for batch in reader:
                batches.append(batch)
                rows += batch.num_rows
                size += batch.nbytes
                if rows > max_rows or size > max_bytes:
                    break
            table = pa.Table.from_batches(batches, schema=reader.schema)
        except duckdb.InterruptException:
            raise QueryTimeout(f"the query ran longer than its time limit of {timeout:g} s") from None
        except duckdb.OutOfMemoryException:
            raise UsageError(f"the query needs more than {MEMORY_LIMIT} of memory: aggregate or LIMIT it") from None
        except duckdb.PermissionException as e:
            raise UsageError(f"refused: the query reaches outside the ledger ({str(e).splitlines()[0]})") from None
        except duckdb.Error as e:
            raise UsageError(f"the query failed: {str(e).splitlines()[0][:200]}") from None
        finally:
            timer.cancel()
        return table


MEMORY_LIMIT = "1GB"


def _statement_problem(con: duckdb.DuckDBPyConnection, query: str) -> str | None:
    """Why `query` may not run, or None for exactly one SELECT."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as e:
        return f"the query does not parse: {str(e).splitlines()[0]}"
    if len(statements) != 1:
        return f"give exactly one SELECT statement, not {len(statements)} statements"
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = str(kind).rsplit(".", 1)[-1].replace("_STATEMENT", "")
        return f"only SELECT queries run here, not {name}: the ledger is read-only"
    return None


@contextmanager
def open_duckdb(path: Path, write: bool, wait: float, create: bool, say: Callable[[str], None]) -> Iterator[DuckStore]:
    if path.exists() and not path.is_file():
        raise UsageError(f"{path} is not a ledger file (it is a directory or a device): give a file path")
    if not path.exists() and not create:
        raise LedgerError(f"there is no ledger at {path}: create it with quota init{flag(' (or pass --db)', '')}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise LedgerError(f"cannot create the ledger's directory {path.parent} ({e.strerror})") from None
    lock = _Lock(path.with_name(path.name + ".lock"), write or create, wait, say)
    old_umask = os.umask(0o077)  # the ledger, its WAL and temp files: owner-only
    try:
        try:
            # No extension is ever fetched or loaded behind quota's back (no network at run time).
            config: dict[str, str | bool | int | float | list[str]] = {
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": False,
            }
            con = duckdb.connect(str(path), read_only=not (write or create), config=config)
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                raise LedgerError(f"the ledger {path} is open in another program; close it and try again") from None
            raise LedgerError(f"cannot open the ledger {path}: {first_line(e)}") from None
        except duckdb.Error as e:
            raise LedgerError(f"cannot open the ledger {path}: {first_line(e)}") from None
        store: DuckStore | None = None
        try:
            if create:
                os.chmod(path, 0o600)
            store = DuckStore(path, con, write or create)
            yield store
        except (duckdb.BinderException, duckdb.ParserException):
            raise  # quota's own SQL is wrong: a bug, shown as one
        except duckdb.Error as e:
            # A damaged or truncated file surfaces as whatever error the read that met it gives.
            raise LedgerError(f"the ledger {path} cannot be read: {first_line(e)}") from None
        finally:
            con.close()
            if write and store is not None and store.clean:
                # Still under the write lock: what changed the file since it was found clean
                # is this session's own writes.
                with suppress(OSError):
                    key, seen = _file_state(path)
                    _CLEAN[key] = seen
    finally:
        os.umask(old_umask)
        lock.release()
