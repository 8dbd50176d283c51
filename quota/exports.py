"""The export protocol: strip -> check and reserve -> write -> commit -> publish.

Only the check-and-reserve and the commit hold the ledger lock; stripping and writing do
not. A reservation counts against the cap from the moment it is recorded, so two exports
to one entity can never both pass a check that only one of them fits in, and a crash after
it leaves a counted, open reservation that `quota ledger recover` lists and releases.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota import exemptions, output, registry
from quota.errors import PolicyRefusal, UsageError
from quota.ids import Kind
from quota.ledger import LINEAGE_KINDS, Ledger, check_name, iso, utc_naive
from quota.policy import Entry, Permission, Profile, cap_at, check, next_free_at, used_at
from quota.strip import StripOptions, strip

if TYPE_CHECKING:
    from quota.strip import Stripped

FUTURE_SLACK = timedelta(minutes=5)
Say = Callable[[str], None]


@dataclass
class ExportResult:
    export_id: str
    entity: str
    person: str | None
    at: datetime
    post_ids: int
    user_ids: int
    dm_ids: int
    basis: str
    used_after: int
    cap: int | None
    files: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    already_recorded: bool = False

    def as_json(self) -> dict[str, Any]:
        """The keys scripts rely on, in the documented order."""
        out: dict[str, Any] = {"export_id": self.export_id, "entity": self.entity, "person": self.person}
        out["at"] = iso(self.at)
        for key in ("post_ids", "user_ids", "dm_ids", "basis", "used_after", "cap", "files"):
            out[key] = getattr(self, key)
        if self.dry_run:
            out["dry_run"] = True
        return out


def not_future(t: datetime, option: str, now: datetime | None = None) -> None:
    """Past distributions may be recorded; future ones may not (a few minutes of clock skew aside)."""
    if t > (now or datetime.now(UTC)) + FUTURE_SLACK:
        raise UsageError(f"{option} {iso(t)} is more than 5 minutes in the future")


def ledger_state(
    ledger: Ledger, entity: str, around: datetime, window: timedelta
) -> tuple[list[Entry], list[Permission]]:
    """The entity's counted entries near `around` (open or committed, not released or voided)."""
    rows = ledger.con.execute(
        """SELECT delivered_at, post_ids FROM reservations r
           WHERE entity = ? AND delivered_at > ? AND delivered_at < ? AND basis <> 'exemption'
             AND export_id NOT IN (SELECT export_id FROM releases)
             AND export_id NOT IN (SELECT export_id FROM voids)""",
        [entity, utc_naive(around - 2 * window), utc_naive(around + 2 * window)],
    ).fetchall()
    entries = [Entry(at.replace(tzinfo=UTC), int(n)) for at, n in rows]
    perms = [
        Permission(r["ref"], int(r["cap"]), r["valid_from"].replace(tzinfo=UTC), r["valid_until"].replace(tzinfo=UTC))
        for r in registry.permissions(ledger, entity)
    ]
    return entries, perms


def ledger_states(
    ledger: Ledger, around: datetime, window: timedelta
) -> dict[str, tuple[list[Entry], list[Permission]]]:
    """ledger_state for every entity at once: one query instead of one per entity."""
    rows = ledger.con.execute(
        """SELECT entity, delivered_at, post_ids FROM reservations
           WHERE delivered_at > ? AND delivered_at < ? AND basis <> 'exemption'
             AND export_id NOT IN (SELECT export_id FROM releases)
             AND export_id NOT IN (SELECT export_id FROM voids)""",
        [utc_naive(around - 2 * window), utc_naive(around + 2 * window)],
    ).fetchall()
    out: dict[str, tuple[list[Entry], list[Permission]]] = {
        e["entity"]: ([], []) for e in ledger.query("SELECT entity FROM entities")
    }
    for entity, at, n in rows:
        out[entity][0].append(Entry(at.replace(tzinfo=UTC), int(n)))
    for r in registry.permissions(ledger):
        out[r["entity"]][1].append(
            Permission(
                r["ref"], int(r["cap"]), r["valid_from"].replace(tzinfo=UTC), r["valid_until"].replace(tzinfo=UTC)
            )
        )
    return out


def refusal(entity: str, at: datetime, posts: int, verdict: Any, fits_at: datetime | None) -> str:
    w = verdict.worst
    when = f"it fits from {iso(fits_at)}" if fits_at else "it never fits under the current cap and permissions"
    return (
        f"refused: {posts:,} Post IDs to {entity} at {iso(at)} would make {w.used + posts:,} "
        f"in the 30 days to {iso(w.end)} (used {w.used:,}, cap {w.cap:,}, requested {posts:,}, "
        f"over by {verdict.over_by:,}); {when}"
    )


