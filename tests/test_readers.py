"""Each reader against an independent oracle, and the fast DuckDB path against the careful one."""

from __future__ import annotations

import collections
import gzip
import json
import tempfile
from pathlib import Path

import pytest
from conftest import SAMPLES, examples
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from quota.errors import BadInput
from quota.ids import Kind
from quota.readers import detect, fast
from quota.readers.records import Role, Want
from quota.readers.source import Source
from quota.stripping import StripOptions, _careful, _connect

ALL_WANTS = [
    Want(frozenset({Kind.POST})),
    Want(frozenset({Kind.POST, Kind.USER})),
    Want(frozenset({Kind.POST, Kind.USER, Kind.DM}), referenced=True),
    Want(frozenset({Kind.POST}), referenced=True),
]


def fast_rows(path: Path, fmt: str, want: Want, lean: bool = True) -> tuple[collections.Counter, int]:
    """What the fast path stages; `lean=False` starts from the plan with every field that tells a post."""
    with tempfile.TemporaryDirectory() as tmp:
        con = _connect(StripOptions(want=want), tmp)
        try:
            lines = fast.stage(con, Source.open_path(str(path)), fmt, want, 0, lean=lean)
            rows = con.execute("SELECT role, id::VARCHAR FROM ids").fetchall()
        finally:
            con.close()
    return collections.Counter((int(r), s) for r, s in rows), lines


def careful_rows(path: Path, fmt: str, want: Want) -> tuple[collections.Counter, int]:
    result = _careful(Source.open_path(str(path)), fmt, StripOptions(want=want))
    return collections.Counter(result.rows), result.lines


JSONL_SAMPLES = [
    "v2_pages.jsonl",
    "v2_pages.jsonl.gz",
    "v2_flat.jsonl",
    "v2_users.jsonl",
    "v1_lines.jsonl",
    "dm_events.jsonl",
]


@pytest.mark.parametrize("name", JSONL_SAMPLES)
@pytest.mark.parametrize("want", ALL_WANTS, ids=lambda w: "+".join(sorted(w.kinds)) + ("+ref" if w.referenced else ""))
def test_fast_path_equals_careful_reader_on_samples(name: str, want: Want) -> None:
    path = SAMPLES / name
    fmt = detect(Source.open_path(str(path)))
    assert fast_rows(path, fmt, want) == careful_rows(path, fmt, want)


# ---------------------------------------------------------------- oracles per format


def _v2_oracle(lines: list[str]) -> tuple[set[str], set[str], int]:
    posts, authors, n = set(), set(), 0
    for line in lines:
        for p in json.loads(line).get("data") or []:
            if "username" in p:
                continue
            posts.add(p["id"])
            authors.add(p["author_id"])
            n += 1
    return posts, authors, n


def test_v2_pages_against_oracle() -> None:
    path = SAMPLES / "v2_pages.jsonl"
    posts, authors, n = _v2_oracle(path.read_text().splitlines())
    rows, lines = careful_rows(path, "v2-pages", ALL_WANTS[1])
    assert lines == 6
    assert sum(c for (r, _), c in rows.items() if r == Role.POST) == n == 120
    assert {s for r, s in rows if r == Role.POST} == posts
    assert {s for r, s in rows if r == Role.AUTHOR} == authors


def test_v2_pages_referenced_includes_quotes_replies_retweets() -> None:
    path = SAMPLES / "v2_pages.jsonl"
    expected = set()
    for line in path.read_text().splitlines():
        page = json.loads(line)
        for p in page["data"]:
            expected.update(r["id"] for r in p.get("referenced_tweets", []))
        expected.update(t["id"] for t in page["includes"]["tweets"])
    rows, _ = careful_rows(path, "v2-pages", ALL_WANTS[3])
    assert {s for r, s in rows if r == Role.POST_REF} == expected
    assert expected  # the sample has referenced posts at all


def test_gzip_pages_equal_plain() -> None:
    gz = SAMPLES / "v2_pages.jsonl.gz"
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp, "plain.jsonl")
        plain.write_bytes(gzip.decompress(gz.read_bytes()))
        assert careful_rows(gz, "v2-pages", ALL_WANTS[1]) == careful_rows(plain, "v2-pages", ALL_WANTS[1])


