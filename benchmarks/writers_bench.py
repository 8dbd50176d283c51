"""Exports per second with 1, 2, 4 and 8 exporters at once, each to an entity of its own.

    python benchmarks/writers_bench.py                                             # DuckDB
    python benchmarks/writers_bench.py --db postgresql://postgres@127.0.0.1/test   # and PostgreSQL
    python benchmarks/writers_bench.py --baseline /path/to/older/checkout          # beside an older quota

Each exporter is a whole `quota export` process of --ids Post IDs (an ID list) to its own entity;
--exports of them run per level of concurrency, as many at a time as the level, and the figure is
exports per second over the whole batch. Target (issue 34): at 4 writers on PostgreSQL, at least
1.6 times the single writer's rate. A DuckDB file has one writer at a time: there only the strip
and the writing of files run side by side. With --baseline, the same runs with the quota of that
checkout (PYTHONPATH) on a ledger of its own, level by level in turn, so both see the same
machine. Figures print; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

LEVELS = (1, 2, 4, 8)
TERMS = ("--version", "X Developer Agreement and Policy, 2026-10", "--method", "signed PDF")


def quota(code: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    """`quota ARGS` of `code` (an older checkout) or of this checkout (None), by PYTHONPATH, from
    outside the checkout: a module run with -m finds the working directory's quota first."""
    env = {**os.environ, "PYTHONPATH": str(code or Path(__file__).resolve().parent.parent)}
    return subprocess.run(
        [sys.executable, "-m", "quota", *args], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir()
    )


def setup(code: Path | None, db: str, entities: int, evidence: Path) -> None:
    for args in (("init", "--db", db),):
        r = quota(code, *args)
        if r.returncode:
            raise SystemExit(r.stderr)
    for i in range(entities):
        for args in (
            ("entity", "add", f"w{i}", "--name", f"Writer {i}", "--db", db),
            ("entity", "accept-terms", *TERMS, "--evidence", str(evidence), f"w{i}", "--by", "bench",
             "--at", "2026-01-01T00:00:00Z", "--db", db),
        ):  # fmt: skip
            r = quota(code, *args)
            if r.returncode:
                raise SystemExit(r.stderr)


def batch(code: Path | None, db: str, ids: Path, out: Path, level: int, exports: int) -> float:
    """Exports per second: `exports` exports, `level` at a time, exporter k to entity k % level."""

    def one(k: int) -> None:
        r = quota(code, "export", str(ids), "--to", f"w{k % level}", "-o", str(out / f"{level}-{k}"), "--db", db,
                  "--wait", "600", "-q")  # fmt: skip
        if r.returncode:
            raise SystemExit(f"export failed: {r.stderr}")

    t = time.perf_counter()
    with ThreadPoolExecutor(level) as pool:
        list(pool.map(one, range(exports)))
    return exports / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=None, help="a PostgreSQL URL: the same runs there too")
    ap.add_argument("--ids", type=int, default=1000)
    ap.add_argument("--exports", type=int, default=24)
    ap.add_argument("--baseline", type=Path, default=None, help="an older checkout to run beside this one")
    a = ap.parse_args()
    os.environ.setdefault("QUOTA_CONTACT", "bench@data-team.example")
    here = Path(__file__).resolve().parent
    evidence = here.parent / "tests" / "evidence" / "terms-signed.txt"
    codes: dict[str, Path | None] = {"this": None}
    if a.baseline is not None:
        codes["baseline"] = a.baseline.resolve()
    rates: dict[tuple[str, str, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        ids = tmp / "ids.txt"
        rng = random.Random(11)
        ids.write_text("".join(f"{rng.getrandbits(63)}\n" for _ in range(a.ids)))
        places: dict[tuple[str, str], str] = {}
        for name in codes:
            places["duckdb", name] = str(tmp / f"{name}.duckdb")
            if a.db:
                sep = "&" if "?" in a.db else "?"
                places["postgres", name] = f"{a.db}{sep}schema=writers_{name}_{os.getpid()}"
        try:
            for (_, name), db in places.items():
                setup(codes[name], db, max(LEVELS), evidence)
            for level in LEVELS:
                for (backend, name), db in places.items():
                    out = tmp / f"out-{backend}-{name}"
                    out.mkdir(exist_ok=True)
                    rates[backend, name, level] = batch(codes[name], db, ids, out, level, a.exports)
                    print(f"  {backend} {name} {level} writers: {rates[backend, name, level]:.2f} exports/s",
                          file=sys.stderr)  # fmt: skip
        finally:
            if a.db:
                import psycopg

                with psycopg.connect(a.db, autocommit=True) as con:
                    for (backend, _), db in places.items():
                        if backend == "postgres":
                            schema = db.rsplit("schema=", 1)[1]
                            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                            con.execute(f'DROP ROLE IF EXISTS "{con.info.dbname}_{schema}_reader"')
    print(f"load average at the end: {os.getloadavg()[0]:.2f}; {a.exports} exports of {a.ids:,} Post IDs per level")
    print(f"{'backend':>9} {'quota':>9} " + " ".join(f"{f'{n} writers':>11}" for n in LEVELS) + "  4 writers / 1")
    for backend, name in places:
        row = [rates[backend, name, n] for n in LEVELS]
        target = "  (target >= 1.6 on PostgreSQL)" if backend == "postgres" else ""
        print(f"{backend:>9} {name:>9} " + " ".join(f"{r:>9.2f}/s" for r in row) + f"  {row[2] / row[0]:.2f}x{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
