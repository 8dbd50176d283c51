"""Whole-file JSON documents, pretty-printed or not: a v2 response, an array of them, an array
of v2 posts or users, v1.1 wrappers (statuses, users, cursor ids). Each gives exactly the IDs
its JSON-lines twin gives, through the fast path and the careful reader alike."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from conftest import SAMPLES, examples, ids_of, manifest, quota
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers import ALL_WANTS, careful_rows, fast_rows

from quota.readers import detect
from quota.readers.records import Want
from quota.readers.source import Source
from quota.testing import synth


def pages(seed: int = 5, n: int = 3, per_page: int = 8) -> list[dict]:
    w = synth.World(seed, n_users=30)
    return [synth.v2_page([w.post() for _ in range(per_page)], w) for _ in range(n)]


def write(path: Path, doc: object, indent: int | None = 2) -> Path:
    path.write_text(json.dumps(doc, indent=indent) + "\n")
    return path


def strip_ids(*args: str | Path) -> dict[str, list[str]]:
    out = Path(f"out-{abs(hash(args))}")
    r = quota("strip", *args, "-o", out, "--json")
    assert r.exit_code == 0, r.stderr
    doc = manifest(out)
    return {k: ids_of(out / f"{k}_ids.txt") for k in doc["ids"]}


@pytest.mark.parametrize("indent", [2, None])
def test_a_v2_response_document_gives_what_its_lines_give(tmp_path: Path, indent: int | None) -> None:
    ps = pages()
    lines = tmp_path / "pages.jsonl"
    lines.write_text("".join(json.dumps(p) + "\n" for p in ps))
    for args in (("--ids", "post,user"), ("--ids", "post,user", "--referenced")):
        want = strip_ids(lines, *args)
        # One page as a whole document, and all pages as a JSON array of responses.
        one = write(tmp_path / "one.json", ps[0], indent)
        assert set(strip_ids(one, *args)["post"]) <= set(want["post"])
        many = write(tmp_path / "many.json", ps, indent)
        assert strip_ids(many, *args) == want
    if indent:
        assert detect(Source.open_path(str(tmp_path / "one.json"))) == "v2-document"
        assert detect(Source.open_path(str(tmp_path / "many.json"))) == "v2-document"


def test_an_array_is_told_by_a_first_element_past_the_first_read(tmp_path: Path) -> None:
    # A first page larger than the 64 KiB first look, with text of multi-byte characters.
    w = synth.World(8, n_users=30)
    ps = [synth.v2_page([w.post() for _ in range(60)], w) for _ in range(2)]
    for p in ps[0]["data"]:
        p["text"] = "é€😀 " * 200
    doc = write(tmp_path / "big.json", ps)
    assert len(json.dumps(ps[0], indent=2).encode()) > 1 << 16
    assert detect(Source.open_path(str(doc))) == "v2-document"
    got = strip_ids(doc, "--ids", "post,user")
    assert got["post"] == sorted({p["id"] for page in ps for p in page["data"]}, key=int)
    # An array of no shape quota knows is refused by name, element by element.
    (tmp_path / "odd.json").write_text('[\n  {"tweet": {"id_str": "5"}}\n]\n')
    r = quota("strip", tmp_path / "odd.json", "-o", "odd")
    assert r.exit_code == 4 and "element 0" in r.stderr


def test_arrays_of_v2_posts_and_users(tmp_path: Path) -> None:
    ps = pages(n=1)[0]
    posts = write(tmp_path / "posts.json", ps["data"])
    users = write(tmp_path / "users.json", ps["includes"]["users"])
    assert detect(Source.open_path(str(posts))) == "v2-array"
    got = strip_ids(posts, "--ids", "post,user")
    assert got["post"] == sorted({p["id"] for p in ps["data"]}, key=int)
    assert got["user"] == sorted({p["author_id"] for p in ps["data"]}, key=int)
    assert strip_ids(users, "--ids", "user")["user"] == sorted({u["id"] for u in ps["includes"]["users"]}, key=int)
    # One v2 post alone, pretty-printed: one object.
    one = write(tmp_path / "one.json", ps["data"][0])
    assert strip_ids(one)["post"] == [ps["data"][0]["id"]]


def test_v1_wrappers(tmp_path: Path) -> None:
    w = synth.World(9, n_users=30)
    search = synth.v1_search(w, 6)
    doc = write(tmp_path / "search.json", search)
    assert detect(Source.open_path(str(doc))) == "v1-document"
    got = strip_ids(doc, "--ids", "post,user")
    assert got["post"] == sorted({s["id_str"] for s in search["statuses"]}, key=int)
    assert got["user"] == sorted({s["user"]["id_str"] for s in search["statuses"]}, key=int)
    users = write(tmp_path / "users.json", {"users": [synth.v1_user(u) for u in w.users[:5]], "next_cursor": 0})
    assert strip_ids(users, "--ids", "user")["user"] == sorted((u.id for u in w.users[:5]), key=int)


def test_cursor_ids_are_exact_and_declared(tmp_path: Path) -> None:
    # JSON numbers above 2^53 lose digits in most readers; written as numbers and as strings.
    big = [18446744073709551615, 9007199254740993, 1895625031960240129]
    doc = tmp_path / "ids.json"
    doc.write_text('{\n  "ids": [' + ", ".join(map(str, big)) + '],\n  "next_cursor": 0\n}\n')
    r = quota("strip", doc, "-o", "o1", "--ids", "user")
    assert r.exit_code == 0, r.stderr
    assert ids_of(Path("o1/user_ids.txt")) == sorted(map(str, big), key=int)
    assert manifest(Path("o1"))["sources"] == {"user": "declared"}
    write(tmp_path / "s.json", {"ids": [str(i) for i in big], "next_cursor_str": "0"}, indent=None)
    assert strip_ids(tmp_path / "s.json", "--ids", "post")["post"] == sorted(map(str, big), key=int)
    r = quota("strip", doc, "-o", "o2", "--ids", "post,user")
    assert r.exit_code == 2 and "one kind of ID" in r.stderr
    doc.write_text('{"ids": [1, 2.5], "next_cursor": 0}')
    r = quota("strip", doc, "-o", "o3", "--ids", "user")
    assert r.exit_code == 4 and "floating-point" in r.stderr


def test_a_bad_element_is_named_by_its_line_and_skippable(tmp_path: Path) -> None:
    ps = pages(n=1, per_page=4)[0]
    ps["data"][2]["id"] = "12x"
    doc = write(tmp_path / "bad.json", ps)
    line = next(n for n, text in enumerate(doc.read_text().splitlines(), 1) if '"12x"' in text)
    r = quota("strip", doc, "-o", "out")
    assert r.exit_code == 4 and "'12x'" in r.stderr
    # The element opens a few lines above its id.
    start = int(r.stderr.split("line ")[1].split(":")[0])
    assert 0 < line - start < 4
    r = quota("strip", doc, "-o", "out", "--skip-bad", "--json")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)["inputs"][0]
    assert (got["bad_lines"], got["lines"], got["reader"]) == (1, 4, "careful")
    # A List inside a pretty-printed response is not a post.
    lists = write(tmp_path / "lists.json", {"data": [{"id": "5", "name": "l", "owner_id": "6", "member_count": 2}]})
    r = quota("strip", lists, "-o", "out2")
    assert r.exit_code == 4 and "List object" in r.stderr


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{\n  "data": [\n    {"id": "1", "text": "a"}\n', "not closed"),
        ('{\n  "data": [{"id": "1", "text": "a"}]\n}\n{"data": []}\n', "after the JSON document"),
        ('[\n  {"id": "1", "text": "a"},\n  oops\n]\n', "invalid JSON"),
    ],
)
def test_broken_documents_are_one_sentence(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "d.json").write_text(text)
    r = quota("strip", "d.json", "-o", "out")
    assert r.exit_code == 4 and problem in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_a_document_past_the_limit_is_refused_with_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quota.readers import source

    monkeypatch.setattr(source, "DOC_LIMIT", 1 << 20)
    w = synth.World(3, n_users=30)
    big = synth.v2_page([w.post() for _ in range(1500)], w)
    doc = write(tmp_path / "big.json", big)
    assert doc.stat().st_size > 1 << 20
    r = quota("strip", doc, "-o", "out")
    assert r.exit_code == 4 and "larger than 1 MiB" in r.stderr and "one document" in r.stderr


DOC_SAMPLES = ["v2_response.json", "v1_array.json"]


@pytest.mark.parametrize("name", DOC_SAMPLES)
@pytest.mark.parametrize("want", ALL_WANTS, ids=lambda w: "+".join(sorted(w.kinds)) + ("+ref" if w.referenced else ""))
def test_fast_path_equals_careful_reader_on_documents(name: str, want: Want) -> None:
    path = SAMPLES / name
    fmt = detect(Source.open_path(str(path)))
    assert fast_rows(path, fmt, want) == careful_rows(path, fmt, want)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 4),
    per_page=st.integers(1, 5),
    indent=st.sampled_from([None, 1, 4]),
    as_array=st.booleans(),
)
def test_documents_against_the_lines_oracle(tmp_path: Path, seed: int, n: int, per_page: int, indent, as_array) -> None:
    ps = pages(seed, n, per_page)
    doc = tmp_path / f"d{seed}-{n}-{per_page}.json"
    body = ps if as_array else {"data": [p for page in ps for p in page["data"]]}
    write(doc, body, indent)
    want = ALL_WANTS[1]
    expected = collections.Counter()
    for page in ps:
        for p in page["data"]:
            expected[(1, p["id"])] += 1
            expected[(3, p["author_id"])] += 1
    fmt = detect(Source.open_path(str(doc))) if indent or as_array else "v2-document"
    rows, _ = careful_rows(doc, fmt, want)
    assert rows == expected
    assert fast_rows(doc, fmt, want)[0] == expected
