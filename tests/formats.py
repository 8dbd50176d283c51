"""Minimal writers of every input format, for round-trip tests (not the sample generator)."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable
from pathlib import Path

Pairs = list[tuple[str, str]]  # (post or DM ID, author ID)


def _lines(path: Path, objs: list[object]) -> None:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs))


def v2_pages(path: Path, pairs: Pairs) -> None:
    pages = [pairs[i : i + 3] for i in range(0, len(pairs), 3)] or [[]]
    _lines(
        path,
        [
            {"data": [{"id": p, "author_id": u, "text": "x"} for p, u in page], "meta": {"result_count": len(page)}}
            if page
            else {"meta": {"result_count": 0}}
            for page in pages
        ],
    )


def v2_pages_gz(path: Path, pairs: Pairs) -> None:
    plain = path.with_suffix("")
    v2_pages(plain, pairs)
    path.write_bytes(gzip.compress(plain.read_bytes()))
    plain.unlink()


def v2_flat(path: Path, pairs: Pairs) -> None:
    _lines(path, [{"id": p, "author_id": u, "text": "x", "author": {"id": u, "username": "a"}} for p, u in pairs])


def v1(path: Path, pairs: Pairs) -> None:
    # `id` as a raw JSON integer, as X wrote it: readers must take `id_str`.
    path.write_text(
        "".join(f'{{"id": {p}, "id_str": "{p}", "text": "t", "user": {{"id_str": "{u}"}}}}\n' for p, u in pairs)
    )


def v1_array(path: Path, pairs: Pairs) -> None:
    path.write_text(json.dumps([{"id_str": p, "text": "t", "user": {"id_str": u}} for p, u in pairs], indent=2))


def archive(path: Path, pairs: Pairs) -> None:
    body = json.dumps([{"tweet": {"id_str": p, "id": p, "full_text": "x"}} for p, _ in pairs], indent=2)
    path.write_text("window.YTD.tweets.part0 = " + body)


def dm_events(path: Path, pairs: Pairs) -> None:
    _lines(path, [{"data": [{"id": p, "event_type": "MessageCreate", "sender_id": u}]} for p, u in pairs])


def twarc_csv(path: Path, pairs: Pairs) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "author_id", "text"])
        w.writerows([p, u, "multi\nline, text"] for p, u in pairs)


def parquet(path: Path, pairs: Pairs) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table(
            {
                "id": pa.array([int(p) for p, _ in pairs], pa.uint64()),
                "author_id": pa.array([u for _, u in pairs], pa.string()),
            }
        ),
        path,
    )


def id_list(path: Path, pairs: Pairs) -> None:
    path.write_text("".join(p + "\n" for p, _ in pairs))


# name -> (writer, file name, carries authors, primary kind)
WRITERS: dict[str, tuple[Callable[[Path, Pairs], None], str, bool, str]] = {
    "v2-pages": (v2_pages, "in.jsonl", True, "post"),
    "v2-pages-gz": (v2_pages_gz, "in.jsonl.gz", True, "post"),
    "v2-flat": (v2_flat, "in.jsonl", True, "post"),
    "v1": (v1, "in.jsonl", True, "post"),
    "v1-array": (v1_array, "in.json", True, "post"),
    "archive": (archive, "tweets.js", False, "post"),
    "dm-events": (dm_events, "dm.jsonl", True, "dm"),
    "csv": (twarc_csv, "in.csv", True, "post"),
    "parquet": (parquet, "in.parquet", True, "post"),
    "ids": (id_list, "ids.txt", False, "post"),
}
