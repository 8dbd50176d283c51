"""The storage seam: both dialects define the same things, give the same rows on the same
history, and verify catches a changed row in every table on both backends."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import CLOCK, EARLY, LETTER, SAMPLES, TERMS, Backend, Templates, at, build_once, quota, world_copy

from quota import accounts
from quota.accounts import acting_as
from quota.store import sqlfiles
from quota.store.chain import STATE_OF, STATE_TABLES
from quota.store.session import Session

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"


def test_both_dialects_define_the_same_migrations_queries_and_views() -> None:
    duck, pg = sqlfiles.migrations("duckdb"), sqlfiles.migrations("postgres")
    assert [(v, n) for v, n, _, _ in duck] == [(v, n) for v, n, _, _ in pg]
    tables = [sorted(set(re.findall(r"CREATE TABLE (\w+)", "".join(m[2] for m in ms)))) for ms in (duck, pg)]
    assert tables[0] == tables[1]
    columns = [
        sorted(set(re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", "".join(m[2] for m in ms)))) for ms in (duck, pg)
    ]
    assert columns[0] == columns[1]
    assert sqlfiles.query_files("duckdb") == sqlfiles.query_files("postgres")
    for dialect, own in sqlfiles.OWN_QUERIES.items():  # a backend's own queries exist there only
        assert own <= set(sqlfiles.queries(dialect)) and not own & set(
            sqlfiles.queries("postgres" if dialect == "duckdb" else "duckdb")
        )
    assert [n for n, _ in sqlfiles.views("duckdb")] == [n for n, _ in sqlfiles.views("postgres")]
    assert set(STATE_TABLES) <= set(tables[0])


EVIDENCE = Path(__file__).parent / "evidence"


def test_the_migrations_are_the_texts_existing_ledgers_recorded() -> None:
    """A ledger stores each migration's sha256 and refuses a quota whose text differs: wherever
    the SQL files live, the texts of release 0.1.0 are shipped unchanged."""
    recorded = json.loads((EVIDENCE / "migrations-0.1.0.json").read_text())
    for dialect in sqlfiles.DIALECTS:
        shipped = [{"name": n, "sha256": h} for _, n, _, h in sqlfiles.migrations(dialect)]
        assert shipped[: len(recorded[dialect])] == recorded[dialect], dialect


@pytest.mark.duckdb_only
def test_a_ledger_made_by_the_previous_release_opens_verifies_and_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DuckDB ledger written by release 0.1.0 (an entity, terms, a person, an export of the
    sample posts, an import), gzipped in tests/evidence: this quota opens it, verifies it,
    upgrades nothing it should not, and records on it."""
    import gzip

    db = tmp_path / "ledger.duckdb"
    db.write_bytes(gzip.decompress((EVIDENCE / "ledger-0.1.0.duckdb.gz").read_bytes()))
    monkeypatch.setenv("QUOTA_DB", str(db))
    CLOCK.set("2026-12-07T00:00:00Z")  # the day after it was made
    # It lacks the migrations made since (portal accounts, 0014): it is read only once upgraded.
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "was made by an older quota: upgrade it with quota init" in r.stderr
    for args in (("init",), ("ledger", "verify")):
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
    listed = json.loads(quota("ledger", "list", "--json").stdout)
    assert sorted((e["export_id"].split("-")[0], e["post_ids"]) for e in listed) == [("import", 500), ("prev", 118)]
    r = quota("person", "add", "second", "--entity", "acme")
    assert r.exit_code == 0, r.stderr
    assert quota("ledger", "verify").exit_code == 0


def test_the_event_map_is_what_the_replay_queries_say() -> None:
    """STATE_OF is written out, not read from SQL; each dialect's replay query of a table names
    in its WHERE exactly the event kinds that write that table."""
    for dialect in sqlfiles.DIALECTS:
        queries = sqlfiles.queries(dialect)
        for table in STATE_TABLES:
            where = queries[table][queries[table].rindex("WHERE") :]
            named = set(re.findall(r"'([a-z_]+)'", where.split("AND")[0]))
            assert named == {k for k, tables in STATE_OF.items() if table in tables}, (dialect, table)


