"""What a request chooses from a dataset (quota.choosing) against a plain reading of the files,
and what makes choosing, or a request, refuse."""

from __future__ import annotations

import atexit
import hashlib
import json
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, TERMS, examples, quota
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle_posts import posts_of, tags

from quota import choosing
from quota.choosing import Filters
from quota.errors import BadInput, UsageError
from quota.ids import Kind
from quota.readers.fields import TAGS_FROM_BOTH, TAGS_FROM_ENTITIES

PAGES = SAMPLES / "v2_pages.jsonl"
FLAT = SAMPLES / "v2_flat.jsonl"
V1 = SAMPLES / "v1_lines.jsonl"


def _v2(n: int, text: str, **more: Any) -> dict[str, Any]:
    i = str(1895700000000000000 + n)
    return {"id": i, "text": text, "author_id": str(900000000000000000 + n), "created_at": f"2025-03-02T00:00:{n:02}.000Z",
            "lang": "en", "edit_history_tweet_ids": [i], **more}  # fmt: skip


def _tags(*names: str) -> dict[str, Any]:
    return {"hashtags": [{"start": 0, "end": len(t) + 1, "tag": t} for t in names]}


# Posts where X's entities and the text's #words differ: what a hashtag filter reads decides.
TRICKY_POSTS = [
    _v2(1, "big#data and #Signal", entities=_tags("Signal")),  # X links no tag glued to a word
    _v2(2, "a long post, cut…", note_tweet={"text": "a long post, cut here: #data #研究", "entities": _tags("data")}),
    _v2(3, "cut…", entities=_tags("nothing"), note_tweet={"text": "cut here #signal"}),  # the note without entities
    _v2(4, "#Data, captured without entities"),
    _v2(5, "#nothing but a link", entities={"urls": [{"start": 0, "end": 8, "url": "https://t.co/x"}]}),
]
TRICKY_V1 = {
    "created_at": "Sun Mar 02 00:01:00 +0000 2025", "id_str": "1895700000000000100", "text": "cut… #data",
    "truncated": True, "lang": "en", "user": {"id_str": "900000000000000100", "screen_name": "synth_tricky"},
    "entities": {"hashtags": [{"text": "data", "indices": [5, 10]}]},
    "extended_tweet": {"full_text": "cut here #data #signal", "entities": {"hashtags": [{"text": "signal", "indices": [15, 22]}]}},
}  # fmt: skip
_TRICKY_DIR = Path(tempfile.mkdtemp(prefix="tricky-posts-"))
atexit.register(shutil.rmtree, _TRICKY_DIR, True)
TRICKY = _TRICKY_DIR / "tricky_flat.jsonl"
TRICKY.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in TRICKY_POSTS))
TRICKY_V1_FILE = _TRICKY_DIR / "tricky_v1.jsonl"
TRICKY_V1_FILE.write_text(json.dumps(TRICKY_V1, ensure_ascii=False) + "\n")

FILES = (PAGES, FLAT, V1, TRICKY, TRICKY_V1_FILE)
POSTS = posts_of(*FILES)


def dataset(*paths: Path) -> dict[str, Any]:
    from quota import datasets

    return {"name": "demo", "inputs": datasets.read([str(p) for p in paths]).inputs}


DEMO = dataset(*FILES)


def oracle(f: Filters) -> list[dict[str, Any]]:
    """The posts `f` chooses, in delivery order, by reading the JSON in Python."""
    keep = [
        p for p in POSTS.values()
        if (f.start is None or p["at"] >= f.start) and (f.until is None or p["at"] < f.until)
        and (not f.langs or p["lang"] in f.langs) and (not f.hashtags or tags(p, f.hashtags_from) & set(f.hashtags))
        and (not f.keywords or any(k in p["text"].lower() for k in f.keywords))
        and (not f.authors or p["author"] in f.authors)
    ]  # fmt: skip
    if f.order == "sample":
        keep.sort(key=lambda p: (hashlib.sha256(f"{f.seed}:{p['id']}".encode()).digest(), int(p["id"])))
    else:
        keep.sort(key=lambda p: int(p["id"]), reverse=f.order == "newest")
    return keep if f.limit is None else keep[: f.limit]


