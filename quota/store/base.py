"""What every ledger backend offers, and the parts of writing that are the same on all of them.

A `Store` is one open session on one ledger: it reads with named or portable SQL, appends
events with their state rows and bulk rows (lineage, notice IDs) in one transaction, and knows
its own clock. The rest of quota talks to a `quota.store.session.Session`, which holds a Store.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from quota.errors import LedgerError
from quota.store import sqlfiles
from quota.store.chain import STATE_OF, canonical, event_hash, genesis
from quota.times import CLOCK_SLACK, iso, parse_iso

if TYPE_CHECKING:
    import pyarrow as pa


# A clock the tests inject in-process (tests/conftest.py) instead of the backend's. No option,
# environment variable or file of a shipped command sets it: what the ledger records about now
# comes from the ledger's own clock.
injected_clock: Callable[[], datetime] | None = None

# The portal account a signed-in person acts as (quota.accounts.acting_as): every event written
# meanwhile names it beside the backend's actor, so that the portal's acts are theirs.
acting_account: ContextVar[str | None] = ContextVar("acting_account", default=None)


@dataclass(frozen=True)
class IdFile:
    """Lineage rows from a file of IDs, one decimal ID per line."""

    export_id: str
    kind: int
    path: Path


@dataclass(frozen=True)
class IdList:
    """Lineage rows from IDs in memory (a manual export's objects, an import's list)."""

    export_id: str
    kind: int
    ids: Sequence[int]


@dataclass(frozen=True)
class Rows:
    """Rows for a table that is not rebuilt from events (deletion_notice_ids), column by column
    in the table's order."""

    table: str
    data: pa.Table


Load = IdFile | IdList | Rows


