"""Who may receive data: entities, their persons, their acceptance of X's terms, X's written
permissions raising a cap, and the policy profile in force. Each change is a ledger event."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from quota.errors import DateOrder, PolicyRefusal, UsageError, flag
from quota.names import unknown
from quota.policy import (
    MAX_QUANTITY,
    PROFILES,
    Entry,
    Permission,
    Profile,
    Window,
    cap_at,
    used_at,
    windows_over,
)
from quota.store.session import Session, check_name
from quota.store.sqlfiles import marks
from quota.times import iso, not_future

ENTITY_KINDS = ("organization", "academic", "individual")
TERMS = "X Terms of Service, Privacy Policy, Developer Agreement and Developer Policy"


def _entity_row(ledger: Session, entity: str) -> dict[str, Any]:
    rows = ledger.query("entity_row", [entity])
    if not rows:
        raise unknown(ledger, "entity", entity)
    return rows[0]


_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}")


def _check_group(ledger: Session, group: str) -> None:
    """Groups and entities share one namespace: a permission names either."""
    check_name("group", group)
    if ledger.query("entity_exists", [group]):
        raise UsageError(f"{group!r} is an entity, so it cannot also name a group")


def add_entity(
    ledger: Session,
    entity: str,
    name: str,
    kind: str,
    group: str | None = None,
    domains: tuple[str, ...] | list[str] = (),
    emails: tuple[str, ...] | list[str] = (),
) -> tuple[int, list[str]]:
    """Add a recipient; returns its event and the warnings recorded with it (possibly related
    recipients: same domain, near-same name). `emails`: its contacts for deletion requests."""
    from quota.related import entity_warnings, normalise_domain

    check_name("entity", entity)
    if kind not in ENTITY_KINDS:
        raise UsageError(f"{flag('--kind takes', 'the kinds of entity are')} {', '.join(ENTITY_KINDS)}, not {kind!r}")
    if ledger.query("entity_exists", [entity]):
        raise UsageError(f"entity {entity!r} already exists")
    if ledger.query("group_exists", [entity]):
        raise UsageError(f"{entity!r} names a group, so it cannot also name an entity")
    clean = sorted({normalise_domain(d) for d in domains})
    for d in clean:
        if not _DOMAIN.fullmatch(d):
            raise UsageError(f"{d[:80]!r} is not an internet domain such as acme.example")
    body: dict[str, Any] = {"entity": entity, "name": name, "kind": kind}
    if group is not None:
        _check_group(ledger, group)
        body["group"] = group
    if clean:
        body["domains"] = clean
    warnings = entity_warnings(ledger, entity, name, clean)
    if warnings:
        body["warnings"] = warnings
    contacts = [("entity_contact", {"entity": entity, "email": _contact(e)}) for e in dict.fromkeys(emails)]
    return ledger.append_many([("entity", body), *contacts])[0], warnings


def _contact(email: str) -> str:
    email = email.strip()
    if not _EMAIL.fullmatch(email):
        raise UsageError(f"{email[:80]!r} is not an email address")
    return email.lower()


def add_contact(ledger: Session, entity: str, email: str) -> int:
    """Whom `entity`'s deletion requests go to (one more address; each address given is one)."""
    _entity_row(ledger, entity)
    address = _contact(email)
    if any(r["entity"] == entity and r["email"] == address for r in ledger.query("entity_contacts_all")):
        raise UsageError(f"{address} is already a contact of {entity}")
    return ledger.append("entity_contact", {"entity": entity, "email": address})


