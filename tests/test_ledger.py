"""The ledger: init, the registry commands, verify against tampering, checkpoints, locking."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from conftest import LETTER, TERMS, Backend, Templates, commands, quota

from quota.store.session import Session
from quota.store.sqlfiles import migrations

pytestmark = pytest.mark.backends


@pytest.fixture
def db(backend: Backend) -> str:
    assert quota("init").exit_code == 0  # $QUOTA_DB (conftest): a file or a schema on the server
    return backend.db


FILLED = commands(
    ("init",),
    ("entity", "add", "acme", "--name", "Acme Research"),
    ("entity", "accept-terms", *TERMS, "acme", "--by", "J Doe", "--at", "2026-11-01T09:00:00Z"),
    ("entity", "add", "uni", "--name", "A University", "--kind", "academic"),
    ("person", "add", "jdoe", "--entity", "acme", "--name", "J Doe"),
    (
        "permission",
        "add",
        *LETTER,
        "X-1",
        "--entity",
        "acme",
        "--cap",
        "3000000",
        "--from",
        "2026-12-01",
        "--until",
        "2027-06-01",
    ),
    ("policy", "use", "x-developer-policy-utc-day", "--reason", "test", "--by", "C Officer"),
)


@pytest.fixture
def filled(backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch) -> str:
    templates.clone("ledger.filled", FILLED, backend, monkeypatch)
    return backend.db


def raw(backend: Backend, sql: str) -> None:
    backend.raw(sql)


@pytest.mark.duckdb_only
def test_init_is_idempotent_owner_only_and_prints_the_path(tmp_path: Path) -> None:
    first = quota("init")
    assert first.exit_code == 0 and first.stdout.strip() == str(tmp_path / "ledger.duckdb")
    assert "created ledger" in first.stderr
    again = quota("init")
    assert again.exit_code == 0 and "upgraded ledger" in again.stderr
    mode = stat.S_IMODE((tmp_path / "ledger.duckdb").stat().st_mode)
    assert mode == 0o600
    other = tmp_path / "sub" / "other.duckdb"
    assert quota("init", "--db", other).exit_code == 0 and other.exists()


def test_commands_need_a_ledger(tmp_path: Path) -> None:
    r = quota("entity", "list")
    assert r.exit_code == 5 and "quota init" in r.stderr


def test_registry_commands_and_json_keys(filled: Path) -> None:
    (row,) = json.loads(quota("entity", "list", "--json").stdout)[:1]
    assert row == {
        "entity": "acme",
        "name": "Acme Research",
        "kind": "organization",
        "terms_accepted_at": "2026-11-01T09:00:00.000000Z",
        "persons": 1,
    }
    detail = json.loads(quota("entity", "show", "acme", "--json").stdout)
    assert detail["persons"] == [{"person": "jdoe", "name": "J Doe"}]
    assert detail["permissions"][0]["cap"] == 3_000_000
    assert quota("person", "list", "--csv").stdout.splitlines() == ["person,entity,name,email", "jdoe,acme,J Doe,"]
    profiles = json.loads(quota("policy", "show", "--json").stdout)
    assert [p["profile"] for p in profiles if p["in_force"]] == ["x-developer-policy-utc-day"]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("entity", "add", "acme", "--name", "again"), "already exists"),
        (("entity", "add", "bad name", "--name", "x"), "must be letters"),
        (("entity", "accept-terms", *TERMS, "nobody", "--by", "x"), "no entity 'nobody'"),
        (("person", "add", "jdoe", "--entity", "uni"), "already exists"),
        (("person", "add", "kim", "--entity", "nobody"), "no entity"),
        (
            (
                "permission",
                "add",
                *LETTER,
                "X-2",
                "--entity",
                "acme",
                "--cap",
                "5000000",
                "--from",
                "2027-01-01",
                "--until",
                "2026-01-01",
            ),
            "after --from",
        ),
        (
            (
                "permission",
                "add",
                *LETTER,
                "X-3",
                "--entity",
                "acme",
                "--cap",
                "5",
                "--from",
                "2027-01-01",
                "--until",
                "2027-02-01",
            ),
            "not above",
        ),
        (
            (
                "permission",
                "add",
                *LETTER,
                "X-1",
                "--entity",
                "acme",
                "--cap",
                "5000000",
                "--from",
                "2026-01-01",
                "--until",
                "2027-01-01",
            ),
            "already recorded",
        ),
        (("policy", "use", "lenient", "--reason", "test", "--by", "C Officer"), "no policy profile"),
        (("entity", "accept-terms", *TERMS, "acme", "--by", "x", "--at", "yesterday"), "not an ISO 8601 time"),
    ],
)
def test_refusals_are_usage_errors_and_record_nothing(filled: Path, args: tuple[str, ...], words: str) -> None:
    before = quota("ledger", "checkpoint").stdout.split()[2]
    r = quota(*args)
    assert r.exit_code == 2 and words in r.stderr, r.stderr
    assert quota("ledger", "checkpoint").stdout.split()[2] == before


def test_verify_passes_on_an_honest_ledger(filled: Path) -> None:
    r = quota("ledger", "verify", "--json")
    assert r.exit_code == 0
    report = json.loads(r.stdout)
    assert report["ok"] and report["events"] == 6 and report["problem"] is None


TAMPERING = {
    "event body": (
        "UPDATE events SET body = replace(body, 'Acme', 'Acne') WHERE seq = 1",
        "event 1 (entity) was altered",
    ),
    "event kind": ("UPDATE events SET kind = 'person' WHERE seq = 3", "event 3 (person) was altered"),
    "event time": (
        "UPDATE events SET recorded_at = '2020-01-01T00:00:00.000000Z' WHERE seq = 2",
        "event 2 (terms) was altered",
    ),
    "event hash": ("UPDATE events SET hash = repeat('0', 64) WHERE seq = 4", "event 4"),
    "event prev": ("UPDATE events SET prev_hash = repeat('0', 64) WHERE seq = 5", "event 5 does not follow"),
    "event deleted": ("DELETE FROM events WHERE seq = 3", "event 3 is missing (the next is 4)"),
    "events deleted": ("DELETE FROM events WHERE seq IN (3, 4)", "event 3 is missing (the next is 5)"),
    "first event deleted": ("DELETE FROM events WHERE seq = 1", "event 1 is missing (the next is 2)"),
    "last event deleted": ("DELETE FROM events WHERE seq = 6; DELETE FROM policy_changes", None),
    "event inserted": (
        "INSERT INTO events SELECT 7, recorded_at, kind, body, hash, repeat('a', 64) FROM events WHERE seq = 6",
        "event 7",
    ),
    "entity row": ("UPDATE entities SET kind = 'academic' WHERE entity = 'acme'", "table entities"),
    "terms row deleted": ("DELETE FROM terms_acceptances", "table terms_acceptances lacks"),
    "person row inserted": (
        "INSERT INTO persons VALUES ('ghost', 'acme', NULL, 3, NULL)",
        "table persons holds a row no event made",
    ),
    # A row in a table no event of the ledger fills (verify skips rebuilding only empty ones).
    "release row inserted": (
        "INSERT INTO releases VALUES ('ghost', 'made up', 3)",
        "table releases holds a row no event made",
    ),
    # A second copy of a row the events made once: the tables are compared as multisets.
    "terms row doubled": (
        "INSERT INTO terms_acceptances SELECT * FROM terms_acceptances",
        "table terms_acceptances holds a row no event made",
    ),
    # A column the events left empty (NULL), filled in: NULLs compare equal to NULLs only.
    "person empty column filled": (
        "UPDATE persons SET email = 'x@example.org' WHERE email IS NULL",
        "table persons holds a row no event made",
    ),
    "permission cap": ("UPDATE permissions SET cap = cap * 10", "table permissions"),
    "policy row": ("UPDATE policy_changes SET profile = 'x-developer-policy'", "table policy_changes"),
    "ledger id deleted": ("DELETE FROM ledger_meta", "has 0 ledger-id rows"),
    "ledger id doubled": (
        "INSERT INTO ledger_meta SELECT 'ab' || ledger_id, created_at FROM ledger_meta",
        "has 2 ledger-id rows",
    ),
    "migration name": (
        "UPDATE schema_migrations SET name = '0002_other.sql' WHERE version = 2",
        "the name recorded for migration 0002_exports.sql differs",
    ),
    "migration checksum": (
        "UPDATE schema_migrations SET sha256 = repeat('0', 64) WHERE version = 3",
        "the checksum recorded for migration 0003_exemptions.sql differs",
    ),
    "migration deleted": ("DELETE FROM schema_migrations WHERE version = 4", "0004_manual.sql is not recorded"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_verify_detects_tampering(filled: str, backend: Backend, case: str) -> None:
    sql, words = TAMPERING[case]
    checkpoint = quota("ledger", "checkpoint", "-o", "cp.txt")
    assert checkpoint.exit_code == 0
    raw(backend, sql)
    if words is None:
        # Cutting the newest event leaves a consistent shorter chain: only a kept checkpoint shows it.
        assert quota("ledger", "verify").exit_code == 0
        r = quota("ledger", "verify", "--checkpoint", "cp.txt")
        assert r.exit_code == 5 and "fewer events than the checkpoint" in r.stderr
        return
    r = quota("ledger", "verify")
    assert r.exit_code == 5, r.stdout
    assert "ledger verification failed" in r.stderr and words in r.stderr


@pytest.mark.duckdb_only
def test_checkpoint_catches_a_restored_backup_and_another_ledger(filled: Path, tmp_path: Path) -> None:
    backup = tmp_path / "backup.duckdb"
    shutil.copy(filled, backup)
    assert quota("entity", "add", "late", "--name", "Late Ltd").exit_code == 0
    assert quota("ledger", "checkpoint", "-o", "cp.txt").exit_code == 0
    assert quota("ledger", "verify", "--checkpoint", "cp.txt").exit_code == 0
    r = quota("ledger", "verify", "--db", backup, "--checkpoint", "cp.txt")
    assert r.exit_code == 5 and "fewer events" in r.stderr
    other = tmp_path / "other.duckdb"
    quota("init", "--db", other)
    r = quota("ledger", "verify", "--db", other, "--checkpoint", "cp.txt")
    assert r.exit_code == 5 and "another ledger" in r.stderr


def test_a_rewritten_history_breaks_the_checkpoint(filled: str, backend: Backend) -> None:
    assert quota("ledger", "checkpoint", "-o", "cp.txt").exit_code == 0
    # Rebuild the whole chain honestly from a changed first event: verify alone passes.
    with Session.open(filled, write=True) as ledger:
        rows = ledger.query("SELECT seq, recorded_at, kind, body FROM events ORDER BY seq")
        ledger_id = ledger.ledger_id
    from quota.store.chain import event_hash, genesis

    prev = genesis(ledger_id)
    updates = []
    for r in rows:
        body = r["body"].replace("Acme Research", "Acme Research Group")
        h = event_hash(prev, r["seq"], r["recorded_at"], r["kind"], body)
        quoted = body.replace("'", "''")
        updates.append(
            f"UPDATE events SET body = '{quoted}', prev_hash = '{prev}', hash = '{h}' WHERE seq = {r['seq']}"
        )
        prev = h
    backend.raw(*updates, "UPDATE entities SET name = 'Acme Research Group' WHERE entity = 'acme'")
    assert quota("ledger", "verify").exit_code == 0
    r = quota("ledger", "verify", "--checkpoint", "cp.txt")
    assert r.exit_code == 5 and "history was rewritten" in r.stderr


@pytest.mark.duckdb_only
def test_a_waiting_writer_gives_up_with_exit_5(db: Path) -> None:
    fd = os.open(str(db) + ".lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_SH)  # a reader holds it
    try:
        r = quota("entity", "add", "acme", "--name", "x", "--wait", "0.3")
        assert r.exit_code == 5
        assert "waiting for the ledger lock" in r.stderr and "gave up after 0.3 s" in r.stderr
        assert quota("entity", "list", "--wait", "0.3").exit_code == 0  # readers share
    finally:
        os.close(fd)
    assert quota("entity", "add", "acme", "--name", "x").exit_code == 0


@pytest.mark.duckdb_only
def test_duckdb_lock_errors_never_reach_the_user_raw(db: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('open', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        r = quota("entity", "add", "acme", "--name", "x")
        assert r.exit_code == 5 and "open in another program" in r.stderr
        assert "Could not set lock" not in r.stderr
    finally:
        holder.kill()
        holder.wait()


def test_concurrent_writers_keep_one_chain(db: str) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from quota.cli import main
        for i in range(5):
            assert main(["entity", "add", f"e{{sys.argv[1]}}-{{i}}", "--name", "n", "--db", {str(db)!r}]) == 0
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], stderr=subprocess.PIPE) for n in range(4)]
    assert [p.wait() for p in procs] == [0, 0, 0, 0]
    report = json.loads(quota("ledger", "verify", "--json").stdout)
    assert report["ok"] and report["events"] == 20


@pytest.mark.duckdb_only
def test_every_migration_applies_to_an_empty_database() -> None:
    con = duckdb.connect(":memory:")
    names = []
    for version, name, sql, _ in migrations("duckdb"):
        con.execute(sql)
        names.append((version, name))
    assert names == sorted(names) and names[0][0] == 1
    assert {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()} >= {
        "events",
        "entities",
    }


def test_a_changed_migration_is_refused(db: str, backend: Backend) -> None:
    raw(backend, "UPDATE schema_migrations SET sha256 = repeat('0', 64) WHERE version = 1")
    r = quota("init")
    assert r.exit_code == 5 and "differs from the one applied" in r.stderr


def test_an_older_ledger_is_upgraded_by_init(db: str, backend: Backend) -> None:
    # A ledger of issue 3's code: none of the tables of migrations 0003 on.
    import re

    later = [t for v, _, sql, _ in migrations("duckdb") if v >= 3 for t in re.findall(r"CREATE TABLE (\w+)", sql)]
    assert {"exemptions", "manual_exports", "id_sources"} <= set(later)
    added = [
        m
        for v, _, sql, _ in migrations("duckdb")
        if v >= 3
        for m in re.findall(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", sql)
    ]
    # PostgreSQL keeps the views in the schema: they go with what they read.
    cascade = " CASCADE" if backend.name == "postgres" else ""
    undo = "".join(f"ALTER TABLE {t} DROP COLUMN {c}{cascade};" for t, c in added if t not in later)
    drops = "".join(f"DROP TABLE {t}{cascade};" for t in later)
    raw(backend, undo + drops + "DELETE FROM schema_migrations WHERE version >= 3")
    r = quota("entity", "list")
    assert r.exit_code == 5 and "older quota: upgrade it with quota init" in r.stderr
    assert quota("init").exit_code == 0
    assert quota("entity", "list").exit_code == 0 and quota("ledger", "verify").exit_code == 0


def test_a_profile_this_version_does_not_know_is_one_sentence(db: str) -> None:
    with Session.open(db, write=True) as led:
        led.append("policy", {"profile": "x-policy-2031", "version": "2031-01"})  # as a newer quota might
    r = quota("usage", "--json")
    assert r.exit_code == 5 and "Traceback" not in r.stderr
    assert "uses the policy profile 'x-policy-2031', which this version does not know" in r.stderr


def test_a_waiting_writer_on_the_server_says_so_and_gives_up_with_exit_5(db: str, backend: Backend) -> None:
    if backend.name != "postgres":
        pytest.skip("the file ledger's lock is tested above")
    import psycopg

    with psycopg.connect(backend.url, autocommit=True) as other:  # another machine's writer, mid-export
        other.execute(f"SELECT pg_advisory_lock(hashtextextended('quota-ledger:{backend.schema}', 0))")
        r = quota("entity", "add", "acme", "--name", "x", "--wait", "0.3")
        assert r.exit_code == 5
        assert "waiting for the ledger lock" in r.stderr and "gave up after 0.3 s" in r.stderr
        assert quota("entity", "list", "--wait", "0.3").exit_code == 0  # readers take no lock
    assert quota("entity", "add", "acme", "--name", "x").exit_code == 0
