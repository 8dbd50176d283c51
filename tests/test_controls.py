"""Acts that change what the limits mean are controlled and recorded: profile switches and
voids are signed, terms acceptances carry what was accepted and evidence when back-dated.
Each scenario that one command got past before is refused or flagged, beside its honest twin."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import CLOCK, EVIDENCE, LETTER, SAMPLES, TERMS, init_acme, quota

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_profile_switch_needs_a_reason_and_a_name(tmp_path: Path) -> None:
    init_acme()
    r = quota("policy", "use", "x-restricted-use-cases")
    assert r.exit_code == 2 and "--reason" in r.stderr
    r = quota("policy", "use", "x-restricted-use-cases", "--reason", " ", "--by", "C Officer")
    assert r.exit_code == 2 and "reason" in r.stderr
    r = quota("policy", "use", "x-developer-policy-utc-day", "--reason", "counsel's reading", "--by", "C Officer")
    assert r.exit_code == 0, r.stderr
    got = json.loads(quota("sql", "SELECT profile, reason, done_by FROM policy_changes", "--json").stdout)
    assert got[-1] == {"profile": "x-developer-policy-utc-day", "reason": "counsel's reading", "done_by": "C Officer"}
    assert quota("ledger", "verify").exit_code == 0


def test_a_void_is_signed_and_keeps_the_ids_findable(tmp_path: Path) -> None:
    init_acme()
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--export-id", "e1")
    assert r.exit_code == 0, r.stderr
    first = (tmp_path / "out" / "post_ids.txt").read_text().split()[0]
    assert quota("ledger", "void", "e1", "--reason", "wrong entity").exit_code == 2  # no --by
    assert quota("ledger", "void", "e1", "--reason", "wrong entity", "--by", "C Officer").exit_code == 0
    # Its files were delivered: it keeps counting toward the cap, marked void...
    used = json.loads(quota("usage", "acme", "--json").stdout)
    assert used[0]["used"] == 118
    # ...and its IDs are still found, marked void.
    got = json.loads(quota("who-received", first, "--json").stdout)
    assert [(g["export_id"], g["state"]) for g in got] == [("e1", "void")]
    r = quota("export", PAGES, "--to", "acme", "-o", "out2", "--export-id", "e1")
    assert r.exit_code == 2 and "export e1 was voided on " in r.stderr and "; use a new --export-id" in r.stderr
    assert not (tmp_path / "out2").exists()
    assert quota("sql", "SELECT done_by FROM voids", "--json").stdout.count("C Officer") == 1


def test_terms_acceptances_record_what_and_how(tmp_path: Path) -> None:
    assert quota("init").exit_code == 0
    assert quota("entity", "add", "acme", "--name", "Acme").exit_code == 0
    now = CLOCK.t
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


def test_imports_check_terms_store_ids_and_record_breaches_only_when_told(tmp_path: Path) -> None:
    init_acme(("entity", "add", "nt", "--name", "No terms yet"))
    (tmp_path / "nt.csv").write_text("at,entity,post_ids\n2026-10-01T00:00:00Z,nt,5\n")
    r = quota("ledger", "import", "nt.csv")
    assert r.exit_code == 3 and "nt.csv, line 2" in r.stderr and "acceptance" in r.stderr
    # An imported row with its IDs: who-received and deletion notices reach the recipient.
    (tmp_path / "past.txt").write_text("1895625031960240129\n1895625031960240130\n")
    (tmp_path / "past.csv").write_text("at,entity,post_ids,ids_file\n2026-10-01T00:00:00Z,acme,2,past.txt\n")
    (tmp_path / "wrong.csv").write_text("at,entity,post_ids,ids_file\n2026-10-01T00:00:00Z,acme,3,past.txt\n")
    r = quota("ledger", "import", "wrong.csv")
    assert r.exit_code == 4 and "holds 2 unique IDs" in r.stderr
    assert quota("ledger", "import", "past.csv").exit_code == 0
    got = json.loads(quota("who-received", "1895625031960240130", "--kind", "user", "--json").stdout)
    assert [(g["entity"], g["basis"], g["declared"]) for g in got] == [("acme", "import", True)]
    result = tmp_path / "r.jsonl"
    result.write_text(json.dumps({"id": "1895625031960240129", "action": "delete", "reason": "deleted"}) + "\n")
    added = json.loads(quota("notice", "add", result, "--kind", "post", "--json").stdout)
    assert [a["entity"] for a in added] == ["acme"]
    assert quota("ledger", "verify").exit_code == 0
    # A past delivery over the cap: refused, unless recorded as the breach it was.
    (tmp_path / "over.csv").write_text("at,entity,post_ids\n2026-10-02T00:00:00Z,acme,1600000\n")
    r = quota("ledger", "import", "over.csv")
    assert r.exit_code == 3 and "over by 100,002" in r.stderr and "--breach" in r.stderr
    assert quota("ledger", "import", "over.csv", "--breach").exit_code == 2  # no reason
    r = quota("ledger", "import", "over.csv", "--breach", "--reason", "two teams exported the same week")
    assert r.exit_code == 0, r.stderr
    used = json.loads(quota("usage", "acme", "--at", "2026-10-03T00:00:00Z", "--json").stdout)[0]
    assert (used["used"], used["headroom"]) == (1_600_002, -100_002)
    r = quota("ledger", "verify")
    assert r.exit_code == 0, r.stderr
    assert "breach recorded" in r.stdout and "two teams exported the same week" in r.stdout
    assert json.loads(quota("ledger", "verify", "--json").stdout)["breaches"][0]["post_ids"] == 1_600_000
    r = quota("export", PAGES, "--to", "acme", "-o", "out", "--at", "2026-10-03T00:00:00Z", "--dry-run")
    assert r.exit_code == 3  # the window is still over the cap
    # --breach on rows within the cap is a mistake, not a breach.
    (tmp_path / "fine.csv").write_text("at,entity,post_ids\n2026-12-01T00:00:00Z,acme,5\n")
    r = quota("ledger", "import", "fine.csv", "--breach", "--reason", "x")
    assert r.exit_code == 2 and "breaks no cap" in r.stderr
    doc = tmp_path / "rep.json"
    r = quota("report", "-o", doc, "--format", "json", "--since", "2026-09-01", "--until", "2026-11-30")
    assert r.exit_code == 0, r.stderr
    breaches = [d for d in json.loads(doc.read_text())["distributions"] if d["breach"]]
    assert [(d["entity"], d["post_ids"], d["breach"]) for d in breaches] == [
        ("acme", 1_600_000, "two teams exported the same week")
    ]


def test_permissions_lift_the_cap_and_their_end_is_named(tmp_path: Path) -> None:
    init_acme()
    r = quota("permission", "add", *LETTER, "X-0", "--entity", "acme", "--cap", "1500000", "--from", "2026-10-01",
              "--until", "2026-11-01")  # fmt: skip
    assert r.exit_code == 2 and "not above" in r.stderr
    r = quota("permission", "add", *LETTER, "X-1", "--entity", "acme", "--cap", "3000000", "--from", "2026-10-01",
              "--until", "2026-11-01")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    (tmp_path / "p.csv").write_text("at,entity,post_ids\n2026-10-20T00:00:00Z,acme,2000000\n")
    r = quota("ledger", "import", "p.csv")
    assert r.exit_code == 3, r.stderr
    assert "permission X-1 ends 2026-11-01T00:00:00.000000Z" in r.stderr and "base cap" in r.stderr
    (tmp_path / "q.csv").write_text("at,entity,post_ids\n2026-10-20T00:00:00Z,acme,1400000\n")
    assert quota("ledger", "import", "q.csv").exit_code == 0  # fits the base cap after the end too


def test_policy_show_warns_of_calendar_days(tmp_path: Path) -> None:
    init_acme()
    rows = {p["profile"]: p for p in json.loads(quota("policy", "show", "--json").stdout)}
    assert "twice the limit" in rows["x-developer-policy-utc-day"]["note"]
    assert "1,000 objects" in rows["x-developer-policy-utc-day"]["note"]
    assert rows["x-developer-policy"]["note"] is None
    assert "across midnight" in quota("policy", "show").stderr
