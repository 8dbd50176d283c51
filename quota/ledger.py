"""The ledger: one DuckDB file that only ever grows.

What it guarantees:
- Every change is an event in a SHA-256 hash chain (`events`): each event's hash covers its
  sequence number, time, kind, canonical body and the previous hash; the first event's
  previous hash is derived from the ledger's random id. The state tables are written from
  the event in the same transaction, and `verify` rebuilds them from the events to prove
  they hold exactly that.
- Rows are inserted, never updated or deleted; corrections are new events.
- Writers hold an exclusive `flock` on `<ledger>.lock`, readers a shared one, so a check and
  the record it leads to can never interleave with another writer's.
- The file and its lock are created owner-only (0600).

What the chain alone cannot catch is stated in the README ("What verify proves").
"""

from __future__ import annotations

import errno
import fcntl
import functools
import hashlib
import json
import os
import re
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import LedgerError, UsageError
from quota.times import iso, utc_naive

if TYPE_CHECKING:
    import duckdb

    from quota.policy import Profile

STATE_TABLES = (
    "entities",
    "terms_acceptances",
    "persons",
    "permissions",
    "policy_changes",
    "reservations",
    "commits",
    "releases",
    "voids",
    "exemptions",
    "exemption_persons",
    "exemption_revocations",
    "exemption_uses",
    "manual_exports",
    "deletion_notices",
    "deletion_notice_sent",
    "output_places",
    "publications",
    "deletion_notice_voids",
    "id_sources",
    "breaches",
    "group_links",
    "entity_domains",
    "person_moves",
    "recipient_warnings",
)
LINEAGE_KINDS = {"post": 1, "user": 2, "dm": 3}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,127}")


def default_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "quota" / "ledger.duckdb"


def resolve_path(db: str | Path | None) -> Path:
    """--db, else $QUOTA_DB, else the per-user default."""
    if db:
        return Path(db)
    env = os.environ.get("QUOTA_DB")
    return Path(env) if env else default_path()


def check_name(what: str, value: str) -> str:
    if not _NAME.fullmatch(value):
        raise UsageError(
            f"{what} {value!r} must be letters, digits, '.', '_', '-' or '@', starting with a letter or digit"
        )
    return value


def canonical(value: Any) -> str:
    """The one JSON text of `value`: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev: str, seq: int, recorded_at: str, kind: str, body: str) -> str:
    return hashlib.sha256("\n".join((prev, str(seq), recorded_at, kind, body)).encode()).hexdigest()


def genesis(ledger_id: str) -> str:
    return hashlib.sha256(f"quota-ledger:{ledger_id}".encode()).hexdigest()


# ------------------------------------------------------------------ locking


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


# ------------------------------------------------------------------ events -> state

EVENT_KINDS = (
    "entity", "terms", "person", "permission", "policy", "reserve", "commit", "release", "void", "import",
    "exemption", "exemption_revoke", "manual", "notice", "notice_sent", "publish",
    "notice_void", "entity_link", "person_move",
)  # fmt: skip


@functools.cache
def _state_sql() -> dict[str, str]:
    return replay_queries()


@functools.cache
def _tables_of(kind: str) -> tuple[str, ...]:
    """The state tables an event kind writes: those whose query's WHERE names the kind."""
    out = []
    for table, sql in _state_sql().items():
        where = sql[sql.rindex("WHERE") :]
        named = re.findall(r"kind = '([a-z_]+)'|kind IN \(([^)]*)\)", where)
        kinds = {k for one, many in named for k in ([one] if one else re.findall(r"'([a-z_]+)'", many))}
        if kind in kinds:
            out.append(table)
    return tuple(out)


def apply_event(con: duckdb.DuckDBPyConnection, seq: int, kind: str) -> None:
    """Write the state rows of event `seq` (already in `events`) with the very queries that
    `verify` rebuilds them with (sql/queries/replay.sql), so the two cannot disagree."""
    tables = _tables_of(kind)
    if not tables:
        raise LedgerError(f"no state is defined for events of kind {kind!r}")
    for table in tables:
        con.execute(f"INSERT INTO {table} {_state_sql()[table]} AND seq = ?", [seq])


