"""What the ledger costs, at two sizes, side by side, on DuckDB and (with --db) PostgreSQL.

    python benchmarks/ledger_bench.py                          # 10k and 1M exports, 100 IDs each
    python benchmarks/ledger_bench.py --sizes 10000,100000     # quicker
    python benchmarks/ledger_bench.py --db postgresql://postgres@127.0.0.1/test --baseline ../older-checkout

For each size it builds a ledger of that many committed exports (spread over 200 entities and
two years, with their lineage: sizes x --ids-per-export IDs) in bulk, with a valid hash chain,
then times whole processes: an export's check-and-record (`quota export` of 118 Post IDs),
`quota usage ENTITY`, `quota usage` (all entities), `quota who-received` of 10,000 stored IDs,
`quota ledger verify` (and its peak RSS), `quota ledger verify --since` a checkpoint 1,000
exports before the head, and `quota report` (and its peak RSS): whole, `--from-checkpoint` that
checkpoint, and `--checkpoints DIR` where a verify kept it (the report's target: issue 34).
With --db URL, each ledger is built in a schema on that server (the same events; the lineage
generated there with one INSERT; timed) and the same commands run there. With --baseline DIR
(an older checkout), every command also runs with that quota, right after this one's, so the
two see the same machine. Once, on the small DuckDB ledger, it times `quota export` of
--export-ids Post IDs against `quota strip` of the same file. Beside two of the figures, what
DuckDB alone does of the same work, their floor: the report's one statement that re-hashes
every event, and the lineage of the exported IDs loaded into a copy of the ledger (connect,
INSERT, COMMIT, close). Targets print beside their figures; nothing is asserted. DuckDB
ledgers are built into benchmarks/data/ (ignored by git) and reused, and so are the server's
schemas (bench_N_M).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ENTITIES = 200
FRESH = [f"fresh{i}" for i in range(5)]  # one recipient for each export timed against strip: all happen now
START = datetime(2024, 1, 1, tzinfo=UTC)  # two years of history, all in the past


def ledger_file(data: Path, exports: int, per_export: int) -> Path:
    """Named by the schema's newest migration: a ledger an older quota built is not reused."""
    from quota.store import sqlfiles

    return data / f"ledger_{exports}x{per_export}_m{sqlfiles.migrations('duckdb')[-1][0]}.duckdb"