@dataclass(frozen=True)
class Holders:
    """Who holds one cap together: the connected components of every link ever recorded
    (entity to group), each named by its smallest group name. "Inclusive of multiple
    individuals associated with a single entity" is a fact about the organisation, so its
    entities and groups are one holder before a link as after it, over all their entries.
    An entity never linked holds its own cap. (verify reads the same rule in SQL, holders.sql.)"""

    of: dict[str, str]  # every linked entity and group -> its holder
    groups: frozenset[str]

    def holder(self, name: str) -> str:
        return self.of.get(name, name)

    def members(self, holder: str) -> list[str]:
        """The entities whose entries count toward `holder`'s cap."""
        found = sorted(n for n, h in self.of.items() if h == holder and n not in self.groups)
        return found or [holder]

    def lifts(self, granted_to: str, holder: str) -> bool:
        """Whether X's permission to `granted_to` lifts `holder`'s cap: a group's lifts its
        organisation's; an entity's only while it was never linked (then it is the organisation)."""
        return self.holder(granted_to) == holder and (granted_to in self.groups or granted_to not in self.of)


def joined(pairs: list[tuple[str, str]], nodes: tuple[str, ...] | list[str] = ()) -> dict[str, str]:
    """The connected components of `pairs` (and `nodes` alone): every node with its component's
    smallest node."""
    parent = {x: x for x in nodes}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def _components(links: list[tuple[str, str]]) -> Holders:
    root = joined(links)
    groups = frozenset(g for _, g in links)
    name: dict[str, str] = {}
    for g in sorted(groups):
        name.setdefault(root[g], g)
    return Holders({x: name[r] for x, r in root.items()}, groups)


def holders(ledger: Session, also: tuple[str, str] | None = None) -> Holders:
    """The holders of the ledger's caps; with `also`, as if that link (entity, group) were recorded too."""
    links = [(str(e), str(g)) for e, g in ledger.rows("group_links_all")]
    return _components(links + ([also] if also else []))


def holder_of(ledger: Session, entity: str) -> str:
    """Whose cap `entity`'s entries count toward: its organisation's (see Holders), or its own."""
    return holders(ledger).holder(entity)


def groups(ledger: Session) -> dict[str, list[str]]:
    """Each holder made of linked entities and groups, with its entities."""
    found = holders(ledger)
    return {h: found.members(h) for h in sorted(set(found.of.values()))}


def link_entity(
    ledger: Session, entity: str, group: str, reason: str, breach: str | None = None
) -> tuple[int, Window | None]:
    """Record that ENTITY is part of GROUP: a fact about the organisation, so the two are one
    holder over all their entries, before the link and after it (and a second group linked
    this way merges with the first). A link that puts the merged holder over its cap in some
    window is refused, unless `breach` says how that happened: then it is recorded as the
    breach it reveals (and nothing more fits the holder until the window clears). Returns the
    event and the window over the cap, if any."""
    _entity_row(ledger, entity)
    _check_group(ledger, group)
    if not reason.strip():
        raise UsageError("a link needs a reason: why the entity belongs to the group")
    if breach is not None and not breach.strip():
        raise UsageError("a breach is recorded with how it happened")
    if ledger.query("group_link_exists", [entity, group]):
        raise UsageError(f"{entity} is already part of {group}")
    before = holders(ledger)
    apart = sorted({before.holder(entity), before.holder(group)})
    over = _revealed(ledger, before, holders(ledger, (entity, group)), apart)
    if over is not None and breach is None:
        raise PolicyRefusal(
            f"refused: linking {entity} to {group} makes one holder of {' and '.join(apart)} with "
            f"{over.used:,} Post IDs in the 30 days to {iso(over.end)} (used {over.used:,}, cap {over.cap:,}, "
            f"over by {over.used - (over.cap or 0):,}); a link is a fact: if it is so, record it as the breach "
            f"it reveals ({flag('--breach --reason', 'a breach, with its reason')})"
        )
    if over is None and breach is not None:
        raise UsageError(f"linking {entity} to {group} breaks no cap: link it without {flag('--breach', 'a breach')}")
    at = ledger.stamp()
    body = {"entity": entity, "group": group, "reason": reason.strip(), "at": iso(at)}
    if breach is not None:
        body["breach"] = breach.strip()
    return ledger.append("entity_link", body, at=at), over


