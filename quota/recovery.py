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
import shutil
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from quota import output, scratch
from quota.errors import LedgerError, QuotaError, UsageError
from quota.ledger import Session

Say = Callable[[str], None]

UNRESOLVED = """
    SELECT r.export_id, r.entity, r.person, r.delivered_at AS "at", r.post_ids, r.user_ids, r.dm_ids,
           CASE WHEN c.export_id IS NULL THEN 'open' ELSE 'unpublished' END AS state, o.outdir, o.host
    FROM reservations r
    LEFT JOIN commits c USING (export_id)
    LEFT JOIN output_places o USING (export_id)
    WHERE r.export_id NOT IN (SELECT export_id FROM releases)
      AND r.export_id NOT IN (SELECT export_id FROM voids)
      AND (c.export_id IS NULL
           OR (o.export_id IS NOT NULL AND r.export_id NOT IN (SELECT export_id FROM publications)))
"""


def unresolved(ledger: Session) -> list[dict[str, Any]]:
    """Open reservations (they count, and may have been delivered) and committed exports whose
    files were never published."""
    return ledger.query(UNRESOLVED + " ORDER BY r.delivered_at")


def _unresolved_one(ledger: Session, export_id: str) -> dict[str, Any] | None:
    rows = ledger.query(UNRESOLVED + " AND r.export_id = ?", [export_id])
    return rows[0] if rows else None


def void(ledger: Session, export_id: str, reason: str, by: str) -> int:
    """Mark an entry (an ID export or a manual one) recorded in error; it stays in the ledger.
    What was delivered keeps counting; only an import, which delivered nothing, stops."""
    from quota.exports import existing

    row = existing(ledger, export_id)
    if row is None:
        manual = ledger.query(
            """SELECT m.export_id, v.export_id IS NOT NULL AS voided FROM manual_exports m
               LEFT JOIN voids v USING (export_id) WHERE m.export_id = ?""",
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


def release(ledger: Session, export_id: str, reason: str) -> int:
    """Resolve an open reservation, or a committed export never published, as never
    delivered; remove the files it left beside its output directory."""
    row = _unresolved_one(ledger, export_id)
    if row is None:
        raise UsageError(
            f"{export_id!r} is not an open reservation or an unpublished export (see quota ledger recover)"
        )
    seq = ledger.append("release", {"export_id": export_id, "reason": reason})
    if row["outdir"] is not None and row["host"] == socket.gethostname():
        left = scratch.find_pending(Path(row["outdir"]), export_id)
        if left is not None:
            shutil.rmtree(left, ignore_errors=True)
    return seq


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
    committed = ledger.query(
        "SELECT c.files, e.body FROM commits c JOIN events e ON e.seq = c.seq WHERE c.export_id = ?", [export_id]
    )[0]
    files = json.loads(committed["files"])
    documents = json.loads(committed["body"]).get("documents", [])  # older commits have none
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