TIMES = sorted(p["at"] for p in POSTS.values())


@st.composite
def filters(draw: st.DrawFn) -> Filters:
    # Every filter with every order: a sample's seed binds beside the filters' values.
    order = draw(st.sampled_from(["oldest", "newest", "sample"]))
    # A period: from one post's time (or none) to just after a later one's (or none).
    i = draw(st.none() | st.integers(0, len(TIMES) - 1))
    j = draw(st.none() | st.integers(i or 0, len(TIMES) - 1))
    return Filters.make(
        start=None if i is None else TIMES[i],
        until=None if j is None else TIMES[j] + timedelta(milliseconds=1),
        langs=draw(st.lists(st.sampled_from(["en", "DE", "ja", "und", "xx"]), max_size=2)),
        hashtags=draw(st.lists(st.sampled_from(["data", "#Signal", "研究", "nothing"]), max_size=2)),
        keywords=draw(st.lists(st.sampled_from(["river", "CAFÉ", "🚀", "#data", "zzz"]), max_size=2)),
        authors=draw(st.lists(st.sampled_from(AUTHORS), max_size=3)),
        order=order,
        limit=draw(st.integers(0, 80) if order == "sample" else st.none() | st.integers(0, 50)),
        seed=draw(st.text(max_size=5)) if order == "sample" else None,
        hashtags_from=draw(st.sampled_from([TAGS_FROM_ENTITIES, TAGS_FROM_BOTH])),
    )


AUTHORS = sorted({p["author"] for p in POSTS.values()})[:20]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(f=filters())
def test_a_choice_is_the_posts_the_filters_match_in_the_requested_order(f: Filters) -> None:
    expected = oracle(f)
    with choosing.choose(DEMO, f, frozenset({Kind.POST, Kind.USER})) as choice:
        ranked = [str(i) for (i,) in choice.stripped.con.execute("SELECT id FROM ranked ORDER BY rank").fetchall()]
        users = [str(i) for i in choice.stripped.ids(Kind.USER)]
    assert ranked == [p["id"] for p in expected]
    assert (choice.post_ids, choice.user_ids) == (len(expected), len({p["author"] for p in expected}))
    assert sorted(users, key=int) == sorted({p["author"] for p in expected}, key=int)
    digest = hashlib.sha256("".join(f"{i}\n" for i in sorted(ranked, key=int)).encode()).hexdigest()
    assert choice.selection_sha256 == digest


@settings(max_examples=examples(40), deadline=None)
@given(posts=st.integers(0, 120), users=st.integers(0, 120))
def test_a_cut_keeps_the_longest_prefix_whose_authors_fit(posts: int, users: int) -> None:
    order = oracle(Filters(order="newest"))
    with choosing.choose(DEMO, Filters(order="newest"), frozenset({Kind.POST, Kind.USER})) as choice:
        choice.stripped.cut(posts, users)
        kept = [str(i) for i in choice.stripped.ids(Kind.POST)]
        kept_users = {str(i) for i in choice.stripped.ids(Kind.USER)}
    n = 0
    while n < min(posts, len(order)) and len({p["author"] for p in order[: n + 1]}) <= users:
        n += 1
    assert sorted(kept, key=int) == sorted((p["id"] for p in order[:n]), key=int)
    assert kept_users == {p["author"] for p in order[:n]}