def _history(ledger: Session, found: Holders, holder: str) -> tuple[list[Entry], list[Permission]]:
    """Every counted entry of `holder`'s members, whenever, and the permissions that lift its cap."""
    who = found.members(holder)
    rows = ledger.rows("holder_entries", who, members=marks(len(who)))
    return [Entry(t.replace(tzinfo=UTC), int(n)) for t, n in rows], holder_permissions(ledger, found, holder)


def holder_permissions(ledger: Session, found: Holders, holder: str) -> list[Permission]:
    """The permissions that lift `holder`'s cap (see Holders.lifts)."""
    return [permission_of(r) for r in permissions(ledger) if found.lifts(r["entity"], holder)]


def permission_of(r: dict[str, Any]) -> Permission:
    """A row of `permissions` as the window arithmetic takes it."""
    return Permission(
        r["ref"], int(r["cap"]), r["valid_from"].replace(tzinfo=UTC), r["valid_until"].replace(tzinfo=UTC)
    )


def _revealed(ledger: Session, before: Holders, after: Holders, apart: list[str]) -> Window | None:
    """The first window the merged holder has over its cap that none of the holders it joins had
    over before (a part already over, in the same window with the same Post IDs, was a breach
    before the link: the link reveals nothing new there)."""
    profile = current_profile(ledger)
    cap, window = profile.post_id_cap, profile.window
    parts = [_history(ledger, before, h) for h in apart]
    merged = _history(ledger, after, after.holder(apart[0]))
    for w in windows_over(*merged, cap, window):
        if not any(
            used_at(w.end, entries, window) == w.used and w.used > (cap_at(w.end, cap, perms) or 0)
            for entries, perms in parts
        ):
            return w
    return None


# An acceptance recorded later than this after the moment it states is back-dated.
BACKDATED = timedelta(hours=24)
EVIDENCE_LIMIT = 1 << 30


def file_sha256(path: Path, what: str) -> str:
    """The sha256 of a document or evidence file (a regular file, at most 1 GiB)."""
    from quota.errors import BadInput
    from quota.readers.source import document_file

    st = document_file(path, str(path))
    if st.st_size > EVIDENCE_LIMIT:
        raise BadInput(str(path), f"is larger than 1 GiB, more than a {what} can be")
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as e:
        raise BadInput(str(path), f"cannot be read ({e.strerror})") from None
    return digest.hexdigest()


def accept_terms(
    ledger: Session,
    entity: str,
    by: str,
    at: datetime,
    *,
    document: Path | None = None,
    version: str | None = None,
    method: str | None = None,
    evidence: Path | None = None,
    now: datetime | None = None,
) -> int:
    """Record that `entity` accepted X's terms at `at`, with what was accepted and how. An
    acceptance recorded more than 24 hours after `at` is back-dated: only with evidence."""
    _entity_row(ledger, entity)
    if not by.strip():
        raise UsageError("an acceptance needs the name of the person who accepted the terms")
    if document is None and (version is None or not version.strip()):
        raise UsageError(
            "say what was accepted: the terms' document (its sha256 is recorded) or their version, "
            "e.g. 'X Developer Agreement and Policy, 2026-10'"
        )
    now = now or ledger.now()
    not_future(at, "the acceptance at", now)
    backdated = now - at > BACKDATED
    if backdated and evidence is None:
        raise UsageError(
            f"the acceptance at {iso(at)} is recorded more than 24 hours later ({iso(now)}): a back-dated "
            "acceptance needs the evidence that it happened then (a signed copy, an e-mail)"
        )
    body: dict[str, Any] = {"entity": entity, "by": by, "at": iso(at), "terms": TERMS, "backdated": backdated}
    if version is not None and version.strip():
        body["version"] = version.strip()
    if document is not None:
        body["document_sha256"] = file_sha256(document, "terms document")
        body.setdefault("version", document.name)
    if method is not None and method.strip():
        body["method"] = method.strip()
    if evidence is not None:
        body["evidence_sha256"] = file_sha256(evidence, "piece of evidence")
    return ledger.append("terms", body)