def build(tmp_path: Path) -> None:
    """A ledger with a row in every table: groups, domains, warnings, a moved person, terms,
    a permission, a profile switch, exports (committed, released, voided), an import with
    its IDs and a breach, exemptions (academic, DSA with a person, one revoked), a manual
    export, a notice told and one voided, a dataset and a delivered request."""
    t = tmp_path
    (t / "past.csv").write_text("at,entity,post_ids,ids_file\n2026-10-01T00:00:00Z,acme,3,past.txt\n")
    (t / "past.txt").write_text("11\n12\n13\n")
    (t / "big.csv").write_text("at,entity,post_ids\n2026-10-02T00:00:00Z,acme,1499999\n2026-10-03T00:00:00Z,acme,5\n")
    first_post = None
    CLOCK.set(EARLY)
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme", "--part-of", "acme-group", "--domain", "acme.example"),
        ("entity", "add", "acme-labs", "--name", "Acme Labs", "--domain", "acme.example"),
        ("entity", "link", "acme-labs", "--part-of", "acme-group", "--reason", "subsidiary"),
        ("entity", "add", "uni", "--name", "A University", "--kind", "academic"),
        *(("entity", "accept-terms", *TERMS, e, "--by", "J", "--at", "2026-01-01T00:00:00Z")
          for e in ("acme", "acme-labs", "uni")),
        ("person", "add", "ana", "--entity", "acme", "--email", "ana@acme.example"),
        ("person", "add", "rsmith", "--entity", "uni"),
        ("person", "add", "ana2", "--entity", "acme-labs"),
        ("person", "same", "ana", "ana2", "--reason", "one analyst, two handles"),
    ):  # fmt: skip
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
    for when, *args in (
        ("2026-09-01T00:00:00Z", "person", "move", "ana", "--to", "acme-labs", "--at", "2026-09-01T00:00:00Z",
         "--reason", "moved"),
        ("2026-09-01T00:00:00Z", "permission", "add", *LETTER, "X-1", "--group", "acme-group", "--cap", "3000000",
         "--from", "2026-11-01", "--until", "2027-01-01"),
        ("2026-09-01T00:00:00Z", "policy", "use", "x-developer-policy", "--reason", "confirm", "--by", "C Officer"),
        ("2026-10-15T00:00:00Z", "ledger", "import", "past.csv"),
        ("2026-10-15T00:00:00Z", "ledger", "import", "big.csv", "--breach", "--reason", "two teams, one week"),
        ("2026-11-01T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "a1", "--ids", "post,user", "--export-id", "a1"),
        ("2026-11-02T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "a2", "--export-id", "a2"),
        ("2026-11-02T00:00:00Z", "ledger", "void", "a2", "--reason", "twice", "--by", "C Officer"),
        ("2026-11-02T00:00:00Z", "exemption", "add", "ACAD", "--entity", "uni", "--kind", "academic", "--approved-on", "2026-09-01",
         "--from", "2026-09-01", "--until", "2027-09-01", "--post-ids", "1000", "--user-ids", "1000"),
        ("2026-11-02T00:00:00Z", "exemption", "add", "DSA", "--entity", "uni", "--kind", "dsa-art40", "--person", "rsmith",
         "--approved-on", "2026-09-01", "--from", "2026-09-01", "--until", "2027-09-01"),
        ("2026-11-02T00:00:00Z", "exemption", "add", "OLD", "--entity", "uni", "--kind", "dsa-art40", "--person", "rsmith",
         "--approved-on", "2026-09-01", "--from", "2026-09-01", "--until", "2027-09-01"),
        ("2026-11-02T00:00:00Z", "exemption", "revoke", "OLD", "--reason", "ended"),
        ("2026-11-03T00:00:00Z", "export", PAGES, "--to", "uni", "--person", "rsmith", "-o", "u1", "--exemption",
         "ACAD", "--export-id", "u1"),
        ("2026-11-04T00:00:00Z", "manual", SAMPLES / "v2_flat.jsonl", "--person", "ana", "-o", "ana.xlsx",
         "--export-id", "m1", "--no-users"),
        ("2026-11-04T00:00:00Z", "dataset", "add", "demo", PAGES, "--title", "Demo", "--description", "Sample pages",
         "--from", "2026-01-01", "--citation", "Team (2026). Demo."),
    ):  # fmt: skip
        r = at(when, *args)
        assert r.exit_code == 0, (args, r.stderr)
    asked = quota("request", "submit", "--dataset", "demo", "--person", "rsmith", "--exemption", "ACAD",
                  "--oldest", "3", "--ids", "post,user", "--purpose", "a study", "--json")  # fmt: skip
    request = json.loads(asked.stdout)["request_id"]
    assert quota("request", "approve", request, "--by", "C Officer").exit_code == 0
    assert quota("request", "deliver", request, "-o", "q1").exit_code == 0
    first_post = (t / "a1" / "post_ids.txt").read_text().split()[:2]
    (t / "n.jsonl").write_text("".join(json.dumps({"id": i, "action": "delete", "reason": "deleted"}) + "\n"
                                       for i in first_post))  # fmt: skip
    added = json.loads(at("2026-11-05T00:00:00Z", "notice", "add", "n.jsonl", "--kind", "post", "--json").stdout)
    notice = added[0]["notice_id"]
    assert at("2026-11-05T01:00:00Z", "notice", "sent", notice, "--entity", "acme").exit_code == 0
    (t / "n2.jsonl").write_text(json.dumps({"id": first_post[0], "action": "delete", "reason": "deleted"}) + "\n")
    added = json.loads(at("2026-11-06T00:00:00Z", "notice", "add", "n2.jsonl", "--kind", "user", "--json").stdout)
    assert (
        quota("notice", "void", added[0]["notice_id"] if added else _last_notice(), "--reason", "kind").exit_code == 0
    )
    # A release: an export whose writing failed is released by quota itself; here, by hand.
    CLOCK.set("2026-11-07T00:00:00Z")
    with Session.open(None, write=True) as ledger:
        ledger.append("reserve", {
            "export_id": "r1", "entity": "acme", "person": None, "at": "2026-11-07T00:00:00.000000Z",
            "post_ids": 0, "user_ids": 0, "dm_ids": 0, "basis": "cap", "profile": "x-developer-policy",
            "version": ledger.profile().version, "ids_sha256": {}, "sources": {"post": "typed"},
        })  # fmt: skip
    assert quota("ledger", "recover", "--release", "r1").exit_code == 0
    # Portal accounts: one added, its link used to set a password; one changed and disabled.
    made = quota("account", "add", "ana@acme.example", "--role", "researcher", "--person", "ana", "--json")
    secret = json.loads(made.stdout)["link"].rsplit("/", 1)[1]
    for args in (("add", "c@acme.example", "--role", "compliance"), ("role", "c@acme.example", "--role", "auditor"),
                 ("disable", "c@acme.example")):  # fmt: skip
        assert quota("account", *args).exit_code == 0
    with acting_as("ana@acme.example"), Session.open(None, write=True) as ledger:
        accounts.use_link(ledger, secret)
    # Notifications: a contact, an account that wants alerts, the outbox sent into a directory, an
    # acknowledgement of the notice acme was told of.
    assert quota("entity", "contact", "acme", "--email", "ops@acme.example").exit_code == 0
    assert quota("account", "notify", "ana@acme.example", "--mode", "immediate", "--alerts").exit_code == 0
    saved = {k: os.environ.get(k) for k in ("QUOTA_MAIL_DIR", "QUOTA_MAIL_FROM")}
    os.environ |= {"QUOTA_MAIL_DIR": str(t / "mail"), "QUOTA_MAIL_FROM": "quota@acme.example"}
    try:
        r = quota("notify", "run", "-q")
        assert r.exit_code == 0, r.stderr
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    assert quota("notice", "ack", notice, "--entity", "acme", "--by", "Acme data office").exit_code == 0


def _last_notice() -> str:
    return json.loads(quota("notice", "list", "--json").stdout)[-1]["notice_id"]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module; each test gets its own copy, on its backend."""
    return build_once(tmp_path_factory, "store", build)


@pytest.fixture
def world(
    template: Path, tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> Path:
    return world_copy(template, tmp_path, backend, templates, monkeypatch)


def test_every_table_has_a_row_and_the_world_verifies(world: Path, backend: Backend) -> None:
    for table in (*STATE_TABLES, "lineage", "deletion_notice_ids"):
        assert backend.rows(f"SELECT count(*) FROM {table}")[0][0] > 0, table
    r = quota("ledger", "verify", "--json")
    assert r.exit_code == 0, r.stderr
    assert [b["export_id"] for b in json.loads(r.stdout)["breaches"]] != []


@pytest.mark.parametrize("table", [*STATE_TABLES, "lineage", "deletion_notice_ids"])
def test_a_row_taken_from_any_table_is_caught(world: Path, backend: Backend, table: str) -> None:
    # The row of the newest event in the table (its IDs, for the two tables of IDs).
    if table == "lineage":
        backend.raw("DELETE FROM lineage WHERE id = (SELECT max(id) FROM lineage WHERE export_id = 'a1')")
    elif table == "deletion_notice_ids":
        backend.raw("DELETE FROM deletion_notice_ids WHERE id = (SELECT min(id) FROM deletion_notice_ids)")
    else:
        backend.raw(f"DELETE FROM {table} WHERE seq = (SELECT max(seq) FROM {table})")
    r = quota("ledger", "verify")
    assert r.exit_code == 5, (table, r.stdout)
    assert "ledger verification failed" in r.stderr


def _plain(value: object) -> object:
    """A value as both drivers agree on it: DuckDB's and psycopg's types differ in form only."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def test_the_same_history_gives_the_same_rows_on_both(template: Path, tmp_path: Path, backend: Backend) -> None:
    """Every state table's replay query, every view and the holders' queries, on the DuckDB
    ledger and on its copy on the server: the same rows."""
    if backend.name != "postgres":
        pytest.skip("compares the server's answers with the file's")
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    assert quota("ledger", "copy", "--db", tmp_path / "ledger.duckdb", "--to", backend.db).exit_code == 0
    answers = []
    for db in (tmp_path / "ledger.duckdb", backend.db):
        with Session.open(db) as ledger:
            ledger.views()
            got = {}
            for name in (*STATE_TABLES, "components", "counted_holders", "holder_permissions"):
                got[name] = sorted(map(repr, ([_plain(v) for v in row] for row in ledger.rows(ledger.store.sql(name)))))
            for name, _ in ledger.view_sql():
                got[name] = sorted(
                    map(repr, ([_plain(v) for v in row] for row in ledger.rows(f"SELECT * FROM {name}")))
                )
            answers.append(got)
    assert answers[0].keys() == answers[1].keys()
    for name in answers[0]:
        assert answers[0][name] == answers[1][name], name
        assert answers[0][name], f"{name} is empty: the comparison would prove nothing"


def test_a_copy_tells_its_progress_batch_by_batch(tmp_path: Path) -> None:
    from conftest import init_acme

    from quota.store.session import Session

    init_acme(("export", str(SAMPLES / "v2_pages.jsonl"), "--to", "acme", "-o", "out"))
    told: list[tuple[str, int, int]] = []
    with Session.open(None) as ledger:
        events = ledger.head()[0]
        ledger.copy_to(tmp_path / "copy.duckdb", progress=lambda *a: told.append(a))
    steps = [t[0] for t in told]
    assert steps[0] == "verifying the source" and steps[-1] == "verifying the copy"
    lineage = [(d, n) for s, d, n in told if s == "lineage"]
    assert lineage and lineage[-1] == (118, 118) and all(a <= b for (a, _), (b, _) in itertools.pairwise(lineage))
    assert ("events", events, events) in told
