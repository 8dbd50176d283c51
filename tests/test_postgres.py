"""What only the shared ledger has: its server's clock, its connection errors, its reader role
for quota sql, and a server that restarts in the middle of an export."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import PG_URL, REQUIRE_PG, SAMPLES, TERMS, Backend, at, fresh_schema, init_acme, quota

from quota.store.session import Session

PAGES = SAMPLES / "v2_pages.jsonl"


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    """The test's own schema on the shared test server (dropped after)."""
    backend = fresh_schema()
    monkeypatch.setenv("QUOTA_DB", backend.db)
    yield backend
    backend.drop()


# ------------------------------------------------------------------ connecting


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://bob:s3cret@127.0.0.1:1/test", "127.0.0.1:1/test"),  # nothing listens
        ("postgresql://no_such_role_q:s3cret@127.0.0.1:5432/test", 'role "no_such_role_q" does not exist'),
        ("postgresql://postgres:s3cret@127.0.0.1:5432/no_such_db_q", 'database "no_such_db_q" does not exist'),
        ("postgresql://postgres:s3cret@host.invalid/test", "host.invalid"),
    ],
)
def test_a_server_that_cannot_be_reached_or_refuses_is_one_sentence(pg: Backend, url: str, words: str) -> None:
    r = quota("entity", "list", "--db", url)
    assert r.exit_code == 5 and words in r.stderr, r.stderr
    assert "s3cret" not in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1


def test_a_schema_newer_than_the_code_is_refused(pg: Backend) -> None:
    init_acme()
    pg.raw("INSERT INTO schema_migrations VALUES (999, '0999_future.sql', 'x', now())")
    for args in (("entity", "list"), ("init",)):
        r = quota(*args)
        assert r.exit_code == 5 and "newer" in r.stderr and "999" in r.stderr, r.stderr


def test_a_missing_schema_says_to_init_it(pg: Backend) -> None:
    r = quota("entity", "list")
    assert r.exit_code == 5 and "there is no ledger" in r.stderr and "quota init" in r.stderr
    assert quota("init").exit_code == 0 and quota("init").exit_code == 0  # idempotent
    assert quota("entity", "list").exit_code == 0


# ------------------------------------------------------------------ the server's clock


