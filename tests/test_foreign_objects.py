"""Objects stored in a ledger that would change what quota's own SQL computes (a macro named
like a built-in, a domain with its own `<>`, a replaced view, a rule, a trigger, a row
policy): every session refuses the ledger, and verify names it."""

from __future__ import annotations

import json

import pytest
from conftest import SAMPLES, Backend, init_acme, quota

pytestmark = pytest.mark.backends
PAGES = SAMPLES / "v2_pages.jsonl"


@pytest.fixture
def acme() -> None:
    init_acme(("export", str(PAGES), "--to", "acme", "-o", "out"))


EVERY = (("ledger", "verify"), ("usage", "--json"), ("notice", "list", "--check"))
# A stored view only matters to readers of the views: quota reads through its own, made in
# each session, and compares the stored ones then (and in verify, and before quota sql).
VIEWS = (("ledger", "verify"), ("notice", "list", "--check"), ("who-received", "1"), ("sql", "SELECT 1"))


def refused(what: str) -> None:
    """verify, a read and a write all refuse, naming what is there."""
    for args in VIEWS if what.startswith("view notices") else EVERY:
        r = quota(*args)
        assert r.exit_code == 5 and f"holds a {what}" in r.stderr, (args, r.stderr)
        assert "quota did not make" in r.stderr or "differs from quota's definition" in r.stderr
    if not what.startswith("view notices"):
        r = quota("export", PAGES, "--to", "acme", "-o", "more")
        assert r.exit_code == 5 and what in r.stderr, r.stderr


def works() -> None:
    assert quota("ledger", "verify").exit_code == 0
    assert json.loads(quota("usage", "--json").stdout)[0]["used"] == 118


@pytest.mark.duckdb_only
def test_a_macro_named_like_a_built_in_is_refused(acme: None, backend: Backend) -> None:
    works()  # the process has looked once: a change of the file makes it look again
    backend.raw("CREATE MACRO sha256(x) AS 'a fake hash'")
    refused("macro sha256")
    backend.raw("DROP MACRO sha256")
    works()
    backend.raw("CREATE TYPE mood AS ENUM ('ok')")
    refused("type mood")
    backend.raw("DROP TYPE mood", "CREATE VIEW exports_plain AS SELECT 1 AS one")
    refused("view exports_plain")


@pytest.mark.postgres_only
def test_objects_that_change_what_a_postgres_ledger_computes_are_refused(acme: None, backend: Backend) -> None:
    works()
    aside = f"{backend.schema}_aside"  # a schema of the test's own, for what lives outside the ledger's
    notices = backend.rows("SELECT pg_get_viewdef('notices'::regclass)")[0][0].rstrip().rstrip(";")
    attacks = [
        # A domain whose <> is always false: the column's type is no longer the built-in.
        (
            "column schema_migrations.sha256 of type",
            [
                f"CREATE SCHEMA {aside}",
                f"CREATE DOMAIN {aside}.digest AS VARCHAR",
                f"ALTER TABLE schema_migrations ALTER COLUMN sha256 TYPE {aside}.digest",
            ],
            ["ALTER TABLE schema_migrations ALTER COLUMN sha256 TYPE VARCHAR", f"DROP SCHEMA {aside} CASCADE"],
        ),
        ("type tally", ["CREATE DOMAIN tally AS BIGINT"], ["DROP DOMAIN tally"]),
        (
            "operator <>",
            [
                f"CREATE SCHEMA {aside}",
                f"CREATE FUNCTION {aside}.never(bigint, int) RETURNS boolean LANGUAGE sql AS 'SELECT false'",
                f"CREATE OPERATOR <> (LEFTARG = bigint, RIGHTARG = int, FUNCTION = {aside}.never)",
            ],
            [f"DROP OPERATOR {backend.schema}.<> (bigint, int)", f"DROP SCHEMA {aside} CASCADE"],
        ),
        (
            "function quota_json_valid",
            ["CREATE OR REPLACE FUNCTION quota_json_valid(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN true; END $$"],
            ["CREATE OR REPLACE FUNCTION quota_json_valid(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$\n"
             "BEGIN\n    PERFORM t::json;\n    RETURN true;\nEXCEPTION WHEN others THEN\n    RETURN false;\nEND $$"],
        ),
        (
            "view notices",
            [f"CREATE OR REPLACE VIEW notices AS SELECT * FROM ({notices}) q WHERE false"],
            [f"CREATE OR REPLACE VIEW notices AS {notices}"],
        ),
        ("view sneaky", ["CREATE VIEW sneaky AS SELECT 1 AS one"], ["DROP VIEW sneaky"]),
        (
            "rule hide on lineage",
            ["CREATE RULE hide AS ON INSERT TO lineage DO INSTEAD NOTHING"],
            ["DROP RULE hide ON lineage"],
        ),
        ("row policy on events", ["ALTER TABLE events ENABLE ROW LEVEL SECURITY"], ["ALTER TABLE events DISABLE ROW LEVEL SECURITY"]),
    ]  # fmt: skip
    try:
        for what, attack, undo in attacks:
            backend.raw(*attack)
            refused(what)
            backend.raw(*undo)
            works()
    finally:
        backend.raw(f"DROP SCHEMA IF EXISTS {aside} CASCADE")
