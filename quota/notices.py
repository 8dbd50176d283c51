"""Deletion notices: X's batch compliance results, who must act on them, and by when.

X's compliance jobs return JSON lines of the IDs that need action (deleted, protected,
suspended, ...). Every entity that received one of them must be told within 24 hours of the
notice's receipt. A notice is an event in the hash chain; its rows are stored beside it and
enter the chain as the sha256 of their sorted lines, as an export's IDs do.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import BadInput, UsageError, flag
from quota.ids import id_problem, quoted
from quota.readers.jsonl import parse
from quota.readers.records import Problem
from quota.readers.source import bounded_lines, document_file
from quota.store import Rows
from quota.store.chain import LINEAGE_KINDS
from quota.store.session import Session
from quota.times import CLOCK_SLACK, iso, not_future, parse_iso, utc_naive

if TYPE_CHECKING:
    import pyarrow as pa

REASONS = {
    # X's tweets-job results give `deactivated` too (the author's account was deactivated).
    "post": frozenset({"deleted", "bounced", "protected", "suspended", "scrub_geo", "deactivated"}),
    "user": frozenset({"deleted", "suspended", "protected", "deactivated"}),
}
_WORD = re.compile(r"[a-z_]{1,40}")
_TIME = re.compile(r"[0-9T:.+\-Z ]{0,40}")
FIELDS = ("id", "action", "reason", "created_at", "redacted_at")
# A line of a compliance result is a small object; a longer one is not X's result.
NOTICE_LINE_LIMIT = 1 << 16


@dataclass(frozen=True)
class NoticeRow:
    id: str
    action: str
    reason: str
    created_at: str | None
    redacted_at: str | None

    def line(self) -> str:
        """The row as hashed: tab-separated fields, absent times empty (notices.sql does the same)."""
        return "\t".join((self.id, self.action, self.reason, self.created_at or "", self.redacted_at or "")) + "\n"


def parse_file(path: Path, name: str, kind: str) -> tuple[list[NoticeRow], str]:
    """Every row of a compliance result file, checked; and the file's sha256. A regular file:
    it is read twice (a job's JSON given instead is refused first), which a pipe cannot be."""
    document_file(path, name)
    rows: list[NoticeRow] = []
    sha = hashlib.sha256()
    try:
        _refuse_a_job(path, name)
        with open(path, "rb") as f:
            for n, raw in enumerate(bounded_lines(f, name, NOTICE_LINE_LIMIT), start=1):
                sha.update(raw)
                if raw.strip():
                    rows.append(_row(name, n, raw, kind))
    except OSError as e:
        raise BadInput(name, f"cannot be read ({e.strerror})") from None
    if not rows:
        raise BadInput(name, "holds no IDs (X's result lists only the affected IDs): there is nothing to record")
    return rows, sha.hexdigest()


JOB_KINDS = {"tweets": "post", "users": "user"}
JOB_LIMIT = 1 << 20  # a job object is a few hundred bytes


def _job(doc: object) -> dict[str, Any] | None:
    """The job object of a compliance job's JSON, or None when it is not one."""
    job = doc.get("data", doc) if isinstance(doc, dict) else None
    if isinstance(job, dict) and ("upload_url" in job or "download_url" in job):
        return job
    return None


def _refuse_a_job(path: Path, name: str) -> None:
    """A job's JSON given where its result belongs (often pretty-printed, so not lines)."""
    import json

    with open(path, "rb") as f:
        head = f.read(JOB_LIMIT + 1)
    if len(head) > JOB_LIMIT or not head.lstrip().startswith(b"{"):
        return
    try:
        doc = json.loads(head.decode("utf-8"), parse_int=str, parse_float=str)
    except (UnicodeDecodeError, ValueError):
        return
    if _job(doc) is not None:
        raise BadInput(
            name,
            "holds a compliance job, not its result: give the file downloaded from its download_url "
            "(and this file as the job)",
        )


def job_kind(path: Path, name: str) -> tuple[str, str]:
    """The kind of IDs a compliance job's results list, from the job's own JSON (what X returns
    for GET /2/compliance/jobs/:id, `{"data": {...}}`, or the job object alone), and its id."""
    import json

    document_file(path, name)
    try:
        with open(path, "rb") as f:
            raw = f.read(JOB_LIMIT + 1)
    except OSError as e:
        raise BadInput(name, f"cannot be read ({e.strerror})") from None
    if len(raw) > JOB_LIMIT:
        raise BadInput(name, "is larger than a compliance job's JSON can be (1 MiB)")
    try:
        doc = json.loads(raw.decode("utf-8"), parse_int=str, parse_float=str)
    except (UnicodeDecodeError, ValueError):
        raise BadInput(name, "is not a JSON document (the compliance job X returned)") from None
    job = _job(doc)
    if job is None:
        raise BadInput(name, "is not a compliance job (no upload_url or download_url)")
    if job.get("type") not in JOB_KINDS:
        raise BadInput(name, f"the job's type {quoted(job.get('type'))} is neither 'tweets' nor 'users'")
    problem = id_problem(job.get("id"))
    if problem is not None:
        raise BadInput(name, f"the job's id: {problem}")
    return JOB_KINDS[job["type"]], str(job["id"])


def _row(name: str, n: int, raw: bytes, kind: str) -> NoticeRow:
    try:
        obj = parse(raw.decode("utf-8"))  # numbers stay text: an ID is never rounded
    except UnicodeDecodeError:
        raise BadInput(name, "is not UTF-8 text", n) from None
    except Problem as p:
        raise BadInput(name, str(p), n) from None
    if not isinstance(obj, dict):
        raise BadInput(name, "the line is not a JSON object", n)
    problem = id_problem(obj.get("id"))
    if problem is not None:
        raise BadInput(name, f"id: {problem}", n)
    action, reason = obj.get("action"), obj.get("reason")
    for field, value in (("action", action), ("reason", reason)):
        if not isinstance(value, str) or not _WORD.fullmatch(value):
            raise BadInput(name, f"{field} {quoted(value)} is not a compliance {field} such as 'delete'", n)
    if reason not in REASONS[kind]:
        known = ", ".join(sorted(REASONS[kind]))
        raise BadInput(
            name,
            f"reason {reason!r} is not one X gives for {kind}s ({known}); check {flag('--kind', 'the kind of IDs the notice names')}",
            n,
        )
    times = []
    for field in ("created_at", "redacted_at"):
        value = obj.get(field)
        if value is not None and (not isinstance(value, str) or not _TIME.fullmatch(value)):
            raise BadInput(name, f"{field} {quoted(value)} is not a time", n)
        times.append(value)
    return NoticeRow(str(obj["id"]), action, reason, times[0], times[1])  # type: ignore[arg-type]


def digest(rows: list[NoticeRow]) -> str:
    return hashlib.sha256("".join(sorted(r.line() for r in rows)).encode()).hexdigest()


def stated_time(
    ledger: Session, stated: datetime | None, evidence: Path | None, what: str
) -> tuple[datetime, dict[str, Any]]:
    """The time of a receipt or a notification, and what the event records of how it is known.
    Now by the ledger's clock, unless stated; a time stated more than the clock slack away
    from now is back-dated: only with evidence (its sha256 is kept), and flagged, since a
    deadline counts from it."""
    from quota.registry import file_sha256

    now = ledger.stamp()
    if stated is None:
        return now, {"backdated": False}
    not_future(stated, "the time of " + what, now)
    backdated = abs(now - stated) > CLOCK_SLACK
    if backdated and evidence is None:
        raise UsageError(
            f"{what} at {iso(stated)} is stated {_span(now - stated)} before now ({iso(now)}): a back-dated "
            "time needs the evidence of it (the e-mail or message, kept by its sha256)"
        )
    facts: dict[str, Any] = {"backdated": backdated}
    if evidence is not None:
        facts["evidence_sha256"] = file_sha256(evidence, "piece of evidence")
    return stated, facts


def _span(delta: Any) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60}h{minutes % 60:02d}m"