def build(path: Path, exports: int, per_export: int) -> None:
    import pyarrow as pa

    from quota.policy import DEFAULT_PROFILE, PROFILES
    from quota.store import base
    from quota.store.chain import canonical, event_hash, genesis
    from quota.store.session import Session
    from quota.times import iso

    profile = PROFILES[DEFAULT_PROFILE]
    # Two years of history: recorded then, each delivery at the time its event was recorded.
    base.injected_clock = lambda: START
    with Session.open(path, create=True) as ledger:
        for e in [*(f"e{i}" for i in range(ENTITIES)), *FRESH]:
            ledger.append("entity", {"entity": e, "name": f"Entity {e}", "kind": "organization"})
            ledger.append("terms", {"entity": e, "by": "bench", "at": iso(START), "terms": "all"})
        seq, prev = ledger.head()
        ledger_id = ledger.ledger_id
        con = ledger.store.con  # DuckDB's own connection: a synthetic ledger in bulk, at DuckDB's speed
        # Lineage first: export k delivers IDs k*per_export .. (k+1)*per_export-1 (as Post IDs).
        t = time.perf_counter()
        con.execute(
            f"INSERT INTO lineage SELECT 'b' || (i // {per_export}), 1, "
            f"(1500000000000000000 + i)::UBIGINT FROM range({exports * per_export}) r(i)"
        )
        digests = dict(
            con.execute(
                "SELECT export_id, sha256(string_agg(id::VARCHAR || chr(10), '' ORDER BY id)) FROM lineage GROUP BY export_id"
            ).fetchall()
        )
        print(
            f"  lineage of {exports * per_export:,} IDs and digests: {time.perf_counter() - t:.1f} s", file=sys.stderr
        )
        t = time.perf_counter()
        rng = random.Random(1)
        span = (730 * 86400) // exports or 1
        events, reservations, commits = [], [], []
        empty = hashlib.sha256(b"").hexdigest()
        assert prev == (genesis(ledger_id) if seq == 0 else prev)
        for k in range(exports):
            export_id = f"b{k}"
            at = START + timedelta(seconds=k * span)
            body = {
                "export_id": export_id, "entity": f"e{rng.randrange(ENTITIES)}", "person": None, "at": iso(at),
                "post_ids": per_export, "user_ids": 0, "dm_ids": 0, "basis": "cap", "profile": profile.name,
                "version": profile.version, "ids_sha256": {"post": digests[export_id], "user": empty, "dm": empty},
            }  # fmt: skip
            files = [
                {"path": "post_ids.txt", "kind": "post", "count": per_export, "sha256": digests[export_id], "bytes": 0}
            ]
            for kind, b in (("reserve", body), ("commit", {"export_id": export_id, "files": files})):
                seq += 1
                text = canonical(b)
                recorded = iso(at)
                digest = event_hash(prev, seq, recorded, kind, text)
                events.append((seq, recorded, kind, text, prev, digest))
                prev = digest
                if kind == "reserve":
                    reservations.append(
                        (export_id, b["entity"], None, at.replace(tzinfo=None), per_export, 0, 0, "cap",
                         profile.name, profile.version, canonical(b["ids_sha256"]), seq)
                    )  # fmt: skip
                else:
                    commits.append((export_id, canonical(files), seq))

        def load(table: str, rows: list[tuple[object, ...]]) -> None:
            names = [c[0] for c in con.execute(f"DESCRIBE {table}").fetchall()]
            cols = list(zip(*rows, strict=True))
            con.register("bulk", pa.table({n: pa.array(c) for n, c in zip(names, cols, strict=True)}))
            con.execute(f"INSERT INTO {table} SELECT * FROM bulk")
            con.unregister("bulk")

        load("events", events)
        load("reservations", reservations)
        load("commits", commits)
        con.execute("CHECKPOINT")
        print(f"  {len(events):,} events: {time.perf_counter() - t:.1f} s", file=sys.stderr)
    base.injected_clock = None


def build_pg(url: str, source: Path, per_export: int) -> float:
    """The same ledger in a PostgreSQL schema, in bulk: the events copied from the DuckDB file
    (one chain, one ledger id), the state tables rebuilt by the server's replay queries, the
    lineage generated on the server as `build` made it. Unlike `ledger copy`, nothing is
    verified here (the benchmark times that). Returns the seconds it took."""
    from quota.store import Rows, open_store
    from quota.store.chain import STATE_TABLES
    from quota.store.copy import _schemas

    t = time.perf_counter()
    with open_store(str(source), False, 60, False, print) as duck, open_store(url, True, 60, True, print) as pg:
        ledger_id = duck.ledger_id()
        created = duck.rows("SELECT created_at FROM ledger_meta")[1][0][0]
        # The built exports b<k>; those an earlier measurement made have their IDs copied.
        exports = int(
            duck.rows("SELECT count(*) FROM reservations WHERE regexp_full_match(export_id, 'b[0-9]+')")[1][0][0]
        )
        with pg.transaction():
            pg.migrate(ledger_id=ledger_id, created_at=created)
            for batch in duck.batches("SELECT * FROM events ORDER BY seq", _schemas()["events"]):
                pg.load(Rows("events", batch))
            for table in STATE_TABLES:
                pg.execute(f"INSERT INTO {table} {pg.sql(table)}")
            pg.execute(
                f"INSERT INTO lineage SELECT 'b' || (i / {per_export}), 1, 1500000000000000000 + i "
                f"FROM generate_series(0, {exports * per_export - 1}::bigint) i"
            )
            copy_measured_lineage(duck, pg)
        pg.analyze()
    return time.perf_counter() - t