class _SkewedClock(datetime):
    """A client whose clock is a year ahead."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return datetime.now(tz) + timedelta(days=365)


def test_times_come_from_the_servers_clock(pg: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    from quota import exports, manual, registry
    from quota.store import base

    monkeypatch.setattr(base, "injected_clock", None)  # the tests' clock stands in for the server's elsewhere
    for module in (exports, manual, registry):
        monkeypatch.setattr(module, "datetime", _SkewedClock)
    assert quota("init").exit_code == 0
    assert quota("entity", "add", "acme", "--name", "Acme").exit_code == 0
    r = quota("entity", "accept-terms", "acme", "--by", "J", "--version", "v1", "--method", "web")
    assert r.exit_code == 0, r.stderr
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--json")
    assert r.exit_code == 0, r.stderr
    server_now = pg.rows("SELECT now() AT TIME ZONE 'UTC'")[0][0]
    recorded = [datetime.fromisoformat(t.replace("Z", "")) for (t,) in pg.rows("SELECT recorded_at FROM events")]
    assert recorded and all(abs(t - server_now) < timedelta(minutes=5) for t in recorded)
    at = datetime.fromisoformat(json.loads(r.stdout)["at"].replace("Z", ""))
    assert abs(at - server_now) < timedelta(minutes=5)
    accepted = pg.rows("SELECT accepted_at FROM terms_acceptances")[0][0]
    assert abs(accepted - server_now) < timedelta(minutes=5)


# ------------------------------------------------------------------ quota sql


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO entities VALUES ('x', 'x', 'x', 99)",
        "/* a look */ dElEtE FROM events",
        "SELECT 1; DROP TABLE events",
        "-- comment\nUPDATE reservations SET post_ids = 0",
        "WITH x AS (DELETE FROM events RETURNING 1) SELECT * FROM x",
        "COPY events TO '/tmp/events.csv'",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT pg_catalog.pg_read_file('/etc/passwd')",
        "SELECT lo_import('/etc/passwd')",
        "SELECT * FROM dblink('dbname=test', 'SELECT 1') AS t(x int)",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        """SELECT "set_config"('default_transaction_read_only', 'off', false)""",
        'SELECT "pg_advisory_lock"(1)',
        'SELECT "PG_CATALOG"."pg_advisory_xact_lock"(1)',
        "SELECT public.any_function()",
        'SELECT "public"."any_function"()',
        "SET ROLE postgres",
        "SELECT * FROM pg_authid",
    ],
)
def test_sql_on_the_server_only_reads_the_ledger(pg: Backend, query: str) -> None:
    init_acme()
    before = pg.rows("SELECT count(*), max(hash) FROM events")
    r = quota("sql", "-", input=query) if query.startswith("-") else quota("sql", query)
    assert r.exit_code == 2, (query, r.stdout, r.stderr)
    assert r.stderr.startswith("quota: ") and "Traceback" not in r.stderr
    assert pg.rows("SELECT count(*), max(hash) FROM events") == before
    assert not Path("/tmp/events.csv").exists()


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM events",
        "SELECT pg_read_file('/etc/passwd')",
        "SELECT set_config('default_transaction_read_only', 'off', false), count(*) FROM events",
        "SELECT * FROM pg_authid",
    ],
)
def test_the_reader_role_holds_without_the_text_check(pg: Backend, query: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check of the query's text is one lock of several: with it switched off, the role and
    the read-only transaction still refuse (a write, a server file) or contain (a setting)."""
    import quota.store.postgres as store

    init_acme()
    monkeypatch.setattr(store, "statement_problem", lambda q: None)
    r = quota("sql", query, "--json")
    if "set_config" in query:  # allowed for any role, but only inside its own read-only session
        assert r.exit_code == 0, r.stderr
    else:
        assert r.exit_code == 2 and ("refused" in r.stderr or "read-only" in r.stderr), r.stderr
    assert pg.rows("SELECT count(*) FROM events")[0][0] == 2
    who = json.loads(quota("sql", "SELECT current_user AS u, current_setting('transaction_read_only') AS ro",
                           "--json").stdout)  # fmt: skip
    assert who == [{"u": pg.reader, "ro": "on"}]


