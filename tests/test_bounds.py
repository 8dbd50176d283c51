"""Bounded everything, and the right exit code for every input a user can give: endless and
odd files, a query that never ends, a damaged or read-only ledger, values out of range."""

from __future__ import annotations

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import LETTER, SAMPLES, init_acme, quota

PAGES = SAMPLES / "v2_pages.jsonl"


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    init_acme()
    return tmp_path / "ledger.duckdb"


def one_sentence(stderr: str) -> bool:
    return len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr and "unexpected" not in stderr


# ------------------------------------------------------------------ quota sql


def test_sql_stops_at_its_time_limit_and_frees_the_lock(ledger: Path) -> None:
    r = quota("sql", "SELECT count(*) FROM range(1000000000000::BIGINT)", "--timeout", "1")
    assert r.exit_code == 2 and "time limit of 1 s" in r.stderr and one_sentence(r.stderr)
    assert quota("entity", "add", "next", "--name", "N", "--wait", "1").exit_code == 0


def test_sql_has_a_memory_and_a_row_limit(ledger: Path) -> None:
    r = quota("sql", "SELECT list(range) FROM range(200000000)")
    assert r.exit_code == 2 and "memory" in r.stderr and one_sentence(r.stderr)
    r = quota("sql", "SELECT * FROM range(1000001)")
    assert r.exit_code == 2 and "more than 1,000,000 rows" in r.stderr


