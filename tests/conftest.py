from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quota.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def docs_text() -> str:
    """The documentation a person reads: the README and docs/*.md, but not the reference
    generated from the commands' own help (docs/cli.md), which cannot miss a command."""
    pages = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")]
    return "\n".join(p.read_text() for p in pages)


SAMPLES = ROOT / "sample_data"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def quota(*args: str | Path, input: bytes | str | None = None) -> Run:
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


# ------------------------------------------------------------------ the ledger's clock
#
# What the ledger records about now comes from its clock, never from an option. In-process, the
# tests inject that clock (quota.store.base.injected_clock): every test starts at START (or a
# world's EARLY start) and moves it forward itself (`CLOCK.set(...)`, or `at(T, *args)` for one
# command at T). Commands run as processes use the real clock (or Debian's faketime).

START = datetime(2026, 12, 1, tzinfo=UTC)
EARLY = "2026-01-01T00:00:00Z"  # where a world starts whose tests go on to earlier times than START


class Clock:
    def __init__(self) -> None:
        self.t: datetime | None = START

    def __call__(self) -> datetime:
        return datetime.now(UTC) if self.t is None else self.t

    def real(self) -> None:
        """The real clock, for a test whose commands also run as processes (which use it)."""
        self.t = None

    def set(self, when: str | datetime) -> datetime:
        from quota.times import parse_iso

        self.t = parse_iso(when) if isinstance(when, str) else when
        return self.t

    def advance(self, **span: float) -> datetime:
        self.t = self() + timedelta(**span)
        return self.t

    def iso(self) -> str:
        return self().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


CLOCK = Clock()


def at(when: str | datetime, *args: str | Path, input: bytes | str | None = None) -> Run:
    """`quota *args` with the ledger's clock at `when`."""
    CLOCK.set(when)
    return quota(*args, input=input)


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from quota.store import base

    CLOCK.t = START
    monkeypatch.setattr(base, "injected_clock", CLOCK)
    return CLOCK


def ids_of(path: Path) -> list[str]:
    text = path.read_text()
    return text.splitlines()


def manifest(outdir: Path) -> dict:
    return json.loads((outdir / "manifest.json").read_text())


# ------------------------------------------------------------------ backends
#
# Test modules marked `pytestmark = pytest.mark.backends` run each test on both ledgers: the
# DuckDB file and a fresh schema on the PostgreSQL server (dropped after). `duckdb_only`
# keeps one test to the file (it opens the file itself, or tests file locks). Without a
# server the PostgreSQL half is skipped with the reason, unless QUOTA_REQUIRE_POSTGRES=1
# (.ci/run sets it): then it fails.

# Every delivery names whom its recipient contacts, in every test and every world built once
# for a module (a test of the refusal unsets it).
os.environ["QUOTA_CONTACT"] = "compliance@acme.example (synthetic)"
PG_URL = os.environ.get("QUOTA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("QUOTA_REQUIRE_POSTGRES") == "1"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("backends") is None:
        return
    only = metafunc.definition.get_closest_marker("duckdb_only") is not None
    server_only = metafunc.definition.get_closest_marker("postgres_only") is not None
    # The server half is the slow half (a schema made and dropped per test): the quick loop
    # leaves it to the full suite, which runs both. tests/test_postgres.py stays in both.
    server = pytest.param("postgres", marks=pytest.mark.slow)
    params = ["duckdb"] if only else [server] if server_only else ["duckdb", server]
    metafunc.parametrize("backend", params, indirect=True)


QUICK = False  # the quick loop (-m "not slow"): property tests run a fifth of their examples


def pytest_configure(config: pytest.Config) -> None:
    global QUICK
    QUICK = "not slow" in (config.getoption("markexpr") or "")


def examples(n: int) -> int:
    """A property test's number of examples: all of them in the full suite."""
    return max(5, n // 5) if QUICK else n


@functools.cache
def _pg_problem() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install -e '.[test]')"
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as e:
        return f"no PostgreSQL server at {PG_URL}: {str(e).splitlines()[0]}"
    return None


@dataclass
class Backend:
    name: str
    db: str  # what QUOTA_DB holds
    schema: str | None = None
    url: str = PG_URL  # the server database holding the schema
    cloned: bool = False  # a database of its own, cloned from a template (see Templates)

    @property
    def reader(self) -> str:
        """The reader role quota init makes for this ledger: its database's and schema's."""
        return f"{_database(self.url)}_{self.schema}_reader"

    @contextlib.contextmanager
    def _connection(self, read_only: bool = False) -> Iterator[Any]:
        """A raw connection to the ledger's own tables, behind quota's back."""
        if self.name == "duckdb":
            import duckdb

            con = duckdb.connect(self.db, read_only=read_only)
            try:
                yield con
            finally:
                con.close()
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f"SET search_path TO {self.schema}")
            # Tampering as a superuser would: past the append-only triggers.
            con.execute("SET session_replication_role = replica")
            yield con

    def raw(self, *statements: str) -> None:
        """Run SQL on the ledger's own tables behind quota's back (tampering, damage)."""
        with self._connection() as con:
            for s in statements:
                con.execute(s)

    def rows(self, statement: str) -> list[tuple]:
        with self._connection(read_only=True) as con:
            return con.execute(statement).fetchall()

    def drop(self) -> None:
        """Remove the test's schema and the reader role `quota init` made for it."""
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as con:
            if self.cloned:  # the database's own reader role goes with it
                con.execute(f"DROP DATABASE IF EXISTS {_database(self.url)} WITH (FORCE)")
                con.execute(f'DROP ROLE IF EXISTS "{self.reader}"')
                return
            con.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            con.execute(f'DROP ROLE IF EXISTS "{self.reader}"')