def copy_measured_lineage(duck: Any, pg: Any) -> None:
    """The IDs of the exports an earlier measurement made in the DuckDB file (not b<k>, which
    the server generates): copied as they are, so that their events' digests hold here too."""
    from quota.store import Rows
    from quota.store.copy import _schemas

    for batch in duck.batches(
        "SELECT * FROM lineage WHERE NOT regexp_full_match(export_id, 'b[0-9]+')", _schemas()["lineage"]
    ):
        pg.load(Rows("lineage", batch))


PEAK_RSS: dict[str, int] = {}  # the last run's peak RSS in bytes, by command word
CPU: dict[str, float] = {}  # the last run's CPU seconds (user and system, its own process), by command word


ENV: dict[str, str] | None = None  # the environment of every command run: which quota runs (--baseline)


def run(cmd: list[str], name: str | None = None) -> float:
    """Whole-process seconds of `cmd`; with `name`, its peak RSS goes to PEAK_RSS[name]."""
    t = time.perf_counter()
    # From outside the checkout: a module run with -m finds the working directory's quota first.
    child = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV, cwd=tempfile.gettempdir()
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - t
    err = child.stderr.read() if child.stderr else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(cmd)}\n{err}")
    if name:
        PEAK_RSS[name] = usage.ru_maxrss * 1024
        CPU[name] = usage.ru_utime + usage.ru_stime
    return seconds


def checkpoint_before(db: str, tmp: Path, exports: int) -> Path:
    """A checkpoint as it stood `exports` exports (two events each) before the ledger's head."""
    from quota.store.session import Session

    with Session.open(db) as ledger:
        seq = ledger.head()[0] - 2 * exports
        head = ledger.rows("SELECT hash FROM events WHERE seq = ?", [seq])[0][0]
        path = tmp / f"checkpoint-{time.time_ns()}.txt"
        path.write_text(f"quota-checkpoint {ledger.ledger_id} {seq} {head} 2026-12-01T00:00:00.000000Z\n")
    return path


def report_kept(q: list[str], db: str, tmp: Path, stamp: int) -> float:
    """`quota report --checkpoints DIR`, where a verify kept its checkpoint 1,000 exports before
    the head (ledger verify --keep): the report a cron job writes the morning after."""
    from quota.store.session import verified_file

    kept = tmp / f"kept-{stamp}"
    kept.mkdir()
    line = checkpoint_before(db, tmp, 1000).read_text()
    verified_file(kept, line.split()[1]).write_text(line)
    return run(
        [*q, "report", "--db", db, "-o", str(tmp / f"rk{stamp}.html"), "--checkpoints", str(kept)], "report_kept"
    )


def chain_alone(db: str) -> float:
    """The report's floor: its one statement that re-hashes every event (verify_chain, with
    DuckDB's sha256), timed alone on the same ledger, best of two."""
    import duckdb

    from quota.store import sqlfiles
    from quota.store.chain import genesis
    from quota.store.verify import chain_query

    sql = chain_query(sqlfiles.queries("duckdb")["verify_chain"], 0)
    con = duckdb.connect(db, read_only=True)
    try:
        start = genesis(con.execute("SELECT ledger_id FROM ledger_meta").fetchall()[0][0])
        times = []
        for _ in range(2):
            t = time.perf_counter()
            assert con.execute(sql, [start]).fetchall() == [], "the benchmark's ledger does not verify"
            times.append(time.perf_counter() - t)
        return min(times)
    finally:
        con.close()


