"""Writing ID sets: text/CSV/Parquet files, optional gzip and parts, a manifest, and an
output directory that appears whole or not at all."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import gzip
import hashlib
import json
import os
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import UsageError, flag
from quota.ids import Kind
from quota.scratch import WorkDir, as_error, unwritable
from quota.version import __version__

if TYPE_CHECKING:
    from quota.stripping import Stripped

OUT_FORMATS = ("txt", "csv", "parquet")


@dataclass(frozen=True)
class OutputOptions:
    out_format: str = "txt"
    gzip: bool = False
    split: int | None = None

    def check(self) -> None:
        if self.out_format not in OUT_FORMATS:
            raise UsageError(
                f"{flag('--out-format takes', 'the output formats are')} {', '.join(OUT_FORMATS)}, not {self.out_format!r}"
            )
        if self.gzip and self.out_format == "parquet":
            raise UsageError(
                f"{flag('--gzip applies', 'gzip applies')} to txt and csv outputs; Parquet files are compressed already"
            )
        if self.split is not None and self.split < 1:
            raise UsageError(f"{flag('--split needs', 'splitting needs')} a positive number of IDs per file")


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


def manifest(
    stripped: Stripped, files: list[OutputFile], opts: OutputOptions, delivery: bool = False
) -> dict[str, Any]:
    """What the output holds and where it came from. A `delivery` (it goes to a recipient)
    names each input by its file name and sha256 only: the data team's paths stay home."""
    totals: dict[str, dict[str, Any]] = {}
    sources = stripped.sources()
    for kind in sorted(stripped.want.kinds, key=lambda k: k.value):
        read = sum(r.ids_read.get(kind.value, 0) for r in stripped.inputs)
        written = sum(f.count for f in files if f.kind == kind.value)
        found = stripped.found(kind)
        withheld = stripped.withheld(kind)
        totals[kind.value] = {
            "read": read,
            "unique": written,
            "duplicates_dropped": read - found,
            "source": sources[kind.value],
        }
        if withheld:  # named by a deletion notice: never delivered again
            totals[kind.value]["withheld"] = withheld
        if found - withheld > written:  # an export's --limit, --sample or --fit chose these of them
            totals[kind.value]["not_selected"] = found - withheld - written
    return {
        "tool": "quota",
        "version": __version__,
        "ids": sorted(k.value for k in stripped.want.kinds),
        "referenced": stripped.want.referenced,
        "sources": sources,
        "output": {"format": opts.out_format, "gzip": opts.gzip, "split": opts.split},
        "inputs": [_input(r.as_json(), delivery) for r in stripped.inputs],
        "totals": totals,
        "bad_lines": sum(r.bad_lines for r in stripped.inputs),
        "outputs": [f.__dict__ for f in files],
    }


