"""The cap's read model: whose cap an entity is judged by (its organisation's, or its own),
the entries and permissions that count near a time, how much fits, when a delivery may be
made, and the refusal sentences with their numbers. Read by export, manual, import,
requests, usage and the report; it writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from quota import registry
from quota.errors import PolicyRefusal, UsageError
from quota.names import unknown
from quota.policy import Entry, Permission, Profile, check
from quota.store.session import Session
from quota.store.sqlfiles import marks
from quota.times import CLOCK_SLACK, iso, utc_naive

NOT_NOW = "a delivery happens now; record a past distribution with quota ledger import"


def delivery_time(asked: datetime | None, now: datetime, dry_run: bool) -> datetime | None:
    """The time a delivery is checked at: None for now (read again under the write lock, where
    it is recorded). A time asked for is a what-if of a dry run, or now within the clock slack;
    a real delivery cannot be placed anywhere else in time."""
    if asked is None:
        return None
    if dry_run:
        return asked
    if abs(asked - now) > CLOCK_SLACK:
        raise UsageError(f"{iso(asked)} is not now ({iso(now)}): {NOT_NOW}")
    return None


def room_under_cap(
    entries: Sequence[Entry], perms: Sequence[Permission], profile: Profile, at: datetime, posts: int
) -> int:
    """The most of `posts` Post IDs that fit at `at` (a check passes for n, so for all below n)."""
    lo, hi = 0, posts
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if check(entries, perms, profile.post_id_cap, profile.window, at, mid).allowed:
            lo = mid
        else:
            hi = mid - 1
    return lo


def ledger_state(
    ledger: Session, entity: str, around: datetime, window: timedelta
) -> tuple[list[Entry], list[Permission]]:
    """The counted entries near `around` of the cap `entity` is judged by: its organisation's
    (every member's entries, whenever the link was recorded: registry.Holders) or its own, and
    the permissions that lift that holder's cap."""
    found = registry.holders(ledger)
    holder = found.holder(entity)
    who = found.members(holder)
    span = [utc_naive(around - 2 * window), utc_naive(around + 2 * window)]
    rows = ledger.rows(
        "holder_entries_near",
        [*who, *span],
        members=marks(len(who)),
    )
    entries = [Entry(at.replace(tzinfo=UTC), int(n)) for at, n in rows]
    return entries, registry.holder_permissions(ledger, found, holder)


def ledger_states(
    ledger: Session, around: datetime, window: timedelta
) -> dict[str, tuple[list[Entry], list[Permission]]]:
    """ledger_state of every holder at once: one query instead of one each."""
    found = registry.holders(ledger)
    rows = ledger.rows("entries_near", [utc_naive(around - 2 * window), utc_naive(around + 2 * window)])
    out: dict[str, tuple[list[Entry], list[Permission]]] = {}
    for e in ledger.query("entity_names"):
        out.setdefault(found.holder(e["entity"]), ([], []))
    for entity, at, n in rows:
        out.setdefault(found.holder(entity), ([], []))[0].append(Entry(at.replace(tzinfo=UTC), int(n)))
    for r in registry.permissions(ledger):
        holder = found.holder(r["entity"])
        if found.lifts(r["entity"], holder):
            out.setdefault(holder, ([], []))[1].append(registry.permission_of(r))
    return out


def recipient_label(ledger: Session, entity: str) -> str:
    """The entity, and the organisation whose one cap it shares, for a refusal."""
    holder = registry.holder_of(ledger, entity)
    return entity if holder == entity else f"{entity} (whose organisation {holder} shares one cap)"


def refusal(
    entity: str, at: datetime, posts: int, verdict: Any, fits_at: datetime | None, perms: Sequence[Permission] = ()
) -> str:
    w = verdict.worst
    when = f"it fits from {iso(fits_at)}" if fits_at else "it never fits under the cap and permissions"
    # A permission in force now that has ended by the window that refuses: that is the cause.
    ended = [p for p in perms if p.start <= at < p.until <= w.end and p.cap > (w.cap or 0)]
    because = (
        f"; permission {ended[0].ref} ends {iso(ended[0].until)}; windows after it have the base cap" if ended else ""
    )
    return (
        f"refused: {posts:,} Post IDs to {entity} at {iso(at)} would make {w.used + posts:,} "
        f"in the 30 days to {iso(w.end)} (used {w.used:,}, cap {w.cap:,}, requested {posts:,}, "
        f"over by {verdict.over_by:,}){because}; {when}"
    )


def check_recipient(ledger: Session, entity: str, person: str | None, at: datetime) -> None:
    ent = ledger.query("entity_exists", [entity])
    if not ent:
        raise unknown(ledger, "entity", entity)
    accepted = ledger.query(
        "terms_first_accepted",
        [entity, utc_naive(at)],
    )
    if accepted[0]["first"] is None:
        raise PolicyRefusal(
            f"refused: {entity} has no recorded acceptance of X's Terms, Privacy Policy, Developer Agreement "
            f"and Developer Policy at or before {iso(at)} (record it with quota entity accept-terms)"
        )
    if person is not None:
        theirs = registry.person_entity_at(ledger, person, at)
        if theirs is None:
            raise unknown(ledger, "person", person)
        if theirs != entity:
            raise PolicyRefusal(f"refused: person {person} belongs to {theirs} at {iso(at)}, not to {entity}")


def basis_of(perms: Sequence[Permission], profile: Profile, at: datetime) -> str:
    raising = [
        p for p in perms if p.start <= at < p.until and (profile.post_id_cap is None or p.cap > profile.post_id_cap)
    ]
    return f"permission:{max(raising, key=lambda p: p.cap).ref}" if raising else "cap"