def test_sql_on_the_server_answers_with_the_views_and_stops_at_its_time_limit(
    pg: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from quota.policy import PROFILES

    init_acme(("export", PAGES, "--to", "acme", "-o", "out"))
    rows = json.loads(quota("sql", "SELECT entity, used, cap FROM usage_30d", "--json").stdout)
    assert rows == [{"entity": "acme", "used": "118", "cap": 1_500_000}]  # a sum: text, as on DuckDB
    ids = json.loads(quota("sql", "SELECT id FROM delivered_ids ORDER BY id LIMIT 2", "--json").stdout)
    assert all(isinstance(r["id"], str) for r in ids)  # IDs as text, as on DuckDB
    r = quota("sql", "SELECT count(*) FROM generate_series(1, 100000000000)", "--timeout", "1")
    assert r.exit_code == 2 and "time limit of 1 s" in r.stderr
    # The views follow the profile in force (here a reading with another cap).
    reading = "x-developer-policy-utc-day"
    monkeypatch.setitem(PROFILES, reading, dataclasses.replace(PROFILES[reading], post_id_cap=1_000_000))
    assert quota("policy", "use", reading, "--reason", "t", "--by", "C").exit_code == 0
    rows = json.loads(quota("sql", "SELECT cap FROM usage_30d", "--json").stdout)
    assert rows == [{"cap": 1_000_000}]


# ------------------------------------------------------------------ a server that restarts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    restart: Callable[[], None]


@pytest.fixture
def own_server() -> Iterator[Server]:
    """A PostgreSQL server of this test's own (so restarting it disturbs no other test), run as
    the machine's postgres user from the installed binaries."""
    bindir = Path("/usr/lib/postgresql/15/bin")
    why = None
    if os.geteuid() != 0:
        why = "starting a private server needs root (to run it as the postgres user)"
    elif not (bindir / "initdb").exists() or shutil.which("runuser") is None:
        why = "no PostgreSQL 15 binaries or runuser here"
    if why:
        if REQUIRE_PG:
            pytest.fail(f"QUOTA_REQUIRE_POSTGRES=1 but {why}")
        pytest.skip(why)
    import tempfile

    # Not under pytest's own temporary folder: the postgres user cannot reach into root's.
    data = Path(tempfile.mkdtemp(prefix="quota-pg-"))
    data.chmod(0o755)
    shutil.chown(data, "postgres", "postgres")
    port = _free_port()

    def as_postgres(*args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True)

    as_postgres(str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust", "-U", "postgres")
    ctl = [str(bindir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l", str(data / "log"),
           "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"]  # fmt: skip
    as_postgres(*ctl, "start")
    try:
        yield Server(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", lambda: as_postgres(*ctl, "restart", "-m", "fast")
        )
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", *ctl, "stop", "-m", "immediate"], capture_output=True)
        shutil.rmtree(data, ignore_errors=True)


def test_a_server_restart_during_an_export_fails_it_cleanly_and_a_retry_succeeds(
    own_server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTA_DB", own_server.url)
    init_acme()
    import psycopg

    # Another machine's writer holds the ledger, so the export is, deterministically, connected
    # and waiting at the moment the server goes down.
    holder = psycopg.connect(own_server.url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(hashtextextended('quota-ledger:quota', 0))")
    args = [sys.executable, "-m", "quota", "export", str(PAGES), "--to", "acme", "-o", str(tmp_path / "out"),
            "--export-id", "e1", "--wait", "120"]  # fmt: skip
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    waited = ""
    deadline = time.monotonic() + 120
    while "waiting for the ledger lock" not in waited and time.monotonic() < deadline:
        waited += proc.stderr.readline()
    assert "waiting for the ledger lock" in waited
    own_server.restart()
    code = proc.wait()
    rest = proc.stderr.read()
    assert code == 5, rest
    assert "lost the connection to the ledger" in rest and "Traceback" not in rest
    holder.close()
    assert not (tmp_path / "out").exists()
    r = quota("export", PAGES, "--to", "acme", "-o", tmp_path / "out", "--export-id", "e1", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["post_ids"] == 118
    assert quota("ledger", "verify").exit_code == 0
    with Session.open(None) as ledger:
        assert [r["export_id"] for r in ledger.query("SELECT export_id FROM reservations")] == ["e1"]


def test_the_copy_of_a_ledger_keeps_its_chain_and_its_checkpoints(pg: Backend, tmp_path: Path) -> None:
    duck = tmp_path / "team.duckdb"
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme"),
        ("entity", "accept-terms", *TERMS, "acme", "--by", "J", "--at", "2026-01-01T00:00:00Z"),
        ("export", PAGES, "--to", "acme", "-o", "out", "--ids", "post,user"),
    ):
        assert quota(*args, "--db", duck).exit_code == 0, args
    assert quota("ledger", "checkpoint", "-o", "cp.txt", "--db", duck).exit_code == 0
    r = quota("ledger", "copy", "--db", duck, "--to", pg.db)
    assert r.exit_code == 0, r.stderr
    assert "it verifies" in r.stderr
    assert quota("ledger", "verify", "--checkpoint", "cp.txt").exit_code == 0
    # The shared ledger goes on from there, and the old checkpoint still holds.
    assert at("2026-12-02T00:00:00Z", "export", PAGES, "--to", "acme", "-o", "out2").exit_code == 0
    assert quota("ledger", "verify", "--checkpoint", "cp.txt").exit_code == 0
    got = json.loads(quota("who-received", (tmp_path / "out" / "post_ids.txt").read_text().split()[0], "--json").stdout)
    assert len(got) == 2
    # Copies go to new places only, and a copy that fails leaves nothing there.
    again = quota("ledger", "copy", "--db", duck, "--to", pg.db)
    assert again.exit_code == 2 and "already exists" in again.stderr
    # A source that does not verify is not copied: a copy rebuilt from the events would hide
    # a changed table, and would carry a changed event on.
    for tamper in ("UPDATE entities SET name = 'Acme Evil'", "UPDATE events SET body = replace(body, 'Acme', 'Evil')"):
        pg.raw(tamper)
        r = quota("ledger", "copy", "--to", tmp_path / "copy.duckdb")
        assert r.exit_code == 5 and "does not verify" in r.stderr, r.stderr
        assert not (tmp_path / "copy.duckdb").exists()


def test_who_received_looks_ids_up_by_index(pg: Backend) -> None:
    init_acme(("export", PAGES, "--to", "acme", "-o", "out"))
    from quota.store.postgres import LINEAGE_OF, _placeholders

    posts = [int(i) for (i,) in pg.rows("SELECT id FROM lineage LIMIT 3")]
    # The store's own statement; with scans made costly (as they are among 100M rows), an index.
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True, cursor_factory=psycopg.RawCursor) as con:
        con.execute(f"SET search_path TO {pg.schema}")
        con.execute("SET enable_seqscan = off")
        plan = "\n".join(r[0] for r in con.execute("EXPLAIN " + _placeholders(LINEAGE_OF), [[str(p) for p in posts]]))
    assert "lineage_by_id" in plan, plan


# ------------------------------------------------------------------ the history is append-only


@pytest.fixture
def roles(pg: Backend) -> Iterator[tuple[str, str]]:
    """An owner and a writer login of the test's own (roles are the server's, not the schema's)."""
    import psycopg

    owner, writer = f"{pg.schema}_owner", f"{pg.schema}_writer"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        for role in (owner, writer):
            con.execute(f"CREATE ROLE {role} LOGIN")
        con.execute(f"ALTER ROLE {owner} CREATEROLE")
        con.execute(f"GRANT CREATE ON DATABASE test TO {owner}")
    try:
        yield owner, writer
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {pg.schema} CASCADE")
            for role in (pg.reader, owner, writer):
                if con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                    con.execute(f"DROP OWNED BY {role}")
                    con.execute(f"DROP ROLE {role}")


def as_role(url: str, role: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{role}@{host}", parts.path, parts.query, ""))


def test_the_writer_role_may_only_append_and_the_owner_is_stopped_by_triggers(
    pg: Backend, roles: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    owner, writer = roles
    owner_url, writer_url = as_role(pg.db, owner), as_role(pg.db, writer)
    r = quota("init", "--db", writer_url, "--owner", owner_url.split("?")[0], "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["writer_role"] == writer, r.stderr
    monkeypatch.setenv("QUOTA_DB", writer_url)
    init_acme(("export", str(PAGES), "--to", "acme", "-o", "out"))  # init again as the writer: nothing to do
    assert quota("ledger", "verify").exit_code == 0
    plain = as_role(PG_URL, writer)
    for statement in (
        "UPDATE events SET body = body WHERE seq = 1",
        "DELETE FROM lineage",
        "TRUNCATE deletion_notice_ids",
        "UPDATE reservations SET post_ids = 0",
        "DELETE FROM ledger_meta",
        "INSERT INTO schema_migrations VALUES (99, 'x', 'x', now())",
    ):
        with psycopg.connect(plain, autocommit=True) as con:
            con.execute(f"SET search_path TO {pg.schema}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(statement)
    # The owner may alter grants, not the history: the triggers refuse it too.
    with psycopg.connect(as_role(PG_URL, owner), autocommit=True) as con:
        con.execute(f"SET search_path TO {pg.schema}")
        for statement in ("UPDATE events SET body = body WHERE seq = 1", "DELETE FROM lineage", "TRUNCATE events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                con.execute(statement)
        con.execute("ALTER TABLE events DISABLE TRIGGER quota_append_only_rows")
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "table events lacks its append-only triggers" in r.stderr, r.stderr
    assert quota("init", "--owner", owner_url.split("?")[0]).exit_code == 0
    assert quota("ledger", "verify").exit_code == 0
    same = quota("init", "--owner", writer_url)
    assert same.exit_code == 2 and "the owner and the writer are one role" in same.stderr


def test_the_reader_role_is_limited_on_itself_for_a_login_without_quota(pg: Backend) -> None:
    """Whoever logs in as the reader with psql gets its own settings: read-only, a statement
    timeout, idle sessions ended (so a session lock cannot hold writers back for long)."""
    import psycopg

    init_acme()
    reader = as_role(PG_URL, pg.reader)
    with psycopg.connect(reader, autocommit=True) as con:
        shown = {name: con.execute(f"SHOW {name}").fetchone()[0] for name in
                 ("default_transaction_read_only", "statement_timeout", "idle_session_timeout")}  # fmt: skip
        assert shown == {
            "default_transaction_read_only": "on",
            "statement_timeout": "30s",
            "idle_session_timeout": "1min",
        }
        con.execute(f"SET search_path TO {pg.schema}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # quota init ran as a superuser here
            con.execute("SELECT lo_create(0)")


def test_the_reader_role_is_named_after_the_database_and_the_schema(pg: Backend) -> None:
    """Two ledgers of one schema name in two databases share no role; an older ledger's reader
    (named by its schema alone) still serves quota sql until quota init makes the new one."""
    init_acme()
    roles = {r[0] for r in pg.rows(f"SELECT rolname FROM pg_roles WHERE rolname LIKE '%{pg.schema}_reader'")}
    assert roles == {f"test_{pg.schema}_reader"} == {pg.reader}
    pg.raw(f'ALTER ROLE "{pg.reader}" RENAME TO "{pg.schema}_reader"')
    try:
        r = quota("sql", "SELECT count(*) AS n FROM entities", "--json")
        assert r.exit_code == 0 and json.loads(r.stdout) == [{"n": 1}], r.stderr
        assert quota("init").exit_code == 0
        assert pg.rows(f"SELECT count(*) FROM pg_roles WHERE rolname = '{pg.reader}'")[0][0] == 1
    finally:
        pg.raw(f'DROP OWNED BY "{pg.schema}_reader"', f'DROP ROLE IF EXISTS "{pg.schema}_reader"')


def test_ledgers_initialised_at_once_in_one_database_all_succeed(pg: Backend) -> None:
    """Rights on the database's own functions are shared by every ledger in it: inits racing
    on their own schemas (as parallel CI jobs do) must not trip over each other's catalog writes
    ("tuple concurrently updated")."""
    import threading

    from quota.store.postgres import open_postgres

    schemas = [fresh_schema() for _ in range(6)]
    try:
        for s in schemas:
            assert quota("init", "--db", s.db).exit_code == 0
        start = threading.Barrier(len(schemas))
        failed: list[str] = []

        def init_again(db: str) -> None:
            try:
                with open_postgres(db, write=True, wait=60, create=True, say=lambda _: None) as store:
                    for _ in range(5):
                        start.wait(timeout=60)
                        store.migrate()
            except Exception as e:  # the test reports whatever happened
                failed.append(f"{type(e).__name__}: {e}")
                start.abort()

        threads = [threading.Thread(target=init_again, args=(s.db,)) for s in schemas]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert failed == []
        for s in schemas:
            assert s.rows("SELECT count(*) FROM ledger_meta")[0][0] == 1
    finally:
        for s in schemas:
            s.drop()