def test_v1_uses_id_str_not_the_number() -> None:
    path = SAMPLES / "v1_lines.jsonl"
    objs = [json.loads(line) for line in path.read_text().splitlines()]
    rows, _ = careful_rows(path, "v1", ALL_WANTS[1])
    assert {s for r, s in rows if r == Role.POST} == {o["id_str"] for o in objs}
    assert {s for r, s in rows if r == Role.AUTHOR} == {o["user"]["id_str"] for o in objs}


def test_v1_array_and_archive() -> None:
    arr = json.loads((SAMPLES / "v1_array.json").read_text())
    rows, lines = careful_rows(SAMPLES / "v1_array.json", "v1-array", ALL_WANTS[0])
    assert lines == len(arr) and {s for _, s in rows} == {o["id_str"] for o in arr}
    text = (SAMPLES / "archive_tweets.js").read_text()
    entries = json.loads(text[text.index("[") :])
    rows, lines = careful_rows(SAMPLES / "archive_tweets.js", "archive", ALL_WANTS[0])
    assert lines == len(entries) and {s for _, s in rows} == {e["tweet"]["id_str"] for e in entries}


def test_dm_events() -> None:
    path = SAMPLES / "dm_events.jsonl"
    events = [e for line in path.read_text().splitlines() for e in json.loads(line)["data"]]
    want = Want(frozenset({Kind.DM, Kind.USER}))
    rows, _ = careful_rows(path, "dm-events", want)
    assert {s for r, s in rows if r == Role.DM} == {e["id"] for e in events}
    assert {s for r, s in rows if r == Role.AUTHOR} == {e["sender_id"] for e in events}


def test_csv_and_parquet() -> None:
    import csv

    import pyarrow.parquet as pq

    with open(SAMPLES / "twarc.csv", newline="") as f:
        recs = list(csv.DictReader(f))
    rows, lines = careful_rows(SAMPLES / "twarc.csv", "csv", ALL_WANTS[3])
    assert lines == len(recs)
    refs = {r[c] for r in recs for c in r if c.startswith("referenced_tweets.") and r[c]}
    assert {s for r, s in rows if r == Role.POST} == {r["id"] for r in recs}
    assert {s for r, s in rows if r == Role.POST_REF} == refs and refs
    table = pq.read_table(SAMPLES / "posts.parquet")
    rows, lines = careful_rows(SAMPLES / "posts.parquet", "parquet", ALL_WANTS[1])
    assert lines == table.num_rows
    assert {s for r, s in rows if r == Role.AUTHOR} == {str(v) for v in table.column("author_id").to_pylist()}


def test_detection_of_every_sample() -> None:
    expected = {
        "v2_pages.jsonl": "v2-pages",
        "v2_pages.jsonl.gz": "v2-pages",
        "v2_pages_bad.jsonl": "v2-pages",
        "v2_users.jsonl": "v2-pages",
        "v2_flat.jsonl": "v2-flat",
        "v1_lines.jsonl": "v1",
        "v1_array.json": "v1-array",
        "archive_tweets.js": "archive",
        "dm_events.jsonl": "dm-events",
        "twarc.csv": "csv",
        "posts.parquet": "parquet",
        "post_ids.txt": "ids",
        "v2_response.json": "v2-document",
        "v1_search.json": "v1-document",
        "v1_follower_ids.json": "v1-document",
        "v2_lists.jsonl": "v2-pages",
        "deleted-tweets.js": "archive",
        "v2_protected.jsonl": "v2-pages",
        "compliance_result.jsonl": "v2-flat",
    }
    # The compliance job's JSON is no strip input: notice add --job reads it.
    assert {
        p.name for p in SAMPLES.iterdir() if p.name not in ("demo.sh", "compliance_job.json", "terms-acceptance.txt")
    } == set(expected)
    for name, fmt in expected.items():
        assert detect(Source.open_path(str(SAMPLES / name))) == fmt, name


# ---------------------------------------------------------------- fast == careful on odd input

