"""`quota strip` end to end through click: outputs, manifest, options, atomic writing."""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES, manifest, quota

IDS = ["100", "9", "18446744073709551615", "10", "9", "1234567890123456789"]
SORTED = ["9", "10", "100", "1234567890123456789", "18446744073709551615"]


@pytest.fixture
def idfile(tmp_path: Path) -> Path:
    p = tmp_path / "ids.txt"
    p.write_text("".join(i + "\n" for i in IDS))
    return p


def test_output_is_unique_numeric_order_lf_no_header(idfile: Path) -> None:
    r = quota("strip", idfile, "-o", "out")
    assert r.exit_code == 0
    assert Path("out/post_ids.txt").read_bytes() == ("\n".join(SORTED) + "\n").encode()
    assert sorted(p.name for p in Path("out").iterdir()) == ["manifest.json", "post_ids.txt"]


def test_manifest_accounts_for_inputs_and_outputs(idfile: Path) -> None:
    quota("strip", idfile, "-o", "out")
    doc = manifest(Path("out"))
    (entry,) = doc["inputs"]
    assert entry["path"] == str(idfile)
    assert entry["bytes"] == idfile.stat().st_size
    assert entry["sha256"] == hashlib.sha256(idfile.read_bytes()).hexdigest()
    assert (entry["format"], entry["lines"], entry["posts_read"], entry["duplicates_dropped"]) == ("ids", 6, 6, 1)
    assert doc["totals"]["post"] == {"read": 6, "unique": 5, "duplicates_dropped": 1, "source": "declared"}
    (out,) = doc["outputs"]
    assert out["path"] == "post_ids.txt" and out["count"] == 5
    assert out["sha256"] == hashlib.sha256(Path("out/post_ids.txt").read_bytes()).hexdigest()
    assert doc["tool"] == "quota" and doc["version"]


def test_json_prints_the_manifest_and_quiet_is_silent(idfile: Path) -> None:
    r = quota("strip", idfile, "-o", "out", "--json", "-q")
    assert r.exit_code == 0 and r.stderr == ""
    assert json.loads(r.stdout) == manifest(Path("out"))


def test_summary_is_one_line_without_progress_bar_when_not_a_terminal(idfile: Path) -> None:
    r = quota("strip", idfile, "-o", "out")
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "\r" not in r.stderr
    assert "5 post IDs" in r.stderr and "1 duplicate dropped" in r.stderr


def test_csv_and_parquet_outputs_hold_ids_as_text(idfile: Path) -> None:
    import pyarrow.parquet as pq

    assert quota("strip", idfile, "-o", "c", "--out-format", "csv").exit_code == 0
    assert Path("c/post_ids.csv").read_text().splitlines() == ["post_id", *SORTED]
    assert quota("strip", idfile, "-o", "p", "--out-format", "parquet").exit_code == 0
    table = pq.read_table("p/post_ids.parquet")
    assert str(table.schema.field("post_id").type) == "string"
    assert table.column("post_id").to_pylist() == SORTED


def test_gzip_is_deterministic_and_matches_plain(idfile: Path) -> None:
    quota("strip", idfile, "-o", "a", "--gzip")
    quota("strip", idfile, "-o", "b", "--gzip")
    a, b = Path("a/post_ids.txt.gz").read_bytes(), Path("b/post_ids.txt.gz").read_bytes()
    assert a == b
    assert gzip.decompress(a).decode().splitlines() == SORTED


def test_split_writes_numbered_parts_in_order(idfile: Path) -> None:
    assert quota("strip", idfile, "-o", "out", "--split", "2").exit_code == 0
    parts = sorted(Path("out").glob("post_ids.part*.txt"))
    assert [p.name for p in parts] == [f"post_ids.part000{i}.txt" for i in (1, 2, 3)]
    assert [p.read_text().splitlines() for p in parts] == [SORTED[0:2], SORTED[2:4], SORTED[4:]]
    assert [o["count"] for o in manifest(Path("out"))["outputs"]] == [2, 2, 1]


