"""How long each page of the portal takes to render, for each role, on a large ledger.

    python benchmarks/portal_bench.py                      # the 100k-export DuckDB ledger of ledger_bench
    python benchmarks/portal_bench.py --exports 10000      # quicker
    python benchmarks/portal_bench.py --db postgresql://postgres@127.0.0.1/test   # the same, copied to PostgreSQL

It builds (or reuses, in benchmarks/data/) the ledger `benchmarks/ledger_bench.py` builds: N
committed exports of 100 Post IDs each over 200 entities and two years. A copy gets what the
portal's pages show: one account of each role, a dataset (sample_data's pages), requests
submitted, one approved and delivered. Then every page each role may open is requested through
the app in this process (Starlette's test client: the app's whole work, no network), five times
after one warm-up, and the median is printed beside the 300 ms target, with the slowest page of
each role. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_MS = 300.0
PASSWORD = "benchmark password 1"
PAGES = {
    "researcher": ["/datasets", "/requests/new", "/requests", "/requests/{request}", "/terms"],
    "compliance": ["/queue", "/requests", "/requests/{request}", "/usage", "/notices", "/who-received",
                   "/related", "/verify", "/exports", "/recover", "/datasets"],
    "data-team": ["/deliver", "/exports", "/recover", "/usage", "/notices", "/verify"],
    "auditor": ["/queue", "/deliver", "/usage"],
    "admin": ["/accounts"],
}  # fmt: skip


def quota(*args: str) -> str:
    from click.testing import CliRunner

    from quota.cli import cli

    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    if r.exit_code != 0:
        raise SystemExit(f"quota {' '.join(args)}: {r.stderr}")
    return r.stdout


def prepare(db: str, tmp: Path) -> dict[str, str]:
    """Accounts, a dataset, requests: what the pages show. Returns each role's sign-up link."""
    samples = ROOT / "sample_data"
    os.environ["QUOTA_DB"] = db
    os.environ.setdefault("QUOTA_CONTACT", "deletions@bench.example")
    quota("person", "add", "bench-r", "--entity", "e1", "--name", "Bench Researcher")
    quota(
        "dataset",
        "add",
        "demo",
        str(samples / "v2_pages.jsonl"),
        str(samples / "v2_flat.jsonl"),
        "--title",
        "Demo",
        "--description",
        "The sample pages",
        "--citation",
        "Bench (2026). Demo.",
    )
    links = {}
    for role in PAGES:
        person = ["--person", "bench-r"] if role == "researcher" else []
        links[role] = json.loads(quota("account", "add", f"{role}@bench.example", "--role", role, *person, "--json"))[
            "link"
        ]
    for n in range(3):
        asked = json.loads(quota("request", "submit", "--dataset", "demo", "--person", "bench-r", "--newest", str(5 + n),
                                 "--purpose", f"bench {n}", "--json"))  # fmt: skip
        links.setdefault("request", asked["request_id"])
    quota("request", "approve", links["request"], "--by", "Bench Officer")
    quota("request", "deliver", links["request"], "-o", str(tmp / "deliveries" / "one"))
    return links


def measure(db: str, tmp: Path, links: dict[str, str]) -> dict[tuple[str, str], list[float]]:
    from starlette.testclient import TestClient

    from quota.web import PortalConfig, create_app

    app = create_app(PortalConfig(db, tmp / "deliveries", wait=60))
    out: dict[tuple[str, str], list[float]] = {}
    for role, pages in PAGES.items():
        c = TestClient(app, follow_redirects=False)
        path = links[role].split("8000", 1)[1]
        page = c.get(path).text
        token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert c.post(path, data={"password": PASSWORD, "again": PASSWORD, "csrf": token}).status_code == 303
        for p in pages:
            url = p.format(request=links["request"])
            times = []
            for i in range(6):
                t = time.perf_counter()
                r = c.get(url)
                elapsed = (time.perf_counter() - t) * 1000
                if r.status_code != 200:
                    raise SystemExit(f"{role} {url}: {r.status_code} {r.text[:200]}")
                if i:
                    times.append(elapsed)
            out[(role, p)] = times
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exports", type=int, default=100_000)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--db", default=None, help="a PostgreSQL URL: the ledger is copied to a schema there")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    from ledger_bench import build, ledger_file

    args.data.mkdir(parents=True, exist_ok=True)
    source = ledger_file(args.data, args.exports, 100)
    if not source.exists():
        t = time.perf_counter()
        build(source, args.exports, 100)
        print(f"built {source.name} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        db = str(tmp / "ledger.duckdb")
        shutil.copy(source, db)
        where = "DuckDB"
        if args.db:
            sep = "&" if "?" in args.db else "?"
            target = f"{args.db}{sep}schema=portal_bench_{os.getpid()}"
            os.environ["QUOTA_DB"] = db
            quota("ledger", "copy", "--to", target)
            db, where = target, "PostgreSQL"
        links = prepare(db, tmp)
        try:
            times = measure(db, tmp, links)
        finally:
            if args.db:
                import psycopg

                with psycopg.connect(args.db, autocommit=True) as con:
                    con.execute(f"DROP SCHEMA IF EXISTS portal_bench_{os.getpid()} CASCADE")
    load = os.getloadavg()[0]
    print(f"\nportal pages on {where}, {args.exports:,} exports x 100 IDs; load {load:.1f}; "
          f"median of 5 after a warm-up; target {TARGET_MS:.0f} ms")  # fmt: skip
    print(f"{'role':<11} {'page':<22} {'median ms':>10} {'max ms':>8}  target")
    worst = 0.0
    for (role, page), ts in times.items():
        med = statistics.median(ts)
        worst = max(worst, med)
        flag = "ok" if med <= TARGET_MS else "OVER"
        print(f"{role:<11} {page:<22} {med:>10.1f} {max(ts):>8.1f}  {flag}")
    print(f"slowest page: {worst:.1f} ms ({worst / TARGET_MS:.2f} of the target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