def test_hashtags_are_x_entities_and_the_text_only_where_a_capture_has_none() -> None:
    tricky = dataset(TRICKY, TRICKY_V1_FILE)

    def chosen(tag: str, rule: str) -> set[int]:
        f = Filters.make(hashtags=[tag], hashtags_from=rule)
        with choosing.choose(tricky, f, frozenset({Kind.POST})) as choice:
            return {int(i) - 1895700000000000000 for i in choice.stripped.ids(Kind.POST)}

    # 1: linked #Signal, unlinked big#data; 2: a note whose entities give #data, not its #研究;
    # 3: a note without entities (its text's #signal), the cut text's entities #nothing;
    # 4: no entities; 5: entities without hashtags; 100: v1.1, extended_tweet's entities #signal.
    assert chosen("data", TAGS_FROM_ENTITIES) == {2, 4}
    assert chosen("signal", TAGS_FROM_ENTITIES) == {1, 3, 100}
    assert chosen("nothing", TAGS_FROM_ENTITIES) == chosen("研究", TAGS_FROM_ENTITIES) == set()
    # As requests submitted before 2026-12 read them: every entity and every #word of the text.
    assert chosen("data", TAGS_FROM_BOTH) == {1, 2, 4, 100}
    assert chosen("signal", TAGS_FROM_BOTH) == {1, 3, 100}
    assert chosen("nothing", TAGS_FROM_BOTH) == {3, 5}
    assert chosen("研究", TAGS_FROM_BOTH) == {2}

    # A request records the rule it was chosen by; one recorded without it keeps the old one.
    f = Filters.make(hashtags=["data"])
    assert f.hashtags_from == TAGS_FROM_ENTITIES and Filters.from_json(f.as_json()) == f
    old = {k: v for k, v in f.as_json().items() if k != "hashtags_from"}
    assert Filters.from_json(old).hashtags_from == TAGS_FROM_BOTH
    assert "where the capture holds no entities" in " ".join(f.described())
    with pytest.raises(UsageError, match="hashtags are read from"):
        Filters(hashtags=("data",), hashtags_from="the moon")


@settings(max_examples=examples(12), deadline=None)
@given(
    created=st.booleans(), lang=st.booleans(), author=st.booleans(), text=st.booleans(),
    rule=st.sampled_from([None, TAGS_FROM_ENTITIES, TAGS_FROM_BOTH]),
    hashtags=st.lists(st.sampled_from(["data", "signal", "研究", "it's"]), min_size=1, max_size=2),
)  # fmt: skip
def test_the_fields_strip_keeps_are_the_fields_read_again(
    created: bool, lang: bool, author: bool, text: bool, rule: str | None, hashtags: list[str]
) -> None:
    from quota.readers.fields import Needs, keep, read_fields
    from quota.readers.records import Want
    from quota.stripping import StripOptions, strip

    needs = Needs(created=created, lang=lang, author=author, text=text, hashtags=tuple(hashtags) if rule else (),
                  tags=rule or TAGS_FROM_ENTITIES)  # fmt: skip
    paths = [i["path"] for i in DEMO["inputs"]]
    seen = []
    for kept in (keep(needs), None):
        with strip(paths, StripOptions(want=Want(frozenset({Kind.POST})), keep=kept)) as stripped:
            assert all(r.reader == "fast" for r in stripped.inputs)
            assert [stripped.kept_fields(n) is not None for n in range(len(paths))] == [kept is not None] * len(paths)
            table, _ = stripped.unique(Kind.POST)
            read_fields(stripped.con, "demo", DEMO["inputs"], stripped, table, needs)
            seen.append(stripped.con.execute("SELECT * FROM posts ORDER BY id").fetchall())
    assert seen[0] == seen[1] and len(seen[0]) == len(POSTS)
    names = ["id", "author", "created_at", "undated", "created_text", "lang", "text", "tagged"]
    for row in (dict(zip(names, r, strict=True)) for r in seen[0]):
        post = POSTS[str(row["id"])]
        assert row["author"] == (int(post["author"]) if author else None)
        assert row["lang"] == (post["lang"] if lang else None)
        assert row["text"] == (post["text"] if text else None)
        assert row["created_at"] == (post["at"].replace(tzinfo=None) if created else None)
        assert row["tagged"] == (bool(tags(post, rule) & set(hashtags)) if rule else None)