def add_person(
    ledger: Session, person: str, entity: str, name: str | None, email: str | None = None
) -> tuple[int, list[str]]:
    """Add a person; returns the event and its warnings. Handles with one email are one human:
    they share one daily allowance of objects."""
    from quota.related import person_warnings

    check_name("person", person)
    _entity_row(ledger, entity)
    existing = ledger.query("person_entity", [person])
    if existing:
        raise UsageError(f"person {person!r} already exists (of entity {existing[0]['entity']!r})")
    body: dict[str, Any] = {"person": person, "entity": entity, "name": name}
    if email is not None:
        email = email.strip()
        if not _EMAIL.fullmatch(email):
            raise UsageError(f"{email[:80]!r} is not an email address")
        body["email"] = email
    warnings = person_warnings(ledger, person, name, email)
    if warnings:
        body["warnings"] = warnings
    return ledger.append("person", body), warnings


def move_person(ledger: Session, person: str, entity: str, at: datetime, reason: str) -> int:
    """From `at` on, PERSON belongs to ENTITY: past receipts stay with the old entity, and the
    person's daily objects follow them."""
    rows = ledger.query("person_exists", [person])
    if not rows:
        raise unknown(ledger, "person", person)
    _entity_row(ledger, entity)
    not_future(at, "the move at", ledger.now())
    if not reason.strip():
        raise UsageError("a move needs a reason")
    if person_entity_at(ledger, person, at) == entity:
        raise UsageError(f"{person} already belongs to {entity} at {iso(at)}")
    return ledger.append("person_move", {"person": person, "entity": entity, "at": iso(at), "reason": reason.strip()})


def same_person(ledger: Session, first: str, second: str, reason: str) -> int:
    """Record that two person handles are one human: one allowance of objects from then on
    (and `quota related` stops listing the pair)."""
    for p in (first, second):
        if not ledger.query("person_exists", [p]):
            raise unknown(ledger, "person", p)
    if first == second:
        raise UsageError("give two different person handles")
    if not reason.strip():
        raise UsageError("say why the two handles are one human (the reason)")
    if second in same_human(ledger, first):
        raise UsageError(f"{first} and {second} are already one human")
    return ledger.append("person_same", {"first": first, "second": second, "reason": reason.strip()})


def same_human(ledger: Session, person: str) -> set[str]:
    """Every handle of the human `person` is: handles with one email (case aside), and those
    `person same` joined, now. (verify reads the same rule in time, quota.store.verify._humans.)"""
    persons = ledger.rows("person_emails")
    by_email: dict[str, str] = {}
    pairs = [(p, by_email.setdefault(email.casefold(), p)) for p, email in persons if email]
    pairs += [(a, b) for a, b in ledger.rows("persons_same")]
    root = joined(pairs, [p for p, _ in persons])
    return {p for p, r in root.items() if r == root.get(person, person)} | {person}


def person_entity_at(ledger: Session, person: str, at: datetime) -> str | None:
    """The entity PERSON belonged to at `at` (the latest move at or before it), or None."""
    from quota.times import utc_naive

    rows = ledger.query(
        "person_entity_at",
        [person, utc_naive(at), person],
    )
    return rows[0]["entity"] if rows else None


