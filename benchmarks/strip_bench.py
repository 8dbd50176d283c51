"""Throughput and memory of `quota strip` against a stdlib-json line loop, side by side.

    python benchmarks/strip_bench.py                  # ~1 GB v2 pages, ~1 GB v1.1, gzip copy
    python benchmarks/strip_bench.py --size-mb 200    # quicker
    python benchmarks/strip_bench.py --rss-gb 5       # also a 5 GB input, for peak RSS only

Beside the JSON-lines files, the same v2 pages as one pretty-printed JSON document (an array
of responses, as an SDK saves them; at most 400 MB, under the 512 MiB document limit).

Each file is stripped by `quota strip --ids post,user` in a child process (whole process:
start-up, parse, de-duplicate, sort, write, manifest with sha256s), then by the baseline in
a child process (what twarc does: json.loads per line, sets, sorted, written; no checks, no
hashes). Both ID sets must be identical. When `twarc2` is on PATH (pip install twarc, in the
benchmark's environment only: never a dependency of quota), `twarc2 dehydrate` runs on the
same v2 file in the same run (posts only, fed by zcat for the gzip copy), and `zcat >
/dev/null` alone is timed beside the gzip copy. Figures print as a table; nothing is asserted.
Inputs are generated once into benchmarks/data/ (ignored by git) by quota.testing.synth.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def baseline(path: str, outdir: str) -> None:
    posts: set[str] = set()
    users: set[str] = set()
    opener = gzip.open if path.endswith(".gz") else open
    if path.endswith(".json"):  # one document: what json.load of the whole file gives
        with open(path, encoding="utf-8") as f:
            for page in json.load(f):
                for p in page.get("data") or []:
                    posts.add(p["id"])
                    users.add(p["author_id"])
        _write(outdir, posts, users)
        return
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            obj = json.loads(line)
            if "data" in obj:
                for p in obj.get("data") or []:
                    posts.add(p["id"])
                    users.add(p["author_id"])
            else:
                posts.add(obj["id_str"])
                users.add(obj["user"]["id_str"])
    _write(outdir, posts, users)


def _write(outdir: str, posts: set[str], users: set[str]) -> None:
    os.makedirs(outdir, exist_ok=True)
    for name, ids in (("post_ids.txt", posts), ("user_ids.txt", users)):
        with open(os.path.join(outdir, name), "w") as out:
            out.write("".join(i + "\n" for i in sorted(ids, key=int)))


def run(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss * 1024


def peer(path: Path, label: str, outdir: Path) -> float | None:
    """Seconds of `twarc2 dehydrate` on the file (posts only), or None when it cannot run here."""
    twarc2 = shutil.which("twarc2")
    if twarc2 is None or not label.startswith("v2 pages"):
        return None  # twarc2 reads v2 JSON lines; the v1.1 `twarc` command is a different tool
    out = outdir / "twarc2_posts.txt"
    # dehydrate does not call the API, but twarc2 asks for a token before any command. It reads
    # a plain file itself; a gzip copy reaches it through zcat.
    cmd = f"{twarc2} --bearer-token unused dehydrate --hide-progress"
    gz = str(path).endswith(".gz")
    line = f"zcat {path.resolve()} | {cmd} - {out}" if gz else f"{cmd} {path.resolve()} {out}"
    t = time.perf_counter()
    done = subprocess.run(line, shell=True, capture_output=True, cwd=outdir)  # its twarc.log too
    wall = time.perf_counter() - t
    return wall if done.returncode == 0 else None


def zcat(path: Path) -> float:
    t = time.perf_counter()
    subprocess.run(f"zcat {path} > /dev/null", shell=True, check=True)
    return time.perf_counter() - t


def ensure(path: Path, kind: str, size_mb: int) -> Path:
    if path.exists():
        return path
    print(f"generating {path} ({size_mb} MB) ...", file=sys.stderr)
    cmd = [sys.executable, "-m", "quota.testing.synth", "--bench", kind, "--size-mb", str(size_mb), str(path)]
    subprocess.run(cmd, check=True)
    return path


def ensure_document(src: Path, limit: int = 400_000_000) -> Path:
    """The pages of `src` (up to `limit` bytes of them) as one pretty-printed JSON array."""
    dst = src.with_name(src.stem + ".pretty.json")
    if not dst.exists():
        print(f"writing {dst} ...", file=sys.stderr)
        written = 0
        with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as out:
            out.write("[\n")
            for n, line in enumerate(f):
                text = json.dumps(json.loads(line), indent=2, ensure_ascii=False)
                if written + len(text) > limit:
                    break
                out.write((",\n" if n else "") + text)
                written += len(text) + 2
            out.write("\n]\n")
    return dst


def ensure_gzip(src: Path) -> Path:
    dst = src.with_name(src.name + ".gz")
    if not dst.exists():
        print(f"compressing {dst} ...", file=sys.stderr)
        with open(src, "rb") as f, gzip.open(dst, "wb", compresslevel=6) as g:
            shutil.copyfileobj(f, g, 1 << 22)
    return dst


FLOOR = """
import hashlib, sys, time, duckdb
from quota.ids import Kind
from quota.readers.fast import duckdb_type, pages_sql
from quota.readers.records import Want
path = sys.argv[1]
plan = pages_sql(Want(frozenset({Kind.POST, Kind.USER})), True)
columns = "{" + ", ".join(f"'{k}': '{duckdb_type(v)}'" for k, v in plan.schema.items()) + "}"
parse = sha = 1e9
for _ in range(2):
    con = duckdb.connect(config={"memory_limit": "1GB", "preserve_insertion_order": False})
    t = time.perf_counter()
    con.execute(f"CREATE TABLE lines AS SELECT r AS t FROM read_json(?, columns = {columns}, records = true, "
                "format = 'newline_delimited') AS r", [path])
    parse = min(parse, time.perf_counter() - t)
    con.close()
    t = time.perf_counter()
    with open(path, "rb") as f:
        hashlib.file_digest(f, "sha256")
    sha = min(sha, time.perf_counter() - t)