def add(
    ledger: Session,
    path: Path,
    name: str,
    received_at: datetime | None,
    kind: str,
    job: tuple[str, str] | None = None,
    evidence: Path | None = None,
) -> tuple[str, int]:
    """Record a notice; returns its id and event number. `received_at`: None for now (else a
    back-dated receipt, with `evidence`). `job`: (name, id) of the compliance job whose result
    this is, when its JSON gave the kind. The file of a voided notice, added again, keeps that
    notice's receipt: a deadline cannot start again by recording a notice twice."""
    import pyarrow as pa

    if kind not in REASONS:
        raise UsageError(f"the kind of a notice is post or user, not {kind!r}")
    rows, file_sha = parse_file(path, name, kind)
    known = ledger.query(
        "notices_standing_of_file",
        [file_sha],
    )
    if known:
        raise UsageError(f"{name} was already recorded as notice {known[0]['notice_id']}")
    received_at, facts = stated_time(ledger, received_at, evidence, "the notice's receipt")
    first = ledger.query(
        "notice_first_of_file",
        [file_sha],
    )
    if first and first[0]["received_at"] < utc_naive(received_at):
        received_at = first[0]["received_at"].replace(tzinfo=UTC)
    notice_id = f"n-{received_at.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    body = {
        "notice_id": notice_id,
        "received_at": iso(received_at),
        "kind": kind,
        "file": name,
        "sha256": file_sha,
        "ids": len(rows),
        "ids_sha256": digest(rows),
        **facts,
    }
    if first:
        body["renews"] = first[0]["notice_id"]
    if job is not None:
        body["job_file"], body["job_id"] = job
    table = pa.table(
        {
            "notice_id": pa.array([notice_id] * len(rows), pa.string()),
            "kind": pa.array([LINEAGE_KINDS[kind]] * len(rows), pa.uint8()),
            "id": pa.array([int(r.id) for r in rows], pa.uint64()),
            **{f: pa.array([getattr(r, f) for r in rows], pa.string()) for f in FIELDS[1:]},
        }
    )

    return notice_id, ledger.append("notice", body, [Rows("deletion_notice_ids", table)])


