"""Compliance answers: who-received, deletion notices with their 24-hour clock, read-only SQL."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import (
    CLOCK,
    EARLY,
    SAMPLES,
    TERMS,
    Backend,
    Templates,
    at,
    build_once,
    docs_text,
    quota,
    world_copy,
)

from quota.store.session import Session
from quota.store.sqlfiles import views as view_files

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"
AT1 = "2026-11-01T10:00:00Z"


def ids_in(path: Path) -> list[str]:
    return path.read_text().split()


@pytest.fixture(scope="module")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per module; each test gets its own copy, on its backend."""
    return build_once(tmp_path_factory, "world", build_world)


@pytest.fixture
def world(
    world_template: Path, tmp_path: Path, backend: Backend, templates: Templates, monkeypatch: pytest.MonkeyPatch
) -> Path:
    return world_copy(world_template, tmp_path, backend, templates, monkeypatch)


def build_world(tmp_path: Path) -> None:
    """acme got v2_pages (posts and users), beta got 3 of those posts plus one released export,
    ana (acme) got a manual spreadsheet; one of beta's exports was voided."""
    CLOCK.set(EARLY)
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme"),
        ("entity", "accept-terms", *TERMS, "acme", "--by", "Jo", "--at", "2026-01-01T00:00:00Z"),
        ("entity", "add", "beta", "--name", "Beta"),
        ("entity", "accept-terms", *TERMS, "beta", "--by", "Bo", "--at", "2026-01-01T00:00:00Z"),
        ("person", "add", "ana", "--entity", "acme"),
    ):
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
    for when, *args in (
        (AT1, "export", PAGES, "--to", "acme", "-o", "acme1", "--ids", "post,user", "--export-id", "a1"),
    ):
        r = at(when, *args)
        assert r.exit_code == 0, (args, r.stderr)
    posts = ids_in(tmp_path / "acme1" / "post_ids.txt")
    (tmp_path / "three.txt").write_text("\n".join(posts[:3]) + "\n")
    (tmp_path / "one.txt").write_text(posts[5] + "\n")
    for when, *args in (
        ("2026-11-02T10:00:00Z", "export", "three.txt", "--to", "beta", "-o", "beta1", "--export-id", "b1"),
        ("2026-11-02T11:00:00Z", "export", "one.txt", "--to", "beta", "-o", "beta2", "--export-id", "b2"),
        ("2026-11-02T12:00:00Z", "ledger", "void", "b2", "--reason", "recorded for the wrong entity", "--by", "C Officer"),
        ("2026-11-03T09:00:00Z", "manual", SAMPLES / "v2_flat.jsonl", "--person", "ana", "-o", "ana.xlsx",
         "--export-id", "m1", "--no-users"),
    ):  # fmt: skip
        r = at(when, *args)
        assert r.exit_code == 0, (args, r.stderr)


def test_who_received_lists_every_delivery(world: Path) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    r = quota("who-received", posts[0], posts[5], "999", "--json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    columns = ["id", "kind", "export_id", "entity", "person", "at", "basis", "declared", "state", "void_reason",
               "voided_by"]  # fmt: skip
    assert all(list(row) == columns for row in rows)
    got = [(row["id"], row["export_id"], row["entity"], row["state"]) for row in rows]
    # posts[5] went to beta too, in b2, which was voided: it stops counting toward the cap, but
    # its IDs may have been handed over, so it is still found (the released export is not).
    assert sorted(got) == sorted([
        (posts[0], "a1", "acme", "committed"), (posts[0], "b1", "beta", "committed"),
        (posts[5], "a1", "acme", "committed"), (posts[5], "b2", "beta", "void"),
    ])  # fmt: skip
    assert "2 of 3 IDs were delivered to someone" in r.stderr
    assert rows[0]["at"] == "2026-11-01T10:00:00.000000Z" and rows[0]["kind"] == "post"


