"""Scratch space beside an output: where an export strips, sorts, hashes and writes before it
publishes, and what a crash leaves behind.

A work directory is the hidden sibling `.OUTDIR.partial-XXXXXXXX` of the output, so that the
finished output is renamed into place on the same file system (a rename across file systems
fails, and a copy would not be atomic). Everything that holds IDs lives in it: DuckDB's spill
files, the sorted ID lists, a copy of standard input, the output itself (`out/`). Its owner
holds an exclusive flock on `.lock` for as long as it runs, so a later run can tell a dead
owner's directory (the lock is free) from a running one, and removes it: a `kill -9` leaves
no ID list behind for longer than the next run that writes to the same place.

One kind is kept: a directory whose export reached its commit (`export.json` beside a
finished `out/`): its files are what `quota ledger recover --publish` moves into place.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from quota.errors import DiskError, QuotaError, UsageError

LOCK = ".lock"
MARKER = "export.json"
OUT = "out"
# A directory made a moment ago may not have its lock yet; never sweep one that young.
_YOUNG = 60.0


def prefix(target: Path) -> str:
    return f".{target.name}.partial-"


def owner_gone(directory: Path) -> bool:
    """True when no live process holds the directory's lock."""
    try:
        fd = os.open(directory / LOCK, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - directory.stat().st_mtime > _YOUNG
        except OSError:
            return False
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the lock we may have taken
    return True


def pending_export(directory: Path) -> str | None:
    """The export ID of a work directory whose files wait to be published, else None."""
    try:
        doc = json.loads((directory / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not (directory / OUT).is_dir() or not isinstance(doc, dict):
        return None
    value = doc.get("export_id")
    return value if isinstance(value, str) else None


def work_dirs(target: Path) -> list[Path]:
    """Work directories of `target`, live or dead."""
    parent = target.absolute().parent
    try:
        return sorted(p for p in parent.iterdir() if p.name.startswith(prefix(target)) and p.is_dir())
    except OSError:
        return []


def leftovers(target: Path) -> list[Path]:
    """Work directories of `target` whose owner is gone."""
    return [p for p in work_dirs(target) if owner_gone(p)]


def dead_in(parent: Path) -> list[Path]:
    """Every work directory in `parent` (of any target) whose owner is gone."""
    try:
        found = [p for p in parent.iterdir() if p.name.startswith(".") and ".partial-" in p.name and p.is_dir()]
    except OSError:
        return []
    return sorted(p for p in found if owner_gone(p))


def size_of(directory: Path) -> int:
    total = 0
    for root, _, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def sweep(target: Path) -> list[Path]:
    """Remove what dead runs left beside `target`, except exports waiting to be published."""
    removed = []
    for p in leftovers(target):
        if pending_export(p) is None:
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def find_pending(target: Path, export_id: str) -> Path | None:
    for p in leftovers(target):
        if pending_export(p) == export_id:
            return p
    return None


class WorkDir:
    """A locked scratch directory beside `target` (or in the system's temporary directory for
    work that produces no output), removed on close. Use as a context manager."""

    def __init__(self, target: Path | None = None) -> None:
        if target is None:
            target = Path(tempfile.gettempdir()) / "quota-scratch"
        self.target = target
        parent = target.absolute().parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            sweep(target)
            self.path = Path(tempfile.mkdtemp(prefix=prefix(target), dir=parent))
            # The lock is taken before it is visible under its name: a sweeping run that found
            # `.lock` free between its creation and its flock would remove a live directory.
            # (Until the rename there is no `.lock`, and a young directory is never swept.)
            self._fd = os.open(self.path / (LOCK + ".new"), os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            os.rename(self.path / (LOCK + ".new"), self.path / LOCK)
        except OSError as e:
            raise unwritable(target, e) from None
        self.kept = False

    @property
    def out(self) -> Path:
        return self.path / OUT

    def make_out(self) -> Path:
        """The directory the output is written into; the umask gives its mode, as for any mkdir."""
        os.mkdir(self.out, 0o777)
        return self.out

    def mark(self, body: dict[str, Any]) -> None:
        """Say that `out/` holds the files of this export, committed or about to be."""
        path = self.path / MARKER
        with open(path, "w", encoding="utf-8") as f:
            json.dump(body, f)
            f.flush()
            os.fsync(f.fileno())

    def keep(self) -> None:
        """Leave the directory for `quota ledger recover` (its export is committed, unpublished)."""
        self.kept = True

    def close(self) -> None:
        if not self.kept:
            with contextlib.suppress(OSError):
                (self.path / MARKER).unlink(missing_ok=True)
            shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._fd)

    def __enter__(self) -> WorkDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO})


def unwritable(target: Path, e: OSError) -> QuotaError:
    """An output place that cannot be written, named as the user gave it: exit 2 for a place
    the user chose badly, 5 for a disk that failed."""
    if e.errno in DISK_ERRNOS:
        return DiskError(f"cannot write {target}: {e.strerror or e} (the disk is full or failing)")
    why = {
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.ENOTDIR: "a part of the path is not a directory",
    }.get(e.errno or 0, e.strerror or str(e))
    return UsageError(f"cannot write {target} ({why}): choose a place you can write")


def as_error(e: BaseException, target: Path, step: str) -> BaseException:
    """What to tell the user about a failure while `step` writing `target`: exit 2 for a place
    that cannot be written, 5 for a disk that failed; the library's own errors as they are."""
    import duckdb

    if isinstance(e, QuotaError) or not isinstance(e, Exception):
        return e
    if isinstance(e, OSError):
        return unwritable(target, e)
    if isinstance(e, duckdb.IOException | duckdb.OutOfMemoryException):
        text = str(e)
        why = next(
            (w for w in ("No space left on device", "Disk quota exceeded", "Read-only file system") if w in text), None
        )
        return DiskError(f"{step} for {target} failed: {why or text.splitlines()[0][:120]}")
    return e
