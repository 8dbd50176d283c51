"""The export protocol: strip -> check and reserve -> write -> commit -> publish.

Only the check-and-reserve and the commit hold the ledger lock; stripping and writing do
not. A reservation counts against the cap from the moment it is recorded, so two exports
to one entity can never both pass a check that only one of them fits in, and a crash after
it leaves a counted, open reservation that `quota ledger recover` lists and releases.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota import exemptions, notices, output, recipient_docs, recovery, registry
from quota.caps import (
    basis_of,
    check_recipient,
    delivery_time,
    ledger_state,
    recipient_label,
    refusal,
    room_under_cap,
)
from quota.errors import LedgerError, PolicyRefusal, UsageError, flag
from quota.ids import Kind
from quota.policy import cap_at, check, next_free_at, used_at
from quota.scratch import WorkDir, as_error
from quota.store import IdFile
from quota.store.chain import LINEAGE_KINDS
from quota.store.session import Session, check_name
from quota.stripping import StripOptions, strip
from quota.times import iso, utc_naive

if TYPE_CHECKING:
    import pyarrow as pa

    from quota.policy import Profile
    from quota.stripping import Progress, Stripped

Say = Callable[[str], None]


@dataclass(frozen=True)
class Request:
    """The approved request an export delivers (quota.requests): `still` runs under the write
    lock before the check and refuses if the request changed since its IDs were chosen."""

    request_id: str
    described: list[str]
    still: Callable[[Session], None]


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
    # With --fit: what the input held beyond what was delivered (None: no --fit).
    left_post_ids: int | None = None
    left_user_ids: int | None = None
    # What deletion notices kept out of the delivery.
    withheld_post_ids: int = 0
    withheld_user_ids: int = 0
    # A retry's: where the recorded export was delivered.
    outdir: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The keys scripts rely on, in the documented order."""
        out: dict[str, Any] = {"export_id": self.export_id, "entity": self.entity, "person": self.person}
        out["at"] = iso(self.at)
        for key in ("post_ids", "user_ids", "dm_ids", "basis", "used_after", "cap", "files", "withheld_post_ids",
                    "withheld_user_ids"):  # fmt: skip
            out[key] = getattr(self, key)
        if self.left_post_ids is not None:
            out["left_post_ids"], out["left_user_ids"] = self.left_post_ids, self.left_user_ids
        if self.dry_run:
            out["dry_run"] = True
        return out


@dataclass(frozen=True)
class Selection:
    """Which of the input's Post IDs an export delivers: at most `limit`, in delivery order
    (ascending, the oldest first; with `seed`, a sample anyone can draw again: see
    Stripped.keep), and with `fit`, the largest prefix of those that fits now (under the cap,
    or what remains of the exemption's Post and User IDs) rather than a refusal."""

    limit: int | None = None
    seed: str | None = None
    fit: bool = False

    def __post_init__(self) -> None:
        if self.seed is not None and self.limit is None:
            raise UsageError("a sample needs its size: how many Post IDs to draw")
        if self.limit is not None and self.limit < 0:
            raise UsageError(f"the number of Post IDs to keep must be 0 or more, not {self.limit}")

    def described(self, result: ExportResult) -> list[str]:
        """How the delivered Post IDs were chosen, in words, for the recipient's README."""
        out = []
        if self.seed is not None:
            out.append(
                f'a sample of at most {self.limit:,} Post IDs, in the order of sha256 of "{self.seed}:ID" '
                f"(seed {self.seed!r}: the same seed draws the same sample)"
            )
        elif self.limit is not None:
            out.append(f"the {self.limit:,} oldest (lowest) Post IDs at most")
        if self.fit and (result.left_post_ids or result.left_user_ids):
            out.append(
                f"as many as fitted at {iso(result.at)}: {result.left_post_ids or 0:,} Post IDs and "
                f"{result.left_user_ids or 0:,} User IDs were left out"
            )
        return out


ALL = Selection()


