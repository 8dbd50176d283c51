"""Manual object exports: whole Post/User objects to one person, as a spreadsheet, within
the profile's objects-per-person limit (500 in any 24 hours by default).

The objects are read before the ledger is locked. Under the write lock the person's windows
are checked, the file is written beside its target and hashed, and the entry (with every
object ID as lineage) is recorded; only then is the file renamed into place. A crash before
the record leaves a hidden partial file and no entry; a crash after it leaves an entry whose
file was not published, which counts against the person (the conservative side).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from quota import notices, registry
from quota.caps import check_recipient, delivery_time
from quota.errors import BadInput, PolicyRefusal, UsageError, flag
from quota.ids import Kind
from quota.names import unknown
from quota.output import hidden_sibling
from quota.policy import (
    Entry,
    Profile,
    objects_check,
    objects_growth_at,
    objects_next_free_at,
    objects_room,
    objects_used_at,
)
from quota.readers.objects import POST_COLUMNS, USER_COLUMNS, Obj, read_objects, unique
from quota.store import IdList
from quota.store.chain import LINEAGE_KINDS
from quota.store.session import Session, check_name
from quota.store.sqlfiles import marks
from quota.times import iso, utc_naive

Say = Callable[[str], None]
FORMATS = (".xlsx", ".csv")


@dataclass
class ManualResult:
    export_id: str
    entity: str
    person: str
    at: datetime
    posts: int
    users: int
    requested: int
    left_out: int
    used_after: int
    limit: int
    profile: str
    files: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    already_recorded: bool = False
    left_out_not_public: int = 0
    withheld: int = 0  # named by a deletion notice: never handed over again

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"export_id": self.export_id, "entity": self.entity, "person": self.person}
        out["at"] = iso(self.at)
        for key in ("posts", "users", "requested", "left_out", "left_out_not_public", "withheld", "used_after",
                    "limit", "profile", "files"):  # fmt: skip
            out[key] = getattr(self, key)
        if self.dry_run:
            out["dry_run"] = True
        return out


def person_entries(ledger: Session, person: str, around: datetime, profile: Profile) -> list[Entry]:
    """The person's counted manual entries near `around` (objects, not Post IDs): those of every
    handle of the same human (one email, `person same`), whichever entity they were for."""
    reach = 2 * max(profile.object_window, timedelta(days=1))
    handles = sorted(registry.same_human(ledger, person))
    # A void marks a hand-over; what was handed over keeps counting.
    rows = ledger.rows(
        "manual_objects_near",
        [*handles, utc_naive(around - reach), utc_naive(around + reach)],
        handles=marks(len(handles)),
    )
    return [Entry(at.replace(tzinfo=UTC), int(n)) for at, n in rows]


def entity_of(ledger: Session, person: str, at: datetime | None = None) -> str:
    """The entity the person belongs to at `at` (now by default): `person move` changes it."""
    entity = registry.person_entity_at(ledger, person, at or ledger.now())
    if entity is None:
        raise unknown(ledger, "person", person)
    return entity


def _span(profile: Profile) -> str:
    return "UTC day" if profile.object_days == "utc-day" else "24 hours"


def refusal(person: str, at: datetime, n: int, entries: Sequence[Entry], profile: Profile) -> str:
    verdict = objects_check(entries, profile, at, n)
    w = verdict.worst
    fits = objects_next_free_at(entries, profile, at, n)
    when = (
        f"they fit from {iso(fits)}"
        if fits
        else f"no more than {profile.objects_per_person:,} ever fit in one file (use --fit or split the input)"
    )
    return (
        f"refused: {n:,} objects to {person} at {iso(at)} would make {w.used + n:,} in the {_span(profile)} "
        f"to {iso(w.end)} (used {w.used:,}, limit {w.cap:,}, requested {n:,}, over by {verdict.over_by:,}); {when}"
    )


def usage(ledger: Session, person: str, at: datetime, need: int | None = None) -> dict[str, Any]:
    """The person's manual objects in the window to `at`, the limit, what remains, and when more fit."""
    entity = entity_of(ledger, person, at)
    profile = registry.current_profile(ledger)
    entries = person_entries(ledger, person, at, profile)
    if need is not None:
        free = objects_next_free_at(entries, profile, at, need)
    else:
        free = objects_growth_at(entries, profile, at)
    return {
        "person": person,
        "entity": entity,
        "at": at,
        "used": objects_used_at(at, entries, profile),
        "limit": profile.objects_per_person,
        "remaining": objects_room(entries, profile, at),
        "next_free_at": free,
    }


def _existing(ledger: Session, export_id: str) -> dict[str, Any] | None:
    rows = ledger.query(
        "manual_export_row",
        [export_id],
    )
    if rows:
        return rows[0]
    if ledger.query("reservation_exists", [export_id]):
        raise UsageError(f"export id {export_id} is already used by an ID export")
    return None


