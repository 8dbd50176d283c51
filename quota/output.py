"""Writing ID sets: text/CSV/Parquet files, optional gzip and parts, a manifest, and an
output directory that appears whole or not at all."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota import __version__
from quota.errors import UsageError
from quota.ids import Kind

if TYPE_CHECKING:
    from quota.strip import Stripped

OUT_FORMATS = ("txt", "csv", "parquet")


@dataclass(frozen=True)
class OutputOptions:
    out_format: str = "txt"
    gzip: bool = False
    split: int | None = None

    def check(self) -> None:
        if self.out_format not in OUT_FORMATS:
            raise UsageError(f"--out-format takes {', '.join(OUT_FORMATS)}, not {self.out_format!r}")
        if self.gzip and self.out_format == "parquet":
            raise UsageError("--gzip applies to txt and csv outputs; Parquet files are compressed already")
        if self.split is not None and self.split < 1:
            raise UsageError("--split needs a positive number of IDs per file")


@dataclass
class OutputFile:
    path: str  # relative to the output directory
    kind: str
    count: int
    sha256: str
    bytes: int


def _file_names(kind: Kind, opts: OutputOptions, parts: int) -> list[str]:
    ext = opts.out_format + (".gz" if opts.gzip and opts.out_format != "parquet" else "")
    if not opts.split:
        return [f"{kind.value}_ids.{ext}"]
    return [f"{kind.value}_ids.part{i + 1:04d}.{ext}" for i in range(parts)]


def _sha256_fsync(path: Path) -> str:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
        f.seek(0)
        return hashlib.file_digest(f, "sha256").hexdigest()


def _gzip_in_place(plain: Path, target: Path) -> None:
    # Python's gzip with mtime=0 and no name: the same IDs give the same bytes (DuckDB's is slower).
    with open(plain, "rb") as src, open(target, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=6) as gz:
            shutil.copyfileobj(src, gz, 1 << 22)
    plain.unlink()


def write_kind(
    stripped: Stripped, directory: Path, kind: Kind, opts: OutputOptions, ready: Path | None = None
) -> list[OutputFile]:
    """DuckDB writes the files straight from its sorted table: no round trip through Python.

    `ready` is that kind's plain ID list already written (by `quota export`, to hash it): for
    plain text output in one file it is moved into place instead of written again."""
    table, total = stripped.unique(kind)
    if ready is not None and opts == OutputOptions():
        path = directory / _file_names(kind, opts, 1)[0]
        os.replace(ready, path)
        return [OutputFile(path.name, kind.value, total, _sha256_fsync(path), path.stat().st_size)]
    size = opts.split or max(total, 1)
    parts = max(1, -(-total // size))
    column = f"{kind.value}_id"
    files = []
    for i, name in enumerate(_file_names(kind, opts, parts)):
        path = directory / name
        part = f"SELECT id AS {column} FROM {table} LIMIT {size} OFFSET {i * size}"
        if opts.out_format == "parquet":
            # Text, not integers: JavaScript, R and spreadsheets turn 64-bit integers into floats.
            sql = f"COPY (SELECT {column}::VARCHAR AS {column} FROM ({part})) TO ? (FORMAT parquet, COMPRESSION zstd)"
            stripped.con.execute(sql, [str(path)])
        else:
            plain = path.with_name(path.name.removesuffix(".gz") + ".plain") if opts.gzip else path
            header = "true" if opts.out_format == "csv" else "false"
            stripped.con.execute(f"COPY ({part}) TO ? (FORMAT csv, HEADER {header})", [str(plain)])
            if opts.gzip:
                _gzip_in_place(plain, path)
        count = min(size, total - i * size) if total else 0
        files.append(OutputFile(name, kind.value, count, _sha256_fsync(path), path.stat().st_size))
    return files


def manifest(stripped: Stripped, files: list[OutputFile], opts: OutputOptions) -> dict[str, Any]:
    totals: dict[str, dict[str, int]] = {}
    for kind in sorted(stripped.want.kinds, key=lambda k: k.value):
        read = sum(r.ids_read.get(kind.value, 0) for r in stripped.inputs)
        written = sum(f.count for f in files if f.kind == kind.value)
        totals[kind.value] = {"read": read, "unique": written, "duplicates_dropped": read - written}
    return {
        "tool": "quota",
        "version": __version__,
        "ids": sorted(k.value for k in stripped.want.kinds),
        "referenced": stripped.want.referenced,
        "output": {"format": opts.out_format, "gzip": opts.gzip, "split": opts.split},
        "inputs": [r.as_json() for r in stripped.inputs],
        "totals": totals,
        "bad_lines": sum(r.bad_lines for r in stripped.inputs),
        "outputs": [f.__dict__ for f in files],
    }


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def hidden_sibling(path: Path) -> Path:
    """Where to write `path` before renaming it into place: beside it (same file system), hidden."""
    return path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")


def check_outdir(outdir: Path, force: bool) -> None:
    """Refuse early (before reading any input) to overwrite a non-empty directory."""
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"{outdir} exists and is not a directory")
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        raise UsageError(f"{outdir} exists and is not empty: choose another directory or pass --force")


def write_outdir(
    outdir: Path, stripped: Stripped, opts: OutputOptions, force: bool, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Write every file into a hidden sibling directory, then rename it into place."""
    tmp, doc = write_hidden(outdir, stripped, opts, force, extra)
    publish(tmp, outdir)
    return doc


def write_hidden(
    outdir: Path,
    stripped: Stripped,
    opts: OutputOptions,
    force: bool,
    extra: dict[str, Any] | None = None,
    ready: dict[Kind, Path] | None = None,
) -> tuple[Path, dict[str, Any]]:
    """The whole output, fsynced, in a hidden directory beside OUTDIR; `publish` moves it."""
    opts.check()
    check_outdir(outdir, force)
    parent = outdir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.partial-", dir=parent))
    try:
        files: list[OutputFile] = []
        for kind in sorted(stripped.want.kinds, key=lambda k: k.value):
            files.extend(write_kind(stripped, tmp, kind, opts, (ready or {}).get(kind)))
        doc = manifest(stripped, files, opts)
        if extra:
            doc.update(extra)
        with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o755)
        _fsync_dir(tmp)
        return tmp, doc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def publish(tmp: Path, outdir: Path) -> None:
    try:
        _replace_dir(tmp, outdir.resolve())
        _fsync_dir(outdir.resolve().parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def discard(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
