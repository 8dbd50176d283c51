"""`quota ledger verify`: the chain recomputed, every state table rebuilt from the events, every
stored ID set re-hashed, and the rules (caps, exemptions, daily objects) recomputed from the
entries alone, independently of the views' arithmetic (that cross-check is deliberate).

`verify --since CHECKPOINT` does the same for what came after the checkpoint's event only: the
events after it (chained onto the checkpoint's hash), their state rows and IDs, and every
window that holds one of the entries they made. What it takes on trust is everything a full
verify saw at the checkpoint: the older events' content and the older rows of every table.

The checks are named queries of each dialect (sql/<dialect>/queries/verify.sql); what they
find is turned into one sentence here, the same on every backend.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import queue
import re
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from quota.errors import LedgerError
from quota.store import sqlfiles
from quota.store.base import Store
from quota.store.chain import EVENT_KINDS, LINEAGE_KINDS, STATE_TABLES, genesis
from quota.times import EARLIEST, LATEST, iso, parse_iso

Problem = tuple[int, str]
T = TypeVar("T")


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
    # With a checkpoint to start from: its event, after which everything was checked.
    since: int | None = None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Scope:
    """What a verify covers: every event (after=0), or those after a checkpoint's event, whose
    hash is `head`."""

    after: int = 0
    head: str = ""


ALL = Scope()


def extends(store: Store, checkpoint: str) -> Scope | str:
    """Where the ledger goes on from `checkpoint` (the text of one), or why it does not."""
    parts = checkpoint.split()
    if len(parts) != 5 or parts[0] != "quota-checkpoint" or not parts[2].isdigit():
        return "the checkpoint file is not a quota checkpoint"
    _, ledger_id, count, head, _ = parts
    if ledger_id != store.ledger_id():
        return f"the checkpoint is of another ledger ({ledger_id})"
    seq = int(count)
    if seq == 0:
        return Scope(0, genesis(ledger_id))
    rows = store.rows("SELECT hash FROM events WHERE seq = ?", [seq])[1]
    if not rows:
        return f"the ledger has fewer events than the checkpoint's {seq}: history was cut or an older copy restored"
    if rows[0][0] != head:
        return f"event {seq} differs from the checkpoint's: history was rewritten"
    return Scope(seq, head)


def verify(
    store: Store, profile: str, full: bool = True, scope: Scope = ALL, tables: bool = False, rows_after: bool = False
) -> VerifyReport:
    """`profile`: the one in force. full=False checks the chain and the rules but neither
    rebuilds every table nor re-hashes every stored ID: those two cost most of the time.
    `tables` (the report, whose numbers are read from the state tables): full=False, but every
    state table is rebuilt and compared, whole even after a checkpoint (a checkpoint vouches
    for the events, not for the tables made from them); with `rows_after` (a checkpoint a
    verify kept, which compared every table then), only the rows of the events after it.
    `scope`: only what came after a checkpoint (see `extends`)."""
    try:
        ledger_id = store.ledger_id()
    except LedgerError as e:
        return VerifyReport(False, "", 0, "", str(e), 0)
    # A full verify reads every row (scanning() tunes the backend for that); after a
    # checkpoint, the few new rows are found through the indexes.
    whole = not scope.after
    with store.scanning(ids=full) if whole else contextlib.nullcontext():
        with store.side_by_side(_HELPERS) if whole else contextlib.nullcontext(list[Store]()):
            with store.digests_ahead() if full and whole else contextlib.nullcontext():
                report = _verify(store, ledger_id, profile, full, scope, tables, rows_after)
    report.since = scope.after if scope.head else None
    return report


# Sessions beside the verifying one where the backend runs a statement on one core (PostgreSQL).
_HELPERS = max(1, (os.cpu_count() or 2) - 1)
# Below this many events, one statement checks the chain faster than several sessions.
_CHAIN_PART = 50_000


def side_by_side(store: Store, jobs: list[Callable[[Store], T]]) -> list[T]:
    """Each job run with a session of its own (the store or one of its helpers, which see the
    same snapshot), as many at a time as there are sessions; results in the jobs' order."""
    sessions: queue.Queue[Store] = queue.Queue()
    for s in [store, *store.helpers]:
        sessions.put(s)
    if not store.helpers:
        return [job(store) for job in jobs]

    def run(job: Callable[[Store], T]) -> T:
        session = sessions.get()
        try:
            return job(session)
        finally:
            sessions.put(session)

    with ThreadPoolExecutor(len(store.helpers) + 1) as pool:
        return list(pool.map(run, jobs))


