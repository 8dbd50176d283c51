"""The ledger: a record that only ever grows, kept by a backend of `quota.store`.

What it guarantees, on every backend:
- Every change is an event in a SHA-256 hash chain (`events`, see quota.store.chain). The
  state tables are written from the event in the same transaction, and `verify` rebuilds
  them from the events to prove they hold exactly that.
- Rows are inserted, never updated or deleted; corrections are new events.
- A check and the record it leads to never interleave with another writer's of the same cap:
  DuckDB has one writer at a time (a file lock); on PostgreSQL, exports to different holders
  share the ledger's advisory lock, each holding its holder's, and append one at a time
  (`appending`); every other writer holds the ledger alone.

What the chain alone cannot catch is stated in the README ("What verify proves").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import LedgerError, UsageError
from quota.store import Load, Store, open_store, sqlfiles
from quota.store.chain import EVENT_KINDS, LINEAGE_KINDS, STATE_TABLES, canonical, event_hash, genesis
from quota.store.verify import VerifyReport, check_schema
from quota.store.verify import extends as _extends
from quota.store.verify import verify as _verify
from quota.times import iso, utc_naive

if TYPE_CHECKING:
    import pyarrow as pa

    from quota.policy import Profile
    from quota.store.copy import CopyReport

__all__ = [
    "EVENT_KINDS", "LINEAGE_KINDS", "STATE_TABLES", "Session", "VerifyReport", "canonical", "check_name",
    "event_hash", "genesis", "iso", "read_checkpoint", "utc_naive",
]  # fmt: skip

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")
# A named query (quota/store/sql/*/queries/): SQL always holds a space, a name never does.
_QUERY_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def check_name(what: str, value: str) -> str:
    if not _NAME.fullmatch(value):
        raise UsageError(
            f"{what} {value!r} must be letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
        )
    return value


def foreign(where: str, what: str, how: str = "that quota did not make") -> str:
    return (
        f"the ledger {where} holds a {what} {how}: it can change what quota reads, so quota refuses the ledger "
        "(remove it as the ledger's owner, or restore the ledger from a copy, then run quota ledger verify)"
    )


class Session:
    """An open ledger. Use `Session.open(...)` as a context manager."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.writable = store.writable
        self.applied: list[str] = []  # the migrations `quota init` applied

    @property
    def path(self) -> str:
        """How messages name the ledger: its file, or its server, database and schema."""
        return self.store.where

    @property
    def created(self) -> bool:
        """Whether this session made the ledger (quota init on nothing)."""
        return any(name.startswith("0001_") for name in self.applied)

    @property
    def dialect(self) -> str:
        return self.store.dialect

    @classmethod
    @contextmanager
    def open(
        cls,
        db: str | Path | None = None,
        write: bool = False,
        wait: float = 60.0,
        create: bool = False,
        say: Callable[[str], None] | None = None,
        shared: bool = False,
    ) -> Iterator[Session]:
        """`shared` (with write): a writer of one holder's exports, which takes that holder's
        lock (`lock_holder`) and shares the ledger with writers of other holders where the
        backend allows (PostgreSQL); they append one at a time."""
        with open_store(db, write or create, wait, create, say or _stderr, shared and write) as store:
            ledger = cls(store)
            where = store.where
            if create:
                before = store.schema_version() if store.initialised() else 0
                ledger.applied = store.migrate()
                if ledger.applied and before and store.head()[0] > 0:
                    # The events so far were judged by the rules of migration `before`; verify
                    # applies what the new migrations bring to the events after this one.
                    newest = sqlfiles.migrations(store.dialect)[-1][0]
                    ledger.append("upgrade", {"from": before, "to": newest, "migrations": ledger.applied})
            elif not store.initialised():
                raise LedgerError(f"{where} is not a quota ledger (run quota init)")
            else:
                version, newest = store.schema_version(), sqlfiles.migrations(store.dialect)[-1][0]
                if version < newest:
                    raise LedgerError(f"the ledger {where} was made by an older quota: upgrade it with quota init")
                if version > newest:
                    raise LedgerError(
                        f"the ledger {where} was made by a newer quota (migration {version}): upgrade quota"
                    )
            if (found := store.foreign_objects()) is not None:
                raise LedgerError(foreign(where, found))
            ledger._publish_views()
            yield ledger
            ledger._publish_views()  # `policy use` changes the views' numbers

    def _publish_views(self) -> None:
        # A shared writer records exports only, which change no view; the exclusive writer that
        # changed one (quota init, policy use) publishes it.
        if not (self.writable and self.store.keeps_views) or self.store.shared:
            return
        try:
            statements = self.view_sql()
        except LedgerError:
            return  # a profile this code does not know: every reader says so; the views stay
        self.store.publish_views(statements)

    # -------------------------------------------------------------- reading

    @property
    def ledger_id(self) -> str:
        return self.store.ledger_id()

    def head(self) -> tuple[int, str]:
        return self.store.head()

    def now(self) -> datetime:
        """The ledger's clock: the database server's on PostgreSQL, this machine's on DuckDB."""
        return self.store.now()

    def stamp(self) -> datetime:
        """Now, as a writer will record it (never before the newest event): the time of a
        delivery, read under the write lock and handed to `append(..., at=)`."""
        return self.store.write_time()

    def profile(self) -> Profile:
        """The policy profile in force now: the reading `quota policy use` chose, if the text of
        X's it reads is in force now, else the default (policy.judging)."""
        from quota.policy import judging

        return judging(self.chosen_profile(), self.now())

    def chosen_profile(self) -> Profile:
        """The reading the last `quota policy use` chose, else the default."""
        from quota.policy import DEFAULT_PROFILE, PROFILES

        rows = self.store.rows("SELECT profile FROM policy_changes ORDER BY seq DESC LIMIT 1")[1]
        name = rows[0][0] if rows else DEFAULT_PROFILE
        if name not in PROFILES:
            raise LedgerError(
                f"the ledger {self.path} uses the policy profile {name!r}, which this version does not know"
            )
        return PROFILES[name]

    def view_sql(self) -> list[tuple[str, str]]:
        """(name, CREATE VIEW statement) of every documented view (sql/<dialect>/views/), in
        dependency order, with the numbers of the profile in force filled in."""
        from quota.policy import micros

        profile = self.profile()
        values = {
            "{window_us}": str(micros(profile.window)),
            "{object_window_us}": str(micros(profile.object_window)),
            "{post_id_cap}": "NULL" if profile.post_id_cap is None else str(profile.post_id_cap),
            "{notice_deadline_us}": str(micros(profile.notice_deadline)),
        }
        out = []
        for name, sql in sqlfiles.views(self.dialect):
            for key, value in values.items():
                sql = sql.replace(key, value)
            out.append((name, sql))
        return out

    def views(self, upto: str | None = None) -> list[str]:
        """Make the documented views available to this session. DuckDB: as TEMP views, created
        here from the installed code (not stored in the file, so a read-only ledger has them and
        an upgrade never rewrites them). PostgreSQL: the schema's own views, which writers keep
        current for the reader role; where they are not (an older quota wrote last), TEMP views
        shadow them. With `upto`, only the views up to that one (each costs a few ms)."""
        done = self.store.views_made
        files = sqlfiles.views(self.dialect)
        if (upto is None and len(done) < len(files)) or (upto is not None and upto not in done):
            statements = self.view_sql()
            # quota reads through the definitions it ships, made here, never through stored
            # ones; stored ones that claim to be current must be exactly those.
            if not done and (name := self.store.stored_views_differ(statements)) is not None:
                raise LedgerError(foreign(self.path, f"view {name}", "that differs from quota's definition of it"))
            for name, sql in statements:
                if name not in done:
                    self.store.create_view(sql)
                    done.append(name)
                if name == upto:
                    break
        return list(done)

    def _text(self, sql: str, fragments: dict[str, object]) -> str:
        """A named query's text (a bare name, as in quota/store/sql/*/queries/), its `{fragments}`
        filled in; or `sql` itself."""
        if _QUERY_NAME.fullmatch(sql):
            return self.store.sql(sql, **fragments)
        if fragments:
            raise ValueError("fragments fill named queries only")
        return sql

    def query(self, sql: str, params: Sequence[Any] | None = None, **fragments: object) -> list[dict[str, Any]]:
        """Rows of a named query, or of portable SQL (`?` for each parameter), as dicts."""
        return self.store.query(self._text(sql, fragments), params or [])

    def rows(self, sql: str, params: Sequence[Any] | None = None, **fragments: object) -> list[tuple[Any, ...]]:
        """Rows of a named query, or of portable SQL, as tuples."""
        return self.store.rows(self._text(sql, fragments), params or [])[1]

    def arrow(self, sql: str, params: Sequence[Any] | None = None, **fragments: object) -> pa.Table:
        """Rows of a named query, or of portable SQL, as an Arrow table (IDs as uint64)."""
        return self.store.arrow(self._text(sql, fragments), params or [])

    def lineage_of(self, ids: Sequence[int]) -> list[tuple[int, int, str]]:
        return self.store.lineage_of(ids)

    # -------------------------------------------------------------- writing

    def append(self, kind: str, body: dict[str, Any], loads: Sequence[Load] = (), at: datetime | None = None) -> int:
        """Record one event and its state (and `loads`, e.g. lineage) in one transaction; `at`:
        a `stamp()` the event is recorded at (else now)."""
        return self.append_many([(kind, body)], loads, at)[-1]

    def append_many(
        self, events: list[tuple[str, dict[str, Any]]], loads: Sequence[Load] = (), at: datetime | None = None
    ) -> list[int]:
        """Record several events in one transaction: all of them or none."""
        return self.store.append_many(events, loads, at)

    @property
    def shared(self) -> bool:
        """Whether this writer shares the ledger with writers of other holders (PostgreSQL's
        writers of exports; a DuckDB file's one writer holds every holder)."""
        return self.store.shared

    def lock_holder(self, holder: str, wait: float) -> None:
        """Hold `holder` (whose cap an export counts toward) until the session closes."""
        self.store.lock_holder(holder, wait)

    def appending(self) -> AbstractContextManager[None]:
        """A block that holds the chain's end: the time read in it, the checks made in it and
        the events it records follow every other writer's events and precede the next one's."""
        return self.store.appending()

    # -------------------------------------------------------------- proving

    def verify(
        self,
        full: bool = True,
        checkpoint: str | None = None,
        since: str | None = None,
        tables: bool = False,
        rows_after: bool = False,
    ) -> VerifyReport:
        """Recompute the chain, rebuild every state table from the events, re-hash every ID set,
        and recompute every limit from the entries (quota.store.verify); with `checkpoint` (the
        text of one), also that the ledger extends it. With `since` (the text of a checkpoint),
        that the ledger extends it and the same checks of what came after it only. `tables`
        (with full=False): every state table is still compared with its rebuild; with `rows_after`
        (`since` being a checkpoint a verify kept), only the rows made after it."""
        self.views()  # stored views that claim to be quota's must be (LedgerError if not)
        if since is not None:
            scope = _extends(self.store, since)
            if isinstance(scope, str):
                count, head = self.head()
                return VerifyReport(False, self.ledger_id, count, head, scope, None)
            return _verify(self.store, self.profile().name, full, scope, tables, rows_after)
        report = _verify(self.store, self.profile().name, full, tables=tables)
        if report.ok and checkpoint is not None and (why := self.extends(checkpoint)):
            report.ok, report.problem = False, why
        return report

    def verify_log(self, directory: Path) -> tuple[int, str | None]:
        """The ledger against every checkpoint of its log in `directory`: how many were
        checked, and why the first it does not extend fails (None when it extends them all)."""
        log, lines = read_checkpoint_log(directory, self.ledger_id)
        for n, line in enumerate(lines, 1):
            if (why := self.extends(line)) is not None:
                return n, f"{log}, line {n}: {why}"
        return len(lines), None

    def copy_to(
        self,
        to: str | Path,
        wait: float = 60.0,
        say: Callable[[str], None] | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> CopyReport:
        """Copy this whole ledger into a new one (a file or a PostgreSQL schema), verified; the
        copy extends the same chain (quota.store.copy)."""
        from quota.store.copy import copy_ledger

        def publish(store: Store) -> None:
            Session(store)._publish_views()

        return copy_ledger(self.store, self.profile().name, to, wait, say or _stderr, publish, progress)

    def check(self, name: str) -> tuple[int, str] | None:
        """One of verify's checks by name ("windows", "exemptions", "lineage", ...): the event
        number and sentence of the first problem it finds, or None."""
        from quota.store import verify

        if name == "schema":
            return check_schema(self.store)
        found: tuple[int, str] | None = getattr(verify, f"check_{name}")(self.store, self.profile().name)
        return found

    def checkpoint(self) -> str:
        seq, head = self.head()
        return f"quota-checkpoint {self.ledger_id} {seq} {head} {iso(self.now())}"

    def extends(self, checkpoint: str) -> str | None:
        """None if this ledger extends `checkpoint`, else why not."""
        found = _extends(self.store, checkpoint)
        return found if isinstance(found, str) else None


def read_checkpoint(path: Path) -> str:
    """A checkpoint file's text: one short line, so at most 4 KiB is read of whatever it is."""
    from quota.errors import BadInput
    from quota.readers.source import document_file, read_bounded

    name = str(path)
    document_file(path, name)
    try:
        with open(path, "rb") as f:
            data = read_bounded(f, name, 4096)
    except OSError as e:
        raise BadInput(name, f"cannot be read ({e.strerror})") from None
    except BadInput:
        raise BadInput(name, "is larger than a checkpoint (one line of quota ledger checkpoint)") from None
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise BadInput(name, "is not a quota checkpoint (it is not plain text)") from None


def checkpoint_log(directory: Path, ledger_id: str) -> Path:
    """The log of one ledger's checkpoints in a directory kept apart from the ledger."""
    return directory / f"checkpoints-{ledger_id}.log"


def append_checkpoint(directory: Path, ledger_id: str, line: str) -> Path:
    """Add `line` to the ledger's checkpoint log in `directory` (made if need be), fsynced."""
    import os
    import stat

    from quota.errors import UsageError

    log = checkpoint_log(directory, ledger_id)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Non-blocking: a FIFO put in the log's place fails at once instead of waiting.
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
    except OSError as e:
        raise UsageError(f"cannot write the checkpoint log {log} ({e.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UsageError(f"{log} is not a regular file: the checkpoint log is one")
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return log


def verified_file(directory: Path, ledger_id: str) -> Path:
    """The checkpoint of the ledger's last successful full verify, beside its log."""
    return directory / f"verified-{ledger_id}.txt"


def keep_verified(directory: Path, ledger_id: str, line: str) -> Path:
    """After a verify that passed: its checkpoint appended to the log, and kept as the last
    verified one (replaced whole, never half-written), which `quota report` may start from."""
    from quota.output import replace_file

    log = append_checkpoint(directory, ledger_id, line)
    replace_file(verified_file(directory, ledger_id), line + "\n", "the last verified checkpoint")
    return log


def read_verified(directory: Path, ledger_id: str) -> str | None:
    """The checkpoint `keep_verified` kept for the ledger in `directory`, if there is one."""
    path = verified_file(directory, ledger_id)
    return read_checkpoint(path) if path.exists() else None


def read_checkpoint_log(directory: Path, ledger_id: str) -> tuple[Path, list[str]]:
    """Every checkpoint in the ledger's log in `directory` (none when there is no log yet)."""
    from quota.errors import BadInput
    from quota.readers.source import document_file

    log = checkpoint_log(directory, ledger_id)
    if not log.exists():
        return log, []
    document_file(log, str(log))
    try:
        text = log.read_bytes().decode("ascii")
    except OSError as e:
        raise BadInput(str(log), f"cannot be read ({e.strerror})") from None
    except UnicodeDecodeError:
        raise BadInput(str(log), "is not a checkpoint log (it is not plain text)") from None
    return log, [line for line in text.splitlines() if line.strip()]


def _stderr(message: str) -> None:
    print(f"quota: {message}", file=sys.stderr)
