"""Research exemptions approved by X in writing (DESIGN §1).

- academic: Post/User IDs for non-commercial research of an academic institution, only as
  many as approved: exports draw down the approved quantities.
- peer-review: review or validation of that research; draws down its academic parent.
- dsa-art40: outside the redistribution section (no quantity), but only to the persons named
  in the approved application.
Exports under an exemption do not count toward the entity's 30-day cap.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from quota.errors import PolicyRefusal, UsageError, flag
from quota.names import unknown
from quota.policy import MAX_QUANTITY, Profile
from quota.store.session import Session, check_name
from quota.times import iso, utc_naive

KINDS = ("academic", "peer-review", "dsa-art40")


def _row(ledger: Session, ref: str) -> dict[str, Any] | None:
    rows = ledger.query("exemption_row", [ref])
    return rows[0] if rows else None


def add(
    ledger: Session,
    ref: str,
    entity: str,
    kind: str,
    approved_on: date,
    start: datetime,
    until: datetime,
    post_ids: int | None,
    user_ids: int | None,
    parent: str | None,
    persons: list[str],
    purpose: str | None,
) -> int:
    check_name("exemption", ref)
    if kind not in KINDS:
        raise UsageError(f"{flag('--kind takes', 'the kinds of exemption are')} {', '.join(KINDS)}, not {kind!r}")
    if _row(ledger, ref) is not None:
        raise UsageError(f"exemption {ref!r} is already recorded")
    holder = ledger.query("entity_kind", [entity])
    if not holder:
        raise unknown(ledger, "entity", entity)
    if kind in ("academic", "peer-review") and holder[0]["kind"] != "academic":
        raise PolicyRefusal(
            f"refused: a {kind} exemption is for academic research, and {entity} is an entity of kind "
            f"{holder[0]['kind']}, not academic"
        )
    if until <= start:
        raise UsageError("the exemption must end (until) after it starts (from)")
    today = ledger.now().date()
    if approved_on > today:
        raise UsageError(f"X's approval date {approved_on} is in the future: record an approval once it is given")
    if start.date() < approved_on:
        raise UsageError(f"the exemption cannot start ({iso(start)}) before X approved it ({approved_on})")
    if kind == "academic":
        if post_ids is None or user_ids is None:
            raise UsageError(
                "an academic exemption needs the approved "
                + flag("--post-ids and --user-ids", "Post IDs and User IDs")
                + " (0 means none)"
            )
        if not (0 <= post_ids <= MAX_QUANTITY and 0 <= user_ids <= MAX_QUANTITY):
            raise UsageError(f"approved quantities must be whole numbers from 0 to {MAX_QUANTITY:,}")
        if parent is not None or persons:
            raise UsageError(
                flag("--for and --person belong", "a parent exemption and persons belong")
                + " to peer-review and dsa-art40 exemptions"
            )
    elif kind == "peer-review":
        if parent is None:
            raise UsageError(
                "a peer-review exemption names the academic exemption it draws down"
                + flag(" with --for", " (its parent)")
            )
        p = _row(ledger, parent)
        if p is None or p["kind"] != "academic":
            raise UsageError(f"{flag('--for', 'the parent')} {parent!r} is not an academic exemption in the ledger")
        if _revoked(ledger, parent):
            raise PolicyRefusal(f"refused: exemption {parent} was revoked, so no peer review can be added to it")
        if utc_naive(until) > p["valid_until"] or utc_naive(start) < p["valid_from"]:
            raise UsageError(
                f"a peer review lives inside its parent: {parent} is valid from {iso(p['valid_from'])} "
                f"until {iso(p['valid_until'])}"
            )
        if post_ids is not None or user_ids is not None or persons:
            raise UsageError(
                "a peer-review exemption draws down its parent's quantities: no "
                + flag("--post-ids, --user-ids or --person", "Post IDs, User IDs or persons of its own")
            )
    else:
        if not persons:
            raise UsageError(
                f"a dsa-art40 exemption names at least one {flag('--person', 'person')} from the approved application"
            )
        from quota.registry import person_entity_at

        now = ledger.now()
        for person in persons:
            theirs = person_entity_at(ledger, person, now)
            if theirs != entity:
                raise UsageError(
                    f"person {person!r} is not a person of {entity}" + (f" (but of {theirs})" if theirs else "")
                )
        if post_ids is not None or user_ids is not None or parent is not None:
            raise UsageError(f"a dsa-art40 exemption has no quantities and no {flag('--for', 'parent')}")
    body = {
        "ref": ref,
        "entity": entity,
        "kind": kind,
        "approved_on": approved_on.isoformat(),
        "from": iso(start),
        "until": iso(until),
        "post_ids": post_ids,
        "user_ids": user_ids,
        "parent": parent,
        "persons": sorted(set(persons)),
        "purpose": purpose,
    }
    return ledger.append("exemption", body)


def _revoked(ledger: Session, ref: str) -> bool:
    return bool(ledger.query("exemption_revoked", [ref]))


def revoke(ledger: Session, ref: str, reason: str) -> int:
    if _row(ledger, ref) is None:
        raise UsageError(f"no exemption {ref!r} in the ledger")
    if ledger.query("exemption_revoked", [ref]):
        raise UsageError(f"exemption {ref} is already revoked")
    if not reason.strip():
        raise UsageError(flag("--reason is required", "a revocation needs its reason"))
    return ledger.append("exemption_revoke", {"ref": ref, "reason": reason})


def pool(ledger: Session, ref: str) -> tuple[dict[str, Any] | None, int, int]:
    """The academic exemption whose quantities `ref` draws down, with the Post and User IDs
    used by it and its peer-review children; (None, 0, 0) for a dsa-art40 exemption."""
    row = _row(ledger, ref)
    if row is None:
        raise UsageError(f"no exemption {ref!r} in the ledger")
    root = _row(ledger, row["parent"]) if row["kind"] == "peer-review" else row
    if root is None or root["kind"] != "academic":
        return None, 0, 0
    used = ledger.query("exemption_drawn", [root["ref"], root["ref"]])[0]
    return root, int(used["posts"]), int(used["users"])


def status(ledger: Session, ref: str) -> dict[str, Any]:
    row = _row(ledger, ref)
    if row is None:
        raise UsageError(f"no exemption {ref!r} in the ledger")
    root, used_posts, used_users = pool(ledger, ref)
    revoked = bool(ledger.query("exemption_revoked", [ref]))
    approved_posts = None if root is None else int(root["post_ids"])
    approved_users = None if root is None else int(root["user_ids"])
    own = ledger.query("exemption_own_exports", [ref])
    return {
        "ref": ref,
        "kind": row["kind"],
        "entity": row["entity"],
        "approved_post_ids": approved_posts,
        "used_post_ids": used_posts if root is not None else None,
        "remaining_post_ids": None if approved_posts is None else approved_posts - used_posts,
        "approved_user_ids": approved_users,
        "used_user_ids": used_users if root is not None else None,
        "remaining_user_ids": None if approved_users is None else approved_users - used_users,
        "valid_from": row["valid_from"],
        "valid_until": row["valid_until"],
        "revoked": revoked,
        "exports": [u["export_id"] for u in own],
    }


def listing(ledger: Session) -> list[dict[str, Any]]:
    return [status(ledger, r["ref"]) for r in ledger.query("exemption_refs")]


def room(ledger: Session, ref: str) -> tuple[int, int] | None:
    """The Post and User IDs an export under `ref` may still take (None: no quantity, as for
    DSA Art. 40), or (0, 0) for an exemption that is unknown here (check_export says why)."""
    row = _row(ledger, ref)
    if row is None:
        return (0, 0)
    root, used_posts, used_users = pool(ledger, ref)
    if root is None:
        return None
    return max(int(root["post_ids"]) - used_posts, 0), max(int(root["user_ids"]) - used_users, 0)


def check_export(
    ledger: Session,
    ref: str,
    entity: str,
    person: str | None,
    at: datetime,
    posts: int,
    users: int,
    dms: int,
    profile: Profile,
) -> tuple[int, int | None]:
    """Refuse (exit 3, one sentence) an export that this exemption does not cover; else
    return the Post IDs used from the pool after it and the approved Post IDs (None if unlimited)."""
    row = _row(ledger, ref)
    if row is None:
        raise PolicyRefusal(f"refused: no exemption {ref!r} in the ledger")
    if _revoked(ledger, ref):
        raise PolicyRefusal(f"refused: exemption {ref} was revoked")
    if not (row["valid_from"] <= utc_naive(at) < row["valid_until"]):
        raise PolicyRefusal(
            f"refused: {iso(at)} is outside exemption {ref}, valid from {iso(row['valid_from'])} "
            f"until {iso(row['valid_until'])}"
        )
    if utc_naive(at).date() < row["approved_on"]:
        raise PolicyRefusal(f"refused: {iso(at)} is before X approved exemption {ref} ({row['approved_on']})")
    if row["kind"] == "peer-review":
        parent = _row(ledger, row["parent"])
        assert parent is not None
        if _revoked(ledger, parent["ref"]):
            raise PolicyRefusal(f"refused: peer review {ref} lives inside {parent['ref']}, which was revoked")
        if not (parent["valid_from"] <= utc_naive(at) < parent["valid_until"]):
            raise PolicyRefusal(
                f"refused: {iso(at)} is outside {parent['ref']}, the exemption peer review {ref} lives inside "
                f"(valid from {iso(parent['valid_from'])} until {iso(parent['valid_until'])})"
            )
    if row["entity"] != entity:
        raise PolicyRefusal(f"refused: exemption {ref} is held by {row['entity']}, not {entity}")
    if dms:
        raise PolicyRefusal(f"refused: exemption {ref} covers Post and User IDs, not {dms:,} DM IDs")
    if row["kind"] == "dsa-art40":
        from quota.registry import person_entity_at

        named = [r["person"] for r in ledger.query("exemption_persons_of", [ref])]
        if person not in named:
            who = f"person {person}" if person else "an export without --person"
            raise PolicyRefusal(
                f"refused: {who} is not named in DSA Art. 40 exemption {ref} (named: {', '.join(sorted(named))})"
            )
        # The application named a researcher of that entity: one who has moved on is not its researcher now.
        assert person is not None  # named, so given
        if (theirs := person_entity_at(ledger, person, at)) != row["entity"]:
            raise PolicyRefusal(
                f"refused: {person}, named in DSA Art. 40 exemption {ref}, belongs to {theirs} at {iso(at)}, "
                f"not to {row['entity']}"
            )
        return 0, None
    root, used_posts, used_users = pool(ledger, ref)
    assert root is not None
    for what, approved, used, asked in (
        ("Post", int(root["post_ids"]), used_posts, posts),
        ("User", int(root["user_ids"]), used_users, users),
    ):
        if used + asked > approved:
            raise PolicyRefusal(
                f"refused: {asked:,} {what} IDs under exemption {ref} would exceed what X approved for "
                f"{root['ref']} (approved {approved:,}, used {used:,}, remaining {approved - used:,}, "
                f"over by {used + asked - approved:,})"
            )
    return used_posts + posts, int(root["post_ids"])