def noticed(ledger: Session, after: int = 0) -> tuple[int, pa.Table | None]:
    """Every ID a recorded, unvoided deletion notice recorded after event `after` names, as
    (notice_id, kind, id), or None when there is none (most exports: no Arrow to load); and
    the newest event now. What is withheld from every delivery."""
    seq = ledger.head()[0]
    if not ledger.rows("noticed_any", [after]):
        return seq, None
    return seq, ledger.arrow("noticed_ids", [after])


def void(ledger: Session, notice_id: str, reason: str, by: str | None = None) -> int:
    """Mark a notice recorded in error: it stays, stops demanding action, and its file may be
    recorded again (with the right kind, keeping this notice's receipt)."""
    _notice(ledger, notice_id)
    if ledger.query("notice_voided", [notice_id]):
        raise UsageError(f"notice {notice_id} is already void")
    if not reason.strip():
        raise UsageError("a void needs a reason: say why the notice was recorded wrongly")
    if by is not None and not by.strip():
        raise UsageError("who voids the notice cannot be blank")
    body = {"notice_id": notice_id, "reason": reason}
    if by is not None:
        body["by"] = by.strip()
    return ledger.append("notice_void", body)


def _notice(ledger: Session, notice_id: str) -> dict[str, Any]:
    rows = ledger.query("notice_row", [notice_id])
    if not rows:
        raise UsageError(f"no notice {notice_id!r} in the ledger (see quota notice list --all)")
    return rows[0]


def affected(ledger: Session, notice_id: str) -> list[dict[str, Any]]:
    """Per entity that received any of the notice's IDs: how many, the deadline, when told."""
    _notice(ledger, notice_id)
    ledger.views()
    return ledger.query(
        "notice_recipients",
        [notice_id],
    )


def detail(ledger: Session, notice_id: str) -> list[dict[str, Any]]:
    """Per entity and ID: kind, action, reason and the exports that delivered it."""
    _notice(ledger, notice_id)
    ledger.views()
    return ledger.query(
        "notice_detail",
        [notice_id],
    )