class Store(ABC):
    dialect: ClassVar[str]
    keeps_views: ClassVar[bool] = False  # the ledger holds the documented views (for other roles)

    def __init__(self, where: str, writable: bool) -> None:
        self.where = where  # how messages name this ledger: a path, or host and database
        self.writable = writable
        self.views_made: list[str] = []
        # Sessions that see exactly this one's snapshot, for checks run side by side (see
        # `side_by_side`); none outside that block.
        self.helpers: list[Store] = []
        # A writer of one holder's exports beside other such writers (see `lock_holder`); only a
        # backend with several writers at a time has them.
        self.shared = False

    # -------------------------------------------------------------- reading

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of one statement; `?` marks each parameter."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        names, rows = self.rows(sql, params)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def sql(self, name: str, **fragments: object) -> str:
        """The named query `name` of this backend's dialect, its `{fragments}` filled in."""
        try:
            text = sqlfiles.queries(self.dialect)[name]
        except KeyError:
            raise LedgerError(f"no query {name!r} is defined for {self.dialect}") from None
        return sqlfiles.fill(text, **fragments)

    def now(self) -> datetime:
        """The ledger's clock (UTC): what times events and is `now` for every check."""
        return injected_clock() if injected_clock is not None else self.clock()

    @abstractmethod
    def clock(self) -> datetime:
        """The backend's own clock: the database server's, or this machine's."""

    @abstractmethod
    def actor(self) -> str:
        """Who is writing, as the backend authenticated them: the server's login role, or the
        operating-system user that opened the file. Every event records it beside any name
        a command was given (`--by`), which nobody checks."""

    def last_recorded(self) -> datetime | None:
        """When the newest event was recorded."""
        rows = self.rows("SELECT recorded_at FROM events ORDER BY seq DESC LIMIT 1")[1]
        return parse_iso(rows[0][0]) if rows else None

    def write_time(self) -> datetime:
        """Now, for events about to be written: recorded times never go backwards along the
        chain. A clock a little behind the newest event (a step of NTP) reads as that event's
        time; one further behind was set back, and records nothing."""
        now, last = self.now(), self.last_recorded()
        if last is None or now >= last:
            return now
        if last - now <= CLOCK_SLACK:
            return last
        raise LedgerError(
            f"the ledger's clock reads {iso(now)}, before its newest event ({iso(last)}): a clock set back "
            "records nothing (set it right; the past is recorded with quota ledger import)"
        )

    @abstractmethod
    def initialised(self) -> bool: ...

    def schema_version(self) -> int:
        return int(self.rows("SELECT max(version) FROM schema_migrations")[1][0][0] or 0)

    @abstractmethod
    def create_view(self, sql: str) -> None:
        """Run one CREATE VIEW statement of sql/<dialect>/views/ for this session."""

    def views_current(self, views: Sequence[tuple[str, str]]) -> bool:
        """Whether the ledger itself holds these views (as their published digest says)."""
        return False

    def stored_views_differ(self, views: Sequence[tuple[str, str]]) -> str | None:
        """Before the session makes its own: which stored view differs from its definition, if
        the ledger claims to hold the current ones."""
        return None

    def missing_guard(self) -> str | None:
        """What protection of the history the backend keeps is missing, in words, or None."""
        return None

    def foreign_objects(self, fresh: bool = False) -> str | None:
        """What the ledger holds that can change how quota's SQL reads it (a function, macro,
        operator, type, view, rule, trigger or row policy quota did not make), in words, or None.
        `fresh`: look now, even where a backend remembers a recent look (verify does)."""
        return None

    @abstractmethod
    def publish_views(self, views: Sequence[tuple[str, str]]) -> None:
        """Keep the ledger's own views equal to these (a writer does, after its changes)."""

    @abstractmethod
    def lineage_of(self, ids: Sequence[int]) -> list[tuple[int, int, str]]:
        """(id, kind, export_id) of every lineage row of these IDs."""

    @abstractmethod
    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """The rows of one statement as an Arrow table; IDs as uint64."""

    @abstractmethod
    def batches(self, sql: str, schema: pa.Schema, size: int = 1 << 16) -> Iterator[pa.Table]:
        """The rows of `sql` as Arrow tables of `schema`, `size` rows at a time (ledger copy)."""

    @contextmanager
    def stored_digests(self) -> Iterator[str]:
        """SQL of (export_id, n, digest): the digest of every stored ID set, for as long as the
        block lasts (a backend may compute them first and hold them meanwhile)."""
        yield self.sql("lineage_digests")

    @contextmanager
    def side_by_side(self, n: int) -> Iterator[list[Store]]:
        """Up to `n` more sessions of this ledger that see exactly what this one sees, kept in
        `helpers` while the block lasts: the checks of a verify then run on several cores. None
        where the backend runs each statement on every core already (DuckDB), or where no other
        session can see what this one sees (a transaction that wrote and has not committed)."""
        yield []

    def digests_ahead(self) -> AbstractContextManager[None]:
        """A block in which `stored_digests` may be computed ahead, beside the other checks
        (a backend whose digests cost most of a verify uses the cores the others leave idle)."""
        return nullcontext()

    # -------------------------------------------------------------- writing

    def scanning(self, ids: bool = True) -> AbstractContextManager[None]:
        """A block of whole-ledger checks (verify): where the planner would bet on finding a
        problem in the first rows (LIMIT 1) and loop, it should scan and hash instead. `ids`:
        whether the block re-hashes the stored IDs too (the report's checks do not)."""
        return nullcontext()

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (ledger copy); DuckDB keeps its own."""
        return None

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All or nothing: a block that raises leaves no trace."""

    def lock_append(self) -> None:
        """Hold the chain's end until this transaction ends: writers that share the ledger (see
        `lock_holder`) append one at a time. A backend with one writer at a time needs nothing."""
        return None

    def lock_holder(self, holder: str, wait: float) -> None:
        """Hold one cap's holder for this session, where writers share the ledger (exports to
        different holders then check and record side by side). A backend whose writers hold
        the whole ledger holds every holder already."""
        return None

    @contextmanager
    def appending(self) -> Iterator[None]:
        """One transaction holding the chain's end from its first statement: a check, the time
        it is made at, and the events it leads to, with no other writer's event between them."""
        with self.transaction():
            self.lock_append()
            yield

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def load(self, item: Load) -> None:
        """Bulk rows inside the current transaction."""

    def head(self) -> tuple[int, str]:
        rows = self.rows("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")[1]
        if not rows:
            return 0, genesis(self.ledger_id())
        return int(rows[0][0]), str(rows[0][1])

    def ledger_id(self) -> str:
        rows = self.rows("SELECT ledger_id FROM ledger_meta")[1]
        if len(rows) != 1 or not isinstance(rows[0][0], str):
            raise LedgerError(f"the ledger {self.where} has {len(rows)} ledger-id rows instead of one: it was altered")
        return rows[0][0]

    def append_many(
        self, events: Sequence[tuple[str, dict[str, Any]]], loads: Sequence[Load] = (), at: datetime | None = None
    ) -> list[int]:
        """Record events, their state rows and `loads` in one transaction: all of them or none.
        They are recorded at `at` (a `write_time` this writer read under its lock, which a
        delivery states as its own time), else at the write time now."""
        if not self.writable:
            raise LedgerError("the ledger is open read-only")
        done: list[tuple[int, str]] = []
        with self.transaction():
            self.lock_append()
            if at is None:
                at = self.write_time()
            elif (last := self.last_recorded()) is not None and at < last:
                raise LedgerError(f"an event at {iso(at)} would come before the newest one ({iso(last)})")
            recorded = iso(at)
            seq, prev = self.head()
            first, actor, account = seq + 1, self.actor(), acting_account.get()
            tables: list[str] = []
            for kind, body in events:
                if kind not in STATE_OF:
                    raise LedgerError(f"no state is defined for events of kind {kind!r}")
                if "account" in body:  # only a signed-in account, never a caller, names one
                    raise LedgerError(f"an event of kind {kind!r} cannot state its own account")
                seq += 1
                text = canonical({**body, "actor": actor} | ({"account": account} if account else {}))
                digest = event_hash(prev, seq, recorded, kind, text)
                self.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", [seq, recorded, kind, text, prev, digest])
                tables += [t for t in STATE_OF[kind] if t not in tables]
                done.append((seq, digest))
                prev = digest
            # The state rows come from the very queries verify rebuilds them with
            # (sql/<dialect>/queries/replay.sql, which read the events alone), so the two cannot
            # disagree; one statement per table for all the new events (an import of 10,000
            # rows made 50,000 statements).
            for table in tables:
                self.execute(f"INSERT INTO {table} {self.sql(table)} AND seq >= ? AND seq <= ?", [first, seq])
            for item in loads:
                self.load(item)
        if done:
            stored = dict(self.rows("SELECT seq, hash FROM events WHERE seq >= ?", [done[0][0]])[1])
            for seq, digest in done:
                if stored.get(seq) != digest:
                    raise LedgerError(f"event {seq} did not reach the ledger {self.where}")
        return [seq for seq, _ in done]

    # -------------------------------------------------------------- schema

    def grant_writer(self, role: str) -> None:
        """Let `role` append to this ledger and nothing more (a shared ledger's owner does this)."""
        raise LedgerError(f"the ledger {self.where} is one file: it has no writer role apart from its owner")

    def migrate(self, ledger_id: str | None = None, created_at: datetime | None = None) -> list[str]:
        """Apply the migrations this ledger lacks, each in its own transaction, checksummed.
        A new ledger gets a random id and now, or `ledger_id` and `created_at` (a copy keeps
        its source's)."""
        self.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
            "sha256 VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        done = {int(v): (n, h) for v, n, h in self.rows("SELECT version, name, sha256 FROM schema_migrations")[1]}
        shipped = sqlfiles.migrations(self.dialect)
        if done and max(done) > shipped[-1][0]:
            raise LedgerError(
                f"the ledger {self.where} has migration {max(done)}, newer than this quota's {shipped[-1][0]}: upgrade quota"
            )
        applied = []
        for version, name, sql, digest in shipped:
            if version in done:
                if done[version][1] != digest:
                    raise LedgerError(
                        f"migration {name} differs from the one applied to {self.where}: this quota does not match the ledger"
                    )
                continue
            with self.transaction():
                self.run_script(sql, name)
                now = self.now().replace(tzinfo=None)
                self.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)", [version, name, digest, now])
                if version == 1:
                    self.execute(
                        "INSERT INTO ledger_meta VALUES (?, ?)", [ledger_id or secrets.token_hex(16), created_at or now]
                    )
            applied.append(name)
        return applied

    @abstractmethod
    def run_script(self, sql: str, name: str) -> None:
        """Several statements of a migration file."""

    @abstractmethod
    def user_select(self, query: str, timeout: float, max_rows: int, max_bytes: int) -> pa.Table:
        """A user's one SELECT (quota sql), locked down by this backend, as Arrow typed as the
        database declared it; read until it is past `max_rows` rows or `max_bytes` (the caller
        refuses such an answer), never further. UsageError (QueryTimeout) for what the user
        can fix."""


def first_line(e: BaseException) -> str:
    """The first line of a database error, cut short."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."