def load_alone(ledger: Path, ids: Path, tmp: Path) -> float:
    """Export's floor over strip: DuckDB alone recording the same IDs' lineage in a copy of the
    ledger, as the reserve does (connect, INSERT from the sorted ID file, COMMIT, close)."""
    import duckdb

    from quota.store import IdFile
    from quota.store.duckdb import DuckStore

    copy = tmp / f"load-alone-{time.time_ns()}.duckdb"
    copy.write_bytes(ledger.read_bytes())
    t = time.perf_counter()
    con = duckdb.connect(str(copy))
    store = DuckStore(copy, con, writable=True)  # no lock, no views: the load the reserve makes, alone
    with store.transaction():
        store.load(IdFile("alone", 1, ids))
    con.close()
    return time.perf_counter() - t


def measure(
    q: list[str], db: str, tmp: Path, n: int, per_export: int, ids_file: Path, kept: bool = True
) -> dict[str, float]:
    """Whole-process times of the commands users wait for, on one ledger; `kept`: also the report
    from a checkpoint a verify kept (an older quota has no --checkpoints)."""
    page = HERE.parent / "sample_data" / "v2_pages.jsonl"
    stamp = time.time_ns()
    export = min(
        run([*q, "export", str(page), "--to", f"e{i}", "-o", str(tmp / f"x{stamp}-{i}"), "--db", db, "-q",
             "--export-id", f"bench-{stamp}-{i}"])
        for i in range(3)
    )  # fmt: skip
    return {
        "export": export,
        "usage_one": min(run([*q, "usage", "e7", "--db", db, "--json"]) for _ in range(3)),
        "usage_all": run([*q, "usage", "--db", db, "--json"]),
        "who_received": run([*q, "who-received", "--file", str(ids_file), "--db", db, "--json"]),
        "verify": run([*q, "ledger", "verify", "--db", db], "verify"),
        "verify_since": min(
            run([*q, "ledger", "verify", "--db", db, "--since", str(checkpoint_before(db, tmp, 1000))], "since")
            for _ in range(3)
        ),
        "report": run([*q, "report", "--db", db, "-o", str(tmp / f"r{stamp}.html")], "report"),
        "report_since": run(
            [
                *q,
                "report",
                "--db",
                db,
                "-o",
                str(tmp / f"rc{stamp}.html"),
                "--from-checkpoint",
                str(checkpoint_before(db, tmp, 1000)),
            ],
            "report_since",
        ),
        **({"report_kept": report_kept(q, db, tmp, stamp)} if kept else {}),
        **({"chain": chain_alone(db)} if "://" not in db else {}),
        "verify_rss": PEAK_RSS["verify"] / 2**30,
        "verify_cpu": CPU["verify"],
        "report_rss": PEAK_RSS["report"] / 2**30,
        "report_since_rss": PEAK_RSS["report_since"] / 2**30,
    }


def _with(code: Path | None) -> dict[str, str]:
    """The environment that runs the quota of `code` (an older checkout), or this checkout's
    (None): each by PYTHONPATH, from outside the checkout (see `run`), so both start alike."""
    return {**os.environ, "PYTHONPATH": str(code or HERE.parent)}


