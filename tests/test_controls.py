"""Acts that change what the limits mean are controlled and recorded: profile switches and
voids are signed, terms acceptances carry what was accepted and evidence when back-dated.
Each scenario that one command got past before is refused or flagged, beside its honest twin."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import EVIDENCE, SAMPLES, TERMS, init_acme, quota

PAGES = SAMPLES / "v2_pages.jsonl"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_profile_switch_needs_a_reason_and_a_name(tmp_path: Path) -> None:
    init_acme()
    r = quota("policy", "use", "x-restricted-use-cases")
    assert r.exit_code == 2 and "--reason" in r.stderr
    r = quota("policy", "use", "x-restricted-use-cases", "--reason", " ", "--by", "C Officer")
    assert r.exit_code == 2 and "reason" in r.stderr
    r = quota("policy", "use", "x-restricted-use-cases", "--reason", "counsel's reading", "--by", "C Officer")
    assert r.exit_code == 0, r.stderr
    got = json.loads(quota("sql", "SELECT profile, reason, done_by FROM policy_changes", "--json").stdout)
    assert got[-1] == {"profile": "x-restricted-use-cases", "reason": "counsel's reading", "done_by": "C Officer"}
    assert quota("ledger", "verify").exit_code == 0


def test_a_void_is_signed_and_keeps_the_ids_findable(tmp_path: Path) -> None:
    init_acme()
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "e1", "--at", "2026-11-01T00:00:00Z")
    assert r.exit_code == 0, r.stderr
    first = (tmp_path / "out" / "post_ids.txt").read_text().split()[0]
    assert quota("ledger", "void", "e1", "--reason", "wrong entity").exit_code == 2  # no --by
    assert quota("ledger", "void", "e1", "--reason", "wrong entity", "--by", "C Officer").exit_code == 0
    # It no longer counts toward the cap...
    used = json.loads(quota("usage", "acme", "--at", "2026-11-02T00:00:00Z", "--json").stdout)
    assert used[0]["used"] == 0
    # ...but its IDs may have been handed over: still found, marked void.
    got = json.loads(quota("who-received", first, "--json").stdout)
    assert [(g["export_id"], g["state"]) for g in got] == [("e1", "void")]
    r = quota("export", PAGES, "--to", "acme", "-o", "out2", "--export-id", "e1", "--at", "2026-11-01T00:00:00Z")
    assert r.exit_code == 2 and "export e1 was voided on " in r.stderr and "; use a new --export-id" in r.stderr
    assert not (tmp_path / "out2").exists()
    assert quota("sql", "SELECT done_by FROM voids", "--json").stdout.count("C Officer") == 1


def test_terms_acceptances_record_what_and_how(tmp_path: Path) -> None:
    assert quota("init").exit_code == 0
    assert quota("entity", "add", "acme", "--name", "Acme").exit_code == 0
    now = datetime.now(UTC)
    r = quota("entity", "accept-terms", "acme", "--by", "J Doe")
    assert r.exit_code == 2 and "say what was accepted" in r.stderr
    future = iso(now + timedelta(hours=2))
    r = quota("entity", "accept-terms", "acme", "--by", "J Doe", "--version", "XDA 2026-10", "--at", future)
    assert r.exit_code == 2 and "in the future" in r.stderr
    # Back-dated (recorded over 24 hours after it): only with evidence.
    old = iso(now - timedelta(hours=25))
    r = quota("entity", "accept-terms", "acme", "--by", "J Doe", "--version", "XDA 2026-10", "--at", old)
    assert r.exit_code == 2 and "back-dated" in r.stderr and "evidence" in r.stderr
    r = quota("entity", "accept-terms", *TERMS, "acme", "--by", "J Doe", "--at", old)
    assert r.exit_code == 0, r.stderr
    # The honest twin: accepted an hour ago, the document itself given.
    doc = tmp_path / "xda-2026-10.txt"
    doc.write_text("synthetic terms text\n")
    r = quota("entity", "accept-terms", "acme", "--by", "K Roe", "--document", doc, "--method", "web form",
              "--at", iso(now - timedelta(hours=1)))  # fmt: skip
    assert r.exit_code == 0, r.stderr
    terms = json.loads(quota("entity", "show", "acme", "--json").stdout)["terms"]
    assert [(t["accepted_by"], t["backdated"]) for t in terms] == [("J Doe", True), ("K Roe", False)]
    assert terms[0]["evidence_sha256"] == hashlib.sha256(EVIDENCE.read_bytes()).hexdigest()
    assert terms[0]["version"] == "X Developer Agreement and Policy, 2026-10" and terms[0]["method"] == "signed PDF"
    assert terms[1]["document_sha256"] == hashlib.sha256(doc.read_bytes()).hexdigest()
    assert terms[1]["version"] == "xda-2026-10.txt" and terms[1]["evidence_sha256"] is None
    assert "backdated" in quota("entity", "show", "acme").stdout
    recipients = json.loads(quota("sql", "SELECT terms_accepted_at, terms_backdated FROM recipients", "--json").stdout)
    assert recipients == [{"terms_accepted_at": terms[0]["accepted_at"], "terms_backdated": True}]
    # entity list shows the first acceptance, as the recipients view does.
    listed = json.loads(quota("entity", "list", "--json").stdout)
    assert listed[0]["terms_accepted_at"] == terms[0]["accepted_at"]
    assert quota("ledger", "verify").exit_code == 0
    r = quota("entity", "accept-terms", "acme", "--by", "J Doe", "--document", tmp_path / "missing.pdf")
    assert r.exit_code == 4 and "missing.pdf" in r.stderr