def test_choosing_refuses_what_it_cannot_do_exactly(tmp_path: Path) -> None:
    copy = tmp_path / "pages.jsonl"
    shutil.copy(PAGES, copy)
    registered = dataset(copy)
    copy.write_text(copy.read_text().replace('"lang":"en"', '"lang":"fr"'))
    with pytest.raises(BadInput, match="has changed since dataset demo was registered"):
        choosing.choose(registered, Filters(), frozenset({Kind.POST}))
    copy.unlink()
    with pytest.raises(BadInput, match="is gone"):
        choosing.choose(registered, Filters(), frozenset({Kind.POST}))

    ids = dataset(SAMPLES / "post_ids.txt")
    with choosing.choose(ids, Filters(order="newest", limit=3), frozenset({Kind.POST})) as choice:
        assert choice.post_ids == 3  # IDs alone: ordered and cut, never filtered
    with pytest.raises(UsageError, match=r"post_ids\.txt is ids: filters read the posts' fields"):
        choosing.choose(ids, Filters.make(langs=["en"]), frozenset({Kind.POST}))
    with pytest.raises(UsageError, match="authors come from the posts' fields"):
        choosing.choose(ids, Filters(), frozenset({Kind.POST, Kind.USER}))

    undated = tmp_path / "undated.jsonl"
    lines = FLAT.read_text().splitlines()
    first = json.loads(lines[0])
    first["created_at"] = "yesterday"
    undated.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    with pytest.raises(BadInput, match=f"post {first['id']} has a created_at that cannot be read"):
        choosing.choose(dataset(undated), Filters(start=datetime(2020, 1, 1, tzinfo=UTC)), frozenset({Kind.POST}))
    with choosing.choose(dataset(undated), Filters.make(langs=["en"]), frozenset({Kind.POST})) as choice:
        assert choice.post_ids == len([p for p in posts_of(FLAT).values() if p["lang"] == "en"])

    # Captured without lang and entities (X sends them only when asked): a language filter
    # cannot judge the posts; hashtags are still read from the text.
    bare = tmp_path / "bare.jsonl"
    lines = [{k: v for k, v in json.loads(line).items() if k not in ("lang", "entities")} for line in lines]
    bare.write_text("".join(json.dumps(p) + "\n" for p in lines))
    with pytest.raises(BadInput, match="carry no language"):
        choosing.choose(dataset(bare), Filters.make(langs=["en"]), frozenset({Kind.POST}))
    with choosing.choose(dataset(bare), Filters.make(hashtags=["data"]), frozenset({Kind.POST})) as choice:
        assert choice.post_ids == len([p for p in posts_of(FLAT).values() if "data" in p["tags"]]) > 0

    with pytest.raises(UsageError, match="holds no posts"):
        choosing.choose({**dataset(SAMPLES / "v2_users.jsonl"), "post_ids": 0}, Filters(), frozenset({Kind.POST}))


def ok(*args: object) -> str:
    r = quota(*args)
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme"),
        ("entity", "accept-terms", *TERMS, "acme", "--by", "J", "--at", "2026-11-01T00:00:00Z"),
        ("person", "add", "ana", "--entity", "acme", "--name", "Ana A"),
        ("dataset", "add", "demo", PAGES, "--title", "Demo", "--description", "Sample pages"),
    ):
        ok(*args)
    return tmp_path


