"""`quota alerts`: each kind at each of its levels, judged at a time given (--at; nothing sleeps),
with the exit code cron reads; and `quota notice upload-file`, X's batch compliance input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CLOCK, LETTER, SAMPLES, TERMS, at, quota
from oracle_posts import posts_of

from quota.store.session import Session

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"
FLAT = SAMPLES / "v2_flat.jsonl"


def ok(*args: object) -> str:
    r = quota(*[str(a) for a in args])
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


def alerts(when: str, *more: str, kind: str | None = None) -> list[dict]:
    r = at(when, "alerts", "--json", *more)
    assert r.exit_code in (0, 3), r.stderr
    found = json.loads(r.stdout)
    assert (r.exit_code == 3) == bool(found)  # exit 3 exactly when something is due
    return [a for a in found if kind is None or a["kind"] == kind]


def levels(when: str, kind: str, *more: str) -> dict[str, str]:
    return {a["subject"]: a["level"] for a in alerts(when, *more, kind=kind)}


@pytest.fixture
def ledger(tmp_path: Path, backend: object, monkeypatch: pytest.MonkeyPatch) -> Path:
    CLOCK.set("2026-10-01T00:00:00Z")
    ok("init")
    for e in ("a80", "b95", "c100", "d73", "uni"):
        ok("entity", "add", e, "--name", f"Entity {e}", "--kind", "academic" if e == "uni" else "organization")
        ok("entity", "accept-terms", *TERMS, e, "--by", "J", "--at", "2026-01-01T00:00:00Z")
    monkeypatch.setenv("QUOTA_CHECKPOINTS", str(tmp_path / "checkpoints"))
    return tmp_path


def test_caps_at_80_95_and_100_percent_with_when_room_returns(ledger: Path) -> None:
    (ledger / "past.csv").write_text(
        "at,entity,post_ids\n2026-10-01T00:00:00Z,a80,1200000\n2026-10-01T00:00:00Z,b95,1425000\n"
        "2026-10-01T00:00:00Z,c100,1500000\n2026-10-01T00:00:00Z,d73,1100000\n"
    )
    ok("ledger", "import", ledger / "past.csv")
    found = alerts("2026-10-10T00:00:00Z", kind="cap")
    assert {a["subject"]: a["level"] for a in found} == {"a80": "80 %", "b95": "95 %", "c100": "100 %"}
    full = next(a for a in found if a["subject"] == "c100")
    assert full["numbers"]["headroom"] == 0 and full["numbers"]["next_free_at"].startswith("2026-10-31T00:00:00")
    assert (
        "room returns at 2026-10-31T00:00:00" in full["message"]
        and "1,500,000 of its cap of 1,500,000" in full["message"]
    )
    # Once the window has passed, nothing is due for the caps.
    assert levels("2026-10-31T00:00:01Z", "cap") == {}


def test_a_notice_12_and_2_hours_before_its_deadline_and_overdue_until_told(ledger: Path) -> None:
    ok("export", PAGES, "--to", "uni", "-o", ledger / "d1", "--export-id", "d1")
    first = (ledger / "d1" / "post_ids.txt").read_text().split()[0]
    (ledger / "n.jsonl").write_text(json.dumps({"id": first, "action": "delete", "reason": "deleted"}) + "\n")
    CLOCK.set("2026-10-02T00:00:00Z")
    notice = json.loads(ok("notice", "add", ledger / "n.jsonl", "--kind", "post", "--json"))[0]["notice_id"]
    assert levels("2026-10-02T11:59:00Z", "notice") == {}
    assert levels("2026-10-02T12:00:00Z", "notice") == {notice: "12h"}
    assert levels("2026-10-02T22:30:00Z", "notice") == {notice: "2h"}
    late = alerts("2026-10-03T00:00:01Z", kind="notice")
    assert [(a["level"], a["numbers"]["untold"]) for a in late] == [("overdue", ["uni"])]
    assert late[0]["deadline"].startswith("2026-10-03T00:00:00")
    CLOCK.set("2026-10-03T01:00:00Z")
    ok("notice", "sent", notice, "--entity", "uni")
    # Told, but not confirmed by the deadline: still due, until the recipient acknowledges.
    assert levels("2026-10-03T01:00:00Z", "notice") == {notice: "unacknowledged"}
    ok("notice", "ack", notice, "--entity", "uni", "--by", "Uni data office")
    assert levels("2026-10-03T01:00:00Z", "notice") == {}
    shown = json.loads(ok("notice", "list", "--all", "--json"))[0]["entities"][0]
    assert shown["acked_by"] == "Uni data office" and shown["acked_at"].startswith("2026-10-03T01:00:00")


def test_exemptions_and_permissions_ending_and_drawn(ledger: Path) -> None:
    ok("exemption", "add", "ACAD", "--entity", "uni", "--kind", "academic", "--approved-on", "2026-09-01",
       "--from", "2026-09-01", "--until", "2026-11-01", "--post-ids", "100", "--user-ids", "100")  # fmt: skip
    ok("permission", "add", *LETTER, "X-9", "--entity", "d73", "--cap", "2000000", "--from", "2026-09-01",
       "--until", "2026-12-01")  # fmt: skip
    assert levels("2026-10-01T00:00:00Z", "exemption") == {}
    assert levels("2026-10-02T00:00:01Z", "exemption") == {"ACAD": "30d"}
    assert levels("2026-10-25T00:00:01Z", "exemption") == {"ACAD": "7d"}
    assert levels("2026-10-31T00:00:01Z", "exemption") == {"ACAD": "1d"}
    assert levels("2026-11-01T00:00:01Z", "exemption") == {}  # ended: nothing more to do
    assert levels("2026-11-01T00:00:01Z", "permission") == {"X-9": "30d"}
    # 91 of the 100 Post IDs X approved: drawn.
    CLOCK.set("2026-10-01T00:00:00Z")  # (alerts --at moved the test's clock: nothing was recorded since)
    posts = sorted(posts_of(PAGES, FLAT), key=int)[:91]
    (ledger / "ids.txt").write_text("\n".join(posts) + "\n")
    ok("export", ledger / "ids.txt", "--to", "uni", "--exemption", "ACAD", "-o", ledger / "e1")
    drawn = [a for a in alerts("2026-10-01T00:00:00Z", kind="exemption") if a["level"] == "drawn"]
    assert [(a["subject"], a["numbers"]) for a in drawn] == [("ACAD", {"approved": 100, "used": 91})]
    # A permission drawn above 90 % of its cap.
    (ledger / "past.csv").write_text("at,entity,post_ids\n2026-10-01T00:00:00Z,d73,1900000\n")
    ok("ledger", "import", ledger / "past.csv")
    assert [a["level"] for a in alerts("2026-10-01T00:00:00Z", kind="permission")] == ["drawn"]


def test_an_open_reservation_after_an_hour(ledger: Path) -> None:
    with Session.open(None, write=True) as session:
        session.append("reserve", {
            "export_id": "r1", "entity": "uni", "person": None, "at": "2026-10-01T00:00:00.000000Z",
            "post_ids": 5, "user_ids": 0, "dm_ids": 0, "basis": "cap", "profile": "x-developer-policy",
            "version": session.profile().version, "ids_sha256": {}, "sources": {"post": "typed"},
        })  # fmt: skip
    assert levels("2026-10-01T01:00:00Z", "reservation") == {}
    found = alerts("2026-10-01T01:00:01Z", kind="reservation")
    assert [(a["subject"], a["level"]) for a in found] == [("r1", "open")]
    assert "quota ledger recover" in found[0]["message"]


def test_requests_waiting_three_days(ledger: Path) -> None:
    ok("person", "add", "rsmith", "--entity", "uni")
    ok("dataset", "add", "demo", PAGES, "--title", "Demo", "--description", "d", "--citation", "c")
    asked = json.loads(ok("request", "submit", "--dataset", "demo", "--person", "rsmith", "--newest", "5",
                          "--purpose", "p", "--json"))["request_id"]  # fmt: skip
    assert levels("2026-10-04T00:00:00Z", "request") == {}
    assert levels("2026-10-04T00:00:01Z", "request") == {asked: "undecided"}
    CLOCK.set("2026-10-05T00:00:00Z")
    ok("request", "approve", asked, "--by", "C Officer")
    assert levels("2026-10-08T00:00:00Z", "request") == {}
    assert levels("2026-10-08T00:00:01Z", "request") == {asked: "undelivered"}
    CLOCK.set("2026-10-08T00:00:02Z")
    ok("request", "deliver", asked, "-o", "q1")
    assert levels("2026-10-20T00:00:00Z", "request") == {}


def test_no_checkpoint_in_seven_days_and_no_compliance_result_in_thirty(ledger: Path, monkeypatch) -> None:
    monkeypatch.delenv("QUOTA_CHECKPOINTS")
    assert [a["level"] for a in alerts("2026-10-01T00:00:00Z", kind="verify")] == ["no-log"]
    logs = ledger / "checkpoints"
    ok("ledger", "checkpoint", "--to", logs)
    assert alerts("2026-10-08T00:00:00Z", "--checkpoints", str(logs)) == []  # nothing at all is due: exit 0
    stale = alerts("2026-10-08T00:00:01Z", "--checkpoints", str(logs), kind="verify")
    assert [a["level"] for a in stale] == ["stale"] and stale[0]["deadline"].startswith("2026-10-08T00:00:00")
    # A successful verify kept in the log counts as much.
    ok("ledger", "verify", "--checkpoints", logs, "--keep")
    assert alerts("2026-10-15T00:00:01Z", "--checkpoints", str(logs), kind="verify") == []
    CLOCK.set("2026-10-08T00:00:01Z")
    # Deliveries, and no result of X's compliance jobs for 30 days after them.
    CLOCK.set("2026-10-01T00:00:00Z")  # (alerts --at moved the test's clock: nothing was recorded since)
    ok("export", PAGES, "--to", "uni", "-o", ledger / "d1")
    assert levels("2026-10-31T00:00:00Z", "compliance", "--checkpoints", str(logs)) == {}
    assert levels("2026-10-31T00:00:01Z", "compliance", "--checkpoints", str(logs)) == {"compliance": "none"}
    first = (ledger / "d1" / "post_ids.txt").read_text().split()[0]
    (ledger / "n.jsonl").write_text(json.dumps({"id": first, "action": "delete", "reason": "deleted"}) + "\n")
    CLOCK.set("2026-11-01T00:00:00Z")
    ok("notice", "add", ledger / "n.jsonl", "--kind", "post")
    assert levels("2026-11-30T00:00:00Z", "compliance", "--checkpoints", str(logs)) == {}
    assert levels("2026-12-01T00:00:01Z", "compliance", "--checkpoints", str(logs)) == {"compliance": "stale"}


def test_thresholds_come_from_the_settings_file(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (ledger / "past.csv").write_text("at,entity,post_ids\n2026-10-01T00:00:00Z,d73,800000\n")
    ok("ledger", "import", ledger / "past.csv")
    assert levels("2026-10-01T00:00:00Z", "cap") == {}
    own = ledger / "alerts.toml"
    own.write_text('[profile."x-developer-policy"]\ncap_levels = [0.5, 0.99]\n')
    monkeypatch.setenv("QUOTA_ALERT_SETTINGS", str(own))
    assert levels("2026-10-01T00:00:00Z", "cap") == {"d73": "50 %"}
    for bad, said in (("cap_levels = [0, 1]", "must be numbers above 0"), ("caps = [1]", "is not a setting"),
                      ("cap_levels = [", "are not TOML"), ("drawn_above = true", "must be a number")):  # fmt: skip
        own.write_text(f"[default]\n{bad}\n")
        r = quota("alerts")
        assert r.exit_code == 2 and said in r.stderr, (bad, r.stderr)


def test_the_upload_file_holds_every_distinct_id_delivered_in_the_period(ledger: Path) -> None:
    ok("person", "add", "ana", "--entity", "uni")
    ok("export", PAGES, "--to", "uni", "-o", ledger / "d1", "--ids", "post,user")
    CLOCK.set("2026-10-05T00:00:00Z")
    ok("export", PAGES, "--to", "a80", "-o", ledger / "d2", "--ids", "post")  # the same posts again
    ok("manual", FLAT, "--person", "ana", "-o", ledger / "ana.xlsx", "--no-users")
    delivered = set((ledger / "d1" / "post_ids.txt").read_text().split())
    manual = json.loads(ok("sql", "SELECT id FROM delivered_ids WHERE basis = 'manual' AND kind = 'post'", "--json"))
    manual_posts = {str(r["id"]) for r in manual}
    assert manual_posts
    ok("notice", "upload-file", "--kind", "post", "-o", ledger / "up.txt")
    lines = (ledger / "up.txt").read_text().splitlines()
    assert lines == sorted(delivered | manual_posts, key=int) and len(lines) == len(set(lines))
    ok("notice", "upload-file", "--kind", "user", "-o", ledger / "users.txt")
    assert (ledger / "users.txt").read_text().split() == sorted(
        (ledger / "d1" / "user_ids.txt").read_text().split(), key=int)  # fmt: skip
    ok("notice", "upload-file", "--kind", "post", "--since", "2026-10-05T00:00:00Z", "-o", ledger / "since.txt")
    assert (ledger / "since.txt").read_text().splitlines() == sorted(delivered | manual_posts, key=int)
    ok("notice", "upload-file", "--kind", "post", "--since", "2026-10-06T00:00:00Z", "-o", ledger / "none.txt")
    assert (ledger / "none.txt").read_text() == ""
    r = quota("notice", "upload-file", "--kind", "post", "-o", ledger / "no" / "such" / "dir.txt")
    assert r.exit_code == 2 and "cannot write the upload file" in r.stderr