print(parse, sha)
"""


def floor(path: Path) -> tuple[float, float]:
    """Seconds of DuckDB parsing the v2 pages with strip's fields alone (on every core), and of
    hashlib's sha256 of the file alone (which strip records for every input), in a child."""
    out = subprocess.run(
        [sys.executable, "-c", FLOOR, str(path)], capture_output=True, text=True, check=True, cwd=HERE.parent
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--rss-gb", type=int, default=0, help="also strip an input this large (GB) for peak RSS")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--baseline-run", nargs=2, metavar=("INPUT", "OUTDIR"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.baseline_run:
        baseline(*a.baseline_run)
        return 0
    a.data.mkdir(parents=True, exist_ok=True)
    v2 = ensure(a.data / f"v2_pages_{a.size_mb}mb.jsonl", "v2", a.size_mb)
    v1 = ensure(a.data / f"v1_{a.size_mb}mb.jsonl", "v1", a.size_mb)
    # (label, file, bytes of JSON it holds: for the gzip copy, the uncompressed size)
    files = [("v2 pages", v2, v2.stat().st_size), ("v1.1 lines", v1, v1.stat().st_size)]
    files.append(("v2 pages .gz", ensure_gzip(v2), v2.stat().st_size))
    doc = ensure_document(v2)
    files.append(("v2 document", doc, doc.stat().st_size))
    if a.rss_gb:
        big = ensure(a.data / f"v2_pages_{a.rss_gb}gb.jsonl", "v2", a.rss_gb * 1000)
        files.append((f"v2 pages {a.rss_gb} GB", big, big.stat().st_size))

    rows = []
    for label, path, size in files:
        with tempfile.TemporaryDirectory() as tmp:
            q_out, b_out = Path(tmp, "quota"), Path(tmp, "baseline")
            cmd = [sys.executable, "-m", "quota", "strip", str(path), "-o", str(q_out), "--ids", "post,user", "-q"]
            q_wall, q_rss = run(cmd)
            manifest = json.loads((q_out / "manifest.json").read_text())
            posts = manifest["inputs"][0]["posts_read"]
            reader = manifest["inputs"][0]["reader"]
            b_wall = b_rss = None
            same = "-"
            t_wall = peer(path, label, Path(tmp)) if not label.endswith("GB") else None
            z_wall = zcat(path) if str(path).endswith(".gz") else None
            if not a.no_baseline and not label.endswith("GB"):
                b_wall, b_rss = run([sys.executable, __file__, "--baseline-run", str(path), str(b_out)])
                same = all(
                    (q_out / n).read_bytes() == (b_out / n).read_bytes() for n in ("post_ids.txt", "user_ids.txt")
                )
                same = "yes" if same else "NO"
        rows.append((label, size, q_wall, q_rss, posts, reader, b_wall, b_rss, same, t_wall, z_wall))

    print(
        f"{'input':18} {'MB':>7} {'quota s':>8} {'MB/s':>6} {'posts/s':>10} {'peak RSS':>9} {'reader':>7} "
        f"{'base s':>7} {'base MB/s':>9} {'base RSS':>9} {'ratio':>6} {'same IDs':>8} {'twarc2 s':>8} {'ratio':>6}"
    )
    notes = []
    for label, size, qw, qr, posts, reader, bw, br, same, tw, zw in rows:
        base = (
            f"{bw:7.2f} {size / 1e6 / bw:9.0f} {br / 2**20:7.0f}MB {bw / qw:5.1f}x"
            if bw
            else f"{'-':>7} {'-':>9} {'-':>9} {'-':>6}"
        )
        print(
            f"{label:18} {size / 1e6:7.0f} {qw:8.2f} {size / 1e6 / qw:6.0f} {posts / qw:10,.0f} "
            f"{qr / 2**20:7.0f}MB {reader:>7} {base} {same:>8} "
            + (f"{tw:8.2f} {tw / qw:5.1f}x" if tw else f"{'-':>8} {'-':>6}")
        )
        if zw:
            notes.append(
                f"{label}: zcat > /dev/null alone {zw:.2f} s; quota strip is {zw / qw:.2f}x as fast (target >= 1.3x)"
            )
        if tw and label == "v2 pages":
            notes.append(f"{label}: quota strip is {tw / qw:.1f}x as fast as twarc2 dehydrate (target >= 15x)")
            parse, sha = floor(v2)
            cores = os.cpu_count() or 1
            least = parse + sha / cores  # the parse on every core, the hash's core-seconds shared out
            notes.append(
                f"{label}: the engine's floor: DuckDB parsing it alone {parse:.2f} s, its sha256 alone {sha:.2f} s; "
                f"together on {cores} cores at least {least:.2f} s, twarc2 / that = {tw / least:.1f}x "
                "(before start-up, sorting and writing)"
            )
        if label.endswith("GB"):
            notes.append(f"{label}: peak RSS {qr / 2**30:.2f} GiB (target <= 1 GiB)")
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