@dataclass
class Withheld:
    """What deletion notices kept out of a delivery: unique IDs per kind, and the notices that
    named them. X's word that content is gone holds for every later delivery."""

    counts: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    seen: int = 0  # the newest event when the notices were read

    def body(self) -> dict[str, Any] | None:
        if not any(self.counts.values()):
            return None
        return {**{k: n for k, n in sorted(self.counts.items()) if n}, "notices": sorted(set(self.notices))}

    def described(self) -> list[str]:
        """In words, for the recipient's README."""
        if (body := self.body()) is None:
            return []
        kinds = [f"{body[k]:,} {recipient_docs.NOUN[k]}" for k in ("post", "user", "dm") if k in body]
        return [
            f"withheld: {' and '.join(kinds)} of the inputs, which X's deletion notices "
            f"({', '.join(body['notices'])}) name: they are not delivered"
        ]


def withhold(stripped: Stripped, noticed: pa.Table | None, into: Withheld) -> bool:
    """Leave out of a delivery every ID a recorded, unvoided deletion notice names (quota.notices.
    noticed): a typed kind against the notices of that kind, a declared kind (the operator's
    word, which may be wrong) against every notice. Whether anything was left out."""
    if noticed is None:
        return False
    import pyarrow.compute as pc

    sources = stripped.sources()
    found = False
    for kind in sorted(stripped.want.kinds, key=lambda k: k.value):
        rows = noticed
        if sources[kind.value] == "typed":
            rows = noticed.filter(pc.equal(noticed.column("kind"), LINEAGE_KINDS[kind.value]))
        if rows.num_rows:
            gone, which = stripped.withhold(kind, rows.select(["notice_id", "id"]))
            if gone:
                into.counts[kind.value] = into.counts.get(kind.value, 0) + gone
                into.notices += which
                found = True
    return found