def _replayed(ledger: Session, row: dict[str, Any], person: str) -> ManualResult:
    """A retry with a known --export-id: report what was recorded, record nothing."""
    import json

    if row["person"] != person:
        raise UsageError(f"export id {row['export_id']} was already used for {row['person']}, not {person}")
    if row["voided"]:
        raise UsageError(
            f"export {row['export_id']} was voided on {row['voided_at']}; {flag('use a new --export-id', 'use a new export id')}"
        )
    profile = registry.current_profile(ledger)
    at = row["delivered_at"].replace(tzinfo=UTC)
    n = int(row["posts"]) + int(row["users"])
    return ManualResult(
        export_id=row["export_id"], entity=row["entity"], person=person, at=at, posts=int(row["posts"]),
        users=int(row["users"]), requested=n, left_out=0,
        used_after=objects_used_at(at, person_entries(ledger, person, at, profile), profile),
        limit=profile.objects_per_person, profile=row["profile"], files=json.loads(row["files"]),
        already_recorded=True,
    )  # fmt: skip


def _withhold(ledger: Session, objects: list[Obj], fit: bool) -> tuple[list[Obj], int]:
    """What X said is gone is never handed over again: an object a recorded, unvoided deletion
    notice names (a post, its author, a user) is refused, or with `fit` left out."""
    _, noticed = notices.noticed(ledger)
    if noticed is None:
        return objects, 0
    named: dict[tuple[int, str], str] = {}
    for notice_id, kind, i in zip(*(noticed.column(c).to_pylist() for c in ("notice_id", "kind", "id")), strict=True):
        named.setdefault((int(kind), str(i)), notice_id)

    def notice_of(o: Obj) -> str | None:
        if o.kind is Kind.USER:
            return named.get((LINEAGE_KINDS["user"], o.id))
        author = o.fields.get("author_id")
        return named.get((LINEAGE_KINDS["post"], o.id)) or (
            named.get((LINEAGE_KINDS["user"], str(author))) if author else None
        )

    gone = [(o, n) for o in objects if (n := notice_of(o)) is not None]
    if gone and not fit:
        o, n = gone[0]
        raise PolicyRefusal(
            f"refused: {len(gone):,} of {len(objects):,} objects are named by deletion notices (the first: "
            f"{o.kind.value} {o.id}, {o.source} line {o.line}, by notice {n}); what X says is gone is never "
            f"handed over again ({flag('--fit', 'fitting')} leaves them out)"
        )
    out = {id(o) for o, _ in gone}
    return [o for o in objects if id(o) not in out], len(gone)


def _targets(out: Path, has_posts: bool, has_users: bool) -> list[tuple[Path, str, list[str], Kind]]:
    """(path, sheet, columns, kind) of each table. XLSX holds both sheets; CSV is one file
    per table, the users one named `<stem>-users.csv` when there are posts too."""
    tables = []
    if has_posts or not has_users:
        tables.append((out, "posts", POST_COLUMNS, Kind.POST))
    if has_users:
        path = out if out.suffix.lower() == ".xlsx" or not has_posts else out.with_name(f"{out.stem}-users.csv")
        tables.append((path, "users", USER_COLUMNS, Kind.USER))
    return tables


def _write(out: Path, chosen: Sequence[Obj], at: datetime) -> tuple[list[tuple[Path, Path]], list[dict[str, Any]]]:
    """Write the tables to hidden files beside their targets: ([(hidden, target)], file records)."""
    from quota import sheets

    posts = [o.fields for o in chosen if o.kind is Kind.POST]
    users = [o.fields for o in chosen if o.kind is Kind.USER]
    rows = {Kind.POST: posts, Kind.USER: users}
    tables = _targets(out, bool(posts), bool(users))
    moves: list[tuple[Path, Path]] = []
    records: list[dict[str, Any]] = []
    try:
        if out.suffix.lower() == ".xlsx":
            tmp = hidden_sibling(out)
            moves.append((tmp, out))
            book = [(sheet, cols, rows[kind]) for _, sheet, cols, kind in tables]
            sheets.write_xlsx(tmp, book, at)
            sheets.check_xlsx(tmp, book)
            kinds = [kind for _, _, _, kind in tables]
            records.append(_file_record(tmp, out, kinds, len(chosen)))
        else:
            for target, _, cols, kind in tables:
                tmp = hidden_sibling(target)
                moves.append((tmp, target))
                sheets.write_csv(tmp, cols, rows[kind])
                records.append(_file_record(tmp, target, [kind], len(rows[kind])))
    except BaseException:
        for tmp, _ in moves:
            tmp.unlink(missing_ok=True)
        raise
    return moves, records