def _input(entry: dict[str, Any], delivery: bool) -> dict[str, Any]:
    if delivery and entry["path"] != "-":
        entry["path"] = Path(entry["path"]).name
    return entry


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def writable_file(path: Path, what: str = "the output") -> None:
    """Refuse (exit 2) a path that exists and is not a regular file: writing beside it and
    renaming would replace a device, a FIFO or a socket (as root, even /dev/full)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    except OSError as e:
        raise UsageError(f"cannot look at {path} ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{path} is a directory: {what} is written to a file")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(
            f"{path} is not a regular file (a device, FIFO or socket): {what} is written to a regular file or a new path"
        )


def replace_file(path: Path, text: str, what: str = "the output") -> None:
    """Write `text` to `path` whole or not at all: beside it, fsynced, renamed into place."""
    writable_file(path, what)
    tmp = hidden_sibling(path)
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise unwritable(path, e) from None


def hidden_sibling(path: Path) -> Path:
    """Where to write `path` before renaming it into place: beside it (same file system), hidden."""
    return path.with_name(f".{path.name}.partial-{secrets.token_hex(4)}")


@dataclass(frozen=True)
class Before:
    """What stood at OUTDIR when the run began: publishing may replace that and nothing else."""

    existed: bool
    identity: tuple[int, int] | None = None  # (device, inode) of the directory that was there


def check_outdir(outdir: Path, force: bool) -> Before:
    """Refuse early (before reading any input) to overwrite a non-empty directory; remember
    what is there, so that publishing can tell it from a directory that appeared meanwhile."""
    try:
        st = outdir.lstat()
    except FileNotFoundError:
        return Before(False)
    except OSError as e:
        raise UsageError(f"cannot look at {outdir} ({e.strerror})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{outdir} exists and is not a directory")
    try:
        empty = not any(outdir.iterdir())
    except OSError as e:
        raise UsageError(f"cannot look into {outdir} ({e.strerror})") from None
    if not empty and not force:
        raise UsageError(
            f"{outdir} exists and is not empty: choose another directory or {flag('pass --force', 'force it')}"
        )
    return Before(True, (st.st_dev, st.st_ino))


def write_files(
    directory: Path,
    stripped: Stripped,
    opts: OutputOptions,
    extra: dict[str, Any] | None = None,
    ready: dict[Kind, Path] | None = None,
    delivery: bool = False,
) -> dict[str, Any]:
    """The whole output, fsynced, in `directory` (empty, beside OUTDIR); returns the manifest
    (a `delivery`'s names its inputs without their paths)."""
    opts.check()
    files: list[OutputFile] = []
    for kind in sorted(stripped.want.kinds, key=lambda k: k.value):
        files.extend(write_kind(stripped, directory, kind, opts, (ready or {}).get(kind)))
    doc = manifest(stripped, files, opts, delivery)
    if extra:
        doc.update(extra)
    with open(directory / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(directory)
    return doc


def write_texts(directory: Path, texts: dict[str, str]) -> None:
    """Documents beside the IDs (a delivery's README.md, CITATION.cff), fsynced like them."""
    for name, text in texts.items():
        with open(directory / name, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    _fsync_dir(directory)


def write_outdir(
    work: WorkDir, outdir: Path, before: Before, stripped: Stripped, opts: OutputOptions
) -> dict[str, Any]:
    """`quota strip`: write every file in the work directory beside OUTDIR, then publish."""
    try:
        doc = write_files(work.make_out(), stripped, opts)
    except Exception as e:
        raise as_error(e, outdir, "writing the files") from None
    publish(work.out, outdir, before)
    return doc


class Appeared(UsageError):
    """OUTDIR was created or replaced by someone else while we were writing."""


def publish(new: Path, outdir: Path, before: Before) -> None:
    """Rename `new` to OUTDIR. Never remove or replace a directory this run did not find there
    when it began: a concurrent run's output stays, and this one fails with Appeared."""
    target = outdir.absolute()
    old = None
    if before.existed:
        old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
        try:
            os.rename(target, old)
        except FileNotFoundError:
            raise Appeared(f"{outdir} was removed while exporting; nothing was published") from None
        st = old.stat()
        if (st.st_dev, st.st_ino) != before.identity:
            _rename_noreplace(old, target)  # put the other run's directory back
            raise Appeared(f"{outdir} was replaced while exporting; nothing was published")
    try:
        _rename_noreplace(new, target)
    except FileExistsError:
        # The directory this run found stays at `old`: hidden, never removed.
        raise Appeared(f"{outdir} appeared while exporting; nothing was published") from None
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    # Published: from here on nothing may fail, or the caller would undo a delivery.
    with contextlib.suppress(OSError):
        _fsync_dir(target.parent)


def _rename_noreplace(src: Path, dst: Path) -> None:
    """rename(2) that fails with FileExistsError when `dst` exists, even as an empty directory
    (which plain rename would replace): renameat2(RENAME_NOREPLACE) where the kernel and file
    system have it, else a check just before (a narrower window, not none)."""
    fn = _renameat2()
    if fn is not None:
        if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE) == 0:
            return
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            raise FileExistsError(err, os.strerror(err), str(dst))
        if err not in (errno.EINVAL, errno.ENOSYS):
            raise OSError(err, os.strerror(err), str(dst))
    if os.path.lexists(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    os.rename(src, dst)


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


@functools.cache
def _renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn
