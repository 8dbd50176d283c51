"""`ledger verify --since CHECKPOINT`: what came after the checkpoint is verified, what came
before is taken as the checkpoint found it, and every window holding a new entry is judged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Backend, Templates, build_once, examples, quota, world_copy
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_store import build

from quota.policy import DEFAULT_PROFILE, PROFILES
from quota.store.chain import STATE_TABLES
from quota.store.session import Session

pytestmark = pytest.mark.backends


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_once(tmp_path_factory, "since", build)


@pytest.fixture
def world(
    template: Path, tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> Path:
    return world_copy(template, tmp_path, backend, templates, monkeypatch)


def checkpoint_at(backend: Backend, seq: int, path: Path) -> Path:
    """A checkpoint as `quota ledger checkpoint` would have written it after event `seq`."""
    ledger_id, head = backend.rows(f"SELECT (SELECT ledger_id FROM ledger_meta), hash FROM events WHERE seq = {seq}")[0]
    path.write_text(f"quota-checkpoint {ledger_id} {seq} {head} 2026-12-01T00:00:00.000000Z\n")
    return path


def since(path: Path) -> tuple[int, str, str]:
    r = quota("ledger", "verify", "--since", path)
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.slow  # every table, three verifies each: the quick loop keeps the next test
def test_since_checks_what_came_after_and_trusts_what_came_before(world: Path, backend: Backend) -> None:
    """Each table's newest row, taken away: a checkpoint before its event catches it; one at
    its event does not (that is what only a full verify proves); put back, all verify again."""
    cp = world / "cp.txt"
    events = backend.rows("SELECT max(seq) FROM events")[0][0]
    code, out, _ = since(checkpoint_at(backend, events - 5, cp))
    assert code == 0 and "checked: the 5 events after the checkpoint's event" in out
    for table in (*STATE_TABLES, "lineage", "deletion_notice_ids"):
        if table == "lineage":
            where = "export_id = 'a1' AND id = (SELECT max(id) FROM lineage WHERE export_id = 'a1')"
            made = backend.rows("SELECT seq FROM reservations WHERE export_id = 'a1'")[0][0]
        elif table == "deletion_notice_ids":
            notice, made = backend.rows("SELECT notice_id, seq FROM deletion_notices ORDER BY seq LIMIT 1")[0]
            where = f"notice_id = '{notice}' AND id = (SELECT min(id) FROM deletion_notice_ids WHERE notice_id = '{notice}')"
        else:
            made = backend.rows(f"SELECT max(seq) FROM {table}")[0][0]
            where = f"seq = {made}"
        before, at = checkpoint_at(backend, made - 1, world / "before.txt"), checkpoint_at(backend, made, cp)
        backend.raw(f"CREATE TABLE saved AS SELECT * FROM {table} WHERE {where}", f"DELETE FROM {table} WHERE {where}")
        code, _, err = since(before)
        assert code == 5 and "ledger verification failed" in err, (table, err)
        code, out, err = since(at)
        if table in ("requests", "request_decisions"):
            # The request's deliveries came after the checkpoint, and are checked against it.
            assert code == 5 and "delivers request" in err, (table, err)
        elif table == "notifications":
            # So did the message's attempts to send it.
            assert code == 5 and "a message the outbox never recorded" in err, (table, err)
        else:
            assert code == 0, (table, err)  # the full verify below catches it
        backend.raw(f"INSERT INTO {table} SELECT * FROM saved", "DROP TABLE saved")
        assert quota("ledger", "verify").exit_code == 0, table


def test_since_catches_a_new_event_altered_or_a_row_no_event_made(world: Path, backend: Backend) -> None:
    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    cp = checkpoint_at(backend, last - 3, world / "cp.txt")
    # One letter of its body changed into a character the body lacks, then back.
    body = str(backend.rows(f"SELECT body FROM events WHERE seq = {last}")[0][0])
    letter, other = next(c for c in body if c.isalpha()), next(c for c in "~^|" if c not in body)
    backend.raw(f"UPDATE events SET body = replace(body, '{letter}', '{other}') WHERE seq = {last}")
    code, _, err = since(cp)
    assert code == 5 and f"event {last}" in err and "was altered" in err
    backend.raw(f"UPDATE events SET body = replace(body, '{other}', '{letter}') WHERE seq = {last}")
    assert since(cp)[0] == 0
    # A release no event made, dated after the checkpoint: it would free an export's cap.
    backend.raw(f"INSERT INTO releases VALUES ('a1', 'made up', {last})")
    code, _, err = since(cp)
    assert code == 5 and "table releases holds a row no event made" in err


def test_since_needs_a_checkpoint_the_ledger_extends(world: Path, backend: Backend, tmp_path: Path) -> None:
    cp = checkpoint_at(backend, 10, tmp_path / "cp.txt")
    ledger_id, head = cp.read_text().split()[1], cp.read_text().split()[3]
    (tmp_path / "other.txt").write_text(f"quota-checkpoint {'0' * 32} 10 {head} 2026-12-01T00:00:00Z\n")
    assert "the checkpoint is of another ledger" in since(tmp_path / "other.txt")[2]
    (tmp_path / "far.txt").write_text(f"quota-checkpoint {ledger_id} 99999 {head} 2026-12-01T00:00:00Z\n")
    assert "fewer events than the checkpoint's 99999" in since(tmp_path / "far.txt")[2]
    # a different first digit whatever it was (a hash starting with 'f' once made this a no-op)
    backend.raw(
        "UPDATE events SET hash = (CASE WHEN hash LIKE 'f%' THEN 'e' ELSE 'f' END) || substr(hash, 2) WHERE seq = 10"
    )
    code, _, err = since(cp)
    assert code == 5 and "event 10 differs from the checkpoint's: history was rewritten" in err
    (tmp_path / "junk.txt").write_text("hello\n")
    assert "is not a quota checkpoint" in since(tmp_path / "junk.txt")[2]
    r = quota("ledger", "verify", "--since", cp, "--checkpoint", cp)
    assert r.exit_code == 2 and "not both" in r.stderr


def test_since_in_json_names_its_start(world: Path, backend: Backend) -> None:
    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    r = quota("ledger", "verify", "--since", checkpoint_at(backend, last - 2, world / "cp.txt"), "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["ok"], doc["since"], doc["events"]) == (True, last - 2, last)
    assert json.loads(quota("ledger", "verify", "--json").stdout)["since"] is None


# ----------------------------------------------------------------- windows, against an oracle

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CAP = PROFILES[DEFAULT_PROFILE].post_id_cap
WINDOW = PROFILES[DEFAULT_PROFILE].window
entries = st.lists(
    st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 400), st.integers(1, 6)),  # entity, day, 250k IDs
    min_size=1,
    max_size=10,
)


def _reserve(ledger: Session, n: int, entity: str, day: int, size: int) -> None:
    """An entry appended as it stands, past the import check: what a forged or buggy writer leaves
    (a past distribution, so that it may carry any time)."""
    at = T0 + timedelta(days=day, seconds=n)
    ledger.append("import", {
        "export_id": f"x{n}", "entity": entity, "person": None, "at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "post_ids": size * 250_000, "user_ids": 0, "reference": "", "profile": DEFAULT_PROFILE,
        "version": PROFILES[DEFAULT_PROFILE].version,
    })  # fmt: skip


def _over(rows: list[tuple[str, datetime, int]], end: datetime, holder: str) -> bool:
    return sum(n for h, t, n in rows if h == holder and end - WINDOW < t <= end) > CAP


@pytest.mark.duckdb_only
@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries, st.data())
def test_since_judges_exactly_the_windows_that_hold_a_new_entry(
    tmp_path_factory: pytest.TempPathFactory, backend: Backend, made: list, data: st.DataObject
) -> None:
    """Oracle: the since-verify fails exactly when a window ending in [first new entry, last new
    entry + 30 days) is over the cap. Those are all the windows that hold a new entry (so none
    of them escapes), and a window there that holds none was over at the checkpoint already."""
    before = data.draw(st.integers(0, len(made) - 1), label="entries before the checkpoint")
    link = data.draw(st.booleans(), label="a and b linked into one group after the checkpoint")
    db = tmp_path_factory.mktemp("w") / "ledger.duckdb"
    rows: list[tuple[str, datetime, int]] = []
    with Session.open(db, create=True) as ledger:
        for e in ("a", "b"):
            ledger.append("entity", {"entity": e, "name": e, "kind": "organization"})
        for n, (entity, day, size) in enumerate(made[:before]):
            _reserve(ledger, n, entity, day, size)
        checkpoint = ledger.checkpoint()
        if link:
            for e in ("a", "b"):
                ledger.append("entity_link", {"entity": e, "group": "g", "reason": "one", "at": "2025-01-01T00:00:00Z"})
        for n, (entity, day, size) in enumerate(made[before:], start=before):
            _reserve(ledger, n, entity, day, size)
        full = ledger.verify()
        report = ledger.verify(since=checkpoint)
    for n, (entity, day, size) in enumerate(made):
        rows.append(("g" if link else entity, T0 + timedelta(days=day, seconds=n), size * 250_000))
    holders = {h for h, _, _ in rows}
    event(f"full {full.ok}, since {report.ok}, link {link}")
    new = rows[before:]
    assert full.ok == (not any(_over(rows, t, h) for h in holders for _, t, _ in rows)), full.problem
    if link and rows[:before]:  # older entries moved to the group: every window again
        assert report.ok == full.ok, report.problem
        return
    lo, hi = min(t for _, t, _ in new), max(t for _, t, _ in new)
    judged = [(h, t) for h, t, _ in rows if lo <= t < hi + WINDOW]
    assert report.ok == (not any(_over(rows, t, h) for h, t in judged)), report.problem
    if any(_over(rows, t, h) for h, t, _ in new):  # a new entry over the cap is always caught
        assert not report.ok and "over its cap" in (report.problem or "")


def _report(world: Path, *more: str | Path) -> dict:
    """The `ledger` part of a JSON report written in `world`; exit 0 when it verified, else 5."""
    (world / "r.json").unlink(missing_ok=True)
    r = quota("report", "-o", world / "r.json", "--format", "json", *more)
    doc = json.loads((world / "r.json").read_text())["ledger"]
    assert r.exit_code == (0 if doc["verified"] else 5), r.stderr
    return doc


def test_report_from_a_checkpoint_verifies_what_came_after_and_says_so(world: Path, backend: Backend) -> None:
    def report(*more: str | Path) -> dict:
        return _report(world, *more)

    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    cp = checkpoint_at(backend, last - 3, world / "cp.txt")
    full, scoped = report(), report("--from-checkpoint", cp)
    assert full["verified"] and full["since_checkpoint"] is None and "after checkpoint" not in full["checked"]
    assert scoped["verified"] and scoped["since_checkpoint"] == last - 3
    assert f"(event {last - 3}); the hash chain" in scoped["checked"]

    def alter(seq: int, body: str) -> None:  # still JSON, no longer what was hashed
        backend.raw(f"UPDATE events SET body = {body} WHERE seq = {seq}")

    # An altered event before the checkpoint is what only a full check finds; one after it, both.
    alter(last - 5, "body || ' '")
    assert report("--from-checkpoint", cp)["verified"]
    whole = report()
    assert not whole["verified"] and f"event {last - 5} " in whole["problem"]
    alter(last - 5, "substr(body, 1, length(body) - 1)")
    alter(last, "body || ' '")
    altered = report("--from-checkpoint", cp)
    assert not altered["verified"] and f"event {last} " in altered["problem"] and "was altered" in altered["problem"]
    alter(last, "substr(body, 1, length(body) - 1)")
    assert report()["verified"]
    # A checkpoint of history the ledger no longer extends fails the report, never passes it.
    backend.raw(
        f"UPDATE events SET hash = (CASE WHEN hash LIKE 'f%' THEN 'e' ELSE 'f' END) || substr(hash, 2) WHERE seq = {last - 3}"
    )
    rewritten = report("--from-checkpoint", cp)
    assert not rewritten["verified"] and "history was rewritten" in rewritten["problem"]
    r = quota("report", "-o", world / "r.json", "--from-checkpoint", world / "nothing.txt")
    assert r.exit_code != 0 and "Traceback" not in r.stderr


def test_the_report_never_claims_a_table_it_reads_is_sound_when_it_was_altered(world: Path, backend: Backend) -> None:
    """The report's numbers come from the state tables: a row moved there (a delivery 40 days
    earlier frees its room) fails the report, with a checkpoint or without, at the top in red,
    and the report is still written, with exit 5."""
    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    cp = checkpoint_at(backend, last, world / "cp.txt")
    export_id = backend.rows("SELECT export_id FROM reservations WHERE delivered_at IS NOT NULL ORDER BY seq LIMIT 1")[
        0
    ][0]
    backend.raw(
        f"UPDATE reservations SET delivered_at = delivered_at - INTERVAL '40 days' WHERE export_id = '{export_id}'"
    )
    assert quota("ledger", "verify").exit_code == 5
    for more in ((), ("--from-checkpoint", str(cp))):
        for fmt in ("json", "html"):
            out = world / f"r.{fmt}"
            out.unlink(missing_ok=True)
            r = quota("report", "-o", out, "--format", fmt, *more)
            assert r.exit_code == 5 and "the ledger failed verification: table reservations" in r.stderr, r.stderr
            text = out.read_text()
            if fmt == "json":
                doc = json.loads(text)["ledger"]
                assert not doc["verified"] and "table reservations" in doc["problem"]
                assert "every state table rebuilt" in doc["checked"]
            else:
                body = text.split("<body>", 1)[1]
                assert body.index('id="failed"') < body.index("<h2>") and "FAILED VERIFICATION" in body
                assert 'id="verified" data-value="0"' in body and ">verified<" not in body


def test_checkpoints_kept_apart_catch_history_cut_off_that_verify_alone_cannot(world: Path, backend: Backend) -> None:
    logs = world / "kept-elsewhere"
    r = quota("ledger", "checkpoint", "--to", logs, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["log"].endswith(".log"), r.stderr
    assert quota("entity", "add", "beta", "--name", "Beta").exit_code == 0
    first = json.loads(r.stdout)
    assert quota("ledger", "checkpoint", "--to", logs).exit_code == 0
    (log,) = logs.iterdir()
    assert log.name == f"checkpoints-{first['ledger_id']}.log" and len(log.read_text().splitlines()) == 2
    ok = quota("ledger", "verify", "--checkpoints", logs)
    assert ok.exit_code == 0 and "extends every checkpoint of its log" in ok.stdout and "2 checkpoints" in ok.stdout
    # The newest event cut off with its row: the chain alone still verifies.
    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    backend.raw(f"DELETE FROM events WHERE seq = {last}", "DELETE FROM entities WHERE entity = 'beta'")
    assert quota("ledger", "verify").exit_code == 0
    r = quota("ledger", "verify", "--checkpoints", logs, "--json")
    assert r.exit_code == 5 and f"{log}, line 2: " in r.stderr, r.stderr
    assert json.loads(r.stdout)["checkpoints_checked"] == 2


@pytest.mark.duckdb_only
def test_outputs_are_regular_files_or_new_paths(world: Path) -> None:
    import os

    fifo = world / "fifo"
    os.mkfifo(fifo)
    for args in (("report", "-o", fifo), ("report", "-o", "/dev/null"), ("ledger", "checkpoint", "-o", "/dev/null")):
        r = quota(*args)
        assert r.exit_code == 2 and "is not a regular file" in r.stderr, (args, r.stderr)
    assert fifo.is_fifo() and Path("/dev/null").is_char_device()
    r = quota("report", "-o", world)
    assert r.exit_code == 2 and "is a directory" in r.stderr
    ledger_id = json.loads(quota("ledger", "checkpoint", "--json").stdout)["ledger_id"]
    (world / "logs").mkdir()
    os.mkfifo(world / "logs" / f"checkpoints-{ledger_id}.log")  # no reader: a blocking open would wait
    r = quota("ledger", "checkpoint", "--to", world / "logs")
    assert r.exit_code == 2 and "cannot write the checkpoint log" in r.stderr, r.stderr


def _verify_with(
    db: str, side_by_side: bool, monkeypatch: pytest.MonkeyPatch, sorted_ranges: bool = False
) -> tuple[bool, str | None, int | None]:
    """A full verify in this process: its checks split into many small ranges side by side (the
    chain in ranges of 3 events, lineage in ranges of one block, hashed in scan order and
    confirmed, or with `sorted_ranges` hashed again with their sort), or in one session with the
    server's one exact query for every ID set."""
    import contextlib

    from quota.store import postgres_scan, verify
    from quota.store.postgres import PgStore

    with monkeypatch.context() as m:
        if side_by_side:
            m.setattr(verify, "_CHAIN_PART", 3)
            m.setattr(postgres_scan, "_RANGE_BLOCKS", 1)
            if sorted_ranges:
                m.setattr(postgres_scan, "_MANY_UNCONFIRMED", -1)
        else:
            m.setattr(verify, "_HELPERS", 0)
            m.setattr(PgStore, "digests_ahead", lambda self: contextlib.nullcontext())
        with Session.open(db) as ledger:
            r = ledger.verify()
    return r.ok, r.problem, r.bad_seq