def check_recipient(ledger: Ledger, entity: str, person: str | None, at: datetime) -> None:
    ent = ledger.query("SELECT entity FROM entities WHERE entity = ?", [entity])
    if not ent:
        raise UsageError(f"no entity {entity!r} in the ledger (add it with quota entity add)")
    accepted = ledger.query(
        "SELECT min(accepted_at) AS first FROM terms_acceptances WHERE entity = ? AND accepted_at <= ?",
        [entity, utc_naive(at)],
    )
    if accepted[0]["first"] is None:
        raise PolicyRefusal(
            f"refused: {entity} has no recorded acceptance of X's Terms, Privacy Policy, Developer Agreement "
            f"and Developer Policy at or before {iso(at)} (record it with quota entity accept-terms)"
        )
    if person is not None:
        rows = ledger.query("SELECT entity FROM persons WHERE person = ?", [person])
        if not rows:
            raise UsageError(f"no person {person!r} in the ledger (add it with quota person add)")
        if rows[0]["entity"] != entity:
            raise PolicyRefusal(f"refused: person {person} belongs to {rows[0]['entity']}, not to {entity}")


def _digests_and_counts(stripped: Stripped, scratch: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Per kind: the sha256 of the sorted ID list, one per line (the bytes of a plain
    `post_ids.txt`), and the count. DuckDB writes the lists to `scratch` (the ledger then
    loads the lineage from them); hashlib hashes them."""
    digests: dict[str, str] = {}
    counts = {k.value: 0 for k in Kind}
    for kind in stripped.want.kinds:
        table, n = stripped.unique(kind)
        counts[kind.value] = n
        path = scratch / f"{kind.value}.txt"
        stripped.con.execute(f"COPY (SELECT id FROM {table}) TO ? (FORMAT csv, HEADER false)", [str(path)])
        with open(path, "rb") as f:
            digests[kind.value] = hashlib.file_digest(f, "sha256").hexdigest()
    return digests, counts


def _lineage_loader(scratch: Path, kinds: Sequence[Kind], export_id: str) -> Callable[[Any], None]:
    """Inside the reserve transaction: the delivered IDs, read from the digest files."""

    def load(con: Any) -> None:
        for kind in kinds:
            con.execute(
                f"""INSERT INTO lineage SELECT ?, {LINEAGE_KINDS[kind.value]}, id
                    FROM read_csv(?, columns = {{'id': 'UBIGINT'}}, header = false, auto_detect = false)""",
                [export_id, str(scratch / f"{kind.value}.txt")],
            )

    return load


def existing(ledger: Ledger, export_id: str) -> dict[str, Any] | None:
    rows = ledger.query(
        """SELECT r.*, c.files, c.export_id IS NOT NULL AS committed, rel.export_id IS NOT NULL AS released,
                  v.export_id IS NOT NULL AS voided
           FROM reservations r LEFT JOIN commits c USING (export_id) LEFT JOIN releases rel USING (export_id)
           LEFT JOIN voids v USING (export_id) WHERE r.export_id = ?""",
        [export_id],
    )
    return rows[0] if rows else None


def _result_of(row: dict[str, Any], used_after: int, cap: int | None) -> ExportResult:
    return ExportResult(
        export_id=row["export_id"],
        entity=row["entity"],
        person=row["person"],
        at=row["delivered_at"].replace(tzinfo=UTC),
        post_ids=int(row["post_ids"]),
        user_ids=int(row["user_ids"]),
        dm_ids=int(row["dm_ids"]),
        basis=row["basis"],
        used_after=used_after,
        cap=cap,
        files=json.loads(row["files"]) if row.get("files") else [],
        already_recorded=True,
    )


def basis_of(perms: Sequence[Permission], profile: Profile, at: datetime) -> str:
    raising = [
        p for p in perms if p.start <= at < p.until and (profile.post_id_cap is None or p.cap > profile.post_id_cap)
    ]
    return f"permission:{max(raising, key=lambda p: p.cap).ref}" if raising else "cap"


def export(
    inputs: Sequence[str],
    entity: str,
    outdir: Path,
    *,
    db: str | Path | None,
    strip_opts: StripOptions,
    out_opts: output.OutputOptions,
    person: str | None = None,
    at: datetime | None = None,
    export_id: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    wait: float = 60.0,
    say: Say | None = None,
    exemption: str | None = None,
) -> ExportResult:
    now = datetime.now(UTC)
    at = at or now
    not_future(at, "--at", now)
    if export_id is not None:
        check_name("export id", export_id)
    out_opts.check()
    if not dry_run:
        output.check_outdir(outdir, force)
    # A cheap look first, so that a typo does not cost a long strip.
    with Ledger.open(db, wait=wait, say=say) as ledger:
        if export_id is not None and (row := existing(ledger, export_id)) is not None:
            return _replayed(ledger, row, entity)
        check_recipient(ledger, entity, person, at)

    stripped = strip(inputs, strip_opts)
    with stripped:
        scratch = Path(tempfile.mkdtemp(prefix="quota-ids-"))
        try:
            digests, counts = _digests_and_counts(stripped, scratch)
            return _reserve_write_commit(
                stripped, digests, counts, scratch, entity, outdir, db=db, out_opts=out_opts, person=person, at=at,
                export_id=export_id, dry_run=dry_run, force=force, wait=wait, say=say, exemption=exemption,
            )  # fmt: skip
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _reserve_write_commit(
    stripped: Stripped,
    digests: dict[str, str],
    counts: dict[str, int],
    scratch: Path,
    entity: str,
    outdir: Path,
    *,
    db: str | Path | None,
    out_opts: output.OutputOptions,
    person: str | None,
    at: datetime,
    export_id: str | None,
    dry_run: bool,
    force: bool,
    wait: float,
    say: Say | None,
    exemption: str | None,
) -> ExportResult:
    posts = counts["post"]
    export_id = export_id or f"x-{at.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"

    # 1. check and reserve, under the write lock
    with Ledger.open(db, write=True, wait=wait, say=say) as ledger:
        if (row := existing(ledger, export_id)) is not None:
            return _replayed(ledger, row, entity)
        check_recipient(ledger, entity, person, at)
        profile = registry.current_profile(ledger)
        if exemption is not None:
            # Outside the 30-day cap: the exemption's own rules and quantities instead.
            used_after, cap = exemptions.check_export(
                ledger, exemption, entity, person, at, posts, counts["user"], counts["dm"], profile
            )
            basis = "exemption"
        else:
            entries, perms = ledger_state(ledger, entity, at, profile.window)
            verdict = check(entries, perms, profile.post_id_cap, profile.window, at, posts)
            if not verdict.allowed:
                fits = next_free_at(entries, perms, profile.post_id_cap, profile.window, at, posts)
                raise PolicyRefusal(refusal(entity, at, posts, verdict, fits))
            basis = basis_of(perms, profile, at)
            used_after = used_at(at, entries, profile.window) + posts
            cap = cap_at(at, profile.post_id_cap, perms)
        result = ExportResult(
            export_id, entity, person, at, posts, counts["user"], counts["dm"], basis, used_after, cap,
            dry_run=dry_run,
        )  # fmt: skip
        if dry_run:
            return result
        body = {
            "export_id": export_id,
            "entity": entity,
            "person": person,
            "at": iso(at),
            "post_ids": posts,
            "user_ids": counts["user"],
            "dm_ids": counts["dm"],
            "basis": basis,
            "profile": profile.name,
            "version": profile.version,
            "ids_sha256": digests,
        }
        if exemption is not None:
            body["exemption"] = exemption
        kinds = sorted(stripped.want.kinds, key=lambda k: k.value)
        ledger.append("reserve", body, also=_lineage_loader(scratch, kinds, export_id))

    # 2. write the files, outside the lock
    extra = {"export": {k: body[k] for k in ("export_id", "entity", "person", "at", "basis", "profile", "version")}}
    lists = {k: scratch / f"{k.value}.txt" for k in stripped.want.kinds}
    tmp, doc = output.write_hidden(outdir, stripped, out_opts, force, extra, ready=lists)
    try:
        files = [dict(f) for f in doc["outputs"]]
        # 3. commit with the files' hashes
        with Ledger.open(db, write=True, wait=wait, say=say) as ledger:
            ledger.append("commit", {"export_id": export_id, "files": files})
    except BaseException:
        output.discard(tmp)
        raise
    # 4. publish
    output.publish(tmp, outdir)
    result.files = files
    return result


def _replayed(ledger: Ledger, row: dict[str, Any], entity: str) -> ExportResult:
    """A retry with a known --export-id: report what was recorded, record nothing."""
    if row["entity"] != entity:
        raise UsageError(f"export id {row['export_id']} was already used for {row['entity']}, not {entity}")
    if row["released"]:
        raise UsageError(f"export id {row['export_id']} was released as never delivered: use a new --export-id")
    if not row["committed"]:
        raise PolicyRefusal(
            f"export {row['export_id']} has an open reservation from an interrupted run: "
            "resolve it with quota ledger recover first"
        )
    profile = registry.current_profile(ledger)
    at = row["delivered_at"].replace(tzinfo=UTC)
    entries, perms = ledger_state(ledger, row["entity"], at, profile.window)
    return _result_of(row, used_at(at, entries, profile.window), cap_at(at, profile.post_id_cap, perms))


# ------------------------------------------------------------------ corrections


def void(ledger: Ledger, export_id: str, reason: str) -> int:
    """Mark an entry (an ID export or a manual one) recorded in error; it stays in the ledger
    and stops counting."""
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
    if not reason.strip():
        raise UsageError("--reason is required: say why the entry was wrong")
    return ledger.append("void", {"export_id": export_id, "reason": reason})


def open_reservations(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.query(
        """SELECT export_id, entity, person, delivered_at AS "at", post_ids, user_ids, dm_ids FROM reservations
           WHERE export_id NOT IN (SELECT export_id FROM commits)
             AND export_id NOT IN (SELECT export_id FROM releases)
             AND export_id NOT IN (SELECT export_id FROM voids)
           ORDER BY delivered_at"""
    )


def release(ledger: Ledger, export_id: str, reason: str) -> int:
    """Resolve an open reservation of an interrupted export as never delivered."""
    if export_id not in {r["export_id"] for r in open_reservations(ledger)}:
        raise UsageError(f"{export_id!r} is not an open reservation (see quota ledger recover)")
    return ledger.append("release", {"export_id": export_id, "reason": reason})


# ------------------------------------------------------------------ past distributions


def import_csv(ledger: Ledger, path: Path, name: str) -> list[str]:
    """Record distributions made before the ledger (columns at,entity,post_ids[,user_ids,reference]),
    each checked like a back-dated export, all of them or none."""
    import csv

    from quota.errors import BadInput

    profile = registry.current_profile(ledger)
    try:
        handle = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - an open failure is told apart from bad rows
    except OSError as e:
        raise BadInput(name, f"cannot be read ({e.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        missing = {"at", "entity", "post_ids"} - set(reader.fieldnames or [])
        if missing:
            raise BadInput(
                name,
                f"lacks the column(s) {', '.join(sorted(missing))} (needs at,entity,post_ids[,user_ids,reference])",
                1,
            )
        planned: list[tuple[int, dict[str, Any]]] = []
        for row in reader:
            line = reader.line_num
            try:
                at = datetime.fromisoformat(row["at"].strip().replace("Z", "+00:00"))
            except ValueError:
                raise BadInput(name, f"at {row['at']!r} is not an ISO 8601 time", line) from None
            at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
            counts = {}
            for col in ("post_ids", "user_ids"):
                text = (row.get(col) or "0").strip()
                if not text.isascii() or not text.isdigit():
                    raise BadInput(name, f"{col} {text!r} is not a whole number", line)
                counts[col] = int(text)
            if not ledger.query("SELECT 1 FROM entities WHERE entity = ?", [row["entity"]]):
                raise BadInput(name, f"entity {row['entity']!r} is not in the ledger (add it first)", line)
            if at > datetime.now(UTC) + FUTURE_SLACK:
                raise BadInput(name, f"at {iso(at)} is in the future", line)
            ref = (row.get("reference") or "").strip()
            planned.append(
                (
                    line,
                    {
                        "export_id": f"import-{hashlib.sha256(f'{name}:{line}:{ref}'.encode()).hexdigest()[:12]}",
                        "entity": row["entity"],
                        "person": None,
                        "at": iso(at),
                        "post_ids": counts["post_ids"],
                        "user_ids": counts["user_ids"],
                        "reference": ref,
                        "profile": profile.name,
                        "version": profile.version,
                    },
                )
            )
    # Each row is checked against the ledger plus the rows before it, as if recorded one by one.
    added: dict[str, list[Entry]] = {}
    for line, body in planned:
        at = datetime.fromisoformat(body["at"].replace("Z", "+00:00"))
        entries, perms = ledger_state(ledger, body["entity"], at, profile.window)
        entries = entries + added.get(body["entity"], [])
        verdict = check(entries, perms, profile.post_id_cap, profile.window, at, body["post_ids"])
        if not verdict.allowed:
            fits = next_free_at(entries, perms, profile.post_id_cap, profile.window, at, body["post_ids"])
            raise PolicyRefusal(f"{name}, line {line}: " + refusal(body["entity"], at, body["post_ids"], verdict, fits))
        if existing(ledger, body["export_id"]) is not None:
            raise UsageError(f"{name}, line {line} was already imported (as {body['export_id']})")
        added.setdefault(body["entity"], []).append(Entry(at, body["post_ids"]))
    ledger.append_many([("import", body) for _, body in planned])
    return [body["export_id"] for _, body in planned]