def test_several_inputs_are_deduplicated_together(idfile: Path, tmp_path: Path) -> None:
    other = tmp_path / "more.txt"
    other.write_text("7\n9\n")
    r = quota("strip", idfile, other, SAMPLES / "post_ids.txt", "-o", "out")
    assert r.exit_code == 0
    sample = (SAMPLES / "post_ids.txt").read_text().split()
    got = Path("out/post_ids.txt").read_text().split()
    assert got == sorted(set([*IDS, "7", *sample]), key=int)
    assert len(manifest(Path("out"))["inputs"]) == 3


def test_stdin(idfile: Path) -> None:
    data = idfile.read_bytes()
    r = quota("strip", "-", "-o", "out", input=data)
    assert r.exit_code == 0, r.stderr
    assert Path("out/post_ids.txt").read_text().split() == SORTED
    entry = manifest(Path("out"))["inputs"][0]
    assert entry["path"] == "-" and entry["sha256"] == hashlib.sha256(data).hexdigest()
    gz = gzip.compress((SAMPLES / "v2_pages.jsonl").read_bytes())
    r = quota("strip", "-", "-o", "gz", input=gz)
    assert r.exit_code == 0 and manifest(Path("gz"))["inputs"][0]["compression"] == "gzip"


def test_existing_outdir_is_refused_unless_force(idfile: Path) -> None:
    Path("out").mkdir()
    Path("out/keep.txt").write_text("x")
    r = quota("strip", idfile, "-o", "out")
    assert r.exit_code == 2 and "not empty" in r.stderr and "--force" in r.stderr
    assert Path("out/keep.txt").exists()
    assert quota("strip", idfile, "-o", "out", "--force").exit_code == 0
    assert not Path("out/keep.txt").exists() and Path("out/post_ids.txt").exists()
    Path("empty").mkdir()
    assert quota("strip", idfile, "-o", "empty").exit_code == 0