def _database(url: str) -> str:
    return urllib.parse.urlsplit(url).path.lstrip("/")


def _in_database(url: str, database: str) -> str:
    return urllib.parse.urlsplit(url)._replace(path=f"/{database}").geturl()


def fresh_schema() -> Backend:
    """A new schema's name on the test server (made by quota init, dropped by Backend.drop);
    without a server the test is skipped, or fails under QUOTA_REQUIRE_POSTGRES=1."""
    if problem := _pg_problem():
        if REQUIRE_PG:
            pytest.fail(f"QUOTA_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    sep = "&" if "?" in PG_URL else "?"
    return Backend("postgres", f"{PG_URL}{sep}schema={schema}", schema)


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    name = getattr(request, "param", "duckdb")
    if name == "duckdb":
        db = str(tmp_path / "ledger.duckdb")
        monkeypatch.setenv("QUOTA_DB", db)
        yield Backend("duckdb", db)
        return
    backend = fresh_schema()
    monkeypatch.setenv("QUOTA_DB", backend.db)
    try:
        yield backend
    finally:
        backend.drop()


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    # Never touch a user's ledger or files: everything happens under tmp_path (or in a schema
    # of its own on the test server).
    monkeypatch.chdir(tmp_path)


# What tests accept: the terms' version and how, with evidence, since their acceptances are
# back-dated (recorded long after the --at they state).
EVIDENCE = Path(__file__).with_name("evidence") / "terms-signed.txt"
TERMS = (
    "--version",
    "X Developer Agreement and Policy, 2026-10",
    "--method",
    "signed PDF",
    "--evidence",
    str(EVIDENCE),
)


# X's letter for a permission (its sha256 is kept), who signed it and when X granted it.
LETTER = (
    "--letter",
    str(Path(__file__).with_name("evidence") / "x-permission-letter.txt"),
    "--signed-by",
    "X Developer Policy team (synthetic)",
    "--granted-on",
    "2026-01-01",
)


def init_acme(*more: tuple[str, ...]) -> None:
    """A fresh ledger with entity acme, which accepted X's terms on 2026-01-01, and `more` commands."""
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme"),
        ("entity", "accept-terms", *TERMS, "acme", "--by", "J Doe", "--at", "2026-01-01T00:00:00Z"),
        *more,
    ):
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)


# When each built world's clock stopped: a test that copies it goes on from there.
BUILT_AT: dict[str, datetime] = {}