id_text = st.one_of(
    st.integers(min_value=0, max_value=2**64 + 5).map(str),
    st.sampled_from(["-1", "01", "1e5", "12.0", " 7", "+3", "", "18446744073709551616"]),
)
json_id = st.one_of(id_text, st.integers(min_value=-3, max_value=2**64 + 3), st.just(None), st.floats(allow_nan=False))
post = st.fixed_dictionaries(
    {"id": json_id},
    optional={
        "author_id": json_id,
        "edit_history_tweet_ids": st.sampled_from([["1"], [], None, "x"]),
        # only these two tell a post without author_id or edit history: the lean plan reads again
        "created_at": st.just("2025-01-01T00:00:00.000Z"),
        "conversation_id": st.just("9"),
        "text": st.just("t"),
        "referenced_tweets": st.lists(st.fixed_dictionaries({"id": json_id}), max_size=2),
        "username": st.just("u"),
        "event_type": st.just("MessageCreate"),
        "sender_id": json_id,
        "in_reply_to_user_id": json_id,
    },
)
page = st.one_of(
    st.fixed_dictionaries(
        {"data": st.one_of(st.lists(st.one_of(post, st.just(None), st.just(5)), max_size=3), post, st.none())},
        optional={
            "meta": st.sampled_from([{"result_count": 1}, None]),
            "includes": st.sampled_from([{"users": []}, {"tweets": [{"id": "7", "author_id": "8"}]}, 5, None]),
            "errors": st.just([{"value": "1"}]),
        },
    ),
    st.just({"errors": [{"value": "1"}]}),
    st.just({"meta": {"result_count": 0}}),
    st.just({"includes": {"tweets": [{"id": "3"}]}}),
    st.just({"nothing": 1}),
    st.just({}),
    st.just([1, 2]),
    st.just("page"),
)
# Pages the fast path should read: canonical IDs (as strings or JSON integers), optional fields.
good_id = st.integers(min_value=0, max_value=2**64 - 1).flatmap(lambda n: st.sampled_from([str(n), n]))
good_post = st.fixed_dictionaries(
    {"id": good_id},
    optional={
        "author_id": good_id,
        "edit_history_tweet_ids": st.just(["1"]),
        "created_at": st.just("2025-01-01T00:00:00.000Z"),
        "conversation_id": st.just("9"),
        "referenced_tweets": st.lists(st.fixed_dictionaries({"id": good_id}), max_size=2),
        "in_reply_to_user_id": good_id,
    },
)
good_page = st.fixed_dictionaries(
    {
        "data": st.lists(st.one_of(good_post, st.fixed_dictionaries({"id": good_id, "username": st.just("u")}))),
    },
    optional={"includes": st.just({"tweets": [{"id": "7", "author_id": "8"}]}), "meta": st.just({"result_count": 1})},
)
# Lines json.dumps cannot write: a repeated key, a number too wide for 64 bits, bad JSON.
raw_line = st.sampled_from(
    [
        '{"data":[{"id":"1","author_id":"2"}],"data":[{"id":"3","author_id":"4"}]}',
        '{"data":[{"id":"1","id":"5","author_id":"2"}]}',
        '{"data":[{"id":18446744073709551616,"author_id":"2"}]}',
        '{"data":[{"id":1e5,"author_id":"2"}]}',
        '{"data":[{"id":"1","author_id":"2"}]} trailing',
        "",
        "   ",
    ]
)


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.one_of(good_page.map(json.dumps), page.map(json.dumps), raw_line), min_size=1, max_size=4),
    want=st.sampled_from(ALL_WANTS),
    fmt=st.sampled_from(["v2-pages", "v2-flat"]),
    lean=st.booleans(),
)
def test_fast_path_never_disagrees_with_careful_reader(lines: list[str], want: Want, fmt: str, lean: bool) -> None:
    """On any input each plan of the fast path either gives up or returns exactly what the
    careful reader does. Flat files get the same lines: a page there is an unknown object."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "p.jsonl")
        path.write_text("".join(line + "\n" for line in lines))
        try:
            careful = careful_rows(path, fmt, want)
        except BadInput:
            careful = None
        try:
            got = fast_rows(path, fmt, want, lean)
        except fast.GiveUp:
            event(f"fast path gave up; careful reader {'refused' if careful is None else 'read'}")
            return  # giving up is always allowed: the careful reader then decides
        event("fast path read")
        assert careful is not None, f"fast path accepted {lines!r}, which the careful reader refuses"
        assert got == careful


@pytest.mark.parametrize("fmt", ["v2-pages", "v2-flat"])
def test_lean_plan_reads_again_for_posts_only_created_at_tells(tmp_path: Path, fmt: str) -> None:
    """A post told only by created_at and conversation_id is not unknown: the lean plan cannot
    see those fields, so the fast path reads the file again with them instead of giving up."""
    post = {"id": "11", "created_at": "2025-01-01T00:00:00.000Z", "conversation_id": "11"}
    obj = {"data": [post, {"id": "12", "author_id": "3"}]} if fmt == "v2-pages" else post
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(obj) + "\n")
    want = Want(frozenset({Kind.POST}))
    assert fast_rows(path, fmt, want) == careful_rows(path, fmt, want)
    assert ("11" in {s for _, s in fast_rows(path, fmt, want)[0]}) is True
    half = dict(post)
    del half["conversation_id"]  # then nothing tells it a post: both plans give up
    path.write_text(json.dumps({"data": [half]} if fmt == "v2-pages" else half) + "\n")
    with pytest.raises(fast.GiveUp):
        fast_rows(path, fmt, want)


def test_careful_reader_hands_rows_over_in_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    from quota.readers import records

    path = SAMPLES / "v2_pages_bad.jsonl"
    opts = StripOptions(want=ALL_WANTS[1], skip_bad=True)
    whole = _careful(Source.open_path(str(path)), "v2-pages", opts)
    monkeypatch.setattr(records, "SINK_BATCH", 7)
    batches: list[list[tuple[int, str]]] = []
    batched = _careful(Source.open_path(str(path)), "v2-pages", opts, batches.append)
    assert len(batches) > 3 and all(len(b) >= 7 for b in batches[:-1])
    assert batched.rows == [] and [r for b in batches for r in b] == whole.rows
    assert (batched.lines, batched.bad_lines) == (whole.lines, whole.bad_lines)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (
            "v1",
            '{"id_str":"1","text":"t","user":{"id_str":"2"}}\r\n\r\n\n{"id_str":"3","text":"t","user":{"id_str":"4"}}\r\n   \n',
        ),
        ("v2-pages", '{"data":[{"id":"1","author_id":"2"}]}\r\n\n\r\n{"data":[{"id":"3","author_id":"4"}]}\r\n'),
        ("v2-flat", '\n{"id":"1","author_id":"2"}\r\n\t\n{"id":"3","author_id":"4"}'),
    ],
)
def test_crlf_and_blank_lines_read_alike(tmp_path: Path, fmt: str, text: str) -> None:
    path = tmp_path / "f.jsonl"
    path.write_bytes(text.encode())
    fast_result = fast_rows(path, fmt, ALL_WANTS[1])
    assert fast_result == careful_rows(path, fmt, ALL_WANTS[1])
    assert fast_result[1] == 2


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.one_of(
            st.integers(min_value=0, max_value=2**64 - 1).map(str),
            st.sampled_from(
                ["", " ", "01", "1e5", "12.0", " 7", "7 ", "+3", "-1", "1,2", '"5"', "18446744073709551616", "\t"]
            ),
        ),
        min_size=1,
        max_size=8,
    ),
    ending=st.sampled_from(["\n", "\r\n"]),
)
def test_fast_id_list_never_disagrees_with_careful_reader(lines: list[str], ending: str) -> None:
    want = Want(frozenset({Kind.POST}))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "ids.txt")
        path.write_bytes("".join(x + ending for x in lines).encode())
        try:
            careful = careful_rows(path, "ids", want)
        except BadInput:
            careful = None
        try:
            got = fast_rows(path, "ids", want)
        except fast.GiveUp:
            return
        assert careful is not None, f"fast path accepted {lines!r}, which the careful reader refuses"
        assert got == careful


def test_damaged_gzip_is_named_by_the_careful_reader(tmp_path: Path) -> None:
    """The fast path gives up at the damage; the careful reader reads the gzip and says so."""
    from quota.stripping import strip

    data = gzip.compress((SAMPLES / "v2_pages.jsonl").read_bytes())
    gz = tmp_path / "p.jsonl.gz"
    gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match=r"truncated|damaged"):
        strip([str(gz)], StripOptions(want=ALL_WANTS[1], scratch=str(tmp_path)))