def _build_pg(url: str, path: Path, per_export: int) -> float:
    """build_pg in a process of its own (see the builder above): its seconds."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return float(pool.apply(build_pg, (url, path, per_export)))


def main() -> int:
    global ENV
    ENV = _with(None)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--ids-per-export", type=int, default=100)
    ap.add_argument("--export-ids", type=int, default=1_500_000)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--pages", type=Path, default=None, help="also compare export and strip on this v2 pages file")
    ap.add_argument("--db", default=None, help="a PostgreSQL URL: the same figures there, beside DuckDB's")
    ap.add_argument("--baseline", type=Path, default=None, help="an older checkout: the same figures with its quota")
    ap.add_argument("--skip-export-vs-strip", action="store_true")
    a = ap.parse_args()
    a.data.mkdir(parents=True, exist_ok=True)
    # A delivery names whom its recipient contacts about deletion notices.
    os.environ.setdefault("QUOTA_CONTACT", "bench@data-team.example")
    q = [sys.executable, "-m", "quota"]
    sizes = [int(x) for x in a.sizes.split(",")]
    codes: dict[str, Path | None] = {"this": None, **({"baseline": a.baseline.resolve()} if a.baseline else {})}
    results: dict[tuple[str, str, int], dict[str, float]] = {}
    builds: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        for n in sizes:
            path = ledger_file(a.data, n, a.ids_per_export)
            if not path.exists():
                print(f"building {path} ...", file=sys.stderr)
                # In a process of its own: a child inherits its parent's peak RSS (Linux keeps
                # it across fork and exec), so every command timed after a build in this
                # process would show the builder's gigabytes as its own.
                builder = multiprocessing.get_context("spawn").Process(target=build, args=(path, n, a.ids_per_export))
                builder.start()
                builder.join()
                if builder.exitcode != 0:
                    raise SystemExit(f"building {path} failed")
            rng = random.Random(5)
            ids_file = tmp / f"asked-{n}.txt"
            ids_file.write_text(
                "".join(f"{1500000000000000000 + rng.randrange(n * a.ids_per_export)}\n" for _ in range(10_000))
            )
            places = [("duckdb", str(path))]
            if a.db:
                sep = "&" if "?" in a.db else "?"
                url = f"{a.db}{sep}schema=bench_{n}_{a.ids_per_export}"
                if subprocess.run([*q, "ledger", "checkpoint", "--db", url], capture_output=True).returncode != 0:
                    print(f"building {url} from {path.name} ...", file=sys.stderr)
                    builds[n] = _build_pg(url, path, a.ids_per_export)
                places.append(("postgres", url))
            for backend, db in places:
                for name, code in codes.items():  # each ledger by both, one after the other
                    ENV = _with(code)
                    print(f"  {backend} {n:,} exports, {name} ...", file=sys.stderr)
                    results[backend, name, n] = measure(q, db, tmp, n, a.ids_per_export, ids_file, code is None)
                ENV = _with(None)

    keys = [("export", "export s"), ("usage_one", "usage ENTITY s"), ("usage_all", "usage all s"),
            ("who_received", "who-received 10k s"), ("verify", "verify s"), ("verify_rss", "verify GiB"),
            ("verify_since", "verify --since s"), ("report", "report s"), ("report_rss", "report GiB"),
            ("report_since", "report --from-checkpoint s"), ("report_since_rss", "report --from-checkpoint GiB"),
            ("report_kept", "report --checkpoints s")]  # fmt: skip
    backends = ["duckdb", "postgres"] if a.db else ["duckdb"]
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"{'backend':>9} {'quota':>9} {'exports':>10} {'IDs':>13} " + " ".join(f"{h:>19}" for _, h in keys))
    for backend in backends:
        for n in sizes:
            for name in codes:
                r = results[backend, name, n]
                print(f"{backend:>9} {name:>9} {n:>10,} {n * a.ids_per_export:>13,} "
                      + " ".join(f"{r[k]:>19.2f}" if k in r else f"{'-':>19}" for k, _ in keys))  # fmt: skip
    if len(sizes) > 1:
        for backend in backends:
            big, small = results[backend, "this", sizes[-1]], results[backend, "this", sizes[0]]
            print(f"{backend}, largest / smallest ledger: " + ", ".join(f"{h.removesuffix(' s')} {big[k] / small[k]:.2f}x"
                                                                  for k, h in keys))  # fmt: skip
    if "baseline" in codes:
        for backend in backends:
            for n in sizes:
                new, old = results[backend, "this", n], results[backend, "baseline", n]
                print(f"{backend} at {n:,} exports, baseline / this: " + ", ".join(
                    f"{h.removesuffix(' s')} {old[k] / new[k]:.2f}x" for k, h in keys if k in old and k in new))  # fmt: skip
    for n in sizes:
        r = results["duckdb", "this", n]
        print(
            f"report at {n:,} exports: {r['report']:.2f} s; its statement that re-hashes every event (DuckDB's "
            f"sha256), alone: {r['chain']:.2f} s, {100 * r['chain'] / r['report']:.0f}% of it; from the checkpoint a "
            f"verify kept: {r['report_kept']:.2f} s"
        )
    n = sizes[-1]
    print(f"targets at {n:,} exports ({n * a.ids_per_export:,} IDs):")
    for backend, report_target, verify_target in (("duckdb", 2, 10), ("postgres", 5, 60)):
        if backend in backends:
            r = results[backend, "this", n]
            print(f"  {backend}: report from the checkpoint a verify kept {r['report_kept']:.2f} s (target <= "
                  f"{report_target} s); verify {r['verify']:.2f} s (target <= {verify_target} s)")  # fmt: skip
            if backend == "duckdb":  # all of its work is in its own process
                cores = os.cpu_count() or 1
                print(f"    its verify used {r['verify_cpu']:.1f} CPU-s on {cores} cores: at least "
                      f"{r['verify_cpu'] / cores:.2f} s for that work (the engine's floor, short of doing less)")  # fmt: skip
    for n, seconds in builds.items():
        print(
            f"the PostgreSQL ledger of {n:,} exports ({n * a.ids_per_export:,} IDs), built with COPY: {seconds:.1f} s"
        )
    if a.skip_export_vs_strip:
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        ids = Path(tmp, "ids.txt")
        rng = random.Random(3)
        ids.write_text("".join(f"{rng.getrandbits(63)}\n" for _ in range(a.export_ids)))
        small = ledger_file(a.data, sizes[0], a.ids_per_export)
        dbs = {name: Path(tmp, f"{name}.duckdb") for name in codes}
        for db in dbs.values():
            db.write_bytes(small.read_bytes())
        # Five of each, taken in turn so that all see the same machine; medians compared.
        strips: list[float] = []
        exports: dict[str, list[float]] = {name: [] for name in codes}
        for i in range(5):
            strips.append(run([*q, "strip", str(ids), "-o", f"{tmp}/s{i}", "-q"]))
            for name, code in codes.items():
                ENV = _with(code)
                exports[name].append(
                    run([*q, "export", str(ids), "--to", FRESH[i], "-o", f"{tmp}/e{name}{i}", "--db", str(dbs[name]), "-q"])
                )  # fmt: skip
            ENV = _with(None)
        strip_s = statistics.median(strips)
        alone = min(load_alone(small, Path(tmp, "s0", "post_ids.txt"), Path(tmp)) for _ in range(3))
        for name in codes:
            export_s = statistics.median(exports[name])
            print(
                f"export ({name}) of an ID list of {a.export_ids:,} Post IDs: {export_s:.2f} s; strip of the same "
                f"file: {strip_s:.2f} s (medians of five); the ledger adds {100 * (export_s / strip_s - 1):.0f}% "
                "(target <= 30%)"
            )
        print(
            f"DuckDB alone recording their lineage (connect, INSERT from the ID file, COMMIT, close): "
            f"{alone:.2f} s, {100 * alone / strip_s:.0f}% of strip (the ledger's floor)"
        )
        if a.pages:
            db = dbs["this"]
            strip_p = run([*q, "strip", str(a.pages), "-o", f"{tmp}/sp", "-q"])
            export_p = run([*q, "export", str(a.pages), "--to", "e0", "-o", f"{tmp}/ep", "--db", str(db), "-q"])
            posts = json.loads(Path(tmp, "ep", "manifest.json").read_text())["totals"]["post"]["unique"]
            print(
                f"export of {a.pages.name} ({a.pages.stat().st_size / 1e6:,.0f} MB, {posts:,} Post IDs): "
                f"{export_p:.2f} s; strip: {strip_p:.2f} s; the ledger adds {100 * (export_p / strip_p - 1):.0f}%"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