def test_a_failure_while_writing_leaves_nothing(idfile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quota import output

    real = output.write_kind

    def write_then_fail(*args: object, **kw: object) -> object:
        real(*args, **kw)  # type: ignore[arg-type]
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(output, "write_kind", write_then_fail)
    r = quota("strip", idfile, "-o", "out")
    # Storage trouble: exit 5, one sentence naming the directory the user gave.
    assert r.exit_code == 5 and "cannot write out: No space left" in r.stderr and len(r.stderr.splitlines()) == 1
    assert not Path("out").exists()
    assert [p.name for p in Path(".").iterdir() if p.name.startswith(".")] == []


def test_kinds_and_referenced() -> None:
    r = quota("strip", SAMPLES / "dm_events.jsonl", "-o", "dm", "--ids", "dm,user")
    assert r.exit_code == 0
    events = [e for line in (SAMPLES / "dm_events.jsonl").read_text().splitlines() for e in json.loads(line)["data"]]
    assert Path("dm/dm_ids.txt").read_text().split() == sorted({e["id"] for e in events}, key=int)
    assert Path("dm/user_ids.txt").read_text().split() == sorted({e["sender_id"] for e in events}, key=int)
    quota("strip", SAMPLES / "v2_pages.jsonl", "-o", "plain")
    quota("strip", SAMPLES / "v2_pages.jsonl", "-o", "ref", "--referenced")
    plain = set(Path("plain/post_ids.txt").read_text().split())
    ref = set(Path("ref/post_ids.txt").read_text().split())
    assert plain < ref


def test_help_does_not_import_duckdb_polars_or_arrow() -> None:
    code = (
        "import sys; from quota.cli import main; rc = main(['--help']); "
        "heavy = [m for m in ('duckdb', 'polars', 'pyarrow') if m in sys.modules]; "
        "print(heavy, file=sys.stderr); sys.exit(rc or (1 if heavy else 0))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "strip" in done.stdout


def test_python_dash_m_quota() -> None:
    done = subprocess.run([sys.executable, "-m", "quota", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and "quota" in done.stdout


def test_counts_take_the_right_plural(tmp_path: Path) -> None:
    one = tmp_path / "one.txt"
    one.write_text("1895625031960240129\n")
    r = quota("strip", one, "-o", "out")
    assert r.exit_code == 0 and "to 1 post ID in" in r.stderr and "1 input (" in r.stderr and "1 line)" in r.stderr
    from quota.cli.common import plural as _n

    assert [_n(1, "entity"), _n(2, "entity"), _n(0, "Post ID"), _n(2, "day")] == [
        "1 entity", "2 entities", "0 Post IDs", "2 days",
    ]  # fmt: skip


def test_a_huge_bad_value_gives_a_short_message(tmp_path: Path) -> None:
    src = tmp_path / "v1.jsonl"
    src.write_text(json.dumps({"id_str": {"nested": "x" * 200_000}, "text": "t", "user": {"id_str": "1"}}) + "\n")
    r = quota("strip", src, "-o", "out")
    assert r.exit_code == 4 and len(r.stderr) <= 310 and "line 1" in r.stderr, r.stderr


# ------------------------------------------------------------------ inputs real files showed (issue 30)

# The shape of a 2007 v1 Direct Message (as python-twitter's test data keeps one): `id` and
# `text` are a message's, never a post's. Values synthetic.
DM_2007 = {"created_at": "Mon Jun 04 00:07:58 +0000 2007", "recipient_id": 718443, "sender_id": 673483,
           "text": "synthetic", "sender_screen_name": "synth_a", "id": 3444662, "recipient_screen_name": "synth_b"}  # fmt: skip
DM_V11 = {"id": 240136858829479936, "id_str": "240136858829479936", "text": "synthetic", "sender_id": 42,
          "sender_id_str": "42", "recipient_id": 43, "recipient_id_str": "43", "sender": {"id_str": "42"},
          "recipient": {"id_str": "43"}, "created_at": "Mon Aug 27 17:21:03 +0000 2012"}  # fmt: skip


@pytest.mark.parametrize("shape", ["array", "lines"])
def test_v1_direct_messages_are_dms_never_posts(tmp_path: Path, shape: str) -> None:
    src = tmp_path / "dms.json"
    if shape == "array":
        src.write_text(json.dumps([DM_2007, DM_V11]))
    else:
        src.write_text(json.dumps(DM_2007) + "\n" + json.dumps(DM_V11) + "\n")
    r = quota("strip", src, "-o", "out", "--ids", "dm,user")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "out" / "dm_ids.txt").read_text().split() == ["3444662", "240136858829479936"]
    assert (tmp_path / "out" / "user_ids.txt").read_text().split() == ["42", "673483"]
    assert manifest(tmp_path / "out")["inputs"][0]["format"] == ("v1-dm-array" if shape == "array" else "v1-dms")
    r = quota("strip", src, "-o", "posts")
    assert r.exit_code == 4 and "none of the IDs asked for" in r.stderr  # no Post ID in them


def archive_zip(path: Path, **parts: list[dict]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        for member, items in parts.items():
            name = member.replace("_", "-")
            z.writestr(f"Archive/data/{name}.js", f"window.YTD.{member}.part0 = {json.dumps(items)}")
    return path


def post(i: int) -> dict:
    return {"tweet": {"id_str": str(1895625031960240129 + i), "full_text": f"synthetic {i}",
                      "created_at": "Fri Feb 28 10:00:00 +0000 2025"}}  # fmt: skip


def test_an_x_archive_zip_is_read_for_its_posts_and_nothing_else(tmp_path: Path) -> None:
    zipped = archive_zip(
        tmp_path / "twitter-2025-02-28.zip",
        tweets=[post(0), post(1)], community_tweet=[post(7)],
        deleted_tweets=[post(9)], account=[{"account": {"accountId": "42"}}],
    )  # fmt: skip
    r = quota("strip", zipped, "-o", "out")
    assert r.exit_code == 0, r.stderr
    assert (tmp_path / "out" / "post_ids.txt").read_text().split() == [str(1895625031960240129 + i) for i in (0, 1, 7)]
    assert manifest(tmp_path / "out")["inputs"][0]["format"] == "archive-zip"
    community = tmp_path / "community-tweet.js"
    community.write_text("window.YTD.community_tweet.part0 = " + json.dumps([post(3)]))
    r = quota("strip", community, "-o", "c")
    assert r.exit_code == 0 and (tmp_path / "c" / "post_ids.txt").read_text().split() == [str(1895625031960240132)]
    import zipfile

    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("notes.txt", "nothing of X's")
    r = quota("strip", tmp_path / "other.zip", "-o", "o")
    assert r.exit_code == 4 and "is a zip file but not an X account archive" in r.stderr
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    r = quota("strip", tmp_path / "bad.zip", "-o", "b")
    assert r.exit_code == 4 and "Traceback" not in r.stderr


def test_ids_a_spreadsheet_rounded_are_refused_and_real_ones_ending_in_zeros_are_not(tmp_path: Path) -> None:
    rounded = ["1895625031960240000", "1895625031960250000", "189562503196026000", "1895625031960270000"]
    (tmp_path / "excel.csv").write_text("id\n" + "\n".join(rounded) + "\n")
    (tmp_path / "excel.txt").write_text("1895625031960240129\n" + "\n".join(rounded) + "\n")
    for name, line in (("excel.csv", 2), ("excel.txt", 2)):
        r = quota("strip", tmp_path / name, "-o", "out")
        assert r.exit_code == 4 and f"{name}, line {line}: ID 1895625031960240000 has only 15 significant" in r.stderr
        assert "Excel" in r.stderr and not (tmp_path / "out").exists()
    r = quota("strip", tmp_path / "excel.txt", "-o", "kept", "--skip-bad", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["inputs"][0]["bad_lines"] == 4
    assert (tmp_path / "kept" / "post_ids.txt").read_text().split() == ["1895625031960240129"]
    # A real list: 1 ID in 10,000 of 19 digits ends in 0000 by chance, and is kept; so is a short
    # list with one such ID among others.
    (tmp_path / "short.txt").write_text("1895625031960240000\n1895625031960240129\n1895625031960240131\n")
    assert quota("strip", tmp_path / "short.txt", "-o", "s").exit_code == 0
    real = [1895625031960240129 + 7919 * i for i in range(30_000)]
    assert sum(1 for v in real if v % 10_000 == 0) >= 2
    (tmp_path / "real.txt").write_text("".join(f"{v}\n" for v in real))
    r = quota("strip", tmp_path / "real.txt", "-o", "r")
    assert r.exit_code == 0 and len((tmp_path / "r" / "post_ids.txt").read_text().split()) == 30_000


def test_the_progress_bar_never_goes_back() -> None:
    """Each query of an input reports from 0 %; an input's share is its bytes: the bar shows
    the most done so far (export showed 97.7 % then 84.3 %, strip 97.7 % then 0.0 %)."""
    import io
    import re

    from quota.cli.progress import ByteProgress

    class Query:
        def __init__(self, steps: list[float]) -> None:
            self.steps = steps

        def query_progress(self) -> float:
            return self.steps.pop(0)

    out = io.StringIO()
    bar = ByteProgress(1000, out, drawing=False)
    bar.begin("a.jsonl", 600, Query([50.0, 97.7, 0.0, 40.0, 100.0]))
    for _ in range(5):
        bar.draw()
    bar.end()
    bar.begin("b.jsonl", 400, Query([-1.0, 10.0]))
    bar.draw()
    bar.draw()
    bar.close()
    shown = [float(x) for x in re.findall(r"\] +([0-9.]+)%", out.getvalue())]
    assert shown == sorted(shown) and shown[0] == 30.0 and shown[-1] == 64.0
