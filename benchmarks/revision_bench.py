"""This tree against an earlier revision, side by side: the same read commands on the same
ledger, run in turn (new, old, new, old, ...) as whole processes, with the median of each and
their ratio. For a change that should cost nothing (a refactor), the ratios stay near 1.

    python benchmarks/ledger_bench.py --sizes 10000              # builds benchmarks/data/ledger_10000x100_m13.duckdb
    python benchmarks/revision_bench.py --rev 6bbd1c0 --db benchmarks/data/ledger_10000x100_m13.duckdb

The earlier revision runs from a temporary `git worktree` on PYTHONPATH, with this
environment's packages; the ledger is copied, so neither run changes it. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "ledger verify": ["ledger", "verify"],
    "usage": ["usage"],
    "who-received 1": ["who-received", "1"],
    "report": ["report", "-o", "{tmp}/report.html"],
    "export --dry-run": [
        "export",
        str(ROOT / "sample_data" / "v2_pages.jsonl"),
        "--to",
        "e0",
        "-o",
        "{tmp}/x",
        "--dry-run",
    ],
    "--version": ["--version"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", required=True, help="the revision to compare with (a commit, a tag)")
    ap.add_argument("--db", type=Path, required=True, help="a DuckDB ledger both revisions can open")
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        old = tmp / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(old), a.rev], check=True)
        try:
            db = tmp / "ledger.duckdb"
            shutil.copy(a.db, db)
            base = {**os.environ, "QUOTA_DB": str(db), "QUOTA_CONTACT": "bench@data-team.example"}
            envs = {"this tree": base, a.rev: {**base, "PYTHONPATH": str(old)}}
            print(f"{'command':<20} {'this tree s':>12} {a.rev + ' s':>14} {'ratio':>7}")
            for name, args in COMMANDS.items():
                times: dict[str, list[float]] = {tag: [] for tag in envs}
                for _ in range(a.runs):
                    for tag, env in envs.items():
                        cmd = [sys.executable, "-m", "quota", *(x.replace("{tmp}", str(tmp)) for x in args)]
                        started = time.perf_counter()
                        r = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True)
                        times[tag].append(time.perf_counter() - started)
                        if r.returncode != 0:
                            print(f"{name} failed under {tag}: {r.stderr.strip()}", file=sys.stderr)
                            return 1
                new, was = (statistics.median(times[t]) for t in envs)
                print(f"{name:<20} {new:>12.3f} {was:>14.3f} {new / was:>7.3f}")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
