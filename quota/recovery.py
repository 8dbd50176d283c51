"""Entries that did not end as planned: voids, interrupted exports, unpublished files.

An ID export is reserved, written, committed and published in that order. Until its files
are published nothing can have been delivered, so a failure before then releases the
reservation itself (`undo`). A crash cannot release anything: it leaves either an open
reservation (crashed before the commit) or a committed export whose files wait in the
hidden work directory beside OUTDIR (crashed between commit and publish). `unresolved`
lists both; `release` resolves either as never delivered; `publish_pending` finishes the
second after checking every file against the sha256 the ledger recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from quota import output, scratch
from quota.errors import LedgerError, PolicyRefusal, QuotaError, UsageError
from quota.store.session import Session

Say = Callable[[str], None]


def existing(ledger: Session, export_id: str) -> dict[str, Any] | None:
    rows = ledger.query(
        "export_record",
        [export_id],
    )
    return rows[0] if rows else None


def unresolved(ledger: Session) -> list[dict[str, Any]]:
    """Open reservations (they count, and may have been delivered) and committed exports whose
    files were never published."""
    return ledger.query("unresolved_by_time")


def _unresolved_one(ledger: Session, export_id: str) -> dict[str, Any] | None:
    rows = ledger.query("unresolved_one", [export_id])
    return rows[0] if rows else None


def void(ledger: Session, export_id: str, reason: str, by: str) -> int:
    """Mark an entry (an ID export or a manual one) recorded in error; it stays in the ledger.
    What was delivered keeps counting; only an import, which delivered nothing, stops."""
    row = existing(ledger, export_id)
    if row is None:
        manual = ledger.query(
            "manual_export_voided",
            [export_id],
        )
        row = manual[0] if manual else None
    if row is None:
        raise UsageError(f"no export {export_id!r} in the ledger")
    if row["voided"]:
        raise UsageError(f"export {export_id} is already void")
    if not reason.strip() or not by.strip():
        raise UsageError("a void needs a reason (why the entry was wrong) and the name of who voids it")
    return ledger.append("void", {"export_id": export_id, "reason": reason, "by": by.strip()})


def still_running(ledger: Session, row: dict[str, Any]) -> str | None:
    """Why the export of `row` (an unresolved one) may still be running, or None when it is
    provably dead: reserved on this host, and its work directory's lock free (a lock is held
    for as long as its process lives) or, with the directory gone, its process gone."""
    export_id = row["export_id"]
    if row["outdir"] is None:
        return None  # an import or a request's record without files: nothing runs
    if row["host"] != socket.gethostname():
        return f"export {export_id} was reserved on host {row['host']}: only there can quota see that it stopped"
    body = json.loads(ledger.rows("reservation_body", [export_id])[0][0])
    target = Path(row["outdir"])
    work, pid = body.get("work"), body.get("pid")
    if work is not None:
        directory = target.absolute().parent / work
        if directory.is_dir():
            return (
                None
                if scratch.owner_gone(directory)
                else f"export {export_id} is still running (its work directory {directory} is locked)"
            )
        if isinstance(pid, int) and process_alive(pid):
            return f"export {export_id} may still be running (process {pid} is alive)"
        return None
    # Reserved by a quota that kept neither: any locked work directory beside OUTDIR may be it.
    live = [p for p in scratch.work_dirs(target) if not scratch.owner_gone(p)]
    if live:
        return f"export {export_id} may still be running ({live[0]} is locked)"
    return None


def process_alive(pid: int) -> bool:
    """Whether a process of this host has that pid (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release(ledger: Session, export_id: str, reason: str) -> int:
    """Resolve an open reservation, or a committed export never published, as never
    delivered; remove the files it left beside its output directory. Only what is provably
    dead: a running export is refused (it would publish after its room was given back), and
    a committed one whose files are in OUTDIR was delivered: that is recorded instead."""
    row = _unresolved_one(ledger, export_id)
    if row is None:
        raise UsageError(
            f"{export_id!r} is not an open reservation or an unpublished export (see quota ledger recover)"
        )
    if (why := still_running(ledger, row)) is not None:
        raise PolicyRefusal(f"{why}: nothing was released")
    if row["state"] == "unpublished" and (target := _published(ledger, row)) is not None:
        record_publication(ledger, export_id, target)
        raise PolicyRefusal(
            f"export {export_id} was delivered: its committed files are in {target}, so it was recorded as "
            "published, not released"
        )
    seq = ledger.append("release", {"export_id": export_id, "reason": reason})
    if row["outdir"] is not None and row["host"] == socket.gethostname():
        left = scratch.find_pending(Path(row["outdir"]), export_id)
        if left is not None:
            shutil.rmtree(left, ignore_errors=True)
    return seq


def _committed(ledger: Session, export_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    committed = ledger.query("commit_files_and_body", [export_id])[0]
    # older commits have no documents
    return json.loads(committed["files"]), json.loads(committed["body"]).get("documents", [])


def _published(ledger: Session, row: dict[str, Any]) -> Path | None:
    """OUTDIR of a committed export when it holds exactly the committed files (a crash came
    between publishing and recording it), else None."""
    if row["outdir"] is None or row["host"] != socket.gethostname():
        return None
    target = Path(row["outdir"])
    files, documents = _committed(ledger, row["export_id"])
    return target if target.is_dir() and _differs(target, row["export_id"], files, documents) is None else None


def settle(ledger: Session, dry_run: bool = False) -> list[dict[str, Any]]:
    """Record as published each committed export whose files a crash left published but
    unrecorded (with `dry_run`, only find them); returns those rows."""
    done = []
    for row in unresolved(ledger):
        if row["state"] == "unpublished" and (target := _published(ledger, row)) is not None:
            if not dry_run:
                record_publication(ledger, row["export_id"], target)
            done.append(row)
    return done


def leftovers(ledger: Session, places: Sequence[Path] = ()) -> list[dict[str, Any]]:
    """Work directories (`.OUTDIR.partial-*`) that dead runs left, with their size: in `places`,
    the current directory, the temporary directory, and beside every output the ledger knows
    on this host. Those holding a committed export's files are `release` and `publish`'s."""
    import tempfile

    where = {Path.cwd(), Path(tempfile.gettempdir()), *(p.absolute() for p in places)}
    for (outdir,) in ledger.rows("output_places_on_host", [socket.gethostname()]):
        where.add(Path(outdir).parent)
    waiting = {r["export_id"] for r in unresolved(ledger)}
    found = []
    for parent in sorted(where):
        for directory in scratch.dead_in(parent):
            export_id = scratch.pending_export(directory)
            found.append(
                {
                    "path": str(directory),
                    "bytes": scratch.size_of(directory),
                    "export_id": export_id if export_id in waiting else None,
                }
            )
    return found


def clean(found: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Remove the leftovers no unresolved export needs; returns those removed."""
    removed = []
    for d in found:
        if d["export_id"] is None:
            shutil.rmtree(d["path"], ignore_errors=True)
            removed.append(d)
    return removed


def record_publication(ledger: Session, export_id: str, outdir: Path) -> None:
    try:
        ledger.append("publish", {"export_id": export_id})
    except QuotaError as e:
        raise LedgerError(
            f"export {export_id} was published in {outdir}, but the ledger could not record that ({e}): "
            "quota ledger recover lists it until you run it again with the same --export-id"
        ) from None


def _sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _differs(
    directory: Path, export_id: str, files: list[dict[str, Any]], documents: Sequence[dict[str, Any]] = ()
) -> str | None:
    """Why `directory` is not exactly the output the ledger committed for `export_id`, or None:
    the recorded files and documents (README.md, ...) with their sha256 and a manifest naming
    the files and the export; nothing else."""
    try:
        present = {p.name for p in directory.iterdir()}
        expected = {f["path"] for f in [*files, *documents]} | {"manifest.json"}
        if present != expected:
            extra = sorted(present - expected) or sorted(expected - present)
            return f"{directory} holds other files than the ledger recorded ({', '.join(extra[:3])})"
        for f in [*files, *documents]:
            if _sha256(directory / f["path"]) != f["sha256"]:
                return f"{f['path']} differs from the sha256 the ledger recorded"
        doc = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return f"{directory} cannot be read back ({e})"
    if not isinstance(doc, dict) or doc.get("export", {}).get("export_id") != export_id:
        return "its manifest.json names another export"
    if doc.get("outputs") != files:
        return "its manifest.json lists other files than the ledger recorded"
    return None


def publish_pending(ledger: Session, export_id: str, outdir: Path | None = None) -> Path:
    """Finish a committed export that a crash left unpublished: check its files against the
    ledger, rename them into place, record the publication. Returns OUTDIR."""
    row = _unresolved_one(ledger, export_id)
    if row is None or row["state"] != "unpublished":
        raise UsageError(f"{export_id!r} is not a committed export waiting to be published (see quota ledger recover)")
    if row["host"] != socket.gethostname():
        raise UsageError(f"export {export_id} was written on {row['host']}: publish it there")
    target = Path(row["outdir"])
    if outdir is not None and outdir.absolute() != target:
        raise UsageError(f"export {export_id} was written for {target}, not {outdir}")
    files, documents = _committed(ledger, export_id)
    work = scratch.find_pending(target, export_id)
    if work is None:
        if target.is_dir() and _differs(target, export_id, files, documents) is None:
            record_publication(ledger, export_id, target)  # published; only the record was missing
            return target
        raise LedgerError(
            f"the files of export {export_id} are neither in {target} nor in a work directory beside it: "
            f"if they were never delivered, release it (quota ledger recover --release {export_id})"
        )
    out = work / scratch.OUT
    problem = _differs(out, export_id, files, documents)
    if problem:
        raise LedgerError(f"export {export_id} was not published: in its work directory, {problem}")
    output.publish(out, target, output.check_outdir(target, force=False))
    record_publication(ledger, export_id, target)
    shutil.rmtree(work, ignore_errors=True)
    return target


# ------------------------------------------------------------------ failures after the reservation


def _note(error: BaseException, released: str) -> BaseException:
    """The error, its sentence extended by what became of the reservation."""
    if isinstance(error, QuotaError):
        error.args = (f"{str(error).rstrip('.')}; {released}",)
    return error


def undo_in(ledger: Session, export_id: str, e: BaseException, outdir: Path, step: str) -> BaseException:
    """Release the reservation of an export that failed while `step`, in the open ledger;
    return the error to raise (its message says what became of the reservation)."""
    error = scratch.as_error(e, outdir, step)
    try:
        ledger.append("release", {"export_id": export_id, "reason": f"failed while {step}: {str(error)[:200]}"})
    except BaseException as again:  # the ledger itself is failing: the reservation stays, and counts
        print(f"quota: {export_id} could not be released ({again}): quota ledger recover lists it", file=sys.stderr)
        return _note(error, f"export {export_id} stays reserved until quota ledger recover releases it")
    return _note(error, f"nothing was delivered and export {export_id} was released")


def undo(
    db: str | Path | None,
    export_id: str,
    e: BaseException,
    outdir: Path,
    step: str,
    *,
    wait: float,
    say: Say | None,
) -> BaseException:
    """`undo_in` for a failure outside the ledger lock."""
    try:
        with Session.open(db, write=True, wait=wait, say=say) as ledger:
            return undo_in(ledger, export_id, e, outdir, step)
    except QuotaError as again:
        print(f"quota: {export_id} could not be released ({again}): quota ledger recover lists it", file=sys.stderr)
        return _note(scratch.as_error(e, outdir, step), f"export {export_id} stays reserved")