def test_sql_json_renders_every_type(ledger: Path) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "out").exit_code == 0
    assert quota("entity", "add", "uni", "--name", "U", "--kind", "academic").exit_code == 0
    args = ("--entity", "uni", "--kind", "academic", "--approved-on", "2026-10-01", "--from", "2026-10-01")
    assert (
        quota(
            "exemption", "add", "X-A", *args, "--until", "2027-10-01", "--post-ids", "10", "--user-ids", "0"
        ).exit_code
        == 0
    )
    for query in ("SELECT * FROM exemptions", "SUMMARIZE reservations", "SUMMARIZE lineage"):
        r = quota("sql", query, "--json")
        assert r.exit_code == 0, (query, r.stderr)
        assert json.loads(r.stdout)
    r = quota(
        "sql",
        "SELECT 'inf'::DOUBLE AS f, '-inf'::DOUBLE AS g, 'nan'::DOUBLE AS n, INTERVAL 90 MINUTE AS i, "
        "'\\xAA\\x01'::BLOB AS b, '7b0a1f2e-5d0a-4c1e-9a5b-2f3c4d5e6f70'::UUID AS u, 1.50::DECIMAL(4, 2) AS d, "
        "DATE '2026-01-01' AS dt, TIME '10:00:00' AS t, 18446744073709551615::UBIGINT AS id, "
        "MAP {DATE '2026-01-01': 1} AS m, 9007199254740993::BIGINT AS big",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    (row,) = json.loads(r.stdout)  # strict JSON: no bare Infinity or NaN
    assert row == {
        "f": "Infinity", "g": "-Infinity", "n": "NaN", "i": "P0DT1H30M0S", "b": "aa01",
        "u": "7b0a1f2e-5d0a-4c1e-9a5b-2f3c4d5e6f70", "d": "1.50", "dt": "2026-01-01", "t": "10:00:00",
        "id": "18446744073709551615", "m": {"2026-01-01": 1}, "big": "9007199254740993",
    }  # fmt: skip
    ids = json.loads(quota("sql", "SELECT id FROM delivered_ids LIMIT 3", "--json").stdout)
    assert all(isinstance(r["id"], str) for r in ids)  # ID columns are text, however small
    assert quota("sql", "SELECT * FROM exemptions", "--csv").exit_code == 0


# ------------------------------------------------------------------ endless, odd and huge inputs


@pytest.mark.parametrize(
    "args",
    [
        ("strip", "/dev/zero", "-o", "out"),
        ("notice", "add", "/dev/zero", "--kind", "post"),
        ("ledger", "import", "/dev/zero"),
        ("ledger", "verify", "--checkpoint", "/dev/zero"),
        ("who-received", "--file", "/dev/zero"),
        ("manual", "/dev/zero", "--person", "p", "-o", "x.csv"),
    ],
)
def test_a_device_is_refused_at_once(ledger: Path, args: tuple[str, ...]) -> None:
    if args[0] == "manual":
        assert quota("person", "add", "p", "--entity", "acme").exit_code == 0
    r = quota(*args)
    assert r.exit_code == 4 and "not a regular file" in r.stderr and one_sentence(r.stderr), r.stderr


def gzip_of(path: Path, chunk: bytes, mib: int) -> Path:
    with gzip.open(path, "wb", compresslevel=1) as f:
        for _ in range(mib):
            f.write(chunk * ((1 << 20) // len(chunk)))
    return path


@pytest.mark.parametrize("chunk", [b"\0", b"a", b"{"])
def test_a_gzip_bomb_stops_at_the_line_limit(tmp_path: Path, chunk: bytes) -> None:
    """70 MiB without a line end, 70 KB compressed: more than a line of X data can be."""
    bomb = gzip_of(tmp_path / "bomb.jsonl.gz", chunk, 70)
    assert bomb.stat().st_size < 1 << 20
    r = quota("strip", bomb, "-o", "out")
    assert r.exit_code == 4 and "longer than 64 MiB" in r.stderr and one_sentence(r.stderr), r.stderr
    assert not (tmp_path / "out").exists()


def test_a_whole_document_has_a_size_limit(tmp_path: Path) -> None:
    big = gzip_of(tmp_path / "tweets.js.gz", b"window.YTD.tweets.part0 = [" + b" " * 1000, 520)
    r = quota("strip", big, "-o", "out")
    assert r.exit_code == 4 and "larger than 512 MiB" in r.stderr and one_sentence(r.stderr), r.stderr


def test_endless_stdin_without_line_ends_stops(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "quota", "strip", "-", "-o", str(tmp_path / "out")],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    block = b"x" * (1 << 20)
    try:
        for _ in range(600):
            proc.stdin.write(block)  # type: ignore[union-attr]
    except BrokenPipeError:
        pass
    err = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 4 and "without a line end" in err
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[Path, threading.Thread]]:
    path = tmp_path / "pipe"
    os.mkfifo(path)

    def write(data: bytes) -> threading.Thread:
        t = threading.Thread(target=lambda: path.write_bytes(data), daemon=True)
        t.start()
        return t

    yield path, write  # type: ignore[misc]


def test_a_fifo_is_read_once_and_correctly(ledger: Path, fifo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, write = fifo
    t = write(PAGES.read_bytes())
    r = quota("strip", path, "-o", "from-fifo", "--ids", "post,user")
    t.join(5)
    assert r.exit_code == 0, r.stderr
    assert quota("strip", PAGES, "-o", "from-file", "--ids", "post,user").exit_code == 0
    for name in ("post_ids.txt", "user_ids.txt"):
        assert (tmp_path / "from-fifo" / name).read_bytes() == (tmp_path / "from-file" / name).read_bytes()
    t = write(b"at,entity,post_ids\n2026-11-01T00:00:00Z,acme,10\n")
    r = quota("ledger", "import", path)
    t.join(5)
    assert r.exit_code == 0, r.stderr


# ------------------------------------------------------------------ the ledger file itself


@pytest.mark.slow
def test_a_damaged_ledger_fails_verification_with_exit_5(ledger: Path, tmp_path: Path) -> None:
    for i in range(3):
        assert quota("export", PAGES, "--to", "acme", "-o", f"out{i}", "--ids", "post,user").exit_code == 0
    size = ledger.stat().st_size
    codes = []
    for i in range(24):
        rnd = random.Random(i)
        copy = tmp_path / f"damaged{i}.duckdb"
        shutil.copy(ledger, copy)
        with open(copy, "r+b") as f:
            if i % 5 == 4:
                f.truncate(rnd.randrange(size // 2))
            else:
                f.seek(rnd.randrange(size // 4096) * 4096)
                f.write(rnd.randbytes(4096))
        r = subprocess.run(
            [sys.executable, "-m", "quota", "ledger", "verify", "--db", str(copy)], capture_output=True, text=True
        )
        assert r.returncode in (0, 5) and (r.returncode == 0 or one_sentence(r.stderr)), r.stderr
        codes.append(r.returncode)
    assert codes.count(5) >= 5  # the file has free blocks, where damage changes nothing


def test_a_read_only_ledger_can_be_read(ledger: Path, tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(ro)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here; CI runs as root and can")
    try:
        db = ro / "ledger.duckdb"
        assert quota("export", PAGES, "--to", "acme", "-o", "out").exit_code == 0
        shutil.copy(ledger, db)  # no lock file beside it
        assert subprocess.run(["mount", "-o", "remount,ro", str(ro)]).returncode == 0
        for args in (("entity", "list"), ("ledger", "verify"), ("usage", "acme"), ("sql", "SELECT 1")):
            r = quota(*args, "--db", db)
            assert r.exit_code == 0, (args, r.stderr)
        r = quota("entity", "add", "x", "--name", "X", "--db", db)
        assert r.exit_code == 5 and one_sentence(r.stderr) and "read-only" in r.stderr.lower()
        r = quota("init", "--db", ro / "new" / "ledger.duckdb")  # a place that cannot be written
        assert r.exit_code == 5 and one_sentence(r.stderr) and str(ro / "new") in r.stderr
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)


def test_odd_ledger_paths(ledger: Path, tmp_path: Path) -> None:
    r = quota("entity", "list", "--db", "/dev/null")
    assert r.exit_code == 2 and "not a ledger file" in r.stderr and not Path("/dev/null.lock").exists()
    other = tmp_path / "other.duckdb"
    assert quota("init", "--db", other).exit_code == 0
    (tmp_path / "other.duckdb.lock").unlink()
    (tmp_path / "other.duckdb.lock").mkdir()
    r = quota("entity", "list", "--db", other)
    assert r.exit_code == 2 and "lock file" in r.stderr and one_sentence(r.stderr)


def test_verify_checks_the_kind_of_notice_ids(ledger: Path, tmp_path: Path) -> None:
    assert quota("export", PAGES, "--to", "acme", "-o", "out").exit_code == 0
    first = (tmp_path / "out" / "post_ids.txt").read_text().split()[0]
    src = tmp_path / "result.jsonl"
    src.write_text(json.dumps({"id": first, "action": "delete", "reason": "deleted"}) + "\n")
    assert quota("notice", "add", src, "--kind", "post").exit_code == 0
    con = duckdb.connect(str(ledger))
    con.execute("UPDATE deletion_notice_ids SET kind = 2")  # now it would reach no recipient of posts
    con.close()
    r = quota("ledger", "verify")
    assert r.exit_code == 5 and "another kind than the notice" in r.stderr


# ------------------------------------------------------------------ values out of range


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("permission", "add", *LETTER, "P1", "--entity", "acme", "--cap", str(2**63), "--from", "2026-12-01",
          "--until", "2027-01-01"), 2, "--cap"),
        (("permission", "add", *LETTER, "P1", "--entity", "acme", "--cap", str(2**64), "--from", "2026-12-01",
          "--until", "2027-01-01"), 2, "--cap"),
        (("permission", "add", *LETTER, "../x", "--entity", "acme", "--cap", "3000000", "--from", "2026-12-01",
          "--until", "2027-01-01"), 2, "permission '../x' must be"),
        (("exemption", "add", "E1", "--entity", "acme", "--kind", "academic", "--approved-on", "2026-10-01",
          "--from", "2026-10-01", "--until", "2027-01-01", "--post-ids", str(2**64), "--user-ids", "0"), 2, "--post-ids"),
        (("usage", "acme", "--at", "9999-12-31T23:59:59Z"), 2, "outside the times quota records"),
        (("usage", "acme", "--at", "0001-01-01T00:00:00Z"), 2, "outside the times quota records"),
        (("export", str(PAGES), "--to", "acme", "-o", "o", "--at", "0999-01-01T00:00:00Z"), 2, "outside the times"),
        (("usage", "acme", "--need", str(2**64)), 2, "--need"),
    ],
)  # fmt: skip
def test_values_out_of_range_are_usage_errors(ledger: Path, args: tuple[str, ...], code: int, words: str) -> None:
    before = quota("ledger", "checkpoint").stdout.split()[2]
    r = quota(*args)
    assert r.exit_code == code and words in r.stderr, r.stderr
    assert quota("ledger", "checkpoint").stdout.split()[2] == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"at,entity,post_ids\n0001-01-01T00:00:00Z,acme,5\n", "outside the times quota records"),
        (b"at,entity,post_ids\n0999-06-01T00:00:00Z,acme,5\n", "outside the times quota records"),
        (b"at,entity,post_ids\n2026-11-01T00:00:00Z,acme,18446744073709551616\n", "more IDs than"),
        (b"at,entity,post_ids,ids_count\n2026-11-01T00:00:00Z,acme,5,7\n", "'ids_count'"),
        (b"at,entity,post_ids\n2026-11-01T00:00:00Z,acme,5,extra\n", "more fields than the header"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)), "not a CSV file"),
        (b"at,entity,post_ids\n\xff\xfe,acme,5\n", "not UTF-8"),
        (b"at,entity,post_ids\n", "holds no rows"),
    ],
)
def test_bad_import_files_are_bad_input(ledger: Path, tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "past.csv"
    path.write_bytes(content)
    before = quota("ledger", "checkpoint").stdout.split()[2]
    r = quota("ledger", "import", path)
    assert r.exit_code == 4 and words in r.stderr and one_sentence(r.stderr), r.stderr
    assert quota("ledger", "checkpoint").stdout.split()[2] == before


def test_an_empty_notice_file_is_refused(ledger: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"\n\n")
    r = quota("notice", "add", empty, "--kind", "post")
    assert r.exit_code == 4 and "holds no IDs" in r.stderr


def test_a_gzip_arriving_byte_by_byte_on_a_pipe_is_still_gzip(fifo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, _ = fifo
    data = gzip.compress(PAGES.read_bytes())

    def trickle() -> None:
        with open(path, "wb", buffering=0) as f:
            f.write(data[:1])
            time.sleep(0.2)  # the reader sees the first byte alone
            f.write(data[1:])

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    r = quota("strip", path, "-o", "out", "--json")
    t.join(5)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["inputs"][0]["compression"] == "gzip"