def _file_record(tmp: Path, target: Path, kinds: list[Kind], count: int) -> dict[str, Any]:
    """The keys of an ID export's file record; `kind` names the object kinds (sheets) it holds."""
    with open(tmp, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        os.fsync(f.fileno())
    kind = ",".join(k.value for k in kinds)
    return {"path": target.name, "kind": kind, "count": count, "sha256": digest, "bytes": tmp.stat().st_size}


def _lineage(chosen: Sequence[Obj], export_id: str) -> tuple[dict[str, str], list[IdList]]:
    ids = {kind: sorted({int(o.id) for o in chosen if o.kind is kind}) for kind in (Kind.POST, Kind.USER)}
    digests = {
        kind.value: hashlib.sha256("".join(f"{i}\n" for i in values).encode()).hexdigest()
        for kind, values in ids.items()
        if values
    }
    return digests, [IdList(export_id, LINEAGE_KINDS[k.value], values) for k, values in ids.items() if values]


def manual(
    inputs: Sequence[str],
    person: str,
    out: Path,
    *,
    db: str | Path | None,
    at: datetime | None = None,
    fit: bool = False,
    export_id: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    users: bool = True,
    fmt: str | None = None,
    wait: float = 60.0,
    say: Say | None = None,
) -> ManualResult:
    if export_id is not None:
        check_name("export id", export_id)
    if out.suffix.lower() not in FORMATS:
        raise UsageError(f"-o {out} must end in .xlsx or .csv (a spreadsheet is what a manual export hands over)")
    with Session.open(db, wait=wait, say=say) as ledger:
        now = ledger.now()  # the ledger's clock: on a shared ledger, the server's
        at = delivery_time(at, now, dry_run)  # None: now, read again under the write lock
        if export_id is not None and (row := _existing(ledger, export_id)) is not None:
            return _replayed(ledger, row, person)  # a retry: its file may well exist
        check_recipient(ledger, entity_of(ledger, person, at or now), person, at or now)
    if not dry_run and not force and out.exists():
        raise UsageError(f"{out} already exists ({flag('use --force', 'force it')} to replace it)")

    objects = unique(read_objects(list(inputs), fmt, users))
    if not objects:
        raise BadInput(inputs[0] if len(inputs) == 1 else ", ".join(inputs), "holds no Post or User objects")
    # Only public objects may be handed over: protected users and their posts never are, and
    # neither is an object whose input does not say whether its account is protected.
    unknown = [o for o in objects if o.protected is None]
    if unknown and not fit:
        first = unknown[0]
        raise BadInput(
            first.source,
            f"{first.kind.value} {first.id}: {first.stated_in} is missing, so it is not known to be public "
            f"(a manual export hands over public objects only; {flag('--fit', 'fitting')} leaves such objects out)",
            first.line,
        )
    hidden = [o for o in objects if not o.public]
    if hidden and (not fit or len(hidden) == len(objects)):
        first = hidden[0]
        why = "of a protected account" if first.protected else f"{first.stated_in} is missing"
        raise PolicyRefusal(
            f"refused: {len(hidden):,} of {len(objects):,} objects are not public (the first: {first.kind.value} "
            f"{first.id}, {first.source} line {first.line}, {why}); a manual export hands over "
            "public objects only" + ("" if len(hidden) == len(objects) else " (--fit leaves them out)")
        )
    objects = [o for o in objects if o.public]

    with Session.open(db, write=True, wait=wait, say=say) as ledger:
        if export_id is not None and (row := _existing(ledger, export_id)) is not None:
            return _replayed(ledger, row, person)
        if at is None:
            at = ledger.now() if dry_run else ledger.stamp()
        export_id = export_id or f"m-{at.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        entity = entity_of(ledger, person, at)
        check_recipient(ledger, entity, person, at)
        requested = len(objects) + len(hidden)
        objects, withheld = _withhold(ledger, objects, fit)
        profile = registry.current_profile(ledger)
        entries = person_entries(ledger, person, at, profile)
        if not objects_check(entries, profile, at, len(objects)).allowed:
            room = objects_room(entries, profile, at)
            if not fit or room == 0:
                raise PolicyRefusal(refusal(person, at, len(objects), entries, profile))
            objects = objects[:room]
        chosen = objects
        n_posts = sum(o.kind is Kind.POST for o in chosen)
        result = ManualResult(
            export_id, entity, person, at, n_posts, len(chosen) - n_posts, requested,
            requested - len(hidden) - withheld - len(chosen), objects_used_at(at, entries, profile) + len(chosen),
            profile.objects_per_person, profile.name, dry_run=dry_run, left_out_not_public=len(hidden),
            withheld=withheld,
        )  # fmt: skip
        if dry_run:
            return result
        moves, files = _write(out, chosen, at)
        try:
            digests, load = _lineage(chosen, export_id)
            body = {
                "export_id": export_id,
                "entity": entity,
                "person": person,
                "at": iso(at),
                "posts": result.posts,
                "users": result.users,
                "files": files,
                "profile": profile.name,
                "version": profile.version,
                "ids_sha256": digests,
            }
            ledger.append("manual", body, load, at=at)
        except BaseException:
            for tmp, _ in moves:
                tmp.unlink(missing_ok=True)
            raise
    for tmp, target in moves:
        os.replace(tmp, target)
    result.files = files
    return result