@contextlib.contextmanager
def _building() -> Iterator[None]:
    """A build under the clock from START (whatever test asked for it first); the test's own
    clock comes back after it."""
    from quota.store import base

    saved, injected = CLOCK.t, base.injected_clock
    CLOCK.t, base.injected_clock = START, CLOCK
    try:
        yield
    finally:
        CLOCK.t, base.injected_clock = saved, injected


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A module's world, built once on a DuckDB file by `build` (run in its folder)."""
    home = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp, _building():
        mp.setenv("QUOTA_DB", str(home / "ledger.duckdb"))
        mp.chdir(home)
        build(home)
        BUILT_AT[str(home)] = CLOCK.t
    return home


class Templates:
    """Ledgers built once per test process and handed to each test as a copy of its own.

    A world many tests start from (a few entities, terms, exemptions) costs a dozen commands;
    copying it costs a file copy on DuckDB and a `CREATE DATABASE ... TEMPLATE` on the server
    (the clone keeps the template's schema name, so its reader role is the template's)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.built: dict[tuple[str, str], Backend] = {}

    def clone(self, key: str, build: Callable[[], None], backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make `backend`'s ledger a copy of the ledger `build` makes (run once per backend, in
        an empty folder of its own, with QUOTA_DB set)."""
        template = self.built.get((key, backend.name))
        if template is None:
            template = self._build(key, build, backend.name)
            self.built[(key, backend.name)] = template
        CLOCK.t = BUILT_AT[f"{key}-{backend.name}"]  # the test goes on from its world's time
        if backend.name == "duckdb":
            shutil.copyfile(template.db, backend.db)
            return
        import psycopg

        clone = f"tc_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {clone} TEMPLATE {_database(template.url)}")
        backend.url = _in_database(PG_URL, clone)
        backend.db = f"{backend.url}?schema={template.schema}"
        backend.schema, backend.cloned = template.schema, True
        monkeypatch.setenv("QUOTA_DB", backend.db)
        # The clone's reader role is named after its database: quota init makes it.
        from quota.store.session import Session

        with Session.open(backend.db, write=True, create=True):
            pass

    def _build(self, key: str, build: Callable[[], None], name: str) -> Backend:
        folder = self.home / f"{key}-{name}"
        folder.mkdir()
        if name == "duckdb":
            template = Backend("duckdb", str(folder / "ledger.duckdb"))
        else:
            import psycopg

            database, schema = f"tt_{uuid.uuid4().hex[:16]}", f"t_{uuid.uuid4().hex[:16]}"
            with psycopg.connect(PG_URL, autocommit=True) as con:
                con.execute(f"CREATE DATABASE {database}")
            url = _in_database(PG_URL, database)
            template = Backend("postgres", f"{url}?schema={schema}", schema, url, cloned=True)
        with pytest.MonkeyPatch.context() as mp, _building():
            mp.setenv("QUOTA_DB", template.db)
            mp.chdir(folder)
            build()
            BUILT_AT[f"{key}-{name}"] = CLOCK.t
        return template

    def drop(self) -> None:
        servers = [t for t in self.built.values() if t.name == "postgres"]
        if not servers:
            return
        import psycopg

        with psycopg.connect(PG_URL, autocommit=True) as con:
            for t in servers:
                con.execute(f"DROP DATABASE IF EXISTS {_database(t.url)} WITH (FORCE)")
                con.execute(f'DROP ROLE IF EXISTS "{t.reader}"')


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    t = Templates(tmp_path_factory.mktemp("templates"))
    try:
        yield t
    finally:
        t.drop()


def world_copy(
    template: Path, tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A test's own copy of a built world (its folder and ledger), on its backend: on the
    server, a clone of the one copy `ledger copy` made of it in this test process."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    CLOCK.t = BUILT_AT[str(template)]  # the test goes on from its world's time
    if backend.name == "postgres":

        def copy() -> None:
            r = quota("ledger", "copy", "--db", template / "ledger.duckdb", "--to", os.environ["QUOTA_DB"])
            assert r.exit_code == 0, r.stderr

        templates.clone(f"copy-{template.name}", copy, backend, monkeypatch)
    return tmp_path


def commands(*steps: tuple[str | Path, ...], start: str | None = None) -> Callable[[], None]:
    """A template's build: these quota commands, each of which must succeed; with `start`, the
    ledger's clock starts then (for tests that go on to earlier times than START)."""

    def build() -> None:
        if start is not None:
            CLOCK.set(start)
        for args in steps:
            r = quota(*args)
            assert r.exit_code == 0, (args, r.stderr)

    return build
