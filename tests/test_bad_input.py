"""Every kind of bad input: exit 4, one sentence naming file, line and value, nothing written."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import SAMPLES, manifest, quota

GOOD = '{"data":[{"id":"1234567890123456789","author_id":"42"}]}\n'

CASES = {
    # name: (file name, content, line, words in the message)
    "invalid json": ("p.jsonl", GOOD + '{"data":[{"id":"12\n', 2, "invalid JSON"),
    "not decimal": ("p.jsonl", GOOD + '{"data":[{"id":"12a4","author_id":"1"}]}\n', 2, "'12a4' is not a decimal"),
    "json float": (
        "p.jsonl",
        GOOD + GOOD + '{"data":[{"id":1.5e+18,"author_id":"1"}]}\n',
        3,
        "1.5e+18 is a JSON floating-point",
    ),
    "float string": (
        "p.jsonl",
        GOOD + '{"data":[{"id":"1.5e+18","author_id":"1"}]}\n',
        2,
        "'1.5e+18' is written as a float",
    ),
    "negative": ("p.jsonl", GOOD + '{"data":[{"id":"-5","author_id":"1"}]}\n', 2, "'-5' is negative"),
    "too large": ("p.jsonl", GOOD + '{"data":[{"id":"18446744073709551616","author_id":"1"}]}\n', 2, "larger than"),
    "missing id": ("p.jsonl", GOOD + '{"data":[{"author_id":"1","text":"x"}]}\n', 2, "data[0].id: the ID is missing"),
    "missing author": (
        "p.jsonl",
        GOOD + '{"data":[{"id":"7","text":"x"}]}\n',
        2,
        "data[0].author_id: the ID is missing",
    ),
    "not a page": ("p.jsonl", GOOD + '{"id_str":"7"}\n', 2, "not a v2 response page"),
    "v1 bad id_str": (
        "v.jsonl",
        '{"id_str":"1","text":"t","user":{"id_str":"2"}}\n{"id_str":"1e5","text":"t","user":{"id_str":"2"}}\n',
        2,
        "'1e5'",
    ),
    "id list": ("ids.txt", "123\n456\n4.56e2\n", 3, "'4.56e2' is written as a float"),
    "id list excel": ("ids.txt", "1234567890123456789\n1.23457E+18\n", 2, "scientific"),
    "csv cell": ("c.csv", 'id,author_id,text\n1,2,"two\nlines"\n3.0,4,x\n', 4, "column id: ID '3.0'"),
    "array element": (
        "a.json",
        '[\n  {"id_str": "1", "text": "t", "user": {"id_str": "2"}},\n  {"id_str": 5.0, "text": "t", "user": {"id_str": "2"}}\n]\n',
        3,
        "element 1.id_str",
    ),
}


def no_leftovers(directory: Path) -> None:
    assert not (directory / "out").exists()
    assert not [p for p in directory.iterdir() if p.name.startswith(".out")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_line_exits_4_naming_file_line_and_value(tmp_path: Path, case: str) -> None:
    name, content, line, words = CASES[case]
    (tmp_path / name).write_text(content)
    r = quota("strip", name, "-o", "out", "--ids", "post" if name == "ids.txt" else "post,user")
    assert r.exit_code == 4, r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert f"quota: {name}, line {line}: " in r.stderr
    assert words in r.stderr
    no_leftovers(tmp_path)


def test_truncated_gzip(tmp_path: Path) -> None:
    data = gzip.compress((GOOD * 2000).encode())
    (tmp_path / "p.jsonl.gz").write_bytes(data[: len(data) // 2])
    r = quota("strip", "p.jsonl.gz", "-o", "out")
    assert r.exit_code == 4
    assert "p.jsonl.gz" in r.stderr and "truncated" in r.stderr
    no_leftovers(tmp_path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "is empty"),
        (b"\n\n  \n", "holds only blank lines"),
        (b"hello world\n", "unknown format"),
        (b'{"x": 1}\n', "unknown shape"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, words: str) -> None:
    (tmp_path / "f.dat").write_bytes(content)
    r = quota("strip", "f.dat", "-o", "out")
    assert r.exit_code == 4 and "f.dat" in r.stderr and words in r.stderr
    no_leftovers(tmp_path)


def test_missing_file_and_bad_options(tmp_path: Path) -> None:
    r = quota("strip", "nope.jsonl", "-o", "out")
    assert r.exit_code == 4 and "nope.jsonl: no such file" in r.stderr
    r = quota("strip", SAMPLES / "v2_pages.jsonl", "-o", "out", "--ids", "posts")
    assert r.exit_code == 2 and "'posts'" in r.stderr
    r = quota("strip", SAMPLES / "v2_pages.jsonl", "-o", "out", "--format", "yaml")
    assert r.exit_code == 2 and "unknown format" in r.stderr
    r = quota("strip", SAMPLES / "post_ids.txt", "-o", "out", "--ids", "post,user")
    assert r.exit_code == 2 and "one kind of ID" in r.stderr
    r = quota("strip", SAMPLES / "post_ids.txt", "-o", "out", "--out-format", "parquet", "--gzip")
    assert r.exit_code == 2 and "--gzip applies to txt and csv" in r.stderr
    assert not Path("out").exists()


def test_skip_bad_reports_every_skipped_line(tmp_path: Path) -> None:
    name, content, _, _ = CASES["json float"]
    (tmp_path / name).write_text(content + CASES["invalid json"][1])
    r = quota("strip", name, "-o", "out", "--skip-bad", "--ids", "post,user")
    assert r.exit_code == 0, r.stderr
    assert "skipped 2 bad lines, first at p.jsonl:3, p.jsonl:5" in r.stderr
    doc = manifest(tmp_path / "out")
    entry = doc["inputs"][0]
    assert entry["bad_lines"] == 2 and doc["bad_lines"] == 2
    assert [b["line"] for b in entry["first_bad_lines"]] == [3, 5]
    assert "floating-point" in entry["first_bad_lines"][0]["problem"]
    assert entry["lines"] == 5 and entry["posts_read"] == 3
    assert (tmp_path / "out" / "post_ids.txt").read_text() == "1234567890123456789\n"


def test_skip_bad_on_the_sample_with_bad_lines() -> None:
    r = quota("strip", SAMPLES / "v2_pages_bad.jsonl", "-o", "out", "--skip-bad")
    assert r.exit_code == 0
    entry = manifest(Path("out"))["inputs"][0]
    assert entry["bad_lines"] > 0 and entry["lines"] == 10
    assert entry["reader"] == "careful"


# ------------------------------------------------------------------ what the attack run found (issue 30)


@pytest.fixture
def acme() -> None:
    from conftest import init_acme

    init_acme()


@pytest.mark.parametrize("value", ["9007199254740992", "9223372036854775808", "1e309", "inf", "nan", "86401"])
def test_sql_time_limits_out_of_range_are_refused(acme: None, value: str) -> None:
    r = quota("sql", "SELECT 1", "--timeout", value)
    assert r.exit_code == 2 and "the time limit is a number of seconds above 0 and at most 86,400" in r.stderr


@pytest.mark.parametrize(
    ("stdin", "words"),
    [(b"\xff\xfeSELECT 1", "is not UTF-8 text (byte 1)"), (b"SELECT 1\x00", "holds a NUL byte"),
     (b"S" * ((1 << 20) + 1), "longer than 1 MiB")],
)  # fmt: skip
def test_sql_from_stdin_that_is_not_text_is_refused(acme: None, stdin: bytes, words: str) -> None:
    r = quota("sql", "-", input=stdin)
    assert r.exit_code == 2 and words in r.stderr, r.stderr


def test_a_split_past_any_file_is_a_usage_error(tmp_path: Path) -> None:
    r = quota("strip", SAMPLES / "v2_pages.jsonl", "-o", "out", "--split", str(2**63))
    assert r.exit_code == 2 and "--split" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://u@127.0.0.1:99999/test", "not a valid postgresql:// URL (Port out of range"),
        ("postgresql://u@[::1/test", "not a valid postgresql:// URL (Invalid IPv6 URL)"),
        ("file:///tmp/ledger.duckdb", "is not a ledger quota can open"),
        ("mysql://db/ledger", "is not a ledger quota can open"),  # DuckDB would fetch an extension for it
        ("s3://bucket/ledger.duckdb", "is not a ledger quota can open"),
    ],
)
def test_ledger_places_that_are_not_a_file_or_a_postgres_url(tmp_path: Path, url: str, words: str) -> None:
    for args in (("entity", "list", "--db", url), ("ledger", "copy", "--to", url), ("init", "--db", url)):
        if args[0] == "ledger":
            assert quota("init").exit_code == 0
        r = quota(*args)
        assert r.exit_code == 2 and words in r.stderr, (args, r.stderr)


def test_an_import_longer_than_its_limit_is_refused_at_once(acme: None, tmp_path: Path) -> None:
    rows = "".join("2026-06-01T00:00:00Z,acme,0\n" for _ in range(10_001))
    (tmp_path / "long.csv").write_text("at,entity,post_ids\n" + rows)
    r = quota("ledger", "import", tmp_path / "long.csv")
    assert r.exit_code == 4 and "line 10002: has more than 10,000 rows" in r.stderr, r.stderr
    (tmp_path / "ok.csv").write_text("at,entity,post_ids\n" + rows[: 28 * 2_000])
    r = quota("ledger", "import", tmp_path / "ok.csv")  # 2,000 rows: one statement per table, not per row
    assert r.exit_code == 0 and "imported 2,000 past distributions" in r.stderr, r.stderr
    assert quota("ledger", "verify").exit_code == 0


def test_documents_are_regular_files_never_waited_on(acme: None, tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # nobody writes to it: reading it would wait forever
    for args in (
        ("notice", "add", fifo, "--kind", "post"),
        ("notice", "add", SAMPLES / "v2_pages.jsonl", "--kind", "post", "--job", fifo),
        ("ledger", "verify", "--checkpoint", fifo),
        ("who-received", "--file", fifo),
        ("entity", "accept-terms", "acme", "--by", "J", "--version", "v", "--method", "signed PDF", "--evidence", fifo),
    ):
        r = quota(*args)
        assert r.exit_code == 4 and "is a pipe, not a file" in r.stderr, (args, r.stderr)
    r = quota("notice", "add", "/dev/zero", "--kind", "post")
    assert r.exit_code == 4 and "not a regular file" in r.stderr


def test_a_misspelled_name_gets_the_nearest_ones(acme: None, tmp_path: Path) -> None:
    for args in (("person", "add", "ana", "--entity", "acme"), ("entity", "add", "acme-labs", "--name", "Labs")):
        assert quota(*args).exit_code == 0
    cases = [
        (("usage", "acmee"), "no entity 'acmee' in the ledger (did you mean acme"),
        (("export", SAMPLES / "v2_pages.jsonl", "--to", "acme-lab", "-o", "o"), "did you mean acme-labs"),
        (("export", SAMPLES / "v2_pages.jsonl", "--to", "acme", "--person", "anna", "-o", "o"),
         "no person 'anna' in the ledger (did you mean ana? add it with quota person add)"),
        (("request", "show", "req-1"), "no request 'req-1' in the ledger"),
        (("dataset", "show", "demo"), "no dataset 'demo' in the ledger (register it with quota dataset add)"),
    ]  # fmt: skip
    for args, words in cases:
        r = quota(*args)
        assert r.exit_code == 2 and words in r.stderr, (args, r.stderr)


def test_every_command_that_writes_says_what_it_wrote_as_json(tmp_path: Path) -> None:
    import json

    from conftest import TERMS

    def doc(*args: object) -> dict:
        r = quota(*args, "--json")
        assert r.exit_code == 0, (args, r.stderr)
        return json.loads(r.stdout)

    assert doc("init")["done"] == "created"
    assert doc("entity", "add", "acme", "--name", "Acme")["entity"] == "acme"
    assert quota("entity", "accept-terms", *TERMS, "acme", "--by", "J", "--at", "2026-01-01T00:00:00Z").exit_code == 0
    assert doc("person", "add", "ana", "--entity", "acme")["person"] == "ana"
    assert doc("policy", "use", "x-developer-policy-utc-day", "--reason", "counsel", "--by", "C")["event"] > 0
    (tmp_path / "past.csv").write_text("at,entity,post_ids\n2026-06-01T00:00:00Z,acme,3\n")
    (made,) = doc("ledger", "import", tmp_path / "past.csv")
    assert (made["entity"], made["post_ids"], made["basis"]) == ("acme", 3, "import")
    cp = doc("ledger", "checkpoint")
    assert cp["checkpoint"].startswith("quota-checkpoint ") and cp["log"] is None
    report = doc("report", "-o", tmp_path / "r.html")
    assert report["verified"] and report["entities"] == 1


def test_an_answer_past_its_bound_stops_before_it_fills_the_memory(acme: None) -> None:
    r = quota("sql", "SELECT repeat('x', 1000) AS t FROM range(400000)", "--json")  # 400 MB of text
    assert r.exit_code == 2 and "the query returns more than 256 MiB: aggregate or LIMIT it" in r.stderr
    assert r.stdout == ""
