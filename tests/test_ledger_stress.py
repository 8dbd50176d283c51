"""The ledger under concurrent writers, kill -9, and random histories checked against an oracle."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CLOCK, LETTER, SAMPLES, TERMS, Backend, Run, examples, fresh_schema, quota
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

pytestmark = pytest.mark.backends

CAP = 1_500_000
PAGES = SAMPLES / "v2_pages.jsonl"  # 118 unique Post IDs


def setup_entity(db: str | Path, entities: tuple[str, ...] = ("acme",)) -> None:
    # These tests run exporters as processes, on the real clock: the in-process commands too.
    CLOCK.real()
    assert quota("init", "--db", db).exit_code == 0
    for e in entities:
        for args in (
            ("entity", "add", e, "--name", e.title(), "--db", db),
            ("entity", "accept-terms", *TERMS, e, "--by", "J", "--at", "2026-01-01T00:00:00Z", "--db", db),
        ):
            assert quota(*args).exit_code == 0


def import_rows(db: str | Path, tmp: Path, rows: list[tuple[str, int]], entity: str = "acme") -> int:
    path = tmp / f"rows-{time.monotonic_ns()}.csv"
    path.write_text("at,entity,post_ids\n" + "".join(f"{a},{entity},{n}\n" for a, n in rows))
    return quota("ledger", "import", path, "--db", db).exit_code


@pytest.mark.slow
def test_processes_near_the_cap(tmp_path: Path, backend: Backend) -> None:
    """Concurrent exporters to one entity, each with 118 Post IDs, where only 3 fit: never
    more than 3 pass, in every round. On the server, 24 processes (as from many machines)."""
    db = backend.db
    n, rounds = (8, 1) if backend.name == "duckdb" else (24, 3)
    setup_entity(db, tuple(f"acme{r}" for r in range(rounds)))
    for r in range(rounds):
        entity = f"acme{r}"  # a recipient of its own each round: exports happen now
        at = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        # 400 Post IDs of headroom in this round's window.
        assert import_rows(db, tmp_path, [(at, CAP - 400)], entity) == 0
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "quota",
                    "export",
                    str(PAGES),
                    "--to",
                    entity,
                    "-o",
                    str(tmp_path / f"out{r}-{i}"),
                    "--db",
                    str(db),
                    "--wait",
                    "300",
                    "-q",
                ],
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(n)
        ]
        codes = [p.wait() for p in procs]
        errors = [p.stderr.read() for p in procs if p.stderr]
        assert sorted(codes) == [0] * 3 + [3] * (n - 3), errors  # 3 x 118 fits in 400, 4 x 118 does not
        assert all("over by" in e for c, e in zip(codes, errors, strict=True) if c == 3)
        (row,) = json.loads(quota("usage", entity, "--json", "--db", db).stdout)
        assert row["used"] == CAP - 400 + 3 * 118 <= CAP
        assert sum((tmp_path / f"out{r}-{i}").exists() for i in range(n)) == 3
    report = json.loads(quota("ledger", "verify", "--json", "--db", db).stdout)
    # Per entity its add and its terms; per round the import and 3 x (reserve, commit, publish).
    assert report["ok"] and report["events"] == 2 * rounds + rounds * (1 + 3 * 3)


def _exporter(db: str | Path, entity: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "quota", "export", str(PAGES), "--to", entity, "-o", str(out), "--db", str(db),
         "--wait", "300", "-q"],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_processes_to_entities_of_one_group_near_its_cap(tmp_path: Path, backend: Backend) -> None:
    """Exporters to six different entities of one group share the group's cap: where only 3 x
    118 Post IDs fit, exactly 3 pass, however their writers interleave (on the server, writers
    of one holder take its lock, whichever entity they name). Exporters to other holders at the
    same moment all pass, and the ledger verifies."""
    db = backend.db
    members, others = [f"unit{i}" for i in range(6)], ["solo0", "solo1"]
    setup_entity(db, (*members, *others))
    for e in members:
        assert quota("entity", "link", e, "--part-of", "org", "--reason", "one organisation", "--db", db).exit_code == 0
    at = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert import_rows(db, tmp_path, [(at, CAP - 400)], "unit0") == 0
    everyone = [*members, *others]
    procs = [_exporter(db, e, tmp_path / f"out-{e}") for e in everyone]
    codes = dict(zip(everyone, (p.wait() for p in procs), strict=True))
    errors = {e: p.stderr.read() for e, p in zip(everyone, procs, strict=True) if p.stderr}
    assert sorted(codes[e] for e in members) == [0] * 3 + [3] * 3, errors
    assert all(codes[e] == 0 for e in others), errors
    rows = {r["group"] or r["entity"]: r for r in json.loads(quota("usage", "--json", "--db", db).stdout)}
    assert rows["org"]["used"] == CAP - 400 + 3 * 118 <= CAP
    report = json.loads(quota("ledger", "verify", "--json", "--db", db).stdout)
    assert report["ok"], report


EXPORTS = 50


@pytest.mark.slow
def test_kill_9_at_random_moments(tmp_path: Path, backend: Backend) -> None:
    db = backend.db
    setup_entity(db)
    rng = random.Random(7)
    ids = tmp_path / "ids.txt"

    def start(i: int) -> subprocess.Popen[bytes]:
        ids.write_text("".join(f"{rng.getrandbits(63)}\n" for _ in range(rng.randint(1, 3000))))
        return subprocess.Popen(
            [sys.executable, "-m", "quota", "export", str(ids), "--to", "acme", "-o", str(tmp_path / f"o{i}"),
             "--db", str(db), "-q", "--export-id", f"k{i}"],
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    # The kill moments scale with how long one export takes on this machine, so a fast or a slow
    # machine both see kills before, during and after the commit, and exports that finish.
    began = time.monotonic()
    assert start(EXPORTS).wait() == 0
    span = 1.5 * (time.monotonic() - began)
    # Whatever the machine's speed: every fourth export runs to its end, every fourth is killed
    # at once (before Python has even started), the rest at a random moment. What happened is
    # counted, and asserted, never how much finished in a time.
    killed = finished = 0
    for i in range(EXPORTS):
        proc = start(i)
        if i % 4 == 1:
            os.kill(proc.pid, signal.SIGKILL)
        elif i % 4 != 0:
            time.sleep(rng.uniform(0.0, span))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        code = proc.wait()
        killed += code == -signal.SIGKILL
        finished += code == 0
        assert code in (0, -signal.SIGKILL), code
        if i % 4 == 0:
            assert code == 0
        # After every kill the ledger opens, verifies, and holds no half entry.
        verify = quota("ledger", "verify", "--json", "--db", db)
        assert verify.exit_code == 0, verify.stderr + verify.stdout
    assert killed >= EXPORTS // 4 and finished >= EXPORTS // 4 and killed + finished == EXPORTS, (killed, finished)
    committed_without_files = backend.rows(
        "SELECT count(*) FROM commits WHERE files = '[]' AND export_id NOT LIKE 'import-%'"
    )[0][0]
    assert committed_without_files == 0
    # Every reservation has exactly its IDs stored (verify checked the digests), and every
    # output directory that exists belongs to a committed export.
    committed = {r[0] for r in backend.rows("SELECT export_id FROM commits")}
    for i in range(EXPORTS):
        if (tmp_path / f"o{i}").exists():
            assert f"k{i}" in committed
    # What a kill left open is listed, and resolved: released, or published where its files wait.
    reserved = {r[0] for r in backend.rows("SELECT export_id FROM reservations WHERE export_id LIKE 'k%'")}
    unrecorded = {f"k{i}" for i in range(EXPORTS) if (tmp_path / f"o{i}").exists()} & committed
    unrecorded -= {r[0] for r in backend.rows("SELECT export_id FROM publications")}
    pending = json.loads(quota("ledger", "recover", "--json", "--db", db).stdout)
    # A kill between publishing and recording it left the files in place: recover records them.
    published = {r[0] for r in backend.rows("SELECT export_id FROM publications")}
    assert unrecorded <= published
    assert {p["export_id"] for p in pending} == (reserved - committed) | (reserved & committed - published)
    for p in pending:
        r = quota("ledger", "recover", "--release", p["export_id"], "--db", db)
        assert r.exit_code == 0, r.stderr
    assert json.loads(quota("ledger", "recover", "--json", "--db", db).stdout) == []
    assert quota("ledger", "verify", "--db", db).exit_code == 0


T0 = datetime(2026, 6, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
HOURS = 24 * 30  # the window, in hours: every time below is a whole hour
ENTITIES = ("e1", "e2", "e3")
GROUPS = ("g1", "g2")


def z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class LedgerMachine(RuleBasedStateMachine):
    """Random histories of exports made now, past distributions imported, links (one holder over
    all entries, merged groups, breaches), voids and permissions, against an oracle written
    from the rules alone: holders are the connected components of every link ever recorded; a
    group's permission lifts its organisation's cap, an entity's only while it was never linked;
    a void takes back an import, never a delivery; a window is (t - 30 days, t]. Every answer
    (exit code, usage) must be the oracle's, no window may exceed its cap but where a recorded
    breach says why, and verify must pass."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.links: list[tuple[str, str, datetime, bool]] = []  # entity, group, time, breach
        self.entries: dict[str, tuple[str, datetime, int, bool]] = {}  # id -> entity, at, posts, imported
        self.voided: set[str] = set()
        self.perms: list[tuple[str, datetime, datetime, int]] = []  # granted to, start, until, cap
        self.made = 0

    @initialize()
    def setup(self) -> None:
        import tempfile

        from quota.store import base

        self.tmp = Path(tempfile.mkdtemp(prefix="ledger-sm-"))
        self.saved = base.injected_clock
        base.injected_clock = CLOCK
        CLOCK.set(T0)
        self.db = self.new_ledger()
        for args in (
            ("init",),
            *(("entity", "add", e, "--name", e.upper()) for e in ENTITIES),
            *(("entity", "accept-terms", *TERMS, e, "--by", "J", "--at", "2026-01-01T00:00:00Z") for e in ENTITIES),
        ):
            assert self.run(*args).exit_code == 0, args

    def new_ledger(self) -> str | Path:
        return self.tmp / "l.duckdb"

    def run(self, *args: str | Path) -> Run:
        return quota(*args, "--db", self.db)

    # -------------------------------------------------------------- the oracle

    def holder(self, name: str, links: list[tuple[str, str, datetime, bool]] | None = None) -> str:
        """`name`'s holder: the smallest group of its connected component, or itself alone."""
        edges = [(e, g) for e, g, _, _ in (self.links if links is None else links)]
        seen, todo = {name}, [name]
        while todo:
            x = todo.pop()
            for e, g in edges:
                for a, b in ((e, g), (g, e)):
                    if a == x and b not in seen:
                        seen.add(b)
                        todo.append(b)
        groups = sorted(seen & {g for _, g in edges})
        return groups[0] if groups else name

    def linked(self, entity: str, links: list[tuple[str, str, datetime, bool]] | None = None) -> bool:
        return any(e == entity for e, _, _, _ in (self.links if links is None else links))

    def counted(
        self, holder: str, links: list[tuple[str, str, datetime, bool]] | None = None
    ) -> list[tuple[datetime, int]]:
        return [
            (at, n)
            for i, (e, at, n, imported) in self.entries.items()
            if self.holder(e, links) == holder and not (imported and i in self.voided)
        ]

    def cap(self, holder: str, t: datetime, links: list[tuple[str, str, datetime, bool]] | None = None) -> int:
        caps = [CAP]
        for given, start, until, cap in self.perms:
            group = given in GROUPS
            if start <= t < until and self.holder(given, links) == holder and (group or not self.linked(given, links)):
                caps.append(cap)
        return max(caps)

    def used(self, holder: str, t: datetime, links: list[tuple[str, str, datetime, bool]] | None = None) -> int:
        return sum(n for at, n in self.counted(holder, links) if t - HOURS * HOUR < at <= t)

    def revealed(self, entity: str, group: str, after: list[tuple[str, str, datetime, bool]]) -> bool:
        """Whether the link makes a whole-hour window of the merged holder over its cap that no
        part had over before with the same Post IDs (entries and permissions fall on hours)."""
        merged = self.holder(entity, after)
        parts = {self.holder(entity), self.holder(group)}
        hours = {at for at, _ in self.counted(merged, after)}
        for t in sorted({at + k * HOUR for at in hours for k in range(HOURS)}):
            used = self.used(merged, t, after)
            if used > self.cap(merged, t, after) and not any(
                self.used(p, t) == used and used > self.cap(p, t) for p in parts
            ):
                return True
        return False

    def fits(self, holder: str, at: datetime, n: int) -> bool:
        return all(self.used(holder, t) + n <= self.cap(holder, t) for t in (at + k * HOUR for k in range(HOURS)))

    def breached(self, holder: str, t: datetime) -> bool:
        """Whether a link recorded as a breach, at or after every entry of the window to `t`, excuses it."""
        last = max((at for at, _ in self.counted(holder) if t - HOURS * HOUR < at <= t), default=None)
        return any(b and self.holder(e) == holder and when >= last for e, _, when, b in self.links if last)

    # -------------------------------------------------------------- what users do

    @rule(hours=st.sampled_from([1, 5, 24, 24 * 7, 24 * 29, 24 * 31]))
    def time_passes(self, hours: int) -> None:
        self.now += hours * HOUR

    @rule(entity=st.sampled_from(ENTITIES), n=st.integers(1, 40))
    def export_now(self, entity: str, n: int) -> None:
        self.made += 1
        ids = self.tmp / f"ids-{self.made}.txt"
        ids.write_text("".join(f"{10**18 + 1 + self.made * 1000 + i}\n" for i in range(n)))
        expected = self.fits(self.holder(entity), self.now, n)
        CLOCK.set(self.now)
        r = self.run("export", ids, "--to", entity, "-o", self.tmp / f"out-{self.made}", "--json", "-q")
        assert r.exit_code == (0 if expected else 3), r.stderr
        event("export " + ("recorded" if expected else "refused"))
        if expected:
            self.entries[json.loads(r.stdout)["export_id"]] = (entity, self.now, n, False)

    @rule(
        entity=st.sampled_from(ENTITIES),
        ago=st.sampled_from([0, 0, 1, 24 * 10, 24 * 29, 24 * 40]),
        n=st.sampled_from([0, 1, 700_000, 800_000, 1_000_000, 1_499_999, 1_500_000]),
    )
    def import_past(self, entity: str, ago: int, n: int) -> None:
        at = self.now - ago * HOUR
        expected = self.fits(self.holder(entity), at, n)
        CLOCK.set(self.now)
        self.made += 1
        path = self.tmp / f"rows-{self.made}.csv"
        path.write_text(f"at,entity,post_ids,reference\n{z(at)},{entity},{n},r{self.made}\n")
        r = self.run("ledger", "import", path)
        assert r.exit_code == (0 if expected else 3), r.stderr
        event("import " + ("recorded" if expected else "refused"))
        if expected:
            rows = json.loads(self.run("ledger", "list", "--json").stdout)
            (new,) = {r["export_id"] for r in rows} - set(self.entries)
            self.entries[new] = (entity, at, n, True)

    @rule(entity=st.sampled_from(ENTITIES), group=st.sampled_from(GROUPS))
    def link(self, entity: str, group: str) -> None:
        self._link(entity, group, breach=False)

    @rule(entity=st.sampled_from(ENTITIES), group=st.sampled_from(GROUPS))
    def link_as_a_breach(self, entity: str, group: str) -> None:
        self._link(entity, group, breach=True)

    def _link(self, entity: str, group: str, breach: bool) -> None:
        if any(e == entity and g == group for e, g, _, _ in self.links):
            return
        after = [*self.links, (entity, group, self.now, breach)]
        over = self.revealed(entity, group, after)
        CLOCK.set(self.now)
        r = self.run("entity", "link", entity, "--part-of", group, "--reason", "one company",
                     *(["--breach"] if breach else []))  # fmt: skip
        if over and not breach:
            event("link refused: over the cap")
            assert r.exit_code == 3 and "--breach" in r.stderr, r.stderr
        elif breach and not over:
            assert r.exit_code == 2 and "breaks no cap" in r.stderr, r.stderr
        else:
            event("link recorded as a breach" if breach else "link recorded")
            assert r.exit_code == 0, r.stderr
            self.links = after

    @rule(data=st.data())
    def void(self, data: st.DataObject) -> None:
        live = [i for i in self.entries if i not in self.voided]  # insertion order: the same draws, the same history
        if not live:
            return
        export_id = data.draw(st.sampled_from(live))
        CLOCK.set(self.now)
        r = self.run("ledger", "void", export_id, "--reason", "test", "--by", "C Officer")
        assert r.exit_code == 0, r.stderr
        self.voided.add(export_id)

    @rule(
        given=st.sampled_from(ENTITIES + GROUPS),
        start=st.integers(-24 * 20, 24 * 20),
        length=st.integers(1, 24 * 40),
        extra=st.sampled_from([1, 500_000, 2_000_000]),
    )
    def permit(self, given: str, start: int, length: int, extra: int) -> None:
        begin, end = self.now + start * HOUR, self.now + (start + length) * HOUR
        ref = f"P{len(self.perms)}-{self.made}"
        who = ("--group", given) if given in GROUPS else ("--entity", given)
        CLOCK.set(self.now)
        r = self.run("permission", "add", *LETTER, ref, *who, "--cap", str(CAP + extra), "--from", z(begin),
                     "--until", z(end))  # fmt: skip
        refused = (given in GROUPS and not any(g == given for _, g, _, _ in self.links)) or (
            given in ENTITIES and self.linked(given)
        )
        assert r.exit_code == (2 if refused else 0), r.stderr
        if not refused:
            self.perms.append((given, begin, end, CAP + extra))

    # -------------------------------------------------------------- what must hold

    @invariant()
    def no_window_over_its_cap_unless_a_breach_says_why(self) -> None:
        for holder in {self.holder(e) for e in ENTITIES}:
            for at, _ in self.counted(holder):
                for t in (at, at + (HOURS - 1) * HOUR):
                    assert self.used(holder, t) <= self.cap(holder, t) or self.breached(holder, t), (holder, t)

    @invariant()
    def usage_is_the_oracles(self) -> None:
        if not hasattr(self, "db"):
            return
        rows = json.loads(self.run("usage", "--at", z(self.now), "--json").stdout)
        got = {r["group"] or r["entity"]: (r["used"], r["cap"], r["members"]) for r in rows}
        want = {
            h: (self.used(h, self.now), self.cap(h, self.now), sorted(e for e in ENTITIES if self.holder(e) == h))
            for h in {self.holder(e) for e in ENTITIES}
        }
        assert got == want

    def teardown(self) -> None:
        from quota.store import base

        try:
            if hasattr(self, "db"):
                CLOCK.set(self.now)
                r = self.run("ledger", "verify")
                assert r.exit_code == 0, r.stderr
        finally:
            if hasattr(self, "saved"):
                base.injected_clock = self.saved


class PostgresLedgerMachine(LedgerMachine):
    """The same histories on the server: each example in a schema of its own, dropped after."""

    def new_ledger(self) -> str | Path:
        self.server = fresh_schema()
        return self.server.db

    def teardown(self) -> None:
        try:
            super().teardown()
        finally:
            if getattr(self, "server", None):
                self.server.drop()


# The server's half samples fewer histories: each of its steps costs a few round trips more.
for machine, n in ((LedgerMachine, 20), (PostgresLedgerMachine, 8)):
    machine.TestCase.settings = settings(
        max_examples=examples(n), stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
# Not backends-parametrized (hypothesis runs them): each machine is one backend.
TestLedgerAgainstOracle = pytest.mark.slow(LedgerMachine.TestCase)
TestPostgresLedgerAgainstOracle = pytest.mark.slow(PostgresLedgerMachine.TestCase)
