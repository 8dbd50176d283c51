"""How long a researcher's request takes to evaluate on a large collection, beside `strip` of it.

    python benchmarks/request_bench.py                 # ~1 GB of v2 pages
    python benchmarks/request_bench.py --size-mb 200   # quicker

A dataset of one synthetic v2-pages file (quota.testing.synth, generated once into benchmarks/data/,
ignored by git) is registered in a fresh DuckDB ledger. Then, each as a whole child process
(start-up included), alternating runs and taking the median (peak RSS from wait4): `quota strip --ids post,user` of
the file (the baseline: a request reads the file at least this once), and `quota request
submit` with no filter (Post IDs only), a hashtag and language filter with authors, a period
with the newest 100,000, and a seeded sample of 100,000. Printed: seconds, peak RSS and the
ratio to strip. Nothing is asserted.
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


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of `quota ARGS` as one child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "quota", *args], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(args)}: {err.read()}")
        return took, usage.ru_maxrss / 1024, out.read()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    data = HERE / "data"
    data.mkdir(exist_ok=True)
    pages = data / f"v2_pages_{a.size_mb}mb.jsonl"
    if not pages.exists():
        from quota.testing.synth import write_bench

        write_bench("v2", pages, a.size_mb)
    work = Path(tempfile.mkdtemp(prefix="request-bench-"))
    env = {**os.environ, "QUOTA_DB": str(work / "ledger.duckdb")}
    for args in (
        ["init"],
        ["entity", "add", "acme", "--name", "Acme"],
        ["entity", "accept-terms", "acme", "--by", "J", "--version", "XDA 2026-10", "--method", "web form"],
        ["person", "add", "ana", "--entity", "acme"],
    ):
        run(args, env)
    took, rss, _ = run(["dataset", "add", "big", str(pages), "--title", "Big", "--description", "Synthetic"], env)
    print(f"{pages.name}: {pages.stat().st_size / 1e6:,.0f} MB; dataset add {took:.2f} s, {rss:,.0f} MiB peak")

    ask = ["request", "submit", "--dataset", "big", "--person", "ana", "--purpose", "bench", "--json"]
    cases = {
        "strip --ids post,user": ["strip", str(pages), "--ids", "post,user", "-o", str(work / "s"), "--force"],
        "submit, no filter": ask,
        "submit --hashtag --lang, post,user": [*ask, "--hashtag", "data", "--lang", "en", "--ids", "post,user"],
        "submit --from --until --newest 100k": [*ask, "--from", "2025-03-01T06:00:00Z", "--until",
                                                "2025-03-20T00:00:00Z", "--newest", "100000"],
        "submit --sample 100k --seed": [*ask, "--sample", "100000", "--seed", "7"],
    }  # fmt: skip
    times: dict[str, list[float]] = {k: [] for k in cases}
    peaks: dict[str, float] = dict.fromkeys(cases, 0.0)
    counts: dict[str, int] = {}
    for _ in range(a.runs):  # alternating: the page cache favours no one
        for name, args in cases.items():
            took, rss, out = run(args, env)
            times[name].append(took)
            peaks[name] = max(peaks[name], rss)
            if out.strip().startswith("{"):
                counts[name] = json.loads(out)["post_ids"]
    base = statistics.median(times["strip --ids post,user"])
    print(f"{'':38} {'median s':>9} {'peak MiB':>9} {'× strip':>8} {'Post IDs':>10}")
    for name in cases:
        m = statistics.median(times[name])
        chosen = f"{counts[name]:,}" if name in counts else ""
        target = "  (target <= 1.5)" if name.startswith("submit") else ""
        print(f"{name:38} {m:9.2f} {peaks[name]:9,.0f} {m / base:8.2f} {chosen:>10}{target}")


if __name__ == "__main__":
    main()
