"""What compliance questions cost on a large ledger, side by side with a small one.

    python benchmarks/compliance_bench.py                        # 10k and 1M exports, 100 IDs each
    python benchmarks/compliance_bench.py --sizes 10000,100000   # quicker

Uses the ledgers of ledger_bench.py (built if missing, upgraded with quota init), and times
whole processes: `quota who-received` of one ID and of 10,000 IDs (half of them delivered),
`quota notice add` of 100,000 IDs (half delivered) and `quota report`. Those ledgers store
each export's IDs in ascending order across exports, the way snowflake IDs collected over
time arrive, so DuckDB's min/max zone maps skip most of the lineage; `--shuffled` also times a
copy whose stored IDs are scattered at random (the worst case: every lookup scans every ID).
Nothing is asserted; figures print as a table with the large/small ratio.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ledger_bench import build, ledger_file  # noqa: E402


def run(cmd: list[str]) -> float:
    t = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 3):
        raise SystemExit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr}")
    return time.perf_counter() - t


def sample_ids(db: Path, n: int, seed: int) -> list[int]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(f"SELECT id FROM lineage USING SAMPLE {n} ROWS (reservoir, {seed})").fetchall()
    finally:
        con.close()
    return [int(i) for (i,) in rows]


def shuffled_copy(src: Path, dst: Path) -> None:
    """The same ledger with every stored ID replaced by a scattered one (digests no longer match;
    nothing here verifies them)."""
    import duckdb

    shutil.copyfile(src, dst)
    con = duckdb.connect(str(dst))
    con.execute(
        "CREATE TABLE scattered AS SELECT export_id, kind, "
        "(1000000000000000000 + hash(id) % 800000000000000000)::UBIGINT AS id FROM lineage"
    )
    con.execute("DROP TABLE lineage")
    con.execute("ALTER TABLE scattered RENAME TO lineage")
    con.execute("CHECKPOINT")
    con.close()


def measure(q: list[str], db: Path, tmp: Path, label: str) -> dict[str, float]:
    rng = random.Random(11)
    delivered = sample_ids(db, 60_000, 5)
    one = delivered[0]
    ten_k = tmp / f"{label}-10k.txt"
    ten_k.write_text("".join(f"{i}\n" for i in delivered[:5000] + [rng.getrandbits(63) for _ in range(5000)]))
    notice = tmp / f"{label}-notice.jsonl"
    with open(notice, "w") as f:
        for i in delivered[:50_000] + [rng.getrandbits(63) for _ in range(50_000)]:
            f.write(json.dumps({"id": str(i), "action": "delete", "created_at": "2025-01-01T00:00:00.000Z",
                                "redacted_at": "2026-11-01T00:00:00.000Z", "reason": "deleted"}) + "\n")  # fmt: skip
    out = {
        "who1": min(run([*q, "who-received", str(one), "--db", str(db), "--json"]) for _ in range(3)),
        "who10k": min(run([*q, "who-received", "--file", str(ten_k), "--db", str(db), "--json"]) for _ in range(2)),
    }
    out["notice"] = run([*q, "notice", "add", str(notice), "--kind", "post", "--db", str(db), "--json"])
    out["report"] = run([*q, "report", "-o", str(tmp / f"{label}.html"), "--db", str(db)])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--ids-per-export", type=int, default=100)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--shuffled", action="store_true", help="also time the largest ledger with scattered IDs")
    a = ap.parse_args()
    a.data.mkdir(parents=True, exist_ok=True)
    q = [sys.executable, "-m", "quota"]
    results: list[tuple[str, int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sizes = [int(x) for x in a.sizes.split(",")]
        for n in sizes:
            built = ledger_file(a.data, n, a.ids_per_export)
            if not built.exists():
                print(f"building {built} ...", file=sys.stderr)
                build(built, n, a.ids_per_export)
            # notice add writes: work on a copy so the shared ledger stays as ledger_bench made it
            db = tmp / built.name
            shutil.copyfile(built, db)
            run([*q, "init", "--db", str(db)])
            results.append(("ascending", n, measure(q, db, tmp, f"a{n}")))
            if a.shuffled and n == sizes[-1]:
                scattered = tmp / f"scattered-{built.name}"
                print("scattering the stored IDs ...", file=sys.stderr)
                shuffled_copy(db, scattered)
                db.unlink()
                results.append(("scattered", n, measure(q, scattered, tmp, f"s{n}")))
                scattered.unlink()
            else:
                db.unlink()

    print(
        f"{'IDs stored':>10} {'exports':>10} {'who 1 ID s':>11} {'who 10k s':>10} {'notice 100k s':>14} {'report s':>9}"
    )
    for order, n, r in results:
        print(f"{order:>10} {n:>10,} {r['who1']:>11.2f} {r['who10k']:>10.2f} {r['notice']:>14.2f} {r['report']:>9.2f}")
    small, large = results[0][2], [r for o, n, r in results if o == "ascending"][-1]
    print(
        "largest vs smallest ledger: "
        + ", ".join(f"{k} {large[k] / small[k]:.2f}x" for k in ("who1", "who10k", "notice", "report"))
    )
    print("targets at 1M exports: who 1 ID <= 0.5 s, who 10k <= 3 s, notice 100k <= 10 s, report <= 10 s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