# ------------------------------------------------------------------ the ledger


def sql_dir() -> Traversable:
    """The SQL files: installed as quota.sql; in a source tree run as is, the top-level sql/."""
    try:
        return resources.files("quota.sql")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "sql"


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in sql/migrations, in order."""
    folder = sql_dir().joinpath("migrations")
    out = []
    for f in folder.iterdir():
        if f.name.endswith(".sql"):
            out.append((int(f.name.split("_", 1)[0]), f.name, f.read_text(encoding="utf-8")))
    return sorted(out)


def replay_queries(file: str = "replay.sql") -> dict[str, str]:
    """The named queries of a file of sql/queries/ (`-- name: NAME` before each)."""
    text = sql_dir().joinpath("queries", file).read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for part in text.split("-- name: ")[1:]:
        name, _, sql = part.partition("\n")
        lines = [line for line in sql.strip().splitlines() if not line.startswith("--")]
        out[name.strip()] = "\n".join(lines).strip().rstrip(";")
    return out


@functools.cache
def shared_sql(name: str) -> str:
    """A named fragment of sql/queries/holders.sql, as a subquery."""
    return f"({replay_queries('holders.sql')[name]})"


def view_files() -> list[tuple[str, str]]:
    """(name, sql) of sql/views/*.sql in order; each defines one view named after the file."""
    folder = sql_dir().joinpath("views")
    files = sorted((f.name, f.read_text(encoding="utf-8")) for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name.split("_", 1)[1].removesuffix(".sql"), sql) for name, sql in files]


@dataclass
class VerifyReport:
    ok: bool
    ledger_id: str
    events: int
    head: str
    problem: str | None = None
    bad_seq: int | None = None
    # Past deliveries recorded as breaches of the cap: verify passes, and names each.
    breaches: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Ledger:
    """An open ledger. Use `Ledger.open(...)` as a context manager."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, writable: bool) -> None:
        self.path = path
        self.con = con
        self.writable = writable

    @classmethod
    @contextmanager
    def open(
        cls,
        db: str | Path | None,
        write: bool = False,
        wait: float = 60.0,
        create: bool = False,
        say: Callable[[str], None] | None = None,
    ) -> Iterator[Ledger]:
        import duckdb

        path = resolve_path(db)
        if path.exists() and not path.is_file():
            raise UsageError(f"{path} is not a ledger file (it is a directory or a device): give a file path")
        if not path.exists() and not create:
            raise LedgerError(f"there is no ledger at {path}: create it with quota init (or pass --db)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LedgerError(f"cannot create the ledger's directory {path.parent} ({e.strerror})") from None
        lock = _Lock(path.with_name(path.name + ".lock"), write or create, wait, say or _stderr)
        old_umask = os.umask(0o077)  # the ledger, its WAL and temp files: owner-only
        try:
            try:
                con = duckdb.connect(str(path), read_only=not (write or create))
            except duckdb.IOException as e:
                if "lock" in str(e).lower():
                    raise LedgerError(f"the ledger {path} is open in another program; close it and try again") from None
                raise LedgerError(f"cannot open the ledger {path}: {_first(e)}") from None
            except duckdb.Error as e:
                raise LedgerError(f"cannot open the ledger {path}: {_first(e)}") from None
            try:
                ledger = cls(path, con, write or create)
                if create:
                    ledger._migrate()
                    os.chmod(path, 0o600)
                elif not ledger._initialised():
                    raise LedgerError(f"{path} is not a quota ledger (run quota init)")
                elif ledger._behind():
                    raise LedgerError(f"the ledger {path} was made by an older quota: upgrade it with quota init")
                yield ledger
            except (duckdb.BinderException, duckdb.ParserException):
                raise  # quota's own SQL is wrong: a bug, shown as one
            except duckdb.Error as e:
                # A damaged or truncated file surfaces as whatever error the read that met it gives.
                raise LedgerError(f"the ledger {path} cannot be read: {_first(e)}") from None
            finally:
                con.close()
        finally:
            os.umask(old_umask)
            lock.release()

    # -------------------------------------------------------------- schema

    def _initialised(self) -> bool:
        rows = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations'"
        ).fetchall()
        return bool(rows[0][0])

    def _behind(self) -> bool:
        applied = self.con.execute("SELECT max(version) FROM schema_migrations").fetchall()[0][0] or 0
        return applied < migrations()[-1][0]

    def _migrate(self) -> list[str]:
        import duckdb

        con = self.con
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
            "sha256 VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        done = {v: (n, h) for v, n, h in con.execute("SELECT version, name, sha256 FROM schema_migrations").fetchall()}
        applied = []
        for version, name, sql in migrations():
            digest = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version][1] != digest:
                    raise LedgerError(
                        f"migration {name} differs from the one applied to {self.path}: this quota does not match the ledger"
                    )
                continue
            con.execute("BEGIN")
            try:
                try:
                    con.execute(sql)
                except duckdb.Error as e:
                    raise LedgerError(f"migration {name} failed on {self.path}: {e}") from None
                now = utc_naive(datetime.now(UTC))
                con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?)", [version, name, digest, now])
                if version == 1:
                    con.execute("INSERT INTO ledger_meta VALUES (?, ?)", [secrets.token_hex(16), now])
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            applied.append(name)
        return applied

    # -------------------------------------------------------------- reading

    @property
    def ledger_id(self) -> str:
        rows = self.con.execute("SELECT ledger_id FROM ledger_meta").fetchall()
        if len(rows) != 1 or not isinstance(rows[0][0], str):
            raise LedgerError(
                f"the ledger {self.path} has {len(rows)} ledger-id rows instead of one: the file was altered"
            )
        return rows[0][0]

    def head(self) -> tuple[int, str]:
        rows = self.con.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchall()
        if not rows:
            return 0, genesis(self.ledger_id)
        return int(rows[0][0]), str(rows[0][1])

    def profile(self) -> Profile:
        """The policy profile in force: the last one `quota policy use` chose, else the default."""
        from quota.policy import DEFAULT_PROFILE, PROFILES

        rows = self.con.execute("SELECT profile FROM policy_changes ORDER BY seq DESC LIMIT 1").fetchall()
        name = rows[0][0] if rows else DEFAULT_PROFILE
        if name not in PROFILES:
            raise LedgerError(
                f"the ledger {self.path} uses the policy profile {name!r}, which this version does not know"
            )
        return PROFILES[name]

    def views(self, upto: str | None = None) -> list[str]:
        """Create the documented views (sql/views/) on this connection, as TEMP views: they are
        part of the installed code, not of the file, so a read-only ledger has them too and an
        upgrade never has to rewrite them. Numbers come from the profile in force. With `upto`,
        only the views up to that one (files are in dependency order): each costs a few ms."""
        done: list[str] = getattr(self, "_views", None) or []
        if (upto is None and len(done) < len(view_files())) or (upto is not None and upto not in done):
            from quota.policy import micros

            profile = self.profile()
            values = {
                "{window_us}": str(micros(profile.window)),
                "{object_window_us}": str(micros(profile.object_window)),
                "{post_id_cap}": "NULL" if profile.post_id_cap is None else str(profile.post_id_cap),
                "{notice_deadline_us}": str(micros(profile.notice_deadline)),
            }
            for name, sql in view_files():
                if name not in done:
                    for key, value in values.items():
                        sql = sql.replace(key, value)
                    self.con.execute(sql)
                    done.append(name)
                if name == upto:
                    break
            self._views: list[str] = done
        return list(done)

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # -------------------------------------------------------------- writing

    def append(
        self, kind: str, body: dict[str, Any], also: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    ) -> int:
        """Record one event and its state (and `also`, e.g. lineage) in one transaction."""
        return self.append_many([(kind, body)], also)[-1]

    def append_many(
        self,
        events: list[tuple[str, dict[str, Any]]],
        also: Callable[[duckdb.DuckDBPyConnection], None] | None = None,
    ) -> list[int]:
        """Record several events in one transaction: all of them or none."""
        if not self.writable:
            raise LedgerError("the ledger is open read-only")
        con = self.con
        done: list[tuple[int, str]] = []
        con.execute("BEGIN")
        try:
            seq, prev = self.head()
            for kind, body in events:
                seq += 1
                text = canonical(body)
                recorded = iso(datetime.now(UTC))
                digest = event_hash(prev, seq, recorded, kind, text)
                con.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)", [seq, recorded, kind, text, prev, digest])
                apply_event(con, seq, kind)
                done.append((seq, digest))
                prev = digest
            if also is not None:
                also(con)
        except BaseException:
            # Never COMMIT after an error: DuckDB would silently roll back and look successful.
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
        for seq, digest in done:
            stored = con.execute("SELECT hash FROM events WHERE seq = ?", [seq]).fetchall()
            if not stored or stored[0][0] != digest:
                raise LedgerError(f"event {seq} did not reach the ledger {self.path}")
        return [seq for seq, _ in done]

    # -------------------------------------------------------------- proving

    def verify(self, full: bool = True) -> VerifyReport:
        """Recompute the chain, rebuild every state table from the events, re-hash every ID set.

        All three run as SQL over the ledger (window functions and sha256 in DuckDB), so that
        a ledger of a million exports verifies in seconds, not minutes."""
        con = self.con
        try:
            ledger_id = self.ledger_id
        except LedgerError as e:
            return VerifyReport(False, "", 0, "", str(e), 0)
        start = genesis(ledger_id)
        kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
        bad = con.execute(
            f"""WITH e AS (
                    SELECT seq, kind, body, prev_hash, hash,
                           row_number() OVER (ORDER BY seq) AS n,
                           coalesce(lag(hash) OVER (ORDER BY seq), ?) AS before,
                           sha256(prev_hash || chr(10) || seq::VARCHAR || chr(10) || recorded_at || chr(10)
                                  || kind || chr(10) || body) AS recomputed
                    FROM events)
                SELECT n, seq, kind, prev_hash = before, recomputed = hash, kind IN ({kinds})
                FROM e
                WHERE seq <> n OR prev_hash <> before OR recomputed <> hash OR kind NOT IN ({kinds})
                   OR NOT json_valid(body)
                ORDER BY seq LIMIT 1""",
            [start],
        ).fetchall()
        if bad:
            n, seq, kind, linked, intact, known = bad[0]
            if seq != n:
                problem, at = f"event {n} is missing (the next is {seq})", n
            elif not linked:
                problem, at = f"event {seq} does not follow event {seq - 1}: its previous hash differs", seq
            elif not intact:
                problem, at = f"event {seq} ({kind}) was altered: its content no longer matches its hash", seq
            elif not known:
                problem, at = f"event {seq} has an unknown kind {kind!r}", seq
            else:
                problem, at = f"event {seq} has a body that is not JSON", seq
            return VerifyReport(False, ledger_id, at - 1, "", problem, at)
        count, head = self.head()
        if problem := self._check_schema():
            return VerifyReport(False, ledger_id, count, head, problem[1], problem[0])
        # full=False (the report) checks the chain and the rules but neither rebuilds every
        # table from the events nor re-hashes every stored ID: those two cost most of the time.
        checks = [self._check_profiles, self._check_windows, self._check_exemptions, self._check_objects]
        if full:
            checks = [self._compare_state, self._check_lineage, *checks, self._check_notices]
        problem = None
        for check in checks:
            if problem := check():
                break
        if problem:
            return VerifyReport(False, ledger_id, count, head, problem[1], problem[0])
        breaches = self.query(
            """SELECT b.export_id, r.entity, r.delivered_at AS "at", r.post_ids, b.reason
               FROM breaches b JOIN reservations r USING (export_id) ORDER BY r.delivered_at, b.export_id"""
        )
        return VerifyReport(True, ledger_id, count, head, breaches=breaches)

    def _check_schema(self) -> tuple[int, str] | None:
        """The migrations recorded in the file are exactly those shipped with this code, by
        number, name and checksum: a renamed or re-checksummed row means someone edited them."""
        recorded = {
            int(v): (n, h)
            for v, n, h in self.con.execute("SELECT version, name, sha256 FROM schema_migrations").fetchall()
        }
        shipped = {v: (n, hashlib.sha256(sql.encode()).hexdigest()) for v, n, sql in migrations()}
        for version in sorted(set(recorded) | set(shipped)):
            if version not in recorded:
                return (0, f"migration {shipped[version][0]} is not recorded in the ledger")
            if version not in shipped:
                return (0, f"the ledger records a migration {version} ({recorded[version][0]}) this code does not have")
            if recorded[version] != shipped[version]:
                name = shipped[version][0]
                what = "name" if recorded[version][0] != name else "checksum"
                return (0, f"the {what} recorded for migration {name} differs from the migration itself")
        return None

    def _check_lineage(self) -> tuple[int, str] | None:
        """Each export's stored IDs must hash to the digests its reserve event recorded."""
        empty = hashlib.sha256(b"").hexdigest()
        kinds = ", ".join(f"({n}, '{k}')" for k, n in LINEAGE_KINDS.items())
        rows = self.con.execute(
            f"""WITH k(n, kind) AS (VALUES {kinds}),
                stored AS (
                    SELECT export_id, kind AS n,
                           sha256(array_to_string(list_sort(list(id)), chr(10)) || chr(10)) AS digest
                    FROM lineage GROUP BY ALL),
                recorded AS (
                    SELECT r.seq, r.export_id, k.n, k.kind,
                           coalesce(json_extract_string(r.ids_sha256, '$.' || k.kind), ?) AS digest
                    FROM (SELECT seq, export_id, ids_sha256 FROM reservations
                          UNION ALL SELECT seq, export_id, ids_sha256 FROM manual_exports) r CROSS JOIN k)
                SELECT rec.seq, rec.export_id, rec.kind
                FROM recorded rec LEFT JOIN stored s ON s.export_id = rec.export_id AND s.n = rec.n
                WHERE coalesce(s.digest, ?) <> rec.digest
                ORDER BY rec.seq LIMIT 1""",
            [empty, empty],
        ).fetchall()
        if rows:
            seq, export_id, kind = rows[0]
            return (
                int(seq),
                f"the {kind} IDs stored for export {export_id} differ from those its event {seq} recorded",
            )
        orphans = self.con.execute(
            """SELECT DISTINCT export_id FROM lineage WHERE export_id NOT IN (SELECT export_id FROM reservations)
               AND export_id NOT IN (SELECT export_id FROM manual_exports) LIMIT 1"""
        ).fetchall()
        if orphans:
            return (0, f"IDs are stored for export {orphans[0][0]}, which no event recorded")
        return None

    def _profiles(self) -> str:
        """Every profile this code knows, as a VALUES table for SQL.

        Each window is judged by the profile of the entry recorded last in it (highest seq).
        Recording that entry checked every window holding it against the profile then in force,
        and later entries are not in the window, so an honest ledger always passes, even
        after `quota policy use` changed the numbers."""
        from quota.policy import PROFILES, micros

        rows = ", ".join(
            f"('{p.name}', {'NULL' if p.post_id_cap is None else p.post_id_cap}, {micros(p.window)}, "
            f"{p.objects_per_person}, {micros(p.object_window)}, '{p.object_days}')"
            for p in PROFILES.values()
        )
        return f"profiles(name, post_id_cap, window_us, objects, object_window_us, object_days) AS (VALUES {rows})"

    def _check_profiles(self) -> tuple[int, str] | None:
        """Each entry names a known profile, the one in force when it was recorded, so the checks
        below may judge windows by it (a forged entry cannot pick a more lenient profile)."""
        from quota.policy import DEFAULT_PROFILE, PROFILES

        known = ", ".join(f"'{name}'" for name in PROFILES)
        bad = self.con.execute(
            f"""WITH entries AS (
                    SELECT seq, export_id, profile FROM reservations
                    UNION ALL SELECT seq, export_id, profile FROM manual_exports)
                SELECT e.seq, e.export_id, e.profile, coalesce(p.profile, ?) AS in_force
                FROM entries e ASOF LEFT JOIN policy_changes p ON e.seq >= p.seq
                WHERE e.profile <> coalesce(p.profile, ?) OR e.profile NOT IN ({known})
                ORDER BY e.seq LIMIT 1""",
            [DEFAULT_PROFILE, DEFAULT_PROFILE],
        ).fetchall()
        if not bad:
            return None
        seq, export_id, recorded, in_force = bad[0]
        if recorded not in PROFILES:
            return (int(seq), f"export {export_id} names the profile {recorded}, which this version does not know")
        return (
            int(seq),
            f"export {export_id} names the profile {recorded}, but {in_force} was in force when it was recorded",
        )

    def _check_windows(self) -> tuple[int, str] | None:
        """No 30-day window of any entity over its cap, recomputed from the entries alone.

        Usage peaks where an entry lands, and the cap drops where a permission ends, so the
        windows ending at those instants are all that can be over. `(t - 30 days, t]` is
        `[t - 30 days + 1 us, t]` at the microsecond precision of TIMESTAMP. Each window has the
        cap of the profile its last-recorded entry names (see `_profiles`)."""
        from quota.policy import PROFILES, micros

        current = self.profile().name
        for window in sorted({p.window for p in PROFILES.values()}):
            span = micros(window) - 1
            bad = self.con.execute(
                f"""WITH {self._profiles()},
                    -- `entity` here is the holder of the cap: the entry's group then, or its entity.
                    counted AS (
                        SELECT holder AS entity, delivered_at AS t, post_ids, seq, profile, export_id
                        FROM {shared_sql("entry_holders")}
                        WHERE basis <> 'exemption'
                          AND export_id NOT IN (SELECT export_id FROM releases)
                          AND export_id NOT IN (SELECT export_id FROM voids)),
                    ends AS (
                        SELECT entity, t, seq, sum(post_ids) OVER (PARTITION BY entity ORDER BY t
                            RANGE BETWEEN INTERVAL {span} MICROSECOND PRECEDING AND CURRENT ROW) AS used
                        FROM counted
                        UNION ALL
                        SELECT p.entity, p.valid_until, p.seq,
                               (SELECT coalesce(sum(c.post_ids), 0) FROM counted c WHERE c.entity = p.entity
                                  AND c.t > p.valid_until - INTERVAL {span + 1} MICROSECOND AND c.t <= p.valid_until)
                        FROM permissions p),
                    -- Only a window over the lowest cap of any profile can be over its own, and
                    -- finding the entry recorded last in it is the costly part: so only for those.
                    candidates AS (
                        SELECT e.*, (SELECT arg_max(c.profile, c.seq) FROM counted c WHERE c.entity = e.entity
                                       AND c.t > e.t - INTERVAL {span + 1} MICROSECOND AND c.t <= e.t) AS judge
                        FROM ends e
                        WHERE e.used > (SELECT min(post_id_cap) FROM profiles WHERE window_us = {span + 1})),
                    judged AS (
                        SELECT e.entity, e.t, e.seq, e.used,
                               greatest(pr.post_id_cap, coalesce(max(p.cap), 0)) AS cap
                        FROM candidates e
                        JOIN profiles pr ON pr.name = coalesce(e.judge, ?) AND pr.window_us = {span + 1}
                        LEFT JOIN permissions p
                          ON p.entity = e.entity AND p.valid_from <= e.t AND e.t < p.valid_until
                        WHERE pr.post_id_cap IS NOT NULL
                        GROUP BY e.entity, e.t, e.seq, e.used, pr.post_id_cap)
                    -- A window holding a recorded breach was over the cap, and says so.
                    SELECT j.entity, j.t, j.seq, j.used, j.cap FROM judged j WHERE j.used > j.cap
                      AND NOT EXISTS (SELECT 1 FROM counted c JOIN breaches b USING (export_id)
                                      WHERE c.entity = j.entity AND c.t > j.t - INTERVAL {span + 1} MICROSECOND
                                        AND c.t <= j.t)
                    ORDER BY j.t LIMIT 1""",
                [current],
            ).fetchall()
            if bad:
                entity, t, seq, used, cap = bad[0]
                return (
                    int(seq),
                    f"{entity} has {used:,} Post IDs in the 30 days to {iso(t)}, over its cap of {cap:,}",
                )
        return None

    def _check_exemptions(self) -> tuple[int, str] | None:
        """Every academic exemption's drawdown (its own exports and its peer-review children's)
        recomputed from the entries, within what X approved: no profile lifts that."""
        bad = self.con.execute(
            """WITH used AS (
                   SELECT coalesce(x.parent, x.ref) AS root, sum(r.post_ids) AS posts, sum(r.user_ids) AS users
                   FROM exemption_uses u JOIN reservations r USING (export_id) JOIN exemptions x ON x.ref = u.ref
                   WHERE u.export_id NOT IN (SELECT export_id FROM releases)
                     AND u.export_id NOT IN (SELECT export_id FROM voids)
                   GROUP BY ALL)
               SELECT e.ref, e.seq, u.posts, e.post_ids, u.users, e.user_ids
               FROM used u JOIN exemptions e ON e.ref = u.root
               WHERE e.kind = 'academic' AND (u.posts > e.post_ids OR u.users > e.user_ids)
               ORDER BY e.seq LIMIT 1"""
        ).fetchall()
        if bad:
            ref, seq, posts, approved_posts, users, approved_users = bad[0]
            return (
                int(seq),
                f"exemption {ref} has drawn {posts:,} Post IDs of {approved_posts:,} and {users:,} User IDs "
                f"of {approved_users:,} approved: more than X approved",
            )
        return None

    def _check_objects(self) -> tuple[int, str] | None:
        """No person's manual objects over the limit in any object window, recomputed from the
        entries: rolling windows end where an entry lands (that is where usage peaks), calendar
        days are summed whole. Each window has the limit of the profile its last-recorded entry
        names, and only windows of that profile's shape are judged (see `_profiles`)."""
        from quota.policy import PROFILES, micros

        current = self.profile().name
        # Per human: handles that share an email share one allowance.
        counted = f"""SELECT human AS person, delivered_at AS t, posts + users AS n, seq, profile
                      FROM {shared_sql("manual_humans")}
                      WHERE export_id NOT IN (SELECT export_id FROM voids)"""
        for days, window in sorted({(p.object_days, p.object_window) for p in PROFILES.values()}):
            if days == "utc-day":
                windows = f"""SELECT person, date_trunc('day', t) AS day, max(seq) AS last, sum(n) AS used,
                                     arg_max(profile, seq) AS judge
                              FROM ({counted}) GROUP BY person, day"""
                shape = "pr.object_days = 'utc-day'"
            else:
                span = micros(window) - 1
                windows = f"""SELECT person, t, seq, sum(n) OVER w AS used, arg_max(profile, seq) OVER w AS judge
                              FROM ({counted})
                              WINDOW w AS (PARTITION BY person ORDER BY t
                                           RANGE BETWEEN INTERVAL {span} MICROSECOND PRECEDING AND CURRENT ROW)"""
                shape = f"pr.object_days = 'rolling' AND pr.object_window_us = {span + 1}"
            bad = self.con.execute(
                f"""WITH {self._profiles()}
                    SELECT w.*, pr.objects
                    FROM ({windows}) w JOIN profiles pr ON pr.name = coalesce(w.judge, ?) AND {shape}
                    WHERE w.used > pr.objects ORDER BY 2 LIMIT 1""",
                [current],
            ).fetchall()
            if bad:
                human, t, seq, used, _judge, limit = bad[0]
                person = human.split(":", 1)[1]
                span_text = f"on the UTC day {t:%Y-%m-%d}" if days == "utc-day" else f"in the window to {iso(t)}"
                return (
                    int(seq),
                    f"{person} received {used:,} manual objects {span_text}, over the limit of {limit:,}",
                )
        return None

    def _check_notices(self) -> tuple[int, str] | None:
        """Each deletion notice's stored rows must hash to what its event recorded (the lines
        of quota.notices.NoticeRow.line, sorted)."""
        bad = self.con.execute(
            """WITH stored AS (
                   SELECT notice_id, count(*) AS n, sha256(string_agg(
                       id::VARCHAR || chr(9) || action || chr(9) || reason || chr(9) || coalesce(created_at, '')
                       || chr(9) || coalesce(redacted_at, '') || chr(10), '' ORDER BY
                       id::VARCHAR || chr(9) || action || chr(9) || reason || chr(9) || coalesce(created_at, '')
                       || chr(9) || coalesce(redacted_at, '') || chr(10))) AS digest
                   FROM deletion_notice_ids GROUP BY notice_id)
               SELECT d.seq, d.notice_id FROM deletion_notices d LEFT JOIN stored s USING (notice_id)
               WHERE coalesce(s.n, 0) <> d.ids OR coalesce(s.digest, sha256('')) <> d.ids_sha256
               ORDER BY d.seq LIMIT 1"""
        ).fetchall()
        if bad:
            return (int(bad[0][0]), f"the IDs stored for notice {bad[0][1]} differ from those its event recorded")
        kinds = ", ".join(f"('{k}', {n})" for k, n in LINEAGE_KINDS.items())
        wrong = self.con.execute(
            f"""WITH k(kind, n) AS (VALUES {kinds})
                SELECT d.seq, d.notice_id FROM deletion_notices d JOIN k USING (kind)
                JOIN deletion_notice_ids i USING (notice_id) WHERE i.kind <> k.n
                ORDER BY d.seq LIMIT 1"""
        ).fetchall()
        if wrong:
            return (int(wrong[0][0]), f"IDs stored for notice {wrong[0][1]} have another kind than the notice")
        orphans = self.con.execute(
            """SELECT DISTINCT notice_id FROM deletion_notice_ids
               WHERE notice_id NOT IN (SELECT notice_id FROM deletion_notices) LIMIT 1"""
        ).fetchall()
        if orphans:
            return (0, f"IDs are stored for notice {orphans[0][0]}, which no event recorded")
        return None

    def _compare_state(self) -> tuple[int, str] | None:
        """Every state table must equal its rebuild from the events (sql/queries/replay.sql)."""
        rebuilt = _state_sql()
        for table in STATE_TABLES:
            sql = rebuilt[table]
            for a, b, what in (
                (f"SELECT * FROM {table}", sql, "holds a row no event made"),
                (sql, f"SELECT * FROM {table}", "lacks a row its events made"),
            ):
                rows = self.con.execute(f"({a}) EXCEPT ALL ({b}) LIMIT 1").fetchall()
                if rows:
                    row = rows[0]
                    names = [d[0] for d in self.con.execute(f"SELECT * FROM {table} LIMIT 0").description]
                    seq = row[names.index("seq")]
                    return (int(seq), f"table {table} {what}: {_short(row)}")
        return None

    def checkpoint(self) -> str:
        seq, head = self.head()
        return f"quota-checkpoint {self.ledger_id} {seq} {head} {iso(datetime.now(UTC))}"

    def extends(self, checkpoint: str) -> str | None:
        """None if this ledger extends `checkpoint`, else why not."""
        parts = checkpoint.split()
        if len(parts) != 5 or parts[0] != "quota-checkpoint" or not parts[2].isdigit():
            return "the checkpoint file is not a quota checkpoint"
        _, ledger_id, count, head, _ = parts
        if ledger_id != self.ledger_id:
            return f"the checkpoint is of another ledger ({ledger_id})"
        seq = int(count)
        if seq == 0:
            return None
        rows = self.con.execute("SELECT hash FROM events WHERE seq = ?", [seq]).fetchall()
        if not rows:
            return f"the ledger has fewer events than the checkpoint's {seq}: history was cut or an older copy restored"
        if rows[0][0] != head:
            return f"event {seq} differs from the checkpoint's: history was rewritten"
        return None


def read_checkpoint(path: Path) -> str:
    """A checkpoint file's text: one short line, so at most 4 KiB is read of whatever it is."""
    from quota.errors import BadInput
    from quota.readers.source import read_bounded, regular_file

    name = str(path)
    regular_file(path, name)
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


def _first(e: BaseException) -> str:
    """The first line of a DuckDB error, cut short."""
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _short(row: tuple[Any, ...]) -> str:
    return "(" + ", ".join(str(v) for v in row) + ")"


def _stderr(message: str) -> None:
    print(f"quota: {message}", file=sys.stderr)