def _digests_and_counts(stripped: Stripped, scratch: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Per kind: the sha256 of the sorted ID list, one per line (the bytes of a plain
    `post_ids.txt`), and the count. DuckDB writes the lists to `scratch` (the ledger then
    loads the lineage from them); hashlib hashes them."""
    digests: dict[str, str] = {}
    counts = {k.value: 0 for k in Kind}
    for kind in stripped.want.kinds:
        path = scratch / f"{kind.value}.txt"
        counts[kind.value] = stripped.write_ids(kind, path)
        with open(path, "rb") as f:
            digests[kind.value] = hashlib.file_digest(f, "sha256").hexdigest()
    return digests, counts


def _cut(
    stripped: Stripped, scratch: Path, selection: Selection, posts: int, users: int | None
) -> tuple[dict[str, str], dict[str, int]]:
    """--fit: keep the first `posts` Post IDs in delivery order (and the lowest `users` User
    IDs), and hash again what is now delivered."""
    try:
        stripped.cut(posts, users, selection.seed)
        return _digests_and_counts(stripped, scratch)
    except Exception as e:
        raise as_error(e, scratch, "cutting the IDs to what fits") from None


def _delivery_facts(
    ledger: Session,
    result: ExportResult,
    exemption: str | None,
    selection: Selection,
    contact: str | None,
    dataset: dict[str, Any] | None,
) -> recipient_docs.Delivery:
    """What the recipient's README says, read under the same lock as the check."""
    name = ledger.query("entity_name", [result.entity])[0]["name"]
    terms = ledger.query(
        "terms_in_force",
        [result.entity, utc_naive(result.at)],
    )
    kind = None
    if exemption is not None:
        kind = ledger.query("exemption_kind", [exemption])[0]["kind"]
    counts = {"post": result.post_ids, "user": result.user_ids, "dm": result.dm_ids}
    return recipient_docs.Delivery(
        export_id=result.export_id, at=result.at, entity=result.entity, entity_name=name or result.entity,
        person=result.person, counts=counts, files=[], inputs=[],
        terms=terms[0] if terms else None, exemption={"ref": exemption, "kind": kind} if exemption else None,
        dataset=dataset, selection=selection.described(result), contact=contact,
    )  # fmt: skip


def _lineage(scratch: Path, kinds: Sequence[Kind], export_id: str) -> list[IdFile]:
    """Inside the reserve transaction: the delivered IDs, read from the digest files."""
    return [IdFile(export_id, LINEAGE_KINDS[kind.value], scratch / f"{kind.value}.txt") for kind in kinds]


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


@dataclass(frozen=True)
class ExportPlan:
    """One export: what goes (the inputs, how they are read, which Post IDs are chosen), to
    whom (the entity, its person, the exemption or request it goes under, whom the recipient
    contacts) and how (where, in which files, under which key; `at` is a dry run's what-if
    time, since a delivery happens at the ledger's clock). The CLI, the API and a request's
    delivery each build one; `export` carries it through reserve, write, commit and publish."""

    inputs: tuple[str, ...]
    entity: str
    outdir: Path
    strip_opts: StripOptions
    out_opts: output.OutputOptions = field(default_factory=output.OutputOptions)
    selection: Selection = ALL
    person: str | None = None
    exemption: str | None = None
    contact: str | None = None
    export_id: str | None = None
    at: datetime | None = None
    dry_run: bool = False
    force: bool = False
    dataset: dict[str, Any] | None = None
    request: Request | None = None

    def check(self) -> None:
        """What can be refused before the ledger is opened."""
        if self.export_id is not None:
            check_name("export id", self.export_id)
        if not self.dry_run:
            need_contact(self.contact)
        if self.selection.limit is not None and Kind.POST not in self.strip_opts.want.kinds:
            raise UsageError("a limit or a sample chooses Post IDs: ask for them (post in the kinds of IDs)")
        self.out_opts.check()


@dataclass(frozen=True)
class LedgerAt:
    """Where the ledger is, how long to wait for its lock, and whom to tell that one waits."""

    db: str | Path | None
    wait: float = 60.0
    say: Say | None = None

    def open(self, write: bool = False) -> AbstractContextManager[Session]:
        return Session.open(self.db, write=write, wait=self.wait, say=self.say)

    @contextmanager
    def holding(self, entity: str) -> Iterator[Session]:
        """A writer of exports to `entity` alone: it holds the lock of the holder whose cap they
        count toward, and writers of other holders check and record side by side with it
        (PostgreSQL; a DuckDB file has one writer). Links, which make holders, are written by
        writers that hold the whole ledger, so the holder found here stays that holder."""
        with Session.open(self.db, write=True, wait=self.wait, say=self.say, shared=True) as ledger:
            if ledger.shared:  # else the session holds the whole ledger already
                ledger.lock_holder(registry.holder_of(ledger, entity), self.wait)
            yield ledger

    def writer(self, plan: ExportPlan) -> AbstractContextManager[Session]:
        """The writer an export's check and record need: its holder's, unless an exemption is
        drawn down (an exemption's quantities are shared by the entities of its peer reviews,
        which may be other holders: then the whole ledger)."""
        return self.open(write=True) if plan.exemption is not None else self.holding(plan.entity)


@dataclass
class Batch:
    """A plan's IDs as they stand in its work directory: stripped, hashed and counted, less what
    deletion notices withhold; the check may cut them (--fit). `before`: the output directory as
    it was found (None for a dry run)."""

    stripped: Stripped
    work: WorkDir
    digests: dict[str, str]
    counts: dict[str, int]
    withheld: Withheld
    before: output.Before | None

    def recount(self) -> None:
        self.digests, self.counts = _digests_and_counts(self.stripped, self.work.path)

    def cut(self, selection: Selection, posts: int, users: int | None) -> None:
        self.digests, self.counts = _cut(self.stripped, self.work.path, selection, posts, users)


@dataclass
class Reservation:
    """What the check recorded: the reserve event's body, the result it promises, and what the
    recipient's README will say."""

    export_id: str
    body: dict[str, Any]
    result: ExportResult
    facts: recipient_docs.Delivery


@dataclass(frozen=True)
class Written:
    """The files written for a reservation, and the recipient's documents beside them."""

    files: list[dict[str, Any]]
    documents: list[dict[str, Any]]


def export(plan: ExportPlan, ledger_at: LedgerAt, progress: Progress | None = None) -> ExportResult:
    """Strip the plan's inputs, then deliver them (see `deliver`); a retry under a recorded key
    is compared with what was recorded and records nothing."""
    plan.check()
    # A cheap look first, so that a typo does not cost a long strip.
    with ledger_at.open() as ledger:
        now = ledger.now()  # the ledger's clock: on a shared ledger, the server's
        at = delivery_time(plan.at, now, plan.dry_run)
        known = plan.export_id is not None and recovery.existing(ledger, plan.export_id) is not None
        # A retry's directory holds its delivery already: it is compared, not refused.
        before = None if plan.dry_run or known else output.check_outdir(plan.outdir, plan.force)
        if not known:
            check_recipient(ledger, plan.entity, plan.person, at or now)
            seen, noticed = notices.noticed(ledger)
    if known:
        assert plan.export_id is not None
        given = _input_digests(plan.inputs, plan.outdir)
        with ledger_at.open(write=True) as ledger:
            row = recovery.existing(ledger, plan.export_id)
            assert row is not None
            _same_request(ledger, row, plan.entity, plan.person, plan.outdir, given)
            return _replayed(ledger, row, plan.entity, plan.outdir)

    # Scratch beside the output: the finished directory is renamed, never copied, into place.
    with WorkDir(None if plan.dry_run else plan.outdir) as work:
        stripped = strip(plan.inputs, replace(plan.strip_opts, scratch=work.path), progress)
        with stripped:
            withheld = Withheld(seen=seen)
            selection = plan.selection
            try:
                withhold(stripped, noticed, withheld)  # before choosing: a sample is drawn from what may go
                if selection.limit is not None and Kind.POST in stripped.want.kinds:
                    stripped.keep(Kind.POST, selection.limit, selection.seed)
                digests, counts = _digests_and_counts(stripped, work.path)
            except Exception as e:
                raise as_error(e, plan.outdir, "sorting the IDs") from None
            return deliver(plan, ledger_at, Batch(stripped, work, digests, counts, withheld, before), at)


def deliver(plan: ExportPlan, ledger_at: LedgerAt, batch: Batch, at: datetime | None = None) -> ExportResult:
    """Reserve (check under the write lock, at the ledger's clock), write the files outside the
    lock, then commit and publish under one lock, so that a failed publication is released
    before anyone else can count on it. `at`: a dry run's what-if time."""
    reserved = reserve(plan, ledger_at, batch, at)
    if isinstance(reserved, ExportResult):  # a dry run's answer, or what another run recorded
        return reserved
    written = write(plan, ledger_at, batch, reserved)
    with ledger_at.writer(plan) as ledger:
        commit(ledger, plan, batch, reserved, written)
        publish(ledger, plan, batch, reserved)
    reserved.result.files = written.files
    return reserved.result


def reserve(plan: ExportPlan, ledger_at: LedgerAt, batch: Batch, at: datetime | None) -> Reservation | ExportResult:
    """Check the batch against the cap (or the exemption) and record the reservation with its
    IDs, under the write lock. A dry run stops at the check and gets its result."""
    withheld, selection, entity, person = batch.withheld, plan.selection, plan.entity, plan.person
    wanted = (batch.counts["post"], batch.counts["user"])
    with ledger_at.writer(plan) as ledger, ledger.appending():
        if plan.export_id is not None and (row := recovery.existing(ledger, plan.export_id)) is not None:
            # Another run recorded the key while this one stripped (to this holder or another,
            # whose writer appended before this one): the same comparison.
            given = [(Path(r.path).name, r.sha256) for r in batch.stripped.inputs]
            _same_request(ledger, row, entity, person, plan.outdir, given)
            return _replayed(ledger, row, entity, plan.outdir)
        if at is None:
            at = ledger.now() if plan.dry_run else ledger.stamp()
        export_id = plan.export_id or f"x-{at.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"
        # A notice recorded while the IDs were stripped: withheld too, under the lock.
        _, later = notices.noticed(ledger, after=withheld.seen)
        try:
            if withhold(batch.stripped, later, withheld):
                batch.recount()
        except Exception as e:
            raise as_error(e, plan.outdir, "withholding noticed IDs") from None
        if plan.request is not None:
            plan.request.still(ledger)
        check_recipient(ledger, entity, person, at)
        profile = registry.current_profile(ledger)
        basis, used_after, cap = _check(ledger, plan, batch, at, profile)
        counts = batch.counts
        result = ExportResult(
            export_id, entity, person, at, counts["post"], counts["user"], counts["dm"], basis, used_after, cap,
            dry_run=plan.dry_run,
        )  # fmt: skip
        if selection.fit:
            result.left_post_ids, result.left_user_ids = wanted[0] - counts["post"], wanted[1] - counts["user"]
        result.withheld_post_ids = withheld.counts.get("post", 0)
        result.withheld_user_ids = withheld.counts.get("user", 0)
        if plan.dry_run:
            return result
        body = _reserve_body(plan, batch, result, profile)
        kinds = sorted(batch.stripped.want.kinds, key=lambda k: k.value)
        ledger.append("reserve", body, _lineage(batch.work.path, kinds, export_id), at=at)
        facts = _delivery_facts(ledger, result, plan.exemption, selection, plan.contact, plan.dataset)
        if plan.request is not None:
            facts.selection[:0] = plan.request.described
        facts.selection += withheld.described()
    return Reservation(export_id, body, result, facts)


def _check(
    ledger: Session, plan: ExportPlan, batch: Batch, at: datetime, profile: Profile
) -> tuple[str, int, int | None]:
    """(basis, used after, cap) if the batch may go now, cut to what fits with --fit; else refused
    with the numbers."""
    posts, selection = batch.counts["post"], plan.selection
    if plan.exemption is not None:
        # Outside the 30-day cap: the exemption's own rules and quantities instead.
        if selection.fit and (room := exemptions.room(ledger, plan.exemption)) is not None:
            within = (min(posts, room[0]), min(batch.counts["user"], room[1]))
            # Some Post IDs must fit (or none were asked for); else check_export refuses with numbers.
            if within != (posts, batch.counts["user"]) and (
                (fitting := batch.stripped.fitting(*within)) > 0 or posts == 0
            ):
                batch.cut(selection, fitting, within[1])
        counts = batch.counts
        used_after, cap = exemptions.check_export(
            ledger, plan.exemption, plan.entity, plan.person, at, counts["post"], counts["user"], counts["dm"], profile
        )
        return "exemption", used_after, cap
    entries, perms = ledger_state(ledger, plan.entity, at, profile.window)
    verdict = check(entries, perms, profile.post_id_cap, profile.window, at, posts)
    if not verdict.allowed and selection.fit and (free := room_under_cap(entries, perms, profile, at, posts)):
        batch.cut(selection, free, None)
        posts = batch.counts["post"]
        verdict = check(entries, perms, profile.post_id_cap, profile.window, at, posts)
    if not verdict.allowed:
        fits = next_free_at(entries, perms, profile.post_id_cap, profile.window, at, posts)
        raise PolicyRefusal(refusal(recipient_label(ledger, plan.entity), at, posts, verdict, fits, perms))
    used_after = used_at(at, entries, profile.window) + posts
    return basis_of(perms, profile, at), used_after, cap_at(at, profile.post_id_cap, perms)


def _reserve_body(plan: ExportPlan, batch: Batch, result: ExportResult, profile: Profile) -> dict[str, Any]:
    """The reserve event: the entry, its IDs' digests, and how to find and judge it later."""
    body: dict[str, Any] = {
        "export_id": result.export_id,
        "entity": result.entity,
        "person": result.person,
        "at": iso(result.at),
        "post_ids": result.post_ids,
        "user_ids": result.user_ids,
        "dm_ids": result.dm_ids,
        "basis": result.basis,
        "profile": profile.name,
        "version": profile.version,
        "ids_sha256": batch.digests,
        "sources": batch.stripped.sources(),
        "outdir": str(plan.outdir.absolute()),
        "host": socket.gethostname(),
        # How `ledger recover` tells a running export from a dead one: its process, and its
        # work directory, whose lock it holds while it runs.
        "pid": os.getpid(),
        "work": batch.work.path.name,
        # What a retry under the same key must be made from (by content, not by path).
        "inputs": [{"file": Path(r.path).name, "sha256": r.sha256, "bytes": r.bytes} for r in batch.stripped.inputs],
    }
    if plan.exemption is not None:
        body["exemption"] = plan.exemption
    if plan.request is not None:
        body["request"] = plan.request.request_id
    if (kept_out := batch.withheld.body()) is not None:
        body["withheld"] = kept_out
    selection = plan.selection
    if selection != ALL:
        # How the delivered IDs were chosen from the input, and what --fit left out.
        body["selection"] = {"limit": selection.limit, "seed": selection.seed, "fit": selection.fit}
        if selection.fit:
            body["selection"] |= {"left_post_ids": result.left_post_ids, "left_user_ids": result.left_user_ids}
    return body


def write(plan: ExportPlan, ledger_at: LedgerAt, batch: Batch, reserved: Reservation) -> Written:
    """Write the files and the recipient's documents, outside the lock. Until they are published
    nothing can have been delivered, so any failure here releases the reservation itself."""
    assert batch.before is not None
    work, body = batch.work, reserved.body
    try:
        # What the recipient may quote back: the entry, and the request and exemption it went under.
        keys = ("export_id", "entity", "person", "at", "basis", "profile", "version", "request", "exemption")
        extra: dict[str, Any] = {"export": {k: body[k] for k in keys if k in body}}
        if "withheld" in body:
            extra["withheld"] = body["withheld"]
        lists = {k: work.path / f"{k.value}.txt" for k in batch.stripped.want.kinds}
        doc = output.write_files(work.make_out(), batch.stripped, plan.out_opts, extra, ready=lists, delivery=True)
        files = [dict(f) for f in doc["outputs"]]
        reserved.facts.files, reserved.facts.inputs = files, doc["inputs"]
        texts = recipient_docs.documents(reserved.facts)
        output.write_texts(work.out, texts)
        documents = [
            {"path": name, "sha256": hashlib.sha256(t.encode()).hexdigest(), "bytes": len(t.encode())}
            for name, t in texts.items()
        ]
        work.mark({"export_id": reserved.export_id, "files": files})
    except BaseException as e:
        raise recovery.undo(
            ledger_at.db,
            reserved.export_id,
            e,
            plan.outdir,
            "writing the files",
            wait=ledger_at.wait,
            say=ledger_at.say,
        ) from None
    return Written(files, documents)


def commit(ledger: Session, plan: ExportPlan, batch: Batch, reserved: Reservation, written: Written) -> None:
    """Record the files' hashes against the reservation, unless it was released meanwhile (`ledger
    recover` judged it dead and gave its room back: it must never be delivered)."""
    export_id = reserved.export_id
    if (row := recovery.existing(ledger, export_id)) is None or row["released"]:
        raise LedgerError(
            f"export {export_id} was released (quota ledger recover) while its files were written: "
            "nothing was delivered"
        )
    try:
        ledger.append("commit", {"export_id": export_id, "files": written.files, "documents": written.documents})
    except BaseException as e:
        raise recovery.undo_in(ledger, export_id, e, plan.outdir, "committing the export") from None
    batch.work.keep()  # a crash from here on leaves committed files for `ledger recover --publish`


def publish(ledger: Session, plan: ExportPlan, batch: Batch, reserved: Reservation) -> None:
    """Rename the finished directory into place and record that it was: the delivery."""
    assert batch.before is not None
    work = batch.work
    try:
        output.publish(work.out, plan.outdir, batch.before)
    except BaseException as e:
        work.kept = False
        raise recovery.undo_in(ledger, reserved.export_id, e, plan.outdir, "publishing the files") from None
    work.kept = False
    recovery.record_publication(ledger, reserved.export_id, plan.outdir)


def need_contact(contact: str | None) -> None:
    """A delivery's README tells its recipient whom to contact about deletion notices: it must
    name someone (X's deletions reach recipients through that contact)."""
    if contact is None or not contact.strip():
        raise UsageError(
            "a delivery names whom its recipient contacts about deletion notices: give a contact "
            "(an address, or QUOTA_CONTACT in the environment)"
        )


def _input_digests(inputs: Sequence[str], outdir: Path) -> list[tuple[str, str]]:
    """(name, sha256) of each input as given now, read through as strip reads it."""
    from quota.readers.source import Source

    out = []
    for name in inputs:
        source = Source.open_path(name, outdir.absolute().parent if name == "-" else None)
        try:
            out.append((Path(name).name if name != "-" else "standard input", source.hash_now() or ""))
        finally:
            source.close()
    return out


def _same_request(
    ledger: Session,
    row: dict[str, Any],
    entity: str,
    person: str | None,
    outdir: Path,
    given: list[tuple[str, str]],
) -> None:
    """A retry under a recorded key asks for what was recorded, or is refused naming what differs:
    the recipient, the directory, the inputs (by sha256)."""
    key = row["export_id"]
    _reusable(row, entity)
    if person is not None and row["person"] != person:
        whose = f"for person {row['person']}" if row["person"] else "without a person"
        raise UsageError(f"export id {key} was already used {whose}, not for person {person}")
    if row["outdir"] is not None and Path(row["outdir"]) != outdir.absolute():
        raise UsageError(
            f"export id {key} was delivered to {row['outdir']}, not {outdir.absolute()}: "
            "a retry names the same directory (or a new export id)"
        )
    body = json.loads(ledger.rows("event_body", [row["seq"]])[0][0])
    recorded = body.get("inputs")
    if recorded is None:
        return  # recorded by a quota that kept no inputs: the key alone identifies the export
    was = sorted(i["sha256"] for i in recorded)
    if sorted(sha for _, sha in given) == was:
        return
    new = [f"{name} (sha256 {sha[:12]}...)" for name, sha in given if sha not in was]
    listed = ", ".join(f"{i['file']} (sha256 {i['sha256'][:12]}...)" for i in recorded)
    if new:
        what = f"{', '.join(new)} {'is' if len(new) == 1 else 'are'} not among its inputs"
    else:
        what = f"it was made from {len(recorded)} input{'s' if len(recorded) != 1 else ''}, not {len(given)}"
    raise UsageError(f"export id {key} was recorded with other inputs: {what} ({listed}); use a new export id")


def _reusable(row: dict[str, Any], entity: str) -> None:
    if row["entity"] != entity:
        raise UsageError(f"export id {row['export_id']} was already used for {row['entity']}, not {entity}")
    if row["voided"]:
        raise UsageError(
            f"export {row['export_id']} was voided on {row['voided_at']}; {flag('use a new --export-id', 'use a new export id')}"
        )
    if row["released"]:
        raise UsageError(
            f"export id {row['export_id']} was released as never delivered: {flag('use a new --export-id', 'use a new export id')}"
        )


def _replayed(ledger: Session, row: dict[str, Any], entity: str, outdir: Path | None = None) -> ExportResult:
    """A retry with a known --export-id: report what was recorded, record nothing (but finish
    publishing the files of a committed export that a crash left unpublished)."""
    _reusable(row, entity)
    if not row["committed"]:
        raise PolicyRefusal(
            f"export {row['export_id']} has an open reservation from an interrupted run: "
            "resolve it with quota ledger recover first"
        )
    if row["outdir"] is not None and not row["published"]:
        recovery.publish_pending(ledger, row["export_id"], outdir)
    profile = registry.current_profile(ledger)
    at = row["delivered_at"].replace(tzinfo=UTC)
    entries, perms = ledger_state(ledger, row["entity"], at, profile.window)
    result = _result_of(row, used_at(at, entries, profile.window), cap_at(at, profile.post_id_cap, perms))
    body = json.loads(ledger.rows("event_body", [row["seq"]])[0][0])
    result.withheld_post_ids = int(body.get("withheld", {}).get("post", 0))
    result.withheld_user_ids = int(body.get("withheld", {}).get("user", 0))
    result.outdir = row["outdir"]
    return result