def add_permission(
    ledger: Session,
    ref: str,
    entity: str,
    cap: int,
    start: datetime,
    until: datetime,
    *,
    letter: Path,
    signed_by: str,
    granted_on: date,
) -> int:
    """X's written permission for an entity, or for a group (`entity` names either): a group's
    lifts the one cap its organisation shares; an entity's only while it stands alone. X's
    written word is a document: its letter's sha256 is kept, with who signed it and when X
    granted it (not in the future, not after the permission starts)."""
    found = holders(ledger)
    if entity not in found.groups:
        _entity_row(ledger, entity)
        if entity in found.of:
            raise UsageError(
                f"{entity} is part of the organisation {found.holder(entity)}, whose one cap it shares: X's "
                "permission lifts that cap only if X granted it to the organisation (give its group)"
            )
    if not ref.strip():
        raise UsageError("a permission needs X's reference")
    check_name("permission", ref)
    if not 0 < cap <= MAX_QUANTITY:
        raise UsageError(f"a permission's cap must be a positive number of Post IDs up to {MAX_QUANTITY:,}")
    base = current_profile(ledger).post_id_cap
    if base is not None and cap <= base:
        raise UsageError(
            f"a permission lifts the cap: {cap:,} is not above the {base:,} Post IDs every entity has without one"
        )
    if until <= start:
        raise DateOrder(f"the permission ends ({iso(until)}) before it starts ({iso(start)})")
    if not signed_by.strip():
        raise UsageError("a permission names who signed X's letter")
    today = ledger.now().date()
    if granted_on > today:
        raise UsageError(f"X granted the permission on {granted_on}, which is in the future: record it once given")
    if granted_on > start.date():
        raise UsageError(f"the permission cannot start ({iso(start)}) before X granted it ({granted_on})")
    if ledger.query("permission_exists", [ref]):
        raise UsageError(f"permission {ref!r} is already recorded")
    body = {
        "ref": ref, "entity": entity, "cap": cap, "from": iso(start), "until": iso(until),
        "letter_sha256": file_sha256(letter, "letter"), "signed_by": signed_by.strip(),
        "granted_on": granted_on.isoformat(),
    }  # fmt: skip
    return ledger.append("permission", body)


def current_profile(ledger: Session) -> Profile:
    return ledger.profile()


def profile_note(profile: Profile) -> str | None:
    """What a profile's numbers allow that a reader might not expect."""
    if profile.object_days == "utc-day":
        n = profile.objects_per_person
        return (
            f"objects are counted per UTC calendar day, so a person may receive up to twice the limit "
            f"({2 * n:,} objects) within minutes across midnight; the default profile counts any 24 hours"
        )
    return None


def use_policy(ledger: Session, name: str, reason: str, by: str) -> int:
    """Switch the profile in force: a controlled act, with why and who."""
    if name not in PROFILES:
        raise UsageError(f"no policy profile {name!r} (profiles: {', '.join(sorted(PROFILES))})")
    if not reason.strip() or not by.strip():
        raise UsageError("a profile change needs a reason and the name of who makes it")
    profile = PROFILES[name]
    now = ledger.now()
    if not profile.in_force(now):
        current = ", ".join(sorted(p.name for p in PROFILES.values() if p.in_force(now)))
        raise PolicyRefusal(
            f"refused: {name} reads a text of X's in force {profile.period()}; a delivery is judged by the "
            f"text in force at its time, read by {current} now (an older text's profile applies only to "
            "imported entries dated inside its period)"
        )
    return ledger.append(
        "policy", {"profile": profile.name, "version": profile.version, "reason": reason.strip(), "by": by.strip()}
    )


def entities(ledger: Session) -> list[dict[str, Any]]:
    return ledger.query("entities_listed")


def entity_detail(ledger: Session, entity: str) -> dict[str, Any]:
    row = _entity_row(ledger, entity)
    detail = {k: row[k] for k in ("entity", "name", "kind")}
    detail["terms"] = ledger.query(
        "entity_terms",
        [entity],
    )
    detail["persons"] = ledger.query("entity_persons", [entity])
    detail["permissions"] = permissions(ledger, entity)
    return detail


def persons(ledger: Session) -> list[dict[str, Any]]:
    """Every person with the entity they belong to now (after any move)."""
    return ledger.query("persons_listed")


def permissions(ledger: Session, entity: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
    return ledger.query("permissions_listed", params, condition=where)