def events() -> int:
    return json.loads(ok("ledger", "verify", "--json"))["events"]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("--dataset", "nope", "--person", "ana"), 2, "no dataset 'nope'"),
        (("--dataset", "demo", "--person", "bob"), 2, "no person 'bob'"),
        (("--dataset", "demo", "--person", "ana", "--exemption", "X"), 3, "no exemption 'X'"),
        (("--dataset", "demo", "--person", "ana", "--lang", "xx"), 2, "chooses no Post IDs"),
        (("--dataset", "demo", "--person", "ana", "--oldest", "3", "--newest", "3"), 2, "choose one of"),
        (("--dataset", "demo", "--person", "ana", "--sample", "3"), 2, "--sample and --seed go together"),
        (("--dataset", "demo", "--person", "ana", "--author", "01"), 2, "author '01'"),
        (("--dataset", "demo", "--person", "ana", "--ids", "dm"), 2, "a request chooses posts"),
        (("--dataset", "demo", "--person", "ana", "--from", "2026-02-01", "--until", "2026-01-01"), 2,
         "must end (until) after it starts"),
        (("--dataset", "demo", "--person", "ana", "--purpose", " "), 2, "states its purpose"),
    ],
)  # fmt: skip
def test_a_request_that_cannot_be_made_is_refused_and_nothing_recorded(
    ledger: Path, args: tuple[str, ...], code: int, says: str
) -> None:
    before = events()
    full = [*args] if "--purpose" in args else [*args, "--purpose", "p"]
    r = quota("request", "submit", *full)
    assert (r.exit_code, says in r.stderr) == (code, True), r.stderr
    assert "Traceback" not in r.stderr and events() == before


def test_compliance_decides_once_and_never_for_itself(ledger: Path) -> None:
    req = json.loads(ok("request", "submit", "--dataset", "demo", "--person", "ana", "--by", "Data Desk",
                        "--purpose", "p", "--json"))["request_id"]  # fmt: skip
    for by in ("ana", "ANA A", " data desk "):
        r = quota("request", "approve", req, "--by", by)
        assert r.exit_code == 3 and "someone else decides it" in r.stderr
    assert quota("request", "reject", req, "--by", "C", "--reason", " ").exit_code == 2
    ok("request", "reject", req, "--by", "C Officer", "--reason", "no exemption covers it")
    assert quota("request", "approve", req, "--by", "D").exit_code == 2  # decided already
    r = quota("request", "deliver", req, "-o", "out")
    assert r.exit_code == 3 and "was rejected (no exemption covers it)" in r.stderr
    assert json.loads(ok("request", "show", req, "--json"))["state"] == "rejected"
    assert quota("request", "show", "req-none").exit_code == 2
    assert quota("request", "list", "--state", "lost").exit_code == 2
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_a_delivery_that_another_run_overtook_is_refused(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quota import requests

    req = json.loads(ok("request", "submit", "--dataset", "demo", "--person", "ana", "--purpose", "p",
                        "--json"))["request_id"]  # fmt: skip
    ok("request", "approve", req, "--by", "C Officer")
    real, raced = requests.choose, []

    def choose_after_another_run(*args: Any, **kw: Any) -> Any:
        if not raced:  # between this run's look at the ledger and its reservation
            raced.append("other")
            ok("request", "deliver", req, "-o", "other")
        return real(*args, **kw)

    monkeypatch.setattr(requests, "choose", choose_after_another_run)
    r = quota("request", "deliver", req, "-o", "mine")
    assert r.exit_code == 3 and "was delivered by another run meanwhile" in r.stderr
    assert not Path("mine").exists() and Path("other", "post_ids.txt").exists()
    shown = json.loads(ok("request", "show", req, "--json"))
    assert (shown["state"], len(shown["export_ids"])) == ("delivered", 1)
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_a_delivery_reads_the_files_again_and_refuses_changed_ones(ledger: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.jsonl"
    shutil.copy(PAGES, copy)
    ok("dataset", "add", "mine", copy, "--title", "T", "--description", "D")
    req = json.loads(ok("request", "submit", "--dataset", "mine", "--person", "ana", "--purpose", "p",
                        "--json"))["request_id"]  # fmt: skip
    ok("request", "approve", req, "--by", "C Officer")
    copy.write_text(copy.read_text() + copy.read_text().splitlines()[0] + "\n")
    before = events()
    r = quota("request", "deliver", req, "-o", "out")
    assert r.exit_code == 4 and "has changed since dataset mine was registered" in r.stderr
    assert events() == before and not Path("out").exists()