@pytest.mark.postgres_only
def test_checks_side_by_side_find_what_one_session_finds(
    world: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain checked in ranges (each from the stored hash before it), the state tables on
    several sessions of one snapshot, and every ID set hashed in ranges of lineage's blocks (a
    set split between two ranges hashed again whole): on an honest ledger and after each kind of
    damage, the same verdict, problem and event as one session's exact queries."""
    import random

    rng = random.Random(7)
    assert _verify_with(backend.db, True, monkeypatch) == _verify_with(backend.db, False, monkeypatch) == (
        True, None, None,
    )  # fmt: skip
    # Hashed in the order the rows were stored (ascending, as an export's COPY writes them), every
    # set of the honest ledger is confirmed against its recorded digest.
    from quota.store.chain import LINEAGE_KINDS

    kinds = ", ".join(f"({n}, '{k}')" for k, n in LINEAGE_KINDS.items())
    with Session.open(backend.db) as ledger:
        confirmed = ledger.store.rows(
            ledger.store.sql("lineage_digests_confirmed_in_blocks", blocks="true", kinds=kinds)
        )[1]
    assert confirmed and all(c for *_, c in confirmed)
    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    blocks = backend.rows("SELECT pg_relation_size('lineage') / current_setting('block_size')::int")[0][0]
    assert blocks > 1, "the lineage spans more than one block, so sets lie in more than one range"
    sets = backend.rows("SELECT export_id, kind, min(id) FROM lineage GROUP BY 1, 2 ORDER BY 1, 2")
    damage: list[tuple[list[str], list[str]]] = []
    for seq in rng.sample(range(1, last + 1), 4):
        damage.append(([f"UPDATE events SET body = body || ' ' WHERE seq = {seq}"],
                       [f"UPDATE events SET body = substr(body, 1, length(body) - 1) WHERE seq = {seq}"]))  # fmt: skip
    gap = rng.randrange(2, last)
    damage.append(([f"CREATE TABLE kept AS SELECT * FROM events WHERE seq = {gap}", f"DELETE FROM events WHERE seq = {gap}"],
                   ["INSERT INTO events SELECT * FROM kept", "DROP TABLE kept"]))  # fmt: skip
    for export_id, kind, low in rng.sample(sets, min(4, len(sets))):
        key = f"export_id = '{export_id}' AND kind = {kind}"
        damage.append(([f"UPDATE lineage SET id = id + 1 WHERE {key} AND id = {low}"],
                       [f"UPDATE lineage SET id = id - 1 WHERE {key} AND id = {low + 1}"]))  # fmt: skip
    export_id, kind, low = sets[0]  # a kind no ID has (one byte holds every real one)
    damage.append(([f"UPDATE lineage SET kind = 300 WHERE export_id = '{export_id}' AND kind = {kind} AND id = {low}"],
                   [f"UPDATE lineage SET kind = {kind} WHERE export_id = '{export_id}' AND kind = 300"]))  # fmt: skip
    damage.append((["UPDATE reservations SET post_ids = post_ids + 1 WHERE seq = (SELECT max(seq) FROM reservations)"],
                   ["UPDATE reservations SET post_ids = post_ids - 1 WHERE seq = (SELECT max(seq) FROM reservations)"]))  # fmt: skip
    for do, undo in damage:
        backend.raw(*do)
        split, whole = _verify_with(backend.db, True, monkeypatch), _verify_with(backend.db, False, monkeypatch)
        assert split == whole == _verify_with(backend.db, True, monkeypatch, True) and not split[0], (do, split, whole)
        backend.raw(*undo)
    assert _verify_with(backend.db, True, monkeypatch)[0]
    # Honest, but stored in another order (the updates above moved rows; here every set backwards):
    # no set is confirmed in scan order, each is hashed again in order, and the verify is ok.
    backend.raw("CREATE TABLE backwards AS SELECT * FROM lineage ORDER BY id DESC", "DELETE FROM lineage",
                "INSERT INTO lineage SELECT * FROM backwards ORDER BY id DESC", "DROP TABLE backwards")  # fmt: skip
    assert _verify_with(backend.db, True, monkeypatch) == _verify_with(backend.db, True, monkeypatch, True) == (
        True, None, None,
    )  # fmt: skip


