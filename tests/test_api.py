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
