"""The public API, through its public names only: `from quota import ...`."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import SAMPLES, Backend, init_acme, quota

import quota as q

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"
AT = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_public_names_are_all_there_and_import_nothing_heavy() -> None:
    assert {"Ledger", "strip", "StripResult", "ExportResult", "VerifyReport", "QuotaError", "PolicyRefusal"} <= set(
        q.__all__
    )
    for name in q.__all__:
        assert getattr(q, name) is not None, name
    code = (
        "import sys, quota; quota.Ledger; print(sorted(m for m in ('duckdb', 'polars', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"  # neither a database nor Polars until a question is asked
    assert (Path(q.__file__).parent / "py.typed").exists()


def test_a_notebook_exports_and_asks(backend: Backend, tmp_path: Path) -> None:
    init_acme()
    ledger = q.Ledger.open(backend.db)
    result = ledger.export([PAGES], to="acme", out=tmp_path / "out", ids=["post", "user"], export_id="n1")
    with pytest.raises(q.UsageError, match="a delivery happens now"):
        ledger.export([PAGES], to="acme", out=tmp_path / "past", at=AT)  # the past is ledger import's
    assert isinstance(result, q.ExportResult)
    assert (result.post_ids, result.user_ids, result.basis) == (118, 105, "cap")
    posts = (tmp_path / "out" / "post_ids.txt").read_text().split()

    usage = ledger.usage()
    assert isinstance(usage, pl.DataFrame)
    assert usage.filter(pl.col("entity") == "acme").select("used", "cap").row(0) == (118, 1_500_000)

    exports = ledger.exports(entity="acme")
    assert exports["export_id"].to_list() == ["n1"] and exports["state"].to_list() == ["committed"]

    got = ledger.who_received([posts[0], int(posts[1])])
    assert got.schema["id"] == pl.UInt64
    assert got["id"].to_list() == sorted(int(p) for p in posts[:2]) and set(got["entity"]) == {"acme"}

    held = ledger.delivered_ids(entity="acme", kind="post")
    assert held.schema["id"] == pl.UInt64 and held.height == 118
    assert sorted(held["id"].to_list()) == sorted(int(p) for p in posts)

    n = ledger.sql("SELECT count(*) AS n FROM delivered_ids WHERE entity = 'acme'")
    assert int(n["n"][0]) == 118 + 105

    report = ledger.verify()
    assert isinstance(report, q.VerifyReport) and report.ok and report.events == 5
    checkpoint = ledger.checkpoint()
    assert ledger.verify(checkpoint=checkpoint).ok

    # The handle holds nothing open: the command line writes while a notebook keeps it.
    assert quota("entity", "add", "beta", "--name", "Beta", "--wait", "1").exit_code == 0
    after = ledger.verify(since=checkpoint)
    assert after.ok and (after.since, after.events) == (5, 6)


def test_refusals_and_errors_speak_the_domain(backend: Backend, tmp_path: Path) -> None:
    init_acme(("ledger", "import", _rows(tmp_path, "2026-11-30T00:00:00Z,acme,1499950")))
    ledger = q.Ledger.open(backend.db)
    with pytest.raises(q.PolicyRefusal) as refused:
        ledger.export([PAGES], to="acme", out=tmp_path / "out")
    assert "used 1,499,950, cap 1,500,000, requested 118, over by 68" in str(refused.value)
    assert not (tmp_path / "out").exists()
    with pytest.raises(q.UsageError, match="is not an ID"):
        ledger.who_received(["12ab"])
    with pytest.raises(q.UsageError, match="only SELECT"):
        ledger.sql("DELETE FROM events")
    with pytest.raises(q.LedgerError, match="no ledger"):
        q.Ledger.open(tmp_path / "nowhere.duckdb")


def _rows(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "past.csv"
    path.write_text("at,entity,post_ids\n" + row + "\n")
    return path


def test_strip_gives_exactly_what_the_command_writes(tmp_path: Path) -> None:
    result = q.strip([PAGES], ids="post,user")
    assert isinstance(result, q.StripResult)
    assert quota("strip", PAGES, "-o", tmp_path / "out", "--ids", "post,user").exit_code == 0
    for kind in ("post", "user"):
        written = [int(i) for i in (tmp_path / "out" / f"{kind}_ids.txt").read_text().split()]
        assert result.ids[kind].to_pylist() == written
    assert result.frame("post").schema["id"] == pl.UInt64
    assert result.inputs[0].posts_read > 0


def test_a_ledger_is_created_and_copied_through_the_api(backend: Backend, tmp_path: Path) -> None:
    ledger = q.Ledger.open(backend.db, create=True)
    assert ledger.verify().ok and ledger.verify().events == 0
    copy = ledger.copy_to(tmp_path / "copy.duckdb")
    assert copy.verified.ok
    assert q.Ledger.open(tmp_path / "copy.duckdb").checkpoint().split()[1] == ledger.checkpoint().split()[1]


def test_answers_have_the_databases_types_and_one_time_convention(backend: Backend, tmp_path: Path) -> None:
    """The same query on either backend: IDs UInt64, counts and sums Int64, decimals Decimal,
    every time datetime[us, UTC], a column of nulls its declared type."""
    init_acme(("export", str(PAGES), "--to", "acme", "-o", "out", "--export-id", "t1"))
    ledger = q.Ledger(backend.db)
    answer = ledger.sql(
        """SELECT min(delivered_ids.id::VARCHAR) AS low, count(*) AS n, sum(post_ids) AS total, CAST(1.25 AS DECIMAL(10, 2)) AS share,
                  max(exports."at") AS newest, min(void_reason) AS no_reason
           FROM delivered_ids JOIN exports USING (export_id) WHERE delivered_ids.kind = 'post'"""
    )
    utc = pl.Datetime("us", "UTC")
    ids = ledger.sql("SELECT id, kind FROM delivered_ids ORDER BY id LIMIT 3")
    assert ids.schema["id"] == pl.UInt64 and ids.height == 3
    assert answer.schema["low"] == pl.String and answer.schema["n"] == pl.Int64
    assert answer.schema["total"] == pl.Int64 and answer.schema["newest"] == utc
    assert isinstance(answer.schema["share"], pl.Decimal) and answer.schema["no_reason"] == pl.String
    assert answer.row(0)[1:3] == (118, 118 * 118)
    for frame in (ledger.exports(), ledger.entities(), ledger.requests(), ledger.notices(), ledger.datasets()):
        for name, dtype in frame.schema.items():
            if name in ("at", "deadline") or name.endswith("_at"):
                assert dtype == utc, (name, dtype)
    assert ledger.entities()["entity"].to_list() == ["acme"]
    assert ledger.entities().schema["terms_accepted_at"] == utc


def test_compliance_answers_without_sql(backend: Backend, tmp_path: Path) -> None:
    import json

    from conftest import TERMS

    init_acme(("export", str(PAGES), "--to", "acme", "-o", "out"))
    ledger = q.Ledger(backend.db)
    post = (tmp_path / "out" / "post_ids.txt").read_text().split()[0]
    (tmp_path / "gone.jsonl").write_text(json.dumps({"id": post, "action": "delete", "reason": "deleted",
                                                      "redacted_at": "2026-11-30T00:00:00.000Z"}) + "\n")  # fmt: skip
    r = quota("notice", "add", "--kind", "post", tmp_path / "gone.jsonl")
    assert r.exit_code == 0, r.stderr
    notices = ledger.notices()
    assert notices.select("entity", "ids", "overdue").rows() == [("acme", 1, False)]
    for args in (
        ("dataset", "add", "demo", str(PAGES), "--title", "Demo", "--description", "Sample pages"),
        ("person", "add", "ana", "--entity", "acme", "--name", "Ana A"),
        ("request", "submit", "--dataset", "demo", "--person", "ana", "--purpose", "study"),
    ):
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
    assert ledger.datasets().select("name", "post_ids").rows() == [("demo", 118)]
    requests = ledger.requests()
    assert requests["state"].to_list() == ["submitted"] and requests["requested_post_ids"].to_list() == [118]
    assert json.loads(requests["filters"][0])["order"] == "oldest"
    doc = ledger.report(tmp_path / "r.json")
    assert doc["ledger"]["verified"] and json.loads((tmp_path / "r.json").read_text())["ledger"]["verified"]
    assert ledger.report(tmp_path / "r.html")["entities"][0]["entity"] == "acme"
    assert "<!doctype html>" in (tmp_path / "r.html").read_text()
    assert TERMS  # terms on record came with init_acme


@pytest.mark.duckdb_only
def test_library_errors_name_no_command_line_options(backend: Backend, tmp_path: Path) -> None:
    """The library says what is wrong in the domain's words; the command line says the same
    with its options' names."""
    for call, words in (
        (lambda: q.strip([PAGES], ids="posts"), "the kinds of IDs are post, user and dm"),
        (lambda: q.strip([SAMPLES / "post_ids.txt"], ids="post,user"), "ask for exactly one kind of ID"),
    ):
        with pytest.raises(q.UsageError) as e:
            call()
        assert words in str(e.value) and "--" not in str(e.value), str(e.value)
    r = quota("strip", PAGES, "-o", tmp_path / "c", "--ids", "posts")
    assert r.exit_code == 2 and "--ids takes post, user and dm" in r.stderr, r.stderr
    with pytest.raises(q.LedgerError) as e:
        q.Ledger.open(tmp_path / "nowhere.duckdb")
    assert "--db" not in str(e.value)


def test_a_quoted_value_cannot_pass_for_an_options_name() -> None:
    """The marks that say a phrase two ways hold a nonce: a file name built like them stays as it is."""
    from quota.errors import BadInput, flag

    forged = "a\x1fX<--db\x1fX|b\x1fX>"
    e = BadInput(forged, f"is bad ({flag('use --format', 'name its format')})")
    assert str(e) == f"{forged}: is bad (name its format)"
    assert e.for_cli() == f"{forged}: is bad (use --format)"