def test_the_report_starts_from_the_checkpoint_a_verify_kept(world: Path, backend: Backend) -> None:
    """`ledger verify --keep` keeps its checkpoint as the last verified one; `report
    --checkpoints` starts there, compares only the rows made since, and says so. What came
    after is still caught: an altered event, a row of a new event; a full report catches a row
    altered before it, and the next full verify too."""
    kept = world / "kept"
    assert quota("ledger", "verify", "--checkpoints", kept, "--keep").exit_code == 0
    (verified,) = kept.glob("verified-*.txt")
    assert verified.read_text().split()[2] == str(backend.rows("SELECT max(seq) FROM events")[0][0])

    def report(*more: str | Path) -> dict:
        return _report(world, *more)

    doc = report("--checkpoints", kept)
    assert doc["verified"] and doc["since_checkpoint"] == int(verified.read_text().split()[2])
    assert "of a verify kept before" in doc["checked"] and "the state rows those events made" in doc["checked"]
    assert report()["since_checkpoint"] is None  # no directory: the whole ledger, as before
    # A new event after it, then its row altered: caught from the checkpoint.
    assert quota("entity", "add", "gamma", "--name", "Gamma").exit_code == 0
    backend.raw("UPDATE entities SET name = 'Delta' WHERE entity = 'gamma'")
    altered = report("--checkpoints", kept)
    assert not altered["verified"] and "table entities" in altered["problem"]
    backend.raw("UPDATE entities SET name = 'Gamma' WHERE entity = 'gamma'")
    last = backend.rows("SELECT max(seq) FROM events")[0][0]
    backend.raw(f"UPDATE events SET body = body || ' ' WHERE seq = {last}")
    assert "was altered" in (report("--checkpoints", kept)["problem"] or "")
    backend.raw(f"UPDATE events SET body = substr(body, 1, length(body) - 1) WHERE seq = {last}")
    # A row of an event before the checkpoint: taken as that verify found it, said so; the whole
    # report and the next verify catch it.
    backend.raw("UPDATE entities SET name = 'Other' WHERE entity = 'acme'")
    assert report("--checkpoints", kept)["verified"]
    assert not report()["verified"]
    assert quota("ledger", "verify", "--checkpoints", kept, "--keep").exit_code == 5