def test_who_received_from_files_and_by_kind(world: Path) -> None:
    users = ids_in(world / "acme1" / "user_ids.txt")
    (world / "users.txt").write_text("\n".join(users[:4]) + "\n")
    r = quota("who-received", "--file", "users.txt", "--csv")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "id,kind,export_id,entity,person,at,basis,declared,state,void_reason,voided_by"
    assert len(lines) == 5 and all(line.endswith(",false,committed,,") for line in lines[1:])
    assert quota("who-received", "--file", "users.txt", "--kind", "post", "--json").stdout.strip() == "[]"
    # Any format strip reads: the manual spreadsheet's posts came from v2_flat.jsonl.
    r = quota("who-received", "--file", SAMPLES / "v2_flat.jsonl", "--json")
    rows = json.loads(r.stdout)
    assert rows and {row["export_id"] for row in rows} >= {"m1"}
    assert {row["basis"] for row in rows if row["export_id"] == "m1"} == {"manual"}
    assert {row["person"] for row in rows if row["export_id"] == "m1"} == {"ana"}
    r = quota("who-received", "12x")
    assert r.exit_code == 2 and "12x" in r.stderr


def notice_file(path: Path, ids: list[str], reason: str = "deleted") -> Path:
    with open(path, "w") as f:
        for i in ids:
            f.write(json.dumps({"id": i, "action": "delete", "created_at": "2025-03-01T00:00:00.000Z",
                                "redacted_at": "2026-11-04T00:00:00.000Z", "reason": reason}) + "\n")  # fmt: skip
    return path


def test_notice_add_show_sent_list(world: Path) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    src = notice_file(world / "c1.jsonl", [posts[0], posts[1], posts[5], "12345"])
    r = at("2026-11-05T08:00:00Z", "notice", "add", src, "--kind", "post", "--json")
    assert r.exit_code == 0, r.stderr
    added = json.loads(r.stdout)
    assert [(a["entity"], a["ids"], a["deadline"]) for a in added] == [
        ("acme", 3, "2026-11-06T08:00:00.000000Z"),
        ("beta", 3, "2026-11-06T08:00:00.000000Z"),  # posts[5] came in b2: voided, but handed over
    ]
    notice_id = added[0]["notice_id"]
    again = quota("notice", "add", src, "--kind", "post")
    assert again.exit_code == 2 and f"already recorded as notice {notice_id}" in again.stderr

    r = quota("notice", "show", notice_id, "-o", "send", "--json")
    rows = json.loads(r.stdout)
    assert {(row["entity"], row["id"], row["export_ids"]) for row in rows} == {
        ("acme", posts[0], "a1"), ("acme", posts[1], "a1"), ("acme", posts[5], "a1"),
        ("beta", posts[0], "b1"), ("beta", posts[1], "b1"), ("beta", posts[5], "b2"),
    }  # fmt: skip
    beta_file = (world / "send" / f"{notice_id}-beta.csv").read_text().splitlines()
    assert beta_file[:3] == [
        "id,kind,action,reason",
        f"{posts[0]},post,delete,deleted",
        f"{posts[1]},post,delete,deleted",
    ]
    assert beta_file[3:] == [f"{posts[5]},post,delete,deleted"]

    before = datetime(2026, 11, 6, 7, 0, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    listing = json.loads(quota("notice", "list", "--at", before, "--json").stdout)
    assert list(listing[0]) == [
        "notice_id", "received_at", "deadline", "overdue", "void", "entities", "backdated", "void_reason", "voided_by"
    ]  # fmt: skip
    assert list(listing[0]["entities"][0]) == [
        "entity", "ids", "told_at", "late", "declared", "backdated", "acked_at", "acked_by",
    ]  # fmt: skip
    assert listing[0]["overdue"] is False
    assert [e["entity"] for e in listing[0]["entities"]] == ["acme", "beta"]
    assert quota("notice", "list", "--check", "--at", before).exit_code == 0
    after = "2026-11-06T08:00:01Z"
    r = quota("notice", "list", "--check", "--at", after, "--json")
    assert r.exit_code == 3 and json.loads(r.stdout)[0]["overdue"] is True and "overdue" in r.stderr

    assert at("2026-11-05T09:00:00Z", "notice", "sent", notice_id, "--entity", "acme").exit_code == 0
    assert "already recorded" in quota("notice", "sent", notice_id, "--entity", "acme").stderr
    r = quota("notice", "sent", notice_id, "--entity", "nobody")
    assert r.exit_code == 2
    r = quota("notice", "sent", notice_id, "--entity", "beta", "--at", "2026-11-04T00:00:00Z", "--evidence", src)
    assert r.exit_code == 2 and "before the notice was received" in r.stderr
    entities = json.loads(quota("notice", "list", "--at", after, "--json").stdout)[0]["entities"]
    assert [(e["entity"], e["told_at"]) for e in entities] == [
        ("acme", "2026-11-05T09:00:00.000000Z"),
        ("beta", None),
    ]
    assert at("2026-11-06T09:00:00Z", "notice", "sent", notice_id, "--entity", "beta").exit_code == 0
    assert json.loads(quota("notice", "list", "--at", after, "--json").stdout) == []  # all told: closed
    assert quota("notice", "list", "--check", "--at", after).exit_code == 0
    assert len(json.loads(quota("notice", "list", "--all", "--json").stdout)) == 1
    assert quota("ledger", "verify").exit_code == 0


def test_overdue_notices_come_first(world: Path) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    late = notice_file(world / "late.jsonl", [posts[10]])
    early = notice_file(world / "early.jsonl", [posts[11]])
    assert at("2026-11-08T00:00:00Z", "notice", "add", early, "--kind", "post").exit_code == 0
    assert at("2026-11-10T00:00:00Z", "notice", "add", late, "--kind", "post").exit_code == 0
    rows = json.loads(quota("notice", "list", "--at", "2026-11-09T12:00:00Z", "--json").stdout)
    assert [(n["received_at"][:10], n["overdue"]) for n in rows] == [("2026-11-08", True), ("2026-11-10", False)]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": 1.5e18, "action": "delete", "reason": "deleted"}', "floating-point"),
        ('{"id": "12", "action": "delete", "reason": "vanished"}', "reason 'vanished'"),
        ('{"id": "12", "action": "delete"}', "reason None"),
        ('{"id": "12", "action": "delete", "reason": "deleted"', "invalid JSON"),
    ],
)
def test_bad_notice_lines_record_nothing(world: Path, line: str, problem: str) -> None:
    src = world / "bad.jsonl"
    src.write_text('{"id": "7", "action": "delete", "reason": "deleted"}\n' + line + "\n")
    events = json.loads(quota("ledger", "verify", "--json").stdout)["events"]
    r = quota("notice", "add", src, "--kind", "post")
    assert r.exit_code == 4 and "bad.jsonl, line 2" in r.stderr and problem in r.stderr, r.stderr
    assert json.loads(quota("ledger", "verify", "--json").stdout)["events"] == events


