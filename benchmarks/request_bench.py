"""How long a researcher's request takes to evaluate on a large collection, beside `strip` of it.

    python benchmarks/request_bench.py                 # ~1 GB of v2 pages
    python benchmarks/request_bench.py --size-mb 200   # quicker
    python benchmarks/request_bench.py --baseline ../older-checkout   # beside an older quota

A dataset of one synthetic v2-pages file (quota.testing.synth, generated once into benchmarks/data/,
ignored by git) is registered in a fresh DuckDB ledger. Then, each as a whole child process
(start-up included), alternating runs and taking the median (peak RSS from wait4): `quota strip --ids post,user` of
the file (the baseline: a request reads the file at least this once), and `quota request
submit` with no filter (Post IDs only), a hashtag and language filter with authors, a period
with the newest 100,000, and a seeded sample of 100,000. Printed: seconds, peak RSS and the
ratio to strip, and for the filters that read fields, the engine's floor (strip plus DuckDB
parsing those fields besides strip's). With --baseline DIR, the same runs with that checkout's
quota (by PYTHONPATH, its own ledger), case by case in turn. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The engine's floor for a filter: DuckDB parsing the file with strip's fields and with those
# the filter reads too (quota.readers.fields), in one child; strip plus the difference bounds
# what a request can cost with one parse of the file.
FLOOR = """
import sys, time, duckdb
from quota.ids import Kind
from quota.readers.fast import _element_schema, duckdb_type, merged
from quota.readers.fields import Needs, schema
from quota.readers.records import Want
path, lang, author, created, tags = sys.argv[1], *(a == "1" for a in sys.argv[2:6])
needs = Needs(lang=lang, author=author, created=created, hashtags=("data",) if tags else ())
base = _element_schema(Want(frozenset({Kind.POST, Kind.USER})), True)
best = {}
for _ in range(3):
    for name, el in (("strip", base), ("fields", merged(base, schema("v2-pages", needs)))):
        con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": False})
        t = time.perf_counter()
        con.execute(f\"\"\"CREATE TABLE lines AS SELECT r AS t FROM read_json(?, columns = {{'data': '{duckdb_type([el])}',
                       'errors': 'JSON', 'meta': 'JSON'}}, records = true, format = 'newline_delimited') AS r\"\"\", [path])
        con.execute("CREATE TABLE el AS SELECT unnest(t.data) AS e FROM lines")
        best[name] = min(best.get(name, 1e9), time.perf_counter() - t)
        con.close()
print(best["fields"] - best["strip"])
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of `quota ARGS` as one child process, run from
    outside the checkout so that PYTHONPATH decides which quota runs."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "quota", *args], env=env, stdout=out, stderr=err, cwd=tempfile.gettempdir()
        )
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(args)}: {err.read()}")
        return took, usage.ru_maxrss / 1024, out.read()


def setup(pages: Path, code: Path | None) -> dict[str, str]:
    """A fresh DuckDB ledger with the dataset registered, for the quota of `code` (None: this
    checkout); the environment its commands run in."""
    work = Path(tempfile.mkdtemp(prefix="request-bench-"))
    env = {**os.environ, "QUOTA_DB": str(work / "ledger.duckdb"), "PYTHONPATH": str(code or HERE.parent)}
    for args in (
        ["init"],
        ["entity", "add", "acme", "--name", "Acme"],
        ["entity", "accept-terms", "acme", "--by", "J", "--version", "XDA 2026-10", "--method", "web form"],
        ["person", "add", "ana", "--entity", "acme"],
    ):
        run(args, env)
    took, rss, _ = run(["dataset", "add", "big", str(pages), "--title", "Big", "--description", "Synthetic"], env)
    print(f"{pages.name}: {pages.stat().st_size / 1e6:,.0f} MB; dataset add {took:.2f} s, {rss:,.0f} MiB peak")
    env["BENCH_WORK"] = str(work)
    return env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", type=Path, default=None, help="an older checkout: the same runs with its quota")
    a = ap.parse_args()
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    pages = data / f"v2_pages_{a.size_mb}mb.jsonl"
    if not pages.exists():
        from quota.testing.synth import write_bench

        write_bench("v2", pages, a.size_mb)
    codes: dict[str, Path | None] = {"this": None, **({"baseline": a.baseline.resolve()} if a.baseline else {})}
    envs = {name: setup(pages, code) for name, code in codes.items()}

    ask = ["request", "submit", "--dataset", "big", "--person", "ana", "--purpose", "bench", "--json"]
    cases = {
        "strip --ids post,user": ["strip", str(pages), "--ids", "post,user", "-o", "{work}/s", "--force"],
        "submit, no filter": ask,
        "submit --hashtag --lang, post,user": [*ask, "--hashtag", "data", "--lang", "en", "--ids", "post,user"],
        "submit --from --until --newest 100k": [*ask, "--from", "2025-03-01T06:00:00Z", "--until",
                                                "2025-03-20T00:00:00Z", "--newest", "100000"],
        "submit --sample 100k --seed": [*ask, "--sample", "100000", "--seed", "7"],
    }  # fmt: skip
    # What each filter reads (lang, author, created, hashtags): the floor's parse.
    reads = {"submit --hashtag --lang, post,user": "1101", "submit --from --until --newest 100k": "0010"}
    times: dict[tuple[str, str], list[float]] = {(c, k): [] for c in codes for k in cases}
    peaks: dict[tuple[str, str], float] = dict.fromkeys(times, 0.0)
    counts: dict[str, int] = {}
    for _ in range(a.runs):  # alternating: the page cache favours no one
        for name, args in cases.items():
            for code, env in envs.items():
                took, rss, out = run([x.replace("{work}", env["BENCH_WORK"]) for x in args], env)
                times[code, name].append(took)
                peaks[code, name] = max(peaks[code, name], rss)
                if out.strip().startswith("{"):
                    counts[name] = json.loads(out)["post_ids"]
    env = envs["this"]
    floors = {
        name: float(subprocess.run([sys.executable, "-c", FLOOR, str(pages), *flags], env=env, check=True,
                                   capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout)
        for name, flags in reads.items()
    }  # fmt: skip
    for code in codes:
        base = statistics.median(times[code, "strip --ids post,user"])
        print(f"\n{code}: {'':30} {'median s':>9} {'peak MiB':>9} {'× strip':>8} {'Post IDs':>10}")
        for name in cases:
            m = statistics.median(times[code, name])
            chosen = f"{counts[name]:,}" if name in counts else ""
            target = ""
            if name.startswith("submit"):
                target = "  (target <= 1.5"
                if name in floors:
                    target += f"; floor, strip + DuckDB parsing the filter's fields: {(base + floors[name]) / base:.2f}"
                target += ")"
            print(f"{name:38} {m:9.2f} {peaks[code, name]:9,.0f} {m / base:8.2f} {chosen:>10}{target}")


if __name__ == "__main__":
    main()