def write_files(rows: list[dict[str, Any]], outdir: Path, notice_id: str) -> list[Path]:
    """One CSV per entity (id,kind,action,reason), written to a hidden directory then renamed."""
    import csv
    import os
    import shutil

    from quota.output import hidden_sibling

    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise UsageError(f"{outdir} exists and is not an empty directory")
    tmp = hidden_sibling(outdir)
    tmp.mkdir(parents=True)
    try:
        by_entity: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_entity.setdefault(row["entity"], []).append(row)
        for entity, items in by_entity.items():
            with open(tmp / f"{notice_id}-{entity}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(["id", "kind", "action", "reason"])
                for item in items:
                    writer.writerow([item["id"], item["kind"], item["action"], item["reason"]])
        if outdir.exists():
            outdir.rmdir()
        os.replace(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sorted(outdir.iterdir())


def sent(
    ledger: Session, notice_id: str, entity: str, at: datetime | None = None, evidence: Path | None = None
) -> int | None:
    """Record that `entity` was told (now, or at a back-dated `at` with `evidence`); None when
    that was already recorded."""
    notice = _notice(ledger, notice_id)
    hit = [r for r in affected(ledger, notice_id) if r["entity"] == entity]
    if not hit:
        raise UsageError(f"{entity} received none of the IDs of notice {notice_id}")
    if hit[0]["told_at"] is not None:
        return None
    told, facts = stated_time(ledger, at, evidence, "telling the recipient")
    if utc_naive(told) < notice["received_at"]:
        raise UsageError(f"{iso(told)} is before the notice was received ({iso(notice['received_at'])})")
    return ledger.append("notice_sent", {"notice_id": notice_id, "entity": entity, "at": iso(told), **facts})


def overdue(found: list[dict[str, Any]]) -> list[str]:
    """The notices of `open_notices` past their deadline with an entity still untold."""
    return [n["notice_id"] for n in found if n["overdue"]]


def open_notices(ledger: Session, at: datetime, everything: bool = False) -> list[dict[str, Any]]:
    """Notices with an entity not yet told (all notices with `everything`), overdue ones first."""
    ledger.views()
    rows = ledger.query("notices_open_by_deadline")
    acked: dict[tuple[str, str], dict[str, Any]] = {}
    for a in ledger.query("notice_acked"):
        acked.setdefault((a["notice_id"], a["entity"]), a | {"acked_at": utc_naive(parse_iso(a["acked_at"]))})
    now = utc_naive(at)
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        n = out.setdefault(
            r["notice_id"],
            {
                "notice_id": r["notice_id"], "received_at": r["received_at"], "deadline": r["deadline"],
                "void": bool(r["void"]), "entities": [], "backdated": bool(r["backdated"]),
                "void_reason": r["void_reason"], "voided_by": r["voided_by"],
            },
        )  # fmt: skip
        if r["entity"] is not None:
            n["entities"].append(
                {
                    "entity": r["entity"],
                    "ids": int(r["ids"]),
                    "told_at": r["told_at"],
                    "late": bool(r["late"]),
                    "declared": bool(r["declared"]),
                    "backdated": bool(r["told_backdated"]),
                    "acked_at": (ack := acked.get((r["notice_id"], r["entity"]), {})).get("acked_at"),
                    "acked_by": ack.get("acked_by"),
                }
            )
    result = []
    for n in out.values():
        untold = [e for e in n["entities"] if e["told_at"] is None]
        if (n["void"] or not untold) and not everything:
            continue
        result.append(
            {
                "notice_id": n["notice_id"],
                "received_at": n["received_at"],
                "deadline": n["deadline"],
                "overdue": not n["void"] and bool(untold) and now > n["deadline"],
                "void": n["void"],
                "entities": n["entities"],
                "backdated": n["backdated"],
                "void_reason": n["void_reason"],
                "voided_by": n["voided_by"],
            }
        )
    result.sort(key=lambda n: (not n["overdue"], n["deadline"], n["notice_id"]))
    return result


def untold(every: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of open_notices(..., everything=True), what open_notices gives without it: the notices
    not voided with a recipient not yet told (for a caller that needs both, reading once)."""
    return [n for n in every if not n["void"] and any(e["told_at"] is None for e in n["entities"])]


def flat(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """open_notices as one row per notice and entity (a notice no entity received: one row)."""
    return [
        {"notice_id": n["notice_id"], "deadline": n["deadline"], "overdue": n["overdue"], "entity": e["entity"],
         "ids": e["ids"], "told_at": e["told_at"], "acked_at": e.get("acked_at")}
        for n in found
        for e in (n["entities"] or [{"entity": None, "ids": 0, "told_at": None, "acked_at": None}])
    ]  # fmt: skip


def time_left(deadline: datetime, at: datetime) -> str:
    seconds = int((deadline.replace(tzinfo=UTC) - at).total_seconds())
    sign = "-" if seconds < 0 else ""
    h, m = divmod(abs(seconds) // 60, 60)
    return f"{sign}{h}h{m:02d}m"
