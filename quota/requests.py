"""Researchers' requests for ID sets from a dataset: submit, approve or reject, deliver.

A request names a dataset, the researcher (a person; their entity receives), an exemption or
none (then the 30-day cap applies), filters and a purpose. Submitting chooses its set once
(quota.choosing) and records how many Post and User IDs it holds and the sha256 of its Post
IDs, with a dry run of the export check. Compliance approves or rejects it; whoever decides
may not be the person who asked or submitted it. Each delivery is an ordinary export (same
checks, reservation, hashes, lineage) whose reserve event names the request: it chooses again
from the same files, must find the same set, and delivers what earlier deliveries left.

States, derived from the events: submitted, rejected, approved (nothing delivered yet),
partly-delivered, delivered (every Post ID of the set).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota import caps, datasets, exemptions, exports, notices, output, registry
from quota.choosing import Filters, choose
from quota.errors import PolicyRefusal, UsageError
from quota.ids import Kind
from quota.names import unknown
from quota.policy import check
from quota.readers.records import Want
from quota.scratch import WorkDir, as_error
from quota.store.session import Session
from quota.store.sqlfiles import marks
from quota.stripping import StripOptions

if TYPE_CHECKING:
    from quota.stripping import Progress

STATES = ("submitted", "approved", "rejected", "partly-delivered", "delivered")
COLUMNS = [
    "request_id", "state", "dataset", "person", "entity", "exemption", "requested_post_ids",
    "delivered_post_ids", "left_post_ids",
]  # fmt: skip
_DELIVERABLE = ("approved", "partly-delivered")


@dataclass
class Submitted:
    request_id: str
    state: str
    post_ids: int
    user_ids: int
    fits: bool
    basis: str

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _kinds(ids: str) -> frozenset[Kind]:
    from quota.stripping import parse_kinds

    return parse_kinds(ids)


def submit(
    db: str | Path | None,
    dataset: str,
    person: str,
    filters: Filters,
    purpose: str,
    ids: str = "post",
    exemption: str | None = None,
    by: str | None = None,
    wait: float = 60.0,
    progress: Progress | None = None,
) -> Submitted:
    kinds = _kinds(ids)
    if not purpose.strip():
        raise UsageError("a request states its purpose: what the IDs are for")
    if by is not None and not by.strip():
        raise UsageError("who submits the request cannot be blank")
    with Session.open(db, wait=wait) as ledger:  # a typo should not cost a read of the whole dataset
        ds = _recipient_and_dataset(ledger, dataset, person, exemption)
    with choose(ds, filters, kinds, progress=_sized(progress, ds)) as choice:
        posts, users, digest = choice.post_ids, choice.user_ids, choice.selection_sha256
    if posts == 0:
        raise UsageError(f"the request chooses no Post IDs of dataset {dataset}: nothing to ask for")
    with Session.open(db, write=True, wait=wait) as ledger:
        if (again := _recipient_and_dataset(ledger, dataset, person, exemption))["seq"] != ds["seq"]:
            raise UsageError(f"dataset {dataset} changed while the request was being chosen: submit it again")
        at = ledger.now()
        entity = registry.person_entity_at(ledger, person, at)
        assert entity is not None
        fits, basis = _fits(ledger, entity, person, exemption, at, posts, users)
        request_id = f"req-{at:%Y%m%d}-{secrets.token_hex(4)}"
        ledger.append(
            "request",
            {
                "request_id": request_id, "dataset": again["name"], "person": person, "entity": entity,
                "exemption": exemption, "purpose": purpose.strip(), "ids": ",".join(sorted(k.value for k in kinds)),
                "filters": filters.as_json(), "post_ids": posts, "user_ids": users, "selection_sha256": digest,
                "by": (by or person).strip(),
            },
        )  # fmt: skip
    return Submitted(request_id, "submitted", posts, users, fits, basis)


@dataclass
class Preview:
    """What a request would hold and whether it would fit: `fits_from` is when it would (the cap's
    room returns), None when it fits now or never will by waiting (an exemption's room)."""

    post_ids: int
    user_ids: int
    fits: bool
    basis: str
    fits_from: datetime | None

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def preview(
    db: str | Path | None,
    dataset: str,
    person: str,
    filters: Filters,
    ids: str = "post",
    exemption: str | None = None,
    wait: float = 60.0,
    progress: Progress | None = None,
) -> Preview:
    """The counts a request with these filters would hold, and whether they fit now or from when;
    nothing is recorded."""
    kinds = _kinds(ids)
    with Session.open(db, wait=wait) as ledger:
        ds = _recipient_and_dataset(ledger, dataset, person, exemption)
    with choose(ds, filters, kinds, progress=_sized(progress, ds)) as choice:
        posts, users = choice.post_ids, choice.user_ids
    with Session.open(db, wait=wait) as ledger:
        at = ledger.now()
        entity = registry.person_entity_at(ledger, person, at)
        assert entity is not None
        fits, basis = _fits(ledger, entity, person, exemption, at, posts, users)
        when = None
        if not fits and exemption is None and posts:
            from quota.policy import next_free_at

            profile = registry.current_profile(ledger)
            entries, perms = caps.ledger_state(ledger, entity, at, profile.window)
            when = next_free_at(entries, perms, profile.post_id_cap, profile.window, at, posts)
    return Preview(posts, users, fits, basis, when)


def _sized(progress: Progress | None, ds: dict[str, Any]) -> Progress | None:
    if progress is not None:  # the dataset's files, by their registered sizes
        progress.total = max(sum(int(i["bytes"]) for i in ds["inputs"]), 1)
    return progress


def _recipient_and_dataset(ledger: Session, dataset: str, person: str, exemption: str | None) -> dict[str, Any]:
    ds = datasets.find(ledger, dataset)
    if ds is None:
        raise unknown(ledger, "dataset", dataset)
    at = ledger.now()
    entity = registry.person_entity_at(ledger, person, at)
    if entity is None:
        raise unknown(ledger, "person", person)
    caps.check_recipient(ledger, entity, person, at)
    if exemption is not None:
        # Everything but the quantities, which `fits` reports: an exemption that cannot cover
        # this researcher at all is no basis for a request.
        exemptions.check_export(ledger, exemption, entity, person, at, 0, 0, 0, registry.current_profile(ledger))
    return ds


def _fits(
    ledger: Session, entity: str, person: str, exemption: str | None, at: datetime, posts: int, users: int
) -> tuple[bool, str]:
    """The export check, dry: would `posts` (and `users`) be delivered now?"""
    profile = registry.current_profile(ledger)
    if exemption is not None:
        room = exemptions.room(ledger, exemption)
        return room is None or (posts <= room[0] and users <= room[1]), "exemption"
    entries, perms = caps.ledger_state(ledger, entity, at, profile.window)
    verdict = check(entries, perms, profile.post_id_cap, profile.window, at, posts)
    return verdict.allowed, caps.basis_of(perms, profile, at)


def decide(ledger: Session, request_id: str, approve: bool, by: str, note: str | None) -> int:
    """Record compliance's decision on a submitted request."""
    row = status(ledger, request_id)
    if row["state"] != "submitted":
        raise UsageError(f"request {request_id} is already {row['state']}: a request is decided once")
    if not by.strip():
        raise UsageError("who decides cannot be blank")
    if not approve and not (note or "").strip():
        raise UsageError("a rejection says why (its reason)")
    if _same_account(ledger, row) or _same_people(ledger, by, [row["person"], row["submitted_by"]]):
        raise PolicyRefusal(
            f"refused: {by.strip()} asked for request {request_id} (its researcher or who submitted it): "
            "someone else decides it"
        )
    body = {
        "request_id": request_id,
        "decision": "approved" if approve else "rejected",
        "by": by.strip(),
        "note": note.strip() if note and note.strip() else None,
        # What was decided on, in the chain beside the decision.
        "post_ids": row["requested_post_ids"],
        "user_ids": row["requested_user_ids"],
        "selection_sha256": row["selection_sha256"],
    }
    return ledger.append("request_decision", body)


def _same_account(ledger: Session, row: dict[str, Any]) -> bool:
    """Whether the signed-in account deciding (in the portal) asked for the request: it submitted
    it, or it is the researcher's account."""
    from quota import accounts
    from quota.store.base import acting_account

    me = acting_account.get()
    if me is None:
        return False
    mine = accounts.get(ledger, me)
    # The researcher's own handles, those recorded as one human with it (person same) included.
    return me == row["account"] or (
        mine is not None and mine.person is not None and mine.person in registry.same_human(ledger, row["person"])
    )


def fold(name: str) -> str:
    """A name as compared: case, spaces and punctuation aside ("R. Smith" is "r smith" is "RSmith")."""
    return "".join(c for c in name.casefold() if c.isalnum())


def _same_people(ledger: Session, by: str, askers: list[str]) -> bool:
    """Whether the one deciding is one of those who asked: the same name once folded (a person's
    handle or name, or what --by said), or the same email (a person's, or one given as the name)."""
    known = {r["person"]: r for r in ledger.query("persons_all")}

    def names_and_emails(who: str) -> tuple[set[str], set[str]]:
        names, emails = {fold(who)}, set()
        if "@" in who:
            emails.add(who.strip().casefold())
        rows = [known[who]] if who in known else [r for r in known.values() if r["email"] and
                                                  r["email"].casefold() == who.strip().casefold()]  # fmt: skip
        for r in rows:
            names |= {fold(r["person"]), fold(r["name"] or "")}
            if r["email"]:
                emails.add(r["email"].casefold())
        return names - {""}, emails

    mine = names_and_emails(by.strip())
    for asker in askers:
        theirs = names_and_emails(asker)
        if mine[0] & theirs[0] or mine[1] & theirs[1]:
            return True
    return False


def deliver(
    db: str | Path | None,
    request_id: str,
    outdir: Path,
    *,
    out_opts: output.OutputOptions,
    fit: bool = False,
    force: bool = False,
    contact: str | None = None,
    wait: float = 60.0,
    say: exports.Say | None = None,
    progress: Progress | None = None,
) -> tuple[exports.ExportResult, dict[str, Any]]:
    """Deliver what is left of an approved request through the export protocol; the result
    and the request's status after it."""
    out_opts.check()
    exports.need_contact(contact)
    with Session.open(db, wait=wait, say=say) as ledger:
        row = _deliverable(ledger, request_id)
        ds = datasets.find(ledger, row["dataset"])
        assert ds is not None
        counted = row["export_ids"]
        delivered, delivered_users = None, None
        if counted:
            keys = marks(len(counted))
            delivered = ledger.arrow("delivered_of_kind", [1, *counted], keys=keys).column("id")
            delivered_users = ledger.arrow("delivered_of_kind", [2, *counted], keys=keys).column("id")
        before = output.check_outdir(outdir, force)
        seen, noticed = notices.noticed(ledger)
    filters = Filters.from_json(row["filters"])

    def still(ledger: Session) -> None:
        now = status(ledger, request_id)
        if now["export_ids"] != counted:
            raise PolicyRefusal(
                f"refused: request {request_id} was delivered by another run meanwhile "
                f"({', '.join(e for e in now['export_ids'] if e not in counted)}): deliver it again"
            )

    _sized(progress, ds)
    with WorkDir(outdir) as work:
        with choose(
            ds,
            filters,
            _kinds(row["kinds"]),
            scratch=work.path,
            exclude=delivered,
            exclude_users=delivered_users,
            progress=progress,
        ) as choice:
            if choice.selection_sha256 != row["selection_sha256"]:
                raise PolicyRefusal(
                    f"refused: dataset {ds['name']} now gives request {request_id} another set of Post IDs than "
                    f"the one submitted and approved (sha256 {row['selection_sha256'][:12]}..., now "
                    f"{choice.selection_sha256[:12]}...)"
                )
            stripped = choice.stripped
            withheld = exports.Withheld(seen=seen)
            try:
                exports.withhold(stripped, noticed, withheld)
                digests, counts = exports._digests_and_counts(stripped, work.path)
            except Exception as e:
                raise as_error(e, outdir, "sorting the IDs") from None
            if counts["post"] == 0:
                raise UsageError(
                    f"request {request_id} has nothing left to deliver: its remaining Post IDs are all withheld "
                    f"({', '.join(sorted(set(withheld.notices)))} name them)"
                )
            described = [
                f"request {request_id} of {row['person']} ({row['purpose']})",
                *filters.described(),
            ]
            if counted:
                described.append(
                    f"less the {row['delivered_post_ids']:,} Post IDs delivered before ({', '.join(counted)})"
                )
            plan = exports.ExportPlan(
                inputs=tuple(i["path"] for i in ds["inputs"]), entity=row["entity"], outdir=outdir,
                strip_opts=StripOptions(want=Want(_kinds(row["kinds"]))), out_opts=out_opts,
                selection=exports.Selection(fit=fit), person=row["person"], exemption=row["exemption"],
                contact=contact, dataset=ds, request=exports.Request(request_id, described, still),
            )  # fmt: skip
            batch = exports.Batch(stripped, work, digests, counts, withheld, before)
            result = exports.deliver(plan, exports.LedgerAt(db, wait, say), batch)
    with Session.open(db, wait=wait, say=say) as ledger:
        return result, status(ledger, request_id)


def _deliverable(ledger: Session, request_id: str) -> dict[str, Any]:
    row = status(ledger, request_id)
    state = row["state"]
    if state == "submitted":
        raise PolicyRefusal(f"refused: request {request_id} is not approved yet (quota request approve decides it)")
    if state == "rejected":
        raise PolicyRefusal(f"refused: request {request_id} was rejected ({row['note']})")
    if state == "delivered":
        raise UsageError(f"request {request_id} is delivered in full ({', '.join(row['export_ids'])})")
    return row


def _rows(ledger: Session, request_id: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE q.request_id = ?", [request_id]) if request_id is not None else ("", [])
    requests = ledger.query("requests_listed", params, condition=where)
    one = "AND d.request_id = ?" if request_id is not None else ""
    deliveries = ledger.query("request_deliveries_listed", params, condition=one)
    out = []
    for q in requests:
        mine = [d for d in deliveries if d["request_id"] == q["request_id"]]
        posts = sum(int(d["post_ids"]) for d in mine)
        # Each delivery withholds every noticed ID of what was left: the latest one's count is
        # what can never go (a notice recorded since is found by the next delivery).
        withheld = int(json.loads(mine[-1]["body"]).get("withheld", {}).get("post", 0)) if mine else 0
        if q["decision"] is None:
            state = "submitted"
        elif q["decision"] == "rejected":
            state = "rejected"
        elif not mine:
            state = "approved"
        else:
            state = "delivered" if posts + withheld >= int(q["post_ids"]) else "partly-delivered"
        out.append(
            {
                "request_id": q["request_id"], "state": state, "dataset": q["dataset"], "person": q["person"],
                "entity": q["entity"], "exemption": q["exemption"], "requested_post_ids": int(q["post_ids"]),
                "delivered_post_ids": posts, "left_post_ids": int(q["post_ids"]) - posts - withheld,
                "export_ids": [d["export_id"] for d in mine],
                "requested_user_ids": int(q["user_ids"]),
                "delivered_user_ids": sum(int(d["user_ids"]) for d in mine),
                "kinds": q["kinds"], "purpose": q["purpose"], "filters": json.loads(q["filters"]),
                "selection_sha256": q["selection_sha256"], "submitted_by": q["submitted_by"],
                "submitted_at": q["submitted_at"], "decided_by": q["decided_by"], "decided_at": q["decided_at"],
                "note": q["note"], "withheld_post_ids": withheld, "account": q["account"],
            }
        )  # fmt: skip
    return out


def status(ledger: Session, request_id: str) -> dict[str, Any]:
    rows = _rows(ledger, request_id)
    if not rows:
        raise unknown(ledger, "request", request_id)
    return rows[0]


def listing(ledger: Session, states: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    for s in states:
        if s not in STATES:
            raise UsageError(f"a request's state is one of {', '.join(STATES)}, not {s!r}")
    return [r for r in _rows(ledger) if not states or r["state"] in states]