def test_user_notices_take_user_reasons(world: Path) -> None:
    users = ids_in(world / "acme1" / "user_ids.txt")
    src = notice_file(world / "u.jsonl", users[:2], reason="deactivated")
    r = quota("notice", "add", src, "--kind", "post", "--kind", "user", "--json")
    assert r.exit_code == 0, r.stderr
    assert [(a["entity"], a["ids"]) for a in json.loads(r.stdout)] == [("acme", 2)]


def test_verify_catches_edited_notice_ids(world: Path, backend: Backend) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    assert quota("notice", "add", "--kind", "post", notice_file(world / "c.jsonl", posts[:2])).exit_code == 0
    backend.raw(
        "UPDATE deletion_notice_ids SET reason = 'protected' WHERE id = (SELECT min(id) FROM deletion_notice_ids)"
    )
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "differ from those its event recorded" in r.stderr


# ------------------------------------------------------------------ sql


def test_every_documented_view_answers(world: Path) -> None:
    readme = docs_text()
    assert [n for n, _ in view_files("duckdb")] == [n for n, _ in view_files("postgres")]
    for name, _ in view_files("duckdb"):
        assert f"`{name}`" in readme, f"view {name} is not described in the README"
        r = quota("sql", f"SELECT * FROM {name}", "--json")
        assert r.exit_code == 0, (name, r.stderr)
    rows = json.loads(
        quota("sql", "SELECT entity, count(*) AS n FROM delivered_ids GROUP BY entity ORDER BY 1", "--json").stdout
    )
    assert rows == [{"entity": "acme", "n": 118 + 105 + 60}, {"entity": "beta", "n": 3 + 1}]  # b2: void, still held
    r = quota("sql", "-", "--csv", input='SELECT entity, used FROM usage_30d ORDER BY "at"')
    assert r.exit_code == 0 and r.stdout.splitlines()[:2] == ["entity,used", "acme,118"]


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO entities VALUES ('x', 'x', 'x', 99)",
        "/* just a look */ dElEtE FROM events",
        "SELECT 1; DROP TABLE events",
        "-- comment\nUPDATE reservations SET post_ids = 0",
        "ATTACH '/tmp/other.duckdb' AS other",
        "COPY events TO 'events.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_text('ledger.duckdb')",
        "SELECT * FROM 'events.parquet'",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "LOAD httpfs",
        "PRAGMA enable_profiling",
        "CREATE TEMP TABLE t AS SELECT 1",
        "EXPORT DATABASE 'dump'",
        "CHECKPOINT",
        "CALL pragma_version()",
        "SELECT * FROM glob('*')",
        "WITH x AS (SELECT 1) SELECT * FROM read_json('x.json')",
    ],
)
@pytest.mark.duckdb_only
def test_sql_refuses_anything_but_reading_the_ledger(world: Path, query: str) -> None:
    before = hashlib.sha256((world / "ledger.duckdb").read_bytes()).hexdigest()
    # A query starting with "--" would read as an option: such a query comes on stdin.
    r = quota("sql", "-", input=query) if query.startswith("-") else quota("sql", query)
    assert r.exit_code == 2, (query, r.stdout, r.stderr)
    assert r.stderr.startswith("quota: ") and "Traceback" not in r.stderr
    assert hashlib.sha256((world / "ledger.duckdb").read_bytes()).hexdigest() == before
    assert not (world / "events.csv").exists() and not (world / "dump").exists()


