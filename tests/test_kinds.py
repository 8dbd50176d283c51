"""Only Posts count as Posts: objects of other kinds (Lists, Spaces, compliance jobs, media,
count buckets, usage) are bad input, and deleted posts from an archive are never delivered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TERMS, at, init_acme, quota

pytestmark = pytest.mark.backends

LIST_V2 = {"id": "1234567890123456789", "name": "synthetic list", "owner_id": "99", "member_count": 3}
LIST_V1 = {"id_str": "1234567890123456789", "name": "l", "slug": "l", "member_count": 3, "user": {"id_str": "9"}}
JOB = {"id": "1234567890123456789", "type": "tweets", "status": "created", "upload_url": "https://upload.invalid/x",
       "resumable": False}  # fmt: skip
MEDIA = {"id": "1234567890123456789", "media_key": "3_123", "type": "photo"}
SPACE = {"id": "1zqKVXPQhvZJB", "state": "live", "host_ids": ["1"], "title": "synthetic"}
USERS_RESULT = {"id": "1234567890123456789", "action": "delete", "created_at": "2026-01-01T00:00:00.000Z",
                "redacted_at": "2026-02-01T00:00:00.000Z", "reason": "deactivated"}  # fmt: skip
COUNT = {"end": "2026-11-02T00:00:00.000Z", "start": "2026-11-01T00:00:00.000Z", "tweet_count": 5}
POST = {"id": "1895625031960240129", "text": "a synthetic post", "author_id": "1895625031960240000",
        "edit_history_tweet_ids": ["1895625031960240129"]}  # fmt: skip


def lines(path: Path, *objs: object) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))
    return path


@pytest.mark.parametrize(
    ("obj", "what"),
    [
        ({"data": [LIST_V2], "meta": {"result_count": 1}}, "List object (owner_id, member_count, name)"),
        (LIST_V2, "List object"),
        (LIST_V1, "List object"),
        ({"data": JOB}, "compliance job object (upload_url, resumable, type"),
        ({"data": [MEDIA]}, "media object"),
        ({"data": [SPACE]}, "Space object"),
        (USERS_RESULT, "compliance result object"),
        ({"data": [COUNT], "meta": {"total_tweet_count": 5}}, "count bucket object"),
        ({"data": [{"id": "1234567890123456789"}]}, "object of an unknown kind (id)"),
    ],
)
def test_objects_that_are_not_posts_are_bad_input(tmp_path: Path, obj: dict, what: str) -> None:
    src = lines(tmp_path / "x.jsonl", obj)
    r = quota("strip", src, "-o", "out", "--ids", "post")
    assert r.exit_code == 4 and "line 1" in r.stderr and what in r.stderr, r.stderr
    assert "not a post or a user" in r.stderr and not (tmp_path / "out").exists()


def test_skip_bad_counts_a_list_like_any_bad_line(tmp_path: Path) -> None:
    src = lines(tmp_path / "mixed.jsonl", POST, LIST_V2, POST | {"id": "1895625031960240130"})
    r = quota("strip", src, "-o", "out", "--skip-bad", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["bad_lines"] == 1 and doc["inputs"][0]["first_bad_lines"][0]["line"] == 2
    assert (tmp_path / "out" / "post_ids.txt").read_text().split() == ["1895625031960240129", "1895625031960240130"]


def test_a_list_is_never_exported_or_counted(tmp_path: Path) -> None:
    init_acme(("person", "add", "ana", "--entity", "acme"))
    src = lines(tmp_path / "lists.jsonl", {"data": [LIST_V2, LIST_V2 | {"id": "7"}], "meta": {}})
    before = quota("ledger", "checkpoint").stdout.split()[2]
    r = quota("export", src, "--to", "acme", "-o", "out")
    assert r.exit_code == 4 and "List object" in r.stderr
    r = quota("manual", src, "--person", "ana", "-o", "x.xlsx")
    assert r.exit_code == 4 and "List object" in r.stderr
    assert quota("ledger", "checkpoint").stdout.split()[2] == before


def archive(path: Path, part: str, tweets: list[dict]) -> Path:
    path.write_text(f"window.YTD.{part}.part0 = " + json.dumps([{"tweet": t} for t in tweets], indent=2))
    return path


def test_deleted_posts_from_an_archive_are_never_delivered(tmp_path: Path) -> None:
    tweet = {"id_str": "1895625031960240129", "full_text": "synthetic"}
    src = archive(tmp_path / "deleted-tweets.js", "deleted_tweets", [tweet | {"deleted_at": "2026-01-01"}])
    for args in ((), ("--skip-bad",), ("--format", "archive")):
        r = quota("strip", src, "-o", "out", *args)
        assert r.exit_code == 4 and "deleted" in r.stderr and "may not be redistributed" in r.stderr
    mixed = archive(tmp_path / "tweets.js", "tweets", [tweet, tweet | {"id_str": "7", "deleted_at": "2026-01-01"}])
    r = quota("strip", mixed, "-o", "out", "--skip-bad")
    assert r.exit_code == 4 and "deleted_at" in r.stderr and not (tmp_path / "out").exists()
    fine = archive(tmp_path / "ok.js", "tweets", [tweet])
    assert quota("strip", fine, "-o", "out").exit_code == 0


def test_an_input_with_only_other_kinds_is_refused(tmp_path: Path) -> None:
    users = lines(tmp_path / "users.jsonl", {"id": "11", "username": "synth_a"}, {"id": "12", "username": "synth_b"})
    r = quota("strip", users, "-o", "out")
    assert r.exit_code == 4 and "holds 2 user objects" in r.stderr and "--ids user" in r.stderr
    assert quota("strip", users, "-o", "out", "--ids", "user").exit_code == 0
    account = tmp_path / "account.js"
    account.write_text('window.YTD.account.part0 = [{"account": {"accountId": "42", "username": "synth"}}]')
    r = quota("strip", account, "-o", "acc")
    assert r.exit_code == 4 and "1 user object" in r.stderr and "--ids user" in r.stderr
    # Asking for posts and users of a file of posts without authors asked: still fine.
    assert quota("strip", lines(tmp_path / "p.jsonl", POST), "-o", "p", "--ids", "post,dm").exit_code == 0


USER = {"id": "1895625031960240000", "username": "synth_author"}


def test_declared_kinds_are_recorded_per_kind_and_matched_under_every_kind(tmp_path: Path) -> None:
    init_acme(("entity", "add", "beta", "--name", "Beta"),
              ("entity", "accept-terms", *TERMS, "beta", "--by", "B", "--at", "2026-01-01T00:00:00Z"))  # fmt: skip
    post = POST["id"]
    # acme: typed objects. beta: the same number as a plain list said to be User IDs.
    typed = lines(tmp_path / "p.jsonl", POST, USER)
    r = at("2026-12-01T00:00:00Z", "export", typed, "--to", "acme", "-o", "a", "--ids", "post,user", "--export-id",
           "t1")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    (tmp_path / "said-users.txt").write_text(post + "\n")
    r = at("2026-12-01T01:00:00Z", "export", "said-users.txt", "--to", "beta", "-o", "b", "--ids", "user",
           "--export-id", "d1")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["sources"] == {"post": "typed", "user": "typed"}
    doc = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert doc["sources"] == {"user": "declared"} and doc["totals"]["user"]["source"] == "declared"
    assert doc["inputs"][0]["declared"] is True
    assert json.loads(quota("ledger", "show", "d1", "--json").stdout)["sources"] == {"user": "declared"}
    assert "user:declared" in quota("ledger", "show", "d1").stdout
    assert json.loads(quota("ledger", "show", "t1", "--json").stdout)["sources"] == {"post": "typed", "user": "typed"}
    r = quota("sql", "SELECT export_id, post_source, user_source FROM exports ORDER BY export_id", "--json")
    assert json.loads(r.stdout) == [
        {"export_id": "d1", "post_source": None, "user_source": "declared"},
        {"export_id": "t1", "post_source": "typed", "user_source": "typed"},
    ]
    # who-received of the post: acme as a post (typed), beta too, marked declared.
    got = json.loads(quota("who-received", post, "--kind", "post", "--json").stdout)
    assert [(g["export_id"], g["kind"], g["declared"]) for g in got] == [("t1", "post", False), ("d1", "user", True)]
    # A typed user entry is not found by a post lookup: the author's ID reaches acme only as a user.
    got = json.loads(quota("who-received", USER["id"], "--kind", "post", "--json").stdout)
    assert got == []
    # A post deletion notice reaches beta too, and says it matched a declared kind.
    result = lines(tmp_path / "r.jsonl", {"id": post, "action": "delete", "reason": "deleted"})
    added = json.loads(at("2026-12-05T00:00:00Z", "notice", "add", result, "--kind", "post", "--json").stdout)
    assert [(a["entity"], a["declared"]) for a in added] == [("acme", False), ("beta", True)]
    shown = json.loads(quota("notice", "show", added[0]["notice_id"], "--json").stdout)
    assert [(s["entity"], s["declared"]) for s in shown] == [("acme", False), ("beta", True)]
    listed = json.loads(quota("notice", "list", "--json").stdout)[0]["entities"]
    assert [(e["entity"], e["declared"]) for e in listed] == [("acme", False), ("beta", True)]
    assert quota("ledger", "verify").exit_code == 0
    # The report lists both distributions with their kinds' sources.
    r = quota("report", "-o", "r.json", "--format", "json", "--since", "2026-11-15", "--until", "2026-12-30")
    assert r.exit_code == 0, r.stderr
    dist = {d["export_id"]: d["sources"] for d in json.loads((tmp_path / "r.json").read_text())["distributions"]}
    assert dist == {"t1": {"post": "typed", "user": "typed"}, "d1": {"user": "declared"}}
    assert quota("report", "-o", "r.html", "--since", "2026-11-15", "--until", "2026-12-30").exit_code == 0
    assert "user declared" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize(
    ("header", "rows", "args", "source"),
    [
        ("id,text,author_id", ["1,a,2"], ("--ids", "post"), "typed"),  # twarc-csv: says it holds posts
        ("id,username", ["3,synth"], ("--ids", "user"), "typed"),
        ("id,score", ["1,9"], ("--ids", "post"), "declared"),  # nothing says what the IDs are
        ("uid,text,author_id", ["1,a,2"], ("--ids", "user", "--id-column", "uid"), "declared"),
    ],
)
def test_csv_columns_say_or_do_not_say_the_kind(tmp_path: Path, header: str, rows: list[str], args, source) -> None:
    (tmp_path / "in.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    r = quota("strip", "in.csv", "-o", "out", *args)
    assert r.exit_code == 0, r.stderr
    doc = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert list(doc["sources"].values()) == [source]


def test_a_typed_and_a_declared_input_together_make_the_kind_declared(tmp_path: Path) -> None:
    (tmp_path / "more.txt").write_text("5\n")
    r = quota("strip", lines(tmp_path / "p.jsonl", POST), "more.txt", "-o", "out", "--ids", "post")
    assert r.exit_code == 0, r.stderr
    doc = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert doc["sources"] == {"post": "declared"} and [i["declared"] for i in doc["inputs"]] == [False, True]
