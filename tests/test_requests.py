"""`quota request ...`: the researcher's path end to end, on every backend, and what verify
checks of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, TERMS, Backend, Clock, ids_of, quota
from oracle_posts import posts_of

from quota.store.session import Session

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"
FLAT = SAMPLES / "v2_flat.jsonl"


def ok(*args: object) -> str:
    r = quota(*args)
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


def setup(t: Path, posts: int, users: int = 1000) -> None:
    for args in (
        ("init",),
        ("entity", "add", "uni", "--name", "A University", "--kind", "academic"),
        ("entity", "accept-terms", *TERMS, "uni", "--by", "R Smith", "--at", "2026-11-01T00:00:00Z"),
        ("person", "add", "rsmith", "--entity", "uni", "--name", "R Smith"),
        ("exemption", "add", "ACAD", "--entity", "uni", "--kind", "academic", "--approved-on", "2026-09-01",
         "--from", "2026-09-01", "--until", "2027-09-01", "--post-ids", str(posts), "--user-ids", str(users)),
        ("dataset", "add", "demo", PAGES, FLAT, "--title", "Demo posts", "--description", "Two sample files",
         "--collected-with", "twarc2 search", "--citation", "Data Team (2026). Demo posts."),
    ):  # fmt: skip
        ok(*args)


def submit(*args: object) -> dict:
    return json.loads(ok("request", "submit", "--dataset", "demo", "--person", "rsmith", *args, "--json"))


@pytest.fixture
def ledger(tmp_path: Path, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_researchers_path_end_to_end(ledger: Path) -> None:
    posts = posts_of(PAGES, FLAT)
    tagged = sorted((p for p in posts.values() if "data" in p["tags"]), key=lambda p: int(p["id"]))
    english = [p for p in posts.values() if p["lang"] in ("en", "de")]
    assert len(tagged) > 40 and len(english) > 20
    setup(ledger, posts=len(english) + 40)

    # A request under the exemption, approved by someone else, delivered whole with --fit.
    first = submit("--exemption", "ACAD", "--lang", "EN", "--lang", "de", "--purpose", "language study")
    assert (first["state"], first["post_ids"], first["fits"], first["basis"]) == (
        "submitted", len(english), True, "exemption",
    )  # fmt: skip
    r1 = first["request_id"]
    assert quota("request", "deliver", r1, "-o", "early").exit_code == 3  # not approved yet
    assert quota("request", "approve", r1, "--by", "R Smith").exit_code == 3  # the researcher
    ok("request", "approve", r1, "--by", "C Officer", "--note", "within ACAD")
    ok("request", "deliver", r1, "-o", "d1", "--fit")
    assert set(ids_of(ledger / "d1" / "post_ids.txt")) == {p["id"] for p in english}
    shown = json.loads(ok("request", "show", r1, "--json"))
    assert list(shown)[:10] == [
        "request_id", "state", "dataset", "person", "entity", "exemption", "requested_post_ids",
        "delivered_post_ids", "left_post_ids", "export_ids",
    ]  # fmt: skip
    assert (shown["state"], shown["delivered_post_ids"], shown["left_post_ids"]) == ("delivered", len(english), 0)

    # A second request: more than the exemption has left, so refused with the numbers...
    second = submit("--exemption", "ACAD", "--hashtag", "#DATA", "--ids", "post,user", "--purpose", "hashtags")
    r2 = second["request_id"]
    assert (second["post_ids"], second["fits"]) == (len(tagged), False)
    assert second["user_ids"] == len({p["author"] for p in tagged})
    ok("request", "approve", r2, "--by", "C Officer")
    refused = quota("request", "deliver", r2, "-o", "d2")
    assert refused.exit_code == 3
    assert f"approved {len(english) + 40:,}, used {len(english):,}, remaining 40" in refused.stderr
    assert not (ledger / "d2").exists()
    # ...then delivered with --fit: the 40 oldest, with their authors, and what was left recorded.
    done = json.loads(ok("request", "deliver", r2, "-o", "d2", "--fit", "--json"))
    assert (done["post_ids"], done["state"], done["left_post_ids"]) == (40, "partly-delivered", len(tagged) - 40)
    assert ids_of(ledger / "d2" / "post_ids.txt") == [p["id"] for p in tagged[:40]]
    assert set(ids_of(ledger / "d2" / "user_ids.txt")) == {p["author"] for p in tagged[:40]}
    readme = (ledger / "d2" / "README.md").read_text()
    assert f"request {r2} of rsmith (hashtags)" in readme and "posts with the hashtag #data" in readme
    assert "Demo posts" in readme and (ledger / "d2" / "CITATION.cff").exists()
    assert str(SAMPLES) not in readme and str(SAMPLES) not in (ledger / "d2" / "manifest.json").read_text()
    entry = json.loads((ledger / "d2" / "manifest.json").read_text())["export"]
    assert (entry["request"], entry["exemption"], entry["basis"]) == (r2, "ACAD", "exemption")

    # A void of a delivery marks it and frees nothing: X approved what the researcher already holds.
    ok("ledger", "void", shown["export_ids"][0], "--reason", "sent to the wrong folder", "--by", "C Officer")
    assert json.loads(ok("request", "show", r1, "--json"))["state"] == "delivered"
    drawn = json.loads(ok("exemption", "show", "ACAD", "--json"))
    assert (drawn["used_post_ids"], drawn["remaining_post_ids"]) == (len(english) + 40, 0)
    refused = quota("request", "deliver", r2, "-o", "d3")
    assert refused.exit_code == 3 and "remaining 0" in refused.stderr and not (ledger / "d3").exists()
    listed = json.loads(ok("request", "list", "--state", "delivered", "--json"))
    assert [r["request_id"] for r in listed] == [r1]
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_a_request_goes_out_in_parts_as_the_window_frees_and_none_twice(ledger: Path, clock: Clock) -> None:
    posts = posts_of(PAGES, FLAT)
    tagged = sorted((p for p in posts.values() if "data" in p["tags"]), key=lambda p: int(p["id"]))
    setup(ledger, posts=1000)
    (ledger / "past.csv").write_text(f"at,entity,post_ids\n2026-11-02T00:00:00Z,uni,{1_500_000 - 40}\n")
    ok("ledger", "import", "past.csv")
    # Under the 30-day cap (no exemption): 40 Post IDs of room left now.
    asked = submit("--hashtag", "data", "--ids", "post,user", "--purpose", "hashtags")
    assert (asked["fits"], asked["basis"]) == (False, "cap")
    r = asked["request_id"]
    ok("request", "approve", r, "--by", "C Officer")
    refused = quota("request", "deliver", r, "-o", "d1")
    assert refused.exit_code == 3 and f"over by {len(tagged) - 40:,}" in refused.stderr
    done = json.loads(ok("request", "deliver", r, "-o", "d1", "--fit", "--json"))
    assert (done["post_ids"], done["state"], done["left_post_ids"]) == (40, "partly-delivered", len(tagged) - 40)
    assert ids_of(ledger / "d1" / "post_ids.txt") == [p["id"] for p in tagged[:40]]
    # The past distribution leaves the window: the rest goes out, none twice.
    clock.set("2026-12-02T00:00:01Z")
    ok("request", "deliver", r, "-o", "d2")
    assert ids_of(ledger / "d2" / "post_ids.txt") == [p["id"] for p in tagged[40:]]
    # The authors not delivered before: none is delivered twice.
    authors = {p["author"] for p in tagged[40:]} - {p["author"] for p in tagged[:40]}
    assert set(ids_of(ledger / "d2" / "user_ids.txt")) == authors
    assert json.loads(ok("request", "show", r, "--json"))["state"] == "delivered"
    assert quota("request", "deliver", r, "-o", "d3").exit_code == 2  # nothing is left
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_verify_catches_a_delivery_no_approval_covers(ledger: Path, backend: Backend) -> None:
    setup(ledger, posts=1000)
    r = submit("--exemption", "ACAD", "--newest", "5", "--purpose", "p")["request_id"]
    ok("request", "approve", r, "--by", "C Officer")
    ok("request", "deliver", r, "-o", "d1")
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]
    # An export that claims the (submitted, never approved) request, recorded behind quota's back.
    other = submit("--exemption", "ACAD", "--oldest", "3", "--purpose", "p")["request_id"]
    with Session.open(None, write=True) as s:
        s.append("reserve", {
            "export_id": "forged", "entity": "uni", "person": "rsmith", "at": "2026-12-01T00:00:00.000000Z",
            "post_ids": 0, "user_ids": 0, "dm_ids": 0, "basis": "exemption", "profile": "x-developer-policy",
            "version": s.profile().version, "ids_sha256": {}, "sources": {"post": "typed"}, "exemption": "ACAD",
            "request": other,
        })  # fmt: skip
    found = json.loads(quota("ledger", "verify", "--json").stdout)
    assert not found["ok"] and f"delivers request {other}, which was not approved before it" in found["problem"]


def test_verify_catches_a_request_delivered_beyond_what_it_asked(ledger: Path, backend: Backend) -> None:
    setup(ledger, posts=1000)
    r = submit("--exemption", "ACAD", "--oldest", "5", "--purpose", "p")["request_id"]
    ok("request", "approve", r, "--by", "C Officer")
    ok("request", "deliver", r, "-o", "d1")
    # The request's recorded size lowered behind quota's back: verify's rebuild of the table
    # fails first; the request check, run alone, names the delivery that went beyond it.
    backend.raw(f"UPDATE requests SET post_ids = 4 WHERE request_id = '{r}'")
    assert not json.loads(quota("ledger", "verify", "--json").stdout)["ok"]
    with Session.open(None) as s:
        found = s.check("requests")
    assert found is not None and found[1] == f"request {r} has delivered 5 Post IDs, more than the 4 it asked for"