def _broken_link(store: Store, ledger_id: str, scope: Scope) -> tuple[Any, ...] | None:
    """The first event of the chain after the scope's start that fails verify_chain. With
    helpers, in ranges side by side: each range starts from the stored hash of the event before
    it, which the range before checks (so the first problem of all is the first range's)."""
    sql = sqlfiles.queries(store.dialect)["verify_chain"]
    clock_from = clock_rules_from(store)
    start = scope.head or genesis(ledger_id)
    head = store.head()[0]
    parts = len(store.helpers) + 1
    if parts == 1 or head - scope.after < 2 * _CHAIN_PART:
        bad = store.rows(chain_query(sql, scope.after, clock_from), [start])[1]
        return bad[0] if bad else None
    step = -(-(head - scope.after) // parts)
    bounds = [scope.after + k * step for k in range(parts)]
    starts: list[str | None] = [start]
    for b in bounds[1:]:
        found = store.rows("SELECT hash FROM events WHERE seq = ?", [b])[1]
        starts.append(found[0][0] if found else None)  # missing: the range reports the gap

    def part(k: int) -> Callable[[Store], list[tuple[Any, ...]]]:
        upto = bounds[k + 1] if k + 1 < parts else None
        return lambda s: s.rows(chain_query(sql, bounds[k], clock_from, upto), [starts[k]])[1]

    for bad in side_by_side(store, [part(k) for k in range(parts)]):
        if bad:
            return bad[0]
    return None


def _verify(
    store: Store, ledger_id: str, profile: str, full: bool, scope: Scope, tables: bool, rows_after: bool
) -> VerifyReport:
    found_bad = _broken_link(store, ledger_id, scope)
    if found_bad is not None:
        seq, kind, gap, linked, intact, known, recorded, before = found_bad
        if gap:
            before = store.rows("SELECT max(seq) FROM events WHERE seq > ? AND seq < ?", [scope.after, seq])[1][0][0]
            n = (scope.after if before is None else int(before)) + 1
            problem, at = f"event {n} is missing (the next is {seq})", n
        elif not linked:
            problem, at = f"event {seq} does not follow event {seq - 1}: its previous hash differs", seq
        elif not intact:
            problem, at = f"event {seq} ({kind}) was altered: its content no longer matches its hash", seq
        elif not known:
            problem, at = f"event {seq} has an unknown kind {kind!r}", seq
        elif before is not None and recorded < before:
            problem, at = (
                f"event {seq} ({kind}) was recorded at {recorded}, before event {seq - 1} ({before}): "
                "the ledger's clock went back (recorded times never go backwards)",
                seq,
            )
        else:
            problem, at = f"event {seq} has a body that is not JSON", seq
        return VerifyReport(False, ledger_id, at - 1, "", problem, at)
    count, head = store.head()
    if found := check_schema(store):
        return VerifyReport(False, ledger_id, count, head, found[1], found[0])
    if (what := store.foreign_objects(fresh=True)) is not None:
        return VerifyReport(False, ledger_id, count, head, f"the ledger holds a {what} that quota did not make", 0)
    if (missing := store.missing_guard()) is not None:
        return VerifyReport(False, ledger_id, count, head, missing, 0)
    checks = [
        check_delivery_times, check_profiles, check_windows, check_exemptions, check_requests, check_objects,
        check_accounts, check_outbox,
    ]  # fmt: skip
    if full:
        checks = [compare_state, check_lineage, *checks, check_notices, check_withheld]
    elif tables:
        checks = [compare_state if rows_after else compare_tables, *checks, check_notices, check_withheld]
    for check in checks:
        if found := check(store, profile, scope):
            return VerifyReport(False, ledger_id, count, head, found[1], found[0])
    return VerifyReport(True, ledger_id, count, head, breaches=store.query(store.sql("verify_breaches")))


def chain_query(sql: str, after: int, clock_from: int = 0, upto: int | None = None) -> str:
    """verify_chain (`sql`, of either dialect) for the events after event `after` (up to event
    `upto`, where the dialect's query takes a range); its one parameter is the hash event
    `after` has (the genesis hash for 0). `clock_from`: see `clock_rules_from`."""
    kinds = ", ".join(f"'{k}'" for k in EVENT_KINDS)
    return sqlfiles.fill(sql, kinds=kinds, after=after, clock_from=clock_from, upto=_LAST if upto is None else upto)


_LAST = 2**63 - 1


CLOCK_MIGRATION = 13  # the migration from which deliveries are recorded at the ledger's clock


# Per open store: a verify asks for it in every check, and on the server each asking is a scan
# of the events (only `quota init` writes an upgrade event, before anything reads it).
_CLOCK_RULES: weakref.WeakKeyDictionary[Store, int] = weakref.WeakKeyDictionary()


def clock_rules_from(store: Store) -> int:
    """The event after which the ledger keeps the clock's rules (recorded times never go back;
    a delivery's time is its event's): the `upgrade` event that brought them to a ledger made
    earlier, else 0 (a ledger made with them). Earlier events were written by a quota that let
    an operator state a delivery's time."""
    import json

    if store not in _CLOCK_RULES:
        rows = store.rows("SELECT seq, body FROM events WHERE kind = 'upgrade' ORDER BY seq")[1]
        found = [int(seq) for seq, body in rows if int(json.loads(body).get("from", 0)) < CLOCK_MIGRATION]
        _CLOCK_RULES[store] = found[0] if found else 0
    return _CLOCK_RULES[store]


def _taken_back(store: Store) -> str:
    """The entries a void took back, as a subquery of their export_id: an import's (a row
    recorded in error delivered nothing); and any void recorded before the ledger kept today's
    rules, when a void stopped an entry counting (so an older ledger verifies as it did). A void
    of a delivery since only marks it: what was delivered keeps counting."""
    return (
        f"(SELECT v.export_id FROM voids v WHERE v.seq <= {clock_rules_from(store)} "
        "OR v.export_id IN (SELECT export_id FROM reservations WHERE basis = 'import')) taken_back"
    )


def _first_found(store: Store, name: str, scope: Scope) -> tuple[Any, ...] | None:
    """The first row the named check finds after the scope's start, under the clock's rules."""
    rows = store.rows(store.sql(name, after=scope.after, clock_from=clock_rules_from(store)))[1]
    return rows[0] if rows else None


def check_delivery_times(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Every export's and manual export's time is the time its event was recorded: a delivery
    happens at the ledger's clock (the past is recorded only by ledger import, as imports)."""
    bad = _first_found(store, "verify_delivery_times", scope)
    if bad is None:
        return None
    seq, export_id, at, recorded = bad
    return (
        int(seq),
        f"export {export_id} states the time {iso(at)}, but its event was recorded at {recorded}: "
        "a delivery's time is when it was recorded",
    )


def check_schema(store: Store) -> Problem | None:
    """The migrations recorded are exactly those shipped with this code, by number, name and
    checksum: a renamed or re-checksummed row means someone edited them."""
    recorded = {int(v): (n, h) for v, n, h in store.rows("SELECT version, name, sha256 FROM schema_migrations")[1]}
    shipped = {v: (n, h) for v, n, _, h in sqlfiles.migrations(store.dialect)}
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


def _profiles() -> str:
    """Every profile this code knows, as a VALUES table for SQL.

    Each window is judged by the profile of the entry recorded last in it (highest seq).
    Recording that entry checked every window holding it against the profile then in force,
    and later entries are not in the window, so an honest ledger always passes, even after
    `quota policy use` changed the numbers."""
    from quota.policy import PROFILES, micros

    rows = ", ".join(
        f"('{p.name}', {'NULL' if p.post_id_cap is None else f'{p.post_id_cap}::BIGINT'}, {micros(p.window)}::BIGINT, "
        f"{p.objects_per_person}, {micros(p.object_window)}::BIGINT, '{p.object_days}', {_timestamp(p.in_force_from)}, "
        f"{'CAST(NULL AS TIMESTAMP)' if p.in_force_until is None else _timestamp(p.in_force_until)})"
        for p in PROFILES.values()
    )
    return (
        "profiles(name, post_id_cap, window_us, objects, object_window_us, object_days, in_force_from, "
        f"in_force_until) AS (VALUES {rows})"
    )


def _newer(store: Store, scope: Scope, *tables: str) -> bool:
    """Whether any of `tables` has a row made after the scope's start."""
    return any(store.rows(f"SELECT 1 FROM {t} WHERE seq > ? LIMIT 1", [scope.after])[1] for t in tables)


def _timestamp(t: datetime) -> str:
    return f"TIMESTAMP '{t.replace(tzinfo=None).isoformat(sep=' ')}'"


def check_profiles(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Each entry names a known profile, the one it was judged by when it was recorded (see
    verify_profiles), so the checks below may judge windows by it (a forged entry cannot pick
    a more lenient profile, nor an older text's for a delivery made now)."""
    from quota.policy import DEFAULT_PROFILE, PROFILES

    sql = store.sql("verify_profiles", after=scope.after, profiles=_profiles(), clock_from=clock_rules_from(store))
    bad = store.rows(sql, [DEFAULT_PROFILE, DEFAULT_PROFILE])[1]
    if not bad:
        return None
    seq, export_id, recorded, in_force = bad[0]
    if recorded not in PROFILES:
        return (int(seq), f"export {export_id} names the profile {recorded}, which this version does not know")
    return (
        int(seq),
        f"export {export_id} names the profile {recorded}, but {in_force} was in force when it was recorded",
    )


def _entry_times(store: Store, scope: Scope, table: str) -> tuple[datetime, datetime] | None:
    """The first and last time of the entries in `table` made after the scope's start."""
    lo, hi = store.rows(f"SELECT min(delivered_at), max(delivered_at) FROM {table} WHERE seq > ?", [scope.after])[1][0]
    return None if lo is None else (lo, hi)


def check_windows(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """No 30-day window of any holder over its cap, recomputed from the entries alone.

    Usage peaks where an entry lands, and the cap drops where a permission ends, so the
    windows ending at those instants are all that can be over. `(t - 30 days, t]` is
    `[t - 30 days + 1 us, t]` at the microsecond precision of TIMESTAMP. Each window has the
    cap of the profile its last-recorded entry names (see `_profiles`).

    After a checkpoint, the windows that hold a new entry are those ending in [first, last +
    30 days) of the new entries' times, and they hold only entries after first - 30 days: so
    only those. New permissions only lift caps, and new releases and voids only lower usage; a
    new link makes one holder of entries that were apart, so then every window is judged again."""
    from quota.policy import PROFILES, micros

    bounds = None
    if scope.after:
        # A new link makes one holder of entities and groups with older entries: every window again.
        relinked = store.rows("SELECT 1 FROM group_links WHERE seq > ? LIMIT 1", [scope.after])[1]
        if not relinked:
            bounds = _entry_times(store, scope, "reservations")
            if bounds is None:
                return None
    for window in sorted({p.window for p in PROFILES.values()}):
        in_range, ends = "TRUE", "TRUE"
        if bounds is not None:
            lo, hi = bounds
            in_range = f"delivered_at > {_timestamp(lo - window)} AND delivered_at < {_timestamp(hi + window)}"
            ends = f"e.t >= {_timestamp(lo)} AND e.t < {_timestamp(hi + window)}"
        sql = store.sql(
            "verify_windows",
            taken_back=_taken_back(store),
            profiles=_profiles(),
            span=micros(window) - 1,
            range=in_range,
            ends=ends,
        )
        bad = store.rows(sql, [profile])[1]
        if bad:
            entity, t, seq, used, cap = bad[0]
            return (int(seq), f"{entity} has {used:,} Post IDs in the 30 days to {iso(t)}, over its cap of {cap:,}")
    return None


def check_exemptions(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Every academic exemption's drawdown (its own exports and its peer-review children's)
    recomputed from the entries, within what X approved: no profile lifts that. After a
    checkpoint, only if an exemption or a use of one is new (then all of them again)."""
    if scope.after and not _newer(store, scope, "exemptions", "exemption_uses"):
        return None
    bad = store.rows(store.sql("verify_exemptions", taken_back=_taken_back(store)))[1]
    if bad:
        ref, seq, posts, approved_posts, users, approved_users = bad[0]
        return (
            int(seq),
            f"exemption {ref} has drawn {posts:,} Post IDs of {approved_posts:,} and {users:,} User IDs "
            f"of {approved_users:,} approved: more than X approved",
        )
    return None


def check_requests(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Every delivery of a request follows an approval of it and goes where it says, and no
    request has delivered more than it asked for, or a Post ID twice. After a checkpoint, only
    if a request, a decision or a delivery is new (then all of them: requests are few)."""
    if scope.after and not _newer(store, scope, "requests", "request_decisions", "request_deliveries"):
        return None
    bad = store.rows(store.sql("verify_requests", taken_back=_taken_back(store)))[1]
    if not bad:
        return None
    seq, problem, request, export, n, m = bad[0]
    says = {
        "unknown": f"export {export} delivers request {request}, which is not in the ledger",
        "unapproved": f"export {export} delivers request {request}, which was not approved before it",
        "elsewhere": f"export {export} delivers request {request} to another recipient or under another "
        "exemption than the request names",
        "posts": f"request {request} has delivered {n:,} Post IDs, more than the {m:,} it asked for",
        "users": f"request {request} has delivered {n:,} User IDs, more than the {m:,} it asked for",
        "twice": f"request {request} has delivered {n - m:,} Post IDs twice",
    }
    return int(seq), says[problem]


def check_objects(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """No human's manual objects over the limit in any object window, recomputed from the
    entries: rolling windows end where an entry lands (that is where usage peaks), a calendar
    day is counted up to each of its entries. Each window has the limit of the profile its
    last-recorded entry names, and only windows of that profile's shape are judged (see
    `_profiles`). After a checkpoint, only if a manual entry, a person, a move or a `person
    same` is new (then all of them: at most 500 objects a person a day keep them few)."""
    from quota.policy import PROFILES, micros

    if scope.after and not _newer(store, scope, "manual_exports", "persons", "person_moves", "person_same"):
        return None
    humans = _humans(store)
    for days, window in sorted({(p.object_days, p.object_window) for p in PROFILES.values()}):
        span = micros(window) - 1
        if days == "utc-day":
            in_window = "x.t >= date_trunc('day', e.t) AND x.t <= e.t"
        else:
            in_window = f"x.t > e.t - {_micros(store, span + 1)} AND x.t <= e.t"
        sql = store.sql(
            "verify_objects",
            taken_back=_taken_back(store),
            profiles=_profiles(),
            humans=humans,
            in_window=in_window,
            days=days,
            span=span,
        )
        bad = store.rows(sql, [profile])[1]
        if bad:
            person, t, seq, used, limit = bad[0]
            span_text = f"on the UTC day {t:%Y-%m-%d}" if days == "utc-day" else f"in the window to {iso(t)}"
            return (int(seq), f"{person} received {used:,} manual objects {span_text}, over the limit of {limit:,}")
    return None


def _micros(store: Store, n: int) -> str:
    return f"INTERVAL {n} MICROSECOND" if store.dialect == "duckdb" else f"({n} * INTERVAL '1 microsecond')"


def _humans(store: Store) -> str:
    """A CTE `humans(person, valid_from, valid_until, human)`: the human each person handle is
    part of, in each span between the records that made handles one human. Handles with one
    email (case aside) are one from the start (a handle has no entry before it is added);
    `person same` makes two one from the time it was recorded. A human is named by its first
    handle. Written apart from the write path (quota.registry.same_human)."""
    persons = store.rows("SELECT person, email FROM persons ORDER BY person")[1]
    links = store.rows(
        "SELECT s.first, s.second, e.recorded_at FROM person_same s JOIN events e ON e.seq = s.seq ORDER BY s.seq"
    )[1]
    none = "humans(person, valid_from, valid_until, human) AS (SELECT CAST(NULL AS VARCHAR), CAST(NULL AS TIMESTAMP), "
    none += "CAST(NULL AS TIMESTAMP), CAST(NULL AS VARCHAR) WHERE 1 = 0)"
    if not persons:
        return none
    times = sorted({parse_iso(t).replace(tzinfo=None) for _, _, t in links})
    bounds = [EARLIEST.replace(tzinfo=None), *times, LATEST.replace(tzinfo=None)]
    rows = []
    for start, end in itertools.pairwise(bounds):
        joined = [(a, b) for a, b, t in links if parse_iso(t).replace(tzinfo=None) <= start]
        rows += [(p, start, end, h) for p, h in _one_human(persons, joined).items()]
    values = ", ".join(f"({_text(p)}, {_timestamp(a)}, {_timestamp(b)}, {_text(h)})" for p, a, b, h in rows)
    return f"humans(person, valid_from, valid_until, human) AS (VALUES {values})"


def _one_human(persons: list[tuple[Any, ...]], joined: list[tuple[Any, ...]]) -> dict[str, str]:
    """Each person with its human's first handle: one email, or joined."""
    human = {p: p for p, _ in persons}

    def root(p: str) -> str:
        while human[p] != p:
            p = human[p]
        return p

    by_email: dict[str, str] = {}
    pairs = [(p, by_email.setdefault(email.casefold(), p)) for p, email in persons if email]
    for a, b in [*pairs, *joined]:
        if a in human and b in human and (ra := root(a)) != (rb := root(b)):
            human[max(ra, rb)] = min(ra, rb)
    return {p: root(p) for p in human}


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def check_notices(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Each deletion notice's stored rows hash to what its event recorded (the lines of
    quota.notices.NoticeRow.line, sorted), have its kind, and belong to a recorded notice.
    After a checkpoint: the new notices' rows (IDs stored for no notice need a full verify)."""
    notices = (
        f"notice_id IN (SELECT notice_id FROM deletion_notices WHERE seq > {scope.after})" if scope.after else "TRUE"
    )
    bad = store.rows(store.sql("verify_notice_digests", notices=notices, after=scope.after))[1]
    if bad:
        return (int(bad[0][0]), f"the IDs stored for notice {bad[0][1]} differ from those its event recorded")
    kinds = ", ".join(f"('{k}', {n})" for k, n in LINEAGE_KINDS.items())
    wrong = store.rows(store.sql("verify_notice_kinds", kinds=kinds, after=scope.after))[1]
    if wrong:
        return (int(wrong[0][0]), f"IDs stored for notice {wrong[0][1]} have another kind than the notice")
    if scope.after:
        return None
    orphans = store.rows(store.sql("verify_notice_orphans"))[1]
    if orphans:
        return (0, f"IDs are stored for notice {orphans[0][0]}, which no event recorded")
    return None


def check_withheld(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """No delivery holds an ID that a deletion notice recorded before it names, while the notice
    stood (quota.exports.withhold is the write path's). Read only where a notice exists."""
    if not store.rows("SELECT 1 FROM deletion_notices LIMIT 1")[1]:
        return None
    bad = _first_found(store, "verify_withheld", scope)
    if bad is None:
        return None
    seq, export_id, notice_id, i = bad
    return (
        int(seq),
        f"export {export_id} delivered ID {i}, which notice {notice_id} recorded before it names: what X says "
        "is gone is never delivered again",
    )


def check_lineage(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Each entry's stored IDs hash to the digests its event recorded. After a checkpoint: the
    new entries' IDs (IDs stored for no entry at all need a full verify)."""
    empty = hashlib.sha256(b"").hexdigest()
    kinds = ", ".join(f"({n}, '{k}')" for k, n in LINEAGE_KINDS.items())
    if scope.after:
        rows = store.rows(store.sql("verify_lineage_after", kinds=kinds, after=scope.after), [empty, empty])[1]
    else:
        with store.stored_digests() as stored:
            rows = store.rows(store.sql("verify_lineage", kinds=kinds, stored=stored), [empty, empty])[1]
    if not rows:
        return None
    seq, export_id, kind = rows[0]
    if seq is None:
        return (0, f"IDs are stored for export {export_id}, which no event recorded")
    return (int(seq), f"the {kind} IDs stored for export {export_id} differ from those its event {seq} recorded")


def compare_tables(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """compare_state of every row, whatever the scope."""
    return compare_state(store, profile, ALL)


def compare_state(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Every state table equals its rebuild from the events (replay.sql), both ways, row for row.
    After a checkpoint: the rows of the events after it (each replay query ends in its WHERE
    clause, and every row keeps the seq of the event that made it)."""

    def one(table: str) -> Callable[[Store], Problem | None]:
        def compare(s: Store) -> Problem | None:
            rebuilt, kept = s.sql(table), f"SELECT * FROM {table}"
            if scope.after:
                rebuilt, kept = f"{rebuilt} AND seq > {scope.after}", f"{kept} WHERE seq > {scope.after}"
            columns = s.rows(f"SELECT * FROM {table} LIMIT 0")[0]
            names = ", ".join(f"c{i}" for i in range(len(columns)))
            rows = s.rows(s.sql("verify_state_table", names=names, kept=kept, rebuilt=rebuilt))[1]
            if not rows:
                return None
            side, *row = rows[0]
            what = "holds a row no event made" if side == "holds" else "lacks a row its events made"
            seq = row[columns.index("seq")]
            return (int(seq), f"table {table} {what}: ({', '.join(str(v) for v in row)})")

        return compare

    # A table none of whose events exist rebuilds to nothing: it need only be empty too (each
    # rebuild costs a scan of every event). Its kinds are read from its replay query's own WHERE
    # clause, apart from the write path's map of kinds to tables.
    present = {str(k) for (k,) in store.rows("SELECT DISTINCT kind FROM events WHERE seq > ?", [scope.after])[1]}
    tables = [
        t for t in STATE_TABLES
        if _replay_kinds(store.sql(t)) & present
        or store.rows(f"SELECT 1 FROM {t} WHERE seq > ? LIMIT 1", [scope.after])[1]
    ]  # fmt: skip
    # Side by side where the store has helpers; the first problem in the tables' order.
    return next((p for p in side_by_side(store, [one(t) for t in tables]) if p is not None), None)


def _replay_kinds(sql: str) -> set[str]:
    """Every quoted word of a replay query's last WHERE clause: the kinds of events it reads
    (and perhaps a key or two it tests, which only make a table less likely to be skipped)."""
    return set(re.findall(r"'([a-z_]+)'", sql[sql.rindex("WHERE") :]))


# What an account of each role may record in the portal, stated here apart from the portal's own
# rules for its pages (quota.web.rules), so that a page that lets a role do more shows up here.
# Setting one's own password is every account's.
PORTAL_ACTS: dict[str, frozenset[str]] = {
    "researcher": frozenset({"request", "terms"}),
    "compliance": frozenset({"request_decision"}),
    "data-team": frozenset({"reserve", "commit", "release", "publish"}),
    "auditor": frozenset(),
    "admin": frozenset({"account", "account_role", "account_disable", "account_link"}),
}


def check_accounts(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """Every event an account recorded: the account existed and was enabled then, its role at
    that event may record that kind, a researcher asked only as their own person and accepted
    terms only for their own entity, a password was set by its own account, and no account
    decided a request it asked for (as its account or as the account of its researcher)."""
    acts = store.rows(store.sql("verify_account_events"), [scope.after])[1]
    if not acts:
        return None
    added = {
        str(e): (int(s), str(r), p) for e, r, p, s in store.rows("SELECT email, role, person, seq FROM accounts")[1]
    }
    changes = sorted(store.rows("SELECT seq, email, change, role FROM account_changes")[1])
    persons = {str(p): str(e) for p, e in store.rows("SELECT person, entity FROM persons")[1]}
    moves = sorted(store.rows("SELECT seq, person, entity FROM person_moves")[1])
    asked = {str(r): (a, p) for r, a, p in store.rows("SELECT request_id, account, person FROM requests")[1]}

    def state(email: str, seq: int) -> tuple[str, str | None] | str:
        if email not in added or added[email][0] >= seq:
            return "did not exist"
        role, person = added[email][1], added[email][2]
        for at, who, change, new in changes:
            if at >= seq:
                break
            if who == email:
                if change == "disable":
                    return "was disabled"
                role = str(new)
        return role, person

    def entity_of(person: str, seq: int) -> str | None:
        entity = persons.get(person)
        for at, who, moved_to in moves:
            if at < seq and who == person:
                entity = str(moved_to)
        return entity

    for seq, kind, text in acts:
        body = json.loads(text)
        who = body.get("account")
        if not isinstance(who, str):
            continue
        now = state(who, int(seq))
        if isinstance(now, str):
            return int(seq), f"event {seq} ({kind}) names the account {who}, which {now} then"
        role, person = now
        if kind == "account_password":
            if body.get("email") != who:
                return int(seq), f"event {seq} sets the password of {body.get('email')} from the account {who}"
            continue
        if kind not in PORTAL_ACTS.get(role, frozenset()):
            return int(seq), f"event {seq} ({kind}) was recorded by the account {who}, whose role {role} may not"
        if kind == "request" and body.get("person") != person:
            return int(seq), f"event {seq}: the researcher account {who} asked as {body.get('person')}, not its person"
        if kind == "terms" and (person is None or body.get("entity") != entity_of(person, int(seq))):
            return int(
                seq
            ), f"event {seq}: the account {who} accepted X's terms for {body.get('entity')}, not its entity"
        if kind == "request_decision":
            account, researcher = asked.get(str(body.get("request_id")), (None, None))
            theirs = {e for e, (_, _, p) in added.items() if p is not None and p == researcher}
            if who == account or who in theirs or (person is not None and person == researcher):
                return int(
                    seq
                ), f"event {seq}: the account {who} decided request {body.get('request_id')}, which it asked for"
    return None


def check_outbox(store: Store, profile: str, scope: Scope = ALL) -> Problem | None:
    """The outbox's rule of sending, from its rows alone: every attempt and result names a
    recorded message; a result follows its attempt's mark (a digest's result, attempt 0, stands
    for the message it carried); nothing is attempted again once delivered, nor while two earlier
    attempts stand interrupted (a message goes out at most twice)."""
    if scope.after and not _newer(store, scope, "notification_attempts"):
        return None
    messages = {str(m) for (m,) in store.rows("SELECT message_id FROM notifications")[1]}
    marked: dict[str, set[int]] = {}
    open_: dict[str, set[int]] = {}
    delivered: set[str] = set()
    stopped: set[str] = set()
    for seq, message, attempt, phase, ok in sorted(
        store.rows("SELECT seq, message_id, attempt, phase, ok FROM notification_attempts")[1]
    ):
        m, n = str(message), int(attempt)
        if m not in messages:
            return int(seq), f"event {seq} tries to send {m}, a message the outbox never recorded"
        if phase == "sending":
            if m in delivered:
                return int(seq), f"event {seq} sends {m} again after it was delivered"
            if m in stopped:
                return int(seq), f"event {seq} sends {m} a third time after two interrupted attempts"
            marked.setdefault(m, set()).add(n)
            open_.setdefault(m, set()).add(n)
            if len(open_[m]) >= 2:  # two attempts may both have gone out: never again
                stopped.add(m)
            continue
        if n != 0 and n not in marked.get(m, set()):
            return int(seq), f"event {seq} records a result of attempt {n} of {m}, which was never marked as sent"
        open_.get(m, set()).discard(n)
        if ok:
            delivered.add(m)
    return None
