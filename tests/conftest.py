from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from quota.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def quota(*args: str | Path, input: bytes | str | None = None) -> Run:
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


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

PG_URL = os.environ.get("QUOTA_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("QUOTA_REQUIRE_POSTGRES") == "1"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("backends") is None:
        return
    only = metafunc.definition.get_closest_marker("duckdb_only") is not None
    metafunc.parametrize("backend", ["duckdb"] if only else ["duckdb", "postgres"], indirect=True)


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

        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"SET search_path TO {self.schema}")
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
            con.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
            con.execute(f"DROP ROLE IF EXISTS {self.schema}_reader")


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


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A module's world, built once on a DuckDB file by `build` (run in its folder)."""
    home = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUOTA_DB", str(home / "ledger.duckdb"))
        mp.chdir(home)
        build(home)
    return home


def world_copy(template: Path, tmp_path: Path, backend: Backend) -> Path:
    """A test's own copy of a built world, on its backend: on the server, by ledger copy."""
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    if backend.name == "postgres":
        r = quota("ledger", "copy", "--db", tmp_path / "ledger.duckdb", "--to", backend.db)
        assert r.exit_code == 0, r.stderr
    return tmp_path
