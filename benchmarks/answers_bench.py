"""What issue 30's guards cost, each beside its baseline in the same run.

    python benchmarks/answers_bench.py                     # 100k-export ledger, 1.5 GB answer
    python benchmarks/answers_bench.py --exports 10000 --answer-mb 300

- The report's checks: the report now rebuilds and compares every state table it reads
  (`verify(full=False, tables=True)`), beside the checks it ran before (`tables=False`), on a
  ledger of --exports committed exports built as benchmarks/ledger_bench.py builds them.
- `quota sql` of an answer larger than its 256 MiB bound: the command's peak RSS (it stops,
  exit 2) beside DuckDB alone fetching the same answer whole (what quota did before).
- `quota ledger import` of 2,000 and 10,000 rows: seconds, and the large/small ratio (5 is
  linear; the old path's per-row queries and statements made it 25 and more).

Figures print as lines; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def run_rss(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """(exit code, seconds, peak RSS in GiB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    return os.waitstatus_to_exitcode(status), time.perf_counter() - start, usage.ru_maxrss / (1 << 20)


def report_checks(exports: int, per_export: int, data: Path) -> None:
    import ledger_bench

    from quota.store.session import Session

    path = ledger_bench.ledger_file(data, exports, per_export)
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        ledger_bench.build(path, exports, per_export)
        print(f"built {path.name} in {time.perf_counter() - t:.1f} s")
    times = {}
    for tables in (False, True, False, True):
        with Session.open(path) as ledger:
            t = time.perf_counter()
            report = ledger.verify(full=False, tables=tables)
            times.setdefault(tables, []).append(time.perf_counter() - t)
            assert report.ok, report.problem
    before, now = min(times[False]), min(times[True])
    print(
        f"report checks at {exports:,} exports: {before:.2f} s before (chain, windows, drawdowns), "
        f"{now:.2f} s now (and every state table compared): x{now / before:.2f}"
    )


def sql_answer(mb: int) -> None:
    rows = mb * 1000  # 1,000 characters a row
    query = f"SELECT repeat('x', 1000) AS t FROM range({rows})"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QUOTA_DB": str(Path(tmp) / "l.duckdb")}
        subprocess.run([sys.executable, "-m", "quota", "init"], env=env, check=True, capture_output=True)
        code, seconds, rss = run_rss([sys.executable, "-m", "quota", "sql", query, "--json"], env)
        fetch = (
            "import duckdb, sys; con = duckdb.connect(); "
            f'con.execute("SET memory_limit = \'1GB\'"); rows = con.execute("{query}").fetchall()'
        )
        _, base_seconds, base_rss = run_rss([sys.executable, "-c", fetch], env)
    print(
        f"quota sql of a {mb:,} MB answer: exit {code} in {seconds:.1f} s at {rss:.2f} GiB peak; "
        f"DuckDB fetching it whole: {base_seconds:.1f} s at {base_rss:.2f} GiB (x{base_rss / rss:.1f} the memory)"
    )


def imports() -> None:
    figures = {}
    for n in (2_000, 10_000):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "QUOTA_DB": str(Path(tmp) / "l.duckdb")}
            evidence = HERE.parent / "sample_data" / "terms-acceptance.txt"
            for args in (
                ("init",),
                ("entity", "add", "acme", "--name", "Acme"),
                ("entity", "accept-terms", "acme", "--by", "J", "--version", "v", "--method", "signed PDF",
                 "--evidence", str(evidence), "--at", "2026-01-01T00:00:00Z"),
            ):  # fmt: skip
                subprocess.run([sys.executable, "-m", "quota", *args], env=env, check=True, capture_output=True)
            csv = Path(tmp) / "past.csv"
            csv.write_text(
                "at,entity,post_ids\n"
                + "".join(
                    f"2026-06-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z,acme,1\n" for i in range(n)
                )
            )
            code, seconds, _ = run_rss([sys.executable, "-m", "quota", "ledger", "import", str(csv)], env)
            assert code == 0
            figures[n] = seconds
    print(
        f"ledger import: 2,000 rows {figures[2_000]:.1f} s, 10,000 rows {figures[10_000]:.1f} s "
        f"(x{figures[10_000] / figures[2_000]:.1f} for x5 the rows)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exports", type=int, default=100_000)
    ap.add_argument("--ids-per-export", type=int, default=100)
    ap.add_argument("--answer-mb", type=int, default=1500)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    args = ap.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Processes first: a child forked after the ledger was built here would start at this
    # process's size (its peak RSS counts the pages it shares at fork).
    sql_answer(args.answer_mb)
    imports()
    report_checks(args.exports, args.ids_per_export, args.data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