def test_views_follow_the_profile(world: Path) -> None:
    with Session.open(None) as ledger:
        ledger.views()
        cap = ledger.query("SELECT DISTINCT cap FROM usage_30d")
    assert cap == [{"cap": 1_500_000}]


def test_report_json_numbers_match_the_ledger(world: Path) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    assert at("2026-11-05T08:00:00Z", "notice", "add", "--kind", "post", notice_file(world / "c.jsonl", posts[:2]))\
        .exit_code == 0  # fmt: skip
    r = at("2026-11-20T00:00:00Z", "report", "-o", "r.json", "--format", "json", "--since", "2026-10-01", "--until",
           "2026-11-20")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    doc = json.loads((world / "r.json").read_text())
    usage = {u["entity"]: u for u in json.loads(quota("usage", "--at", "2026-11-20T00:00:00Z", "--json").stdout)}
    for e in doc["entities"]:
        assert (e["used"], e["cap"], e["headroom"]) == (
            usage[e["entity"]]["used"], usage[e["entity"]]["cap"], usage[e["entity"]]["headroom"],
        )  # fmt: skip
    acme = next(e for e in doc["entities"] if e["entity"] == "acme")
    # Every day of the period: nothing before the export on 2026-11-01 10:00, 118 from then on.
    days = acme["series"]
    assert len(days) == 51 and days[0]["day"] == "2026-10-01T00:00:00.000000Z"
    assert {d["used"] for d in days if d["day"] < "2026-11-01"} == {0}
    assert {d["used"] for d in days if d["day"] >= "2026-11-01"} == {118} and {d["cap"] for d in days} == {1_500_000}
    assert doc["ledger"]["verified"] is True and doc["overdue_notices"] == 1
    assert doc["manual"][0]["objects"] == 60 and doc["manual"][0]["peak_24h"] == 60
    head = json.loads(quota("ledger", "verify", "--json").stdout)["head"]
    assert doc["ledger"]["head"] == head
    assert datetime.fromisoformat(doc["since"].replace("Z", "+00:00")) == datetime(2026, 10, 1, tzinfo=UTC)
    assert timedelta(0) < datetime.now(UTC) - datetime.fromisoformat(doc["generated_at"].replace("Z", "+00:00"))


