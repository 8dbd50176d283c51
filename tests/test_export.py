"""`quota export`, `usage` and the ledger commands around them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import EARLY, LETTER, SAMPLES, TERMS, Backend, Clock, Templates, at, commands, quota

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"  # 118 unique Post IDs, 105 unique User IDs
PAGE_POSTS = 118
CAP = 1_500_000


ACME = commands(
    ("init",),
    ("entity", "add", "acme", "--name", "Acme"),
    ("entity", "accept-terms", *TERMS, "acme", "--by", "J Doe", "--at", "2026-01-01T00:00:00Z"),
    ("entity", "add", "other", "--name", "Other"),
    ("entity", "accept-terms", *TERMS, "other", "--by", "K Roe", "--at", "2026-01-01T00:00:00Z"),
    ("person", "add", "jdoe", "--entity", "acme"),
    ("person", "add", "kroe", "--entity", "other"),
    start=EARLY,
)  # fmt: skip


@pytest.fixture
def acme(tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch) -> Path:
    templates.clone("export.acme", ACME, backend, monkeypatch)
    return tmp_path


def past(tmp_path: Path, *rows: tuple[str, str, int]) -> None:
    """Record past distributions (at, entity, post IDs) with `quota ledger import`."""
    path = tmp_path / f"past-{len(list(tmp_path.glob('past-*')))}.csv"
    path.write_text("at,entity,post_ids,reference\n" + "".join(f"{a},{e},{n},ref\n" for a, e, n in rows))
    r = quota("ledger", "import", path)
    assert r.exit_code == 0, r.stderr


def state(tmp_path: Path) -> str:
    return quota("ledger", "checkpoint").stdout.split()[2]


def test_export_writes_records_and_reports(acme: Path) -> None:
    r = at("2026-11-01T12:00:00Z", "export", PAGES, "--to", "acme", "--person", "jdoe", "-o", "out", "--ids",
           "post,user", "--export-id", "nov-1", "--json")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    keys = [
        "export_id",
        "entity",
        "person",
        "at",
        "post_ids",
        "user_ids",
        "dm_ids",
        "basis",
        "used_after",
        "cap",
        "files",
        "withheld_post_ids",
        "withheld_user_ids",
    ]
    assert list(doc) == keys
    assert (doc["export_id"], doc["entity"], doc["person"], doc["at"]) == (
        "nov-1",
        "acme",
        "jdoe",
        "2026-11-01T12:00:00.000000Z",
    )
    assert (doc["post_ids"], doc["user_ids"], doc["dm_ids"], doc["basis"]) == (PAGE_POSTS, 105, 0, "cap")
    assert (doc["used_after"], doc["cap"]) == (PAGE_POSTS, CAP)
    files = {f["path"]: f for f in doc["files"]}
    post_file = Path("out/post_ids.txt").read_bytes()
    assert files["post_ids.txt"]["sha256"] == hashlib.sha256(post_file).hexdigest()
    manifest = json.loads(Path("out/manifest.json").read_text())
    assert manifest["export"]["export_id"] == "nov-1" and manifest["export"]["profile"] == "x-developer-policy"
    shown = json.loads(quota("ledger", "show", "nov-1", "--json").stdout)
    assert shown["state"] == "committed" and shown["files"] == doc["files"]
    # The ID-set digest in the event is the sha256 of the plain ID file's bytes.
    assert shown["ids_sha256"]["post"] == files["post_ids.txt"]["sha256"]
    assert [e["kind"] for e in shown["events"]] == ["reserve", "commit"]
    listed = json.loads(quota("ledger", "list", "--entity", "acme", "--json").stdout)
    assert [x["export_id"] for x in listed] == ["nov-1"]
    assert quota("ledger", "verify").exit_code == 0


def test_usage_json_keys_and_next_free_at(acme: Path) -> None:
    at("2026-11-01T12:00:00Z", "export", PAGES, "--to", "acme", "-o", "out")
    rows = json.loads(quota("usage", "acme", "--at", "2026-11-10T00:00:00Z", "--json").stdout)
    assert rows == [{
        "entity": "acme", "group": None, "members": ["acme"], "at": "2026-11-10T00:00:00.000000Z",
        "window_start": "2026-10-11T00:00:00.000000Z",
        "used": PAGE_POSTS, "cap": CAP, "headroom": CAP - PAGE_POSTS, "next_free_at": "2026-12-01T12:00:00.000000Z",
        "imported_post_ids": 0, "void_post_ids": 0, "declared_user_ids": 0,
    }]  # fmt: skip
    (row,) = json.loads(quota("usage", "acme", "--at", "2026-11-10T00:00:00Z", "--need", "5", "--json").stdout)
    assert row["next_free_at"] == "2026-11-10T00:00:00.000000Z"
    (row,) = json.loads(quota("usage", "other", "--json").stdout)
    assert row["used"] == 0 and row["next_free_at"] is None


def test_refusal_over_the_cap_says_it_in_numbers(acme: Path, tmp_path: Path, clock: Clock) -> None:
    clock.set("2026-11-15T00:00:00Z")
    past(tmp_path, ("2026-11-01T00:00:00Z", "acme", CAP - 100))
    before = state(tmp_path)
    r = quota("export", PAGES, "--to", "acme", "-o", "out")
    assert r.exit_code == 3
    assert "used 1,499,900, cap 1,500,000, requested 118, over by 18" in r.stderr
    assert "it fits from 2026-12-01T00:00:00.000000Z" in r.stderr
    assert not Path("out").exists() and state(tmp_path) == before


def test_a_past_distribution_must_not_break_a_later_window(acme: Path, tmp_path: Path, clock: Clock) -> None:
    clock.set("2026-12-01T00:00:00Z")
    past(tmp_path, ("2026-11-20T00:00:00Z", "acme", CAP - 100))
    # The trailing window of Nov 1 is empty, but the window ending Nov 20 would hold too much.
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--at", "2026-11-01T00:00:00Z", "--dry-run")
    assert r.exit_code == 3 and "in the 30 days to 2026-11-20T00:00:00.000000Z" in r.stderr
    hist = tmp_path / "hist.csv"
    hist.write_text("at,entity,post_ids\n2026-11-01T00:00:00Z,acme,118\n")
    r = quota("ledger", "import", hist)
    assert r.exit_code == 3 and "in the 30 days to 2026-11-20T00:00:00.000000Z" in r.stderr
    past(tmp_path, ("2026-10-21T00:00:00Z", "acme", 118))  # exactly 30 days before: outside that window
    assert quota("ledger", "verify").exit_code == 0


def test_a_delivery_happens_now(acme: Path, tmp_path: Path, clock: Clock) -> None:
    """A real export or manual export is recorded at the ledger's clock: a time asked for is a
    dry run's what-if, or now within the clock's slack; the past is recorded by ledger import."""
    clock.set("2026-11-15T00:00:00Z")
    before = state(tmp_path)
    for when in ("2026-10-01T00:00:00Z", "2026-11-14T23:54:00Z", "2026-11-15T00:06:00Z"):
        r = quota("export", PAGES, "--to", "acme", "-o", "out", "--at", when)
        assert r.exit_code == 2 and "a delivery happens now; record a past distribution with quota ledger import" \
            in r.stderr, r.stderr  # fmt: skip
        assert not Path("out").exists() and state(tmp_path) == before
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--at", "2026-11-14T23:56:00Z", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["at"] == "2026-11-15T00:00:00.000000Z"  # the clock's, not the option's
    assert "delivered 2026-11-15T00:00:00.000000Z" in (Path("out") / "README.md").read_text()


def test_window_boundary_is_half_open(acme: Path, tmp_path: Path, clock: Clock) -> None:
    clock.set("2026-11-15T00:00:00Z")
    past(tmp_path, ("2026-10-01T00:00:00Z", "acme", CAP - 100))
    at_edge = quota("export", PAGES, "--to", "acme", "-o", "a", "--at", "2026-10-31T00:00:00Z", "--dry-run")
    assert at_edge.exit_code == 0  # the entry at t - 30 days no longer counts
    inside = quota("export", PAGES, "--to", "acme", "-o", "b", "--at", "2026-10-30T23:59:59.999999Z", "--dry-run")
    assert inside.exit_code == 3


def test_a_permission_raises_the_cap_within_its_dates(acme: Path, tmp_path: Path, clock: Clock) -> None:
    clock.set("2026-11-15T00:00:00Z")
    past(tmp_path, ("2026-11-01T00:00:00Z", "acme", CAP - 100))
    assert quota("permission", "add", *LETTER, "X-9", "--entity", "acme", "--cap", str(CAP + 1000),
                 "--from", "2026-11-10T00:00:00Z", "--until", "2027-01-01T00:00:00Z").exit_code == 0  # fmt: skip
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["basis"] == "permission:X-9" and doc["cap"] == CAP + 1000


def test_dry_run_writes_and_records_nothing(acme: Path, tmp_path: Path) -> None:
    before = state(tmp_path)
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--dry-run", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["dry_run"] is True
    assert not Path("out").exists() and state(tmp_path) == before


def test_retry_with_the_same_export_id_records_once(acme: Path, tmp_path: Path) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "a", "--export-id", "k1").exit_code == 0
    after_first = state(tmp_path)
    again = quota("export", PAGES, "--to", "acme", "-o", "a", "--export-id", "k1")
    assert again.exit_code == 0 and "already delivered to " in again.stderr and "export k1" in again.stderr
    assert state(tmp_path) == after_first
    elsewhere = quota("export", PAGES, "--to", "acme", "-o", "b", "--export-id", "k1")
    assert elsewhere.exit_code == 2 and "export id k1 was delivered to " in elsewhere.stderr
    assert state(tmp_path) == after_first and not Path("b").exists()
    assert quota("export", PAGES, "--to", "other", "-o", "c", "--export-id", "k1").exit_code == 2


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("--to", "acme", "--person", "kroe"), 3, "belongs to other"),
        (("--to", "acme", "--at", "2025-06-01T00:00:00Z", "--dry-run"), 3, "no recorded acceptance"),
        (("--to", "acme", "--at", "2025-06-01T00:00:00Z"), 2, "a delivery happens now"),
        (("--to", "nobody"), 2, "no entity 'nobody'"),
        (("--to", "acme", "--at", "2099-01-01T00:00:00Z"), 2, "a delivery happens now"),
        (("--to", "acme", "--person", "ghost"), 2, "no person 'ghost'"),
    ],
)
def test_recipients_are_checked(acme: Path, tmp_path: Path, args: tuple[str, ...], code: int, words: str) -> None:
    before = state(tmp_path)
    r = quota("export", PAGES, "-o", "out", *args)
    assert r.exit_code == code and words in r.stderr, r.stderr
    assert not Path("out").exists() and state(tmp_path) == before


def test_a_void_of_an_import_stops_it_counting(acme: Path, tmp_path: Path, clock: Clock) -> None:
    clock.set("2026-11-02T00:00:00Z")
    past(tmp_path, ("2026-11-01T00:00:00Z", "acme", CAP - 100))
    (entry,) = json.loads(quota("ledger", "list", "--json").stdout)
    assert quota("ledger", "void", entry["export_id"], "--reason", "typed twice", "--by", "C Officer").exit_code == 0
    assert json.loads(quota("ledger", "list", "--json").stdout)[0]["state"] == "void"
    (row,) = json.loads(quota("usage", "acme", "--at", "2026-11-02T00:00:00Z", "--json").stdout)
    assert row["used"] == 0
    assert quota("ledger", "verify").exit_code == 0


def test_a_failed_write_releases_its_own_reservation(acme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from quota import output

    def disk_full(*a: object, **k: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    real = output.write_files
    monkeypatch.setattr(output, "write_files", disk_full)
    r = at("2026-11-01T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "out", "--export-id", "broken")
    assert r.exit_code == 5, r.stderr
    assert "disk is full" in r.stderr and "broken was released" in r.stderr and len(r.stderr.splitlines()) == 1
    monkeypatch.setattr(output, "write_files", real)
    assert json.loads(quota("ledger", "recover", "--json").stdout) == []
    shown = json.loads(quota("ledger", "show", "broken", "--json").stdout)
    assert shown["state"] == "released"
    (row,) = json.loads(quota("usage", "acme", "--at", "2026-11-02T00:00:00Z", "--json").stdout)
    assert row["used"] == 0  # nothing was delivered, so nothing counts
    assert not Path("out").exists() and not [p for p in Path().iterdir() if ".partial-" in p.name]
    retry = quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "broken")
    assert retry.exit_code == 2 and "released" in retry.stderr
    assert quota("ledger", "verify").exit_code == 0


def test_import_is_all_or_nothing(acme: Path, tmp_path: Path, clock: Clock) -> None:
    clock.set("2026-12-01T00:00:00Z")
    path = tmp_path / "hist.csv"
    path.write_text(
        "at,entity,post_ids,user_ids,reference\n"
        "2026-09-01T00:00:00Z,acme,1000000,5,first\n"
        "2026-09-10T00:00:00Z,acme,600000,0,second\n"
    )
    before = state(tmp_path)
    r = quota("ledger", "import", path)
    assert r.exit_code == 3 and "hist.csv, line 3" in r.stderr and "over by 100,000" in r.stderr
    assert state(tmp_path) == before
    path.write_text("at,entity,post_ids\n2026-09-01T00:00:00Z,acme,1.5e6\n")
    r = quota("ledger", "import", path)
    assert r.exit_code == 4 and "line 2" in r.stderr and "'1.5e6'" in r.stderr


def test_lineage_tampering_is_detected(acme: Path, backend: Backend) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,user").exit_code == 0
    backend.raw("UPDATE lineage SET id = id + 1 WHERE id = (SELECT min(id) FROM lineage WHERE kind = 1)")
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "post IDs stored for export" in r.stderr


def test_an_altered_event_is_named_before_the_ids_hashed_beside_the_chain(acme: Path, backend: Backend) -> None:
    # The stored IDs are hashed while the chain is checked: the first problem is still the chain's.
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,user").exit_code == 0
    backend.raw(
        "UPDATE lineage SET id = id + 1 WHERE id = (SELECT min(id) FROM lineage WHERE kind = 1)",
        "UPDATE events SET body = replace(body, 'Acme', 'Acne') WHERE seq = 1",
    )
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "event 1 (entity) was altered" in r.stderr, r.stderr


@pytest.mark.duckdb_only
def test_a_verify_inside_a_transaction_hashes_what_that_transaction_sees(acme: Path) -> None:
    # As ledger copy verifies its new ledger before committing it: a second connection, as the
    # digests use beside the other checks, would see the committed rows instead.
    from quota.store.session import Session

    assert quota("export", PAGES, "--to", "acme", "-o", "out").exit_code == 0
    with Session.open(write=True) as ledger:
        try:
            with ledger.store.transaction():
                ledger.store.execute("UPDATE lineage SET id = id + 1 WHERE id = (SELECT min(id) FROM lineage)")
                report = ledger.verify()
                assert not report.ok and "post IDs stored for export" in (report.problem or "")
                raise KeyboardInterrupt  # rolls the change back
        except KeyboardInterrupt:
            pass
        assert ledger.verify().ok


@pytest.mark.duckdb_only
def test_whole_ledger_checks_cap_duckdbs_memory_and_give_it_back(acme: Path) -> None:
    # DuckDB would cache every block it reads; the report's checks re-hash no stored IDs and
    # get half of verify's memory.
    import os

    from quota.store.session import Session

    if os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") < 4 << 30:
        pytest.skip("on a machine of less than 4 GiB, both caps are 80 % of its memory")
    with Session.open() as ledger:

        def limit() -> str:
            return ledger.store.rows("SELECT current_setting('memory_limit')")[1][0][0]

        before = limit()
        with ledger.store.scanning(ids=False):
            assert limit() == "512.0 MiB"
            ledger.store.rows("SELECT count(*) FROM events")
        with ledger.store.scanning():
            assert limit() == "1.0 GiB"
        assert limit() == before


def test_a_set_stored_in_two_places_or_out_of_order_still_verifies(acme: Path, backend: Backend) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,user").exit_code == 0
    # Its lowest Post ID moved to the end of the table: the set is the same, stored in two runs.
    backend.raw(
        "CREATE TEMP TABLE moved AS SELECT * FROM lineage WHERE id = (SELECT min(id) FROM lineage WHERE kind = 1)",
        "DELETE FROM lineage WHERE id = (SELECT id FROM moved) AND kind = 1",
        "INSERT INTO lineage SELECT * FROM moved",
    )
    assert quota("ledger", "verify").exit_code == 0
    # A repeated ID is another set, wherever it is stored.
    backend.raw("INSERT INTO lineage SELECT * FROM lineage WHERE kind = 1 LIMIT 1")
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "post IDs stored for export" in r.stderr


def test_ids_stored_for_no_entry_are_found(acme: Path, backend: Backend) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,user").exit_code == 0
    # Every entry's own sets are intact; IDs of an export that no event recorded are not.
    backend.raw("INSERT INTO lineage SELECT 'nobody', kind, id FROM lineage WHERE kind = 1 LIMIT 3")
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "IDs are stored for export nobody, which no event recorded" in r.stderr
    backend.raw("DELETE FROM lineage WHERE export_id = 'nobody'")
    assert quota("ledger", "verify").exit_code == 0


def delivered(out: str, kind: str = "post") -> list[int]:
    return [int(i) for i in (Path(out) / f"{kind}_ids.txt").read_text().split()]


def test_limit_and_sample_choose_which_post_ids_and_the_ledger_records_them(acme: Path) -> None:
    assert at("2026-10-01T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "all").exit_code == 0
    everything = delivered("all")
    r = quota("export", PAGES, "--to", "acme", "-o", "old", "--limit", "10", "--ids", "post,user", "--json")
    assert r.exit_code == 0, r.stderr
    assert delivered("old") == everything[:10] and json.loads(r.stdout)["post_ids"] == 10
    assert len(delivered("old", "user")) == 105  # the limit chooses Post IDs; User IDs go whole
    drawn = sorted(everything, key=lambda i: (hashlib.sha256(f"s1:{i}".encode()).hexdigest(), i))[:7]
    for out in ("s1", "s1-again"):
        assert quota("export", PAGES, "--to", "acme", "-o", out, "--sample", "7", "--seed", "s1").exit_code == 0
        assert delivered(out) == sorted(drawn)
    assert quota("export", PAGES, "--to", "acme", "-o", "s2", "--sample", "7", "--seed", "s2").exit_code == 0
    assert delivered("s2") != delivered("s1")
    r = quota("ledger", "verify", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["events"] > 0
    chosen = [json.loads(b)["selection"] for (b,) in backend_bodies()]
    assert chosen == [{"limit": 10, "seed": None, "fit": False}, *[{"limit": 7, "seed": "s1", "fit": False}] * 2,
                      {"limit": 7, "seed": "s2", "fit": False}]  # fmt: skip


def backend_bodies() -> list[tuple[str]]:
    from quota.store.session import Session

    with Session.open(None) as ledger:
        return [
            (b,)
            for (b,) in ledger.rows("SELECT body FROM events WHERE kind = 'reserve' ORDER BY seq")
            if "selection" in b
        ]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--limit", "5", "--sample", "5", "--seed", "x"), "choose one of --limit and --sample"),
        (("--sample", "5"), "--sample and --seed go together"),
        (("--seed", "5"), "--sample and --seed go together"),
        (("--limit", "5", "--ids", "user"), "a limit or a sample chooses Post IDs"),
        (("--limit", "-1"), "-1"),
    ],
)
def test_a_selection_that_makes_no_sense_is_refused(acme: Path, args: tuple[str, ...], says: str) -> None:
    r = quota("export", PAGES, "--to", "acme", "-o", "x", *args)
    assert r.exit_code == 2 and says in r.stderr, r.stderr
    assert not Path("x").exists()


def test_fit_delivers_the_largest_prefix_under_the_cap_and_refuses_when_none_fits(
    acme: Path, tmp_path: Path, clock: Clock
) -> None:
    assert at("2026-10-01T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "all").exit_code == 0
    everything = delivered("all")
    clock.set("2026-11-02T00:00:00Z")
    past(tmp_path, ("2026-11-01T00:00:00Z", "acme", CAP - 50))
    assert quota("export", PAGES, "--to", "acme", "-o", "x").exit_code == 3
    # Of a sample, --fit keeps the sample's first: what a smaller sample of that seed draws.
    r = quota("export", PAGES, "--to", "acme", "-o", "s", "--sample", "100", "--seed", "k", "--fit", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["post_ids"], doc["left_post_ids"], doc["used_after"]) == (50, 50, CAP)
    assert "--fit left out 50 Post IDs" in r.stderr
    drawn = sorted(everything, key=lambda i: (hashlib.sha256(f"k:{i}".encode()).hexdigest(), i))
    assert delivered("s") == sorted(drawn[:50])
    r = at("2026-11-02T01:00:00Z", "export", PAGES, "--to", "acme", "-o", "none", "--fit")
    assert r.exit_code == 3 and "over by" in r.stderr and not Path("none").exists()
    # Without a sample, the prefix is the oldest (lowest) Post IDs.
    clock.set("2026-12-01T12:00:00Z")
    past(tmp_path, ("2026-12-01T00:00:00Z", "acme", CAP - 100))
    r = quota("export", PAGES, "--to", "acme", "-o", "f", "--fit", "--json")
    assert r.exit_code == 0, r.stderr
    assert (json.loads(r.stdout)["post_ids"], json.loads(r.stdout)["left_post_ids"]) == (50, 68)
    assert delivered("f") == everything[:50]
    assert quota("ledger", "verify").exit_code == 0


def test_verify_recomputes_every_window(acme: Path, tmp_path: Path, backend: Backend, clock: Clock) -> None:
    assert at("2026-10-02T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "a").exit_code == 0
    clock.set("2026-11-02T00:00:00Z")
    past(tmp_path, ("2026-11-01T00:00:00Z", "acme", CAP - 100))
    assert quota("ledger", "verify").exit_code == 0
    # Someone moves the export a day later, into the window of the big one, and re-seals the chain.
    backend.raw("UPDATE reservations SET delivered_at = delivered_at + INTERVAL '1 day' WHERE basis = 'cap'")
    r = quota("ledger", "verify")
    assert r.exit_code == 5  # the state no longer matches its event...
    from quota.store.session import Session

    with Session.open(None) as ledger:
        assert ledger.check("windows") is not None  # ...and the window check sees the breach itself


def test_an_empty_kind_is_recorded_as_the_empty_list(acme: Path) -> None:
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,dm", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["dm_ids"] == 0 and Path("out/dm_ids.txt").read_bytes() == b""
    shown = json.loads(quota("ledger", "show", json.loads(r.stdout)["export_id"], "--json").stdout)
    assert shown["ids_sha256"]["dm"] == hashlib.sha256(b"").hexdigest()
    assert quota("ledger", "verify").exit_code == 0


def test_export_takes_skip_bad_and_records_what_it_skipped(acme: Path, tmp_path: Path) -> None:
    src = tmp_path / "messy.txt"
    src.write_text("1895625031960240129\nnot-an-id\n1895625040916865026\n")
    r = quota("export", src, "--to", "acme", "-o", "out")
    assert r.exit_code == 4 and "line 2" in r.stderr
    r = quota("export", src, "--to", "acme", "-o", "out", "--skip-bad", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["post_ids"] == 2
    doc = json.loads(Path("out/manifest.json").read_text())
    assert doc["bad_lines"] == 1 and doc["inputs"][0]["first_bad_lines"][0]["line"] == 2


def test_export_shows_the_strip_progress_bar_on_a_terminal(acme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quota.cli import exports as cli_exports
    from quota.cli import progress

    begun: list[str] = []
    real = progress.ByteProgress.begin

    def begin(self, name, size, con=None):  # type: ignore[no-untyped-def]
        begun.append(name)
        return real(self, name, size, con)

    import io

    monkeypatch.setattr(progress.ByteProgress, "begin", begin)
    # As on a terminal: the bar strip shows (CliRunner's stderr is no terminal).
    monkeypatch.setattr(
        cli_exports, "progress_bar", lambda inputs, quiet: progress.ByteProgress(1, stream=io.StringIO())
    )
    r = quota("export", PAGES, "--to", "acme", "-o", "out")
    assert r.exit_code == 0, r.stderr
    assert begun == [str(PAGES)]


def test_a_delivery_names_its_inputs_without_the_data_teams_paths(acme: Path, tmp_path: Path) -> None:
    home = tmp_path / "home" / "data-team" / "collections"
    home.mkdir(parents=True)
    src = home / "pages.jsonl"
    src.write_bytes(PAGES.read_bytes())
    r = at("2026-11-01T00:00:00Z", "export", src.absolute(), "--to", "acme", "-o", "out")
    assert r.exit_code == 0, r.stderr
    doc = json.loads((Path("out") / "manifest.json").read_text())
    assert [(i["path"], i["sha256"]) for i in doc["inputs"]] == [
        ("pages.jsonl", hashlib.sha256(src.read_bytes()).hexdigest())
    ]
    for f in Path("out").iterdir():
        assert "data-team" not in f.read_text(errors="replace"), f.name
    # strip's own output is the data team's, not a delivery: it keeps the path as given.
    assert quota("strip", src.absolute(), "-o", "mine").exit_code == 0
    assert json.loads((Path("mine") / "manifest.json").read_text())["inputs"][0]["path"] == str(src.absolute())


def test_a_limited_delivery_says_what_it_left_out_not_that_it_dropped_duplicates(acme: Path) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "x", "--limit", "18", "--ids", "post,user").exit_code == 0
    totals = json.loads(Path("x/manifest.json").read_text())["totals"]
    assert (totals["post"]["unique"], totals["post"]["not_selected"]) == (18, 100)
    everything = quota("strip", PAGES, "--ids", "post", "-o", "all")
    assert everything.exit_code == 0
    whole = json.loads(Path("all/manifest.json").read_text())["totals"]["post"]
    assert totals["post"]["duplicates_dropped"] == whole["duplicates_dropped"]
    assert "not_selected" not in totals["user"] and "not_selected" not in whole


def test_the_recipient_reads_what_they_hold_how_to_hydrate_it_and_what_they_owe(
    acme: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTA_CONTACT", "deletions@sender.example")
    r = at("2026-11-01T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,user", "--gzip",
           "--sample", "30", "--seed", "s", "--export-id", "e1")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    text = (Path("out") / "README.md").read_text()
    for said in (
        "Export `e1`, delivered 2026-11-01T00:00:00.000000Z",
        "- 30 Post IDs, unique, ascending, one per line: `post_ids.txt.gz`",
        "- 105 User IDs",
        f"- v2_pages.jsonl `{hashlib.sha256(PAGES.read_bytes()).hexdigest()}`",
        'sha256 of "s:ID"',
        "twarc2 hydrate post_ids.txt posts.jsonl",
        "twarc2 users user_ids.txt users.jsonl",
        "gunzip them first",
        "within 24 hours",
        "Contact: deletions@sender.example",
    ):
        assert said in text, said
    accepted = quota("entity", "show", "acme", "--json").stdout
    assert json.loads(accepted)["terms"][0]["version"] in text
    assert not (Path("out") / "CITATION.cff").exists()  # no dataset, no citation
    assert str(SAMPLES) not in text and "/" not in text.split("## What the files hold")[1].split("## How")[0]


def test_a_delivery_names_whom_to_contact_or_is_refused(acme: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("QUOTA_CONTACT")
    before = state(tmp_path)
    r = quota("export", PAGES, "--to", "acme", "-o", "out")
    assert r.exit_code == 2 and "give a contact" in r.stderr and not Path("out").exists()
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--contact", "  ").exit_code == 2
    assert state(tmp_path) == before
    assert quota("export", PAGES, "--to", "acme", "-o", "out", "--dry-run").exit_code == 0  # writes nothing
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--contact", "deletions@data-team.example")
    assert r.exit_code == 0 and "deletions@data-team.example" in Path("out/README.md").read_text()