def test_notice_times_cannot_be_in_the_future(world: Path) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    src = notice_file(world / "c.jsonl", posts[:1])
    r = quota("notice", "add", src, "--kind", "post", "--received-at", "2099-01-01T00:00:00Z")
    assert r.exit_code == 2 and "in the future" in r.stderr
    added = json.loads(quota("notice", "add", src, "--kind", "post", "--json").stdout)
    r = quota("notice", "sent", added[0]["notice_id"], "--entity", "acme", "--at", "2099-01-01T00:00:00Z")
    assert r.exit_code == 2 and "in the future" in r.stderr


def test_the_notice_deadline_comes_from_the_profile(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from quota.policy import DEFAULT_PROFILE, PROFILES

    twelve = dataclasses.replace(PROFILES[DEFAULT_PROFILE], notice_deadline=timedelta(hours=12))
    monkeypatch.setitem(PROFILES, DEFAULT_PROFILE, twelve)
    posts = ids_in(world / "acme1" / "post_ids.txt")
    src = notice_file(world / "c12.jsonl", posts[:1])
    r = at("2026-11-05T08:00:00Z", "notice", "add", src, "--kind", "post", "--json")
    assert r.exit_code == 0, r.stderr
    assert {a["deadline"] for a in json.loads(r.stdout)} == {"2026-11-05T20:00:00.000000Z"}
    shown = json.loads(quota("policy", "show", "--json").stdout)
    assert {p["profile"]: p["notice_deadline_hours"] for p in shown}[DEFAULT_PROFILE] == 12


def test_notice_add_needs_the_kind_and_takes_every_reason_x_gives(tmp_path: Path) -> None:
    assert quota("init").exit_code == 0
    src = tmp_path / "result.jsonl"
    src.write_text(json.dumps({"id": "1895625031960240129", "action": "delete", "reason": "deactivated"}) + "\n")
    r = quota("notice", "add", src)
    assert r.exit_code == 2 and "--kind" in r.stderr and "post" in r.stderr and "user" in r.stderr
    assert quota("notice", "add", src, "--kind", "post").exit_code == 0  # a real tweets-job reason
    odd = tmp_path / "odd.jsonl"
    odd.write_text(json.dumps({"id": "1895625031960240129", "action": "delete", "reason": "vanished"}) + "\n")
    r = quota("notice", "add", odd, "--kind", "post")
    assert r.exit_code == 4 and "'vanished'" in r.stderr


def test_the_jobs_own_json_gives_the_kind(tmp_path: Path) -> None:
    assert quota("init").exit_code == 0
    job = {"type": "users", "id": "1423095206576984067", "resumable": False, "status": "complete",
           "upload_url": "https://upload.invalid/u", "download_url": "https://download.invalid/d",
           "created_at": "2026-11-01T00:00:00.000Z"}  # fmt: skip
    (tmp_path / "job.json").write_text(json.dumps({"data": job}, indent=2))  # as X returns it, pretty-printed
    src = tmp_path / "result.jsonl"
    # `bounced` is a reason X gives only for posts: as a users job's result it is refused.
    src.write_text(json.dumps({"id": "1895625031960240129", "action": "delete", "reason": "bounced"}) + "\n")
    r = quota("notice", "add", src, "--job", "job.json")
    assert r.exit_code == 4 and "not one X gives for users" in r.stderr
    src.write_text(json.dumps({"id": "1895625031960240129", "action": "delete", "reason": "suspended"}) + "\n")
    r = quota("notice", "add", src, "--job", "job.json", "--kind", "post")
    assert r.exit_code == 2 and "contradicts" in r.stderr and "users job" in r.stderr
    assert quota("notice", "add", src, "--job", "job.json").exit_code == 0
    listed = quota("sql", "SELECT kind FROM deletion_notices", "--json")
    assert json.loads(listed.stdout) == [{"kind": "user"}]
    body = json.loads(quota("sql", "SELECT body FROM events WHERE kind = 'notice'", "--json").stdout)[0]["body"]
    assert json.loads(body)["job_id"] == job["id"]
    # The job's JSON given as the result: refused with what to do instead.
    r = quota("notice", "add", "job.json", "--kind", "user")
    assert r.exit_code == 4 and "compliance job, not its result" in r.stderr
    (tmp_path / "odd.json").write_text(json.dumps({"data": job | {"type": "spaces"}}))
    assert quota("notice", "add", src, "--job", "odd.json").exit_code == 4


def test_a_wrong_notice_is_voided_and_added_again_and_late_tellings_stay_visible(world: Path) -> None:
    posts = ids_in(world / "acme1" / "post_ids.txt")
    src = notice_file(world / "c.jsonl", posts[:2])
    added = json.loads(at("2026-11-05T08:00:00Z", "notice", "add", src, "--kind", "user", "--json").stdout)
    # As User IDs it reaches only beta, whose Post IDs came as a plain list: their kind was the
    # operator's word (declared), so they match a notice of any kind; acme's posts were typed.
    assert [(a["entity"], a["declared"]) for a in added] == [("beta", True)]
    wrong = json.loads(quota("notice", "list", "--all", "--json").stdout)[-1]["notice_id"]
    assert quota("notice", "add", src, "--kind", "post").exit_code == 2  # already recorded
    r = quota("notice", "void", wrong, "--reason", "a tweets job, recorded as users")
    assert r.exit_code == 0, r.stderr
    assert quota("notice", "void", wrong, "--reason", "again").exit_code == 2
    # The same file, added again after its void: its deadline still runs from the first receipt.
    r = at("2026-11-05T20:00:00Z", "notice", "add", src, "--kind", "post", "--json")
    assert r.exit_code == 0, r.stderr
    assert {a["deadline"] for a in json.loads(r.stdout)} == {"2026-11-06T08:00:00.000000Z"}
    right = json.loads(r.stdout)[0]["notice_id"]
    listing = {n["notice_id"]: n for n in json.loads(quota("notice", "list", "--all", "--json").stdout)}
    assert listing[wrong]["void"] is True and listing[wrong]["overdue"] is False
    assert wrong not in {n["notice_id"] for n in json.loads(quota("notice", "list", "--json").stdout)}
    entity = listing[right]["entities"][0]["entity"]
    assert at("2026-11-07T00:00:00Z", "notice", "sent", right, "--entity", entity).exit_code == 0
    told = {e["entity"]: e for e in json.loads(quota("notice", "list", "--all", "--json").stdout)
            if e["notice_id"] == right for e in e["entities"]}  # fmt: skip
    assert told[entity]["late"] is True  # told 40 hours after receipt: late, and it stays visible
    r = quota("report", "-o", "r.json", "--format", "json", "--since", "2026-11-01", "--until", "2026-11-30")
    assert r.exit_code == 0, r.stderr
    late = json.loads((world / "r.json").read_text())["late_notices"]
    assert [(n["notice_id"], n["entity"], n["told_at"]) for n in late] == [
        (right, entity, "2026-11-07T00:00:00.000000Z")
    ]
    assert quota("report", "-o", "r.html", "--since", "2026-11-01", "--until", "2026-11-30").exit_code == 0
    html = (world / "r.html").read_text()
    assert 'id="late" data-value="1"' in html and f'<tr class="late"><td>{right}</td>' in html
    assert quota("ledger", "verify").exit_code == 0


def readme_sql() -> list[tuple[str, str]]:
    """Every `quota sql` example of the README: (query, format option), one-line or heredoc."""
    import re
    import shlex

    text = docs_text()
    found = []
    for m in re.finditer(r"^quota sql - (--\w+)? ?<<'SQL'\n(.*?)\nSQL$", text, re.M | re.S):
        found.append((m.group(2), m.group(1) or ""))
    for line in re.findall(r"^quota sql [\"'].*$", text, re.M):
        args = shlex.split(line.split("  #")[0])
        found.append((args[2], " ".join(args[3:])))
    return found


def test_the_readmes_sql_examples_run_on_both_backends(world: Path) -> None:
    examples = readme_sql()
    assert len(examples) >= 5 and any('"at"' in q for q, _ in examples)
    for query, fmt in examples:
        r = quota("sql", query, *fmt.split())
        assert r.exit_code == 0 and r.stdout.strip(), (query, r.stderr)
    # The bare word is DuckDB's reserved one: the README says to quote it, and why.
    bare = quota("sql", "SELECT count(*) FROM exports WHERE at > TIMESTAMP '2026-01-01 00:00:00'")
    assert bare.exit_code in (0, 2) and "Traceback" not in bare.stderr
