"""Who may receive data: entities, their persons, their acceptance of X's terms, X's written
permissions raising a cap, and the policy profile in force. Each change is a ledger event."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from quota.errors import DateOrder, UsageError
from quota.ledger import Session, check_name, iso
from quota.policy import MAX_QUANTITY, PROFILES, Profile

ENTITY_KINDS = ("organization", "academic", "individual")
TERMS = "X Terms of Service, Privacy Policy, Developer Agreement and Developer Policy"


def _entity_row(ledger: Session, entity: str) -> dict[str, Any]:
    rows = ledger.query("SELECT * FROM entities WHERE entity = ?", [entity])
    if not rows:
        raise UsageError(f"no entity {entity!r} in the ledger (add it with quota entity add)")
    return rows[0]


_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}")


def _check_group(ledger: Session, group: str) -> None:
    """Groups and entities share one namespace: a permission names either."""
    check_name("group", group)
    if ledger.query("SELECT 1 FROM entities WHERE entity = ?", [group]):
        raise UsageError(f"{group!r} is an entity, so it cannot also name a group")


def add_entity(
    ledger: Session,
    entity: str,
    name: str,
    kind: str,
    group: str | None = None,
    domains: tuple[str, ...] | list[str] = (),
) -> tuple[int, list[str]]:
    """Add a recipient; returns its event and the warnings recorded with it (possibly related
    recipients: same domain, near-same name)."""
    from quota.related import entity_warnings, normalise_domain

    check_name("entity", entity)
    if kind not in ENTITY_KINDS:
        raise UsageError(f"--kind takes {', '.join(ENTITY_KINDS)}, not {kind!r}")
    if ledger.query("SELECT 1 FROM entities WHERE entity = ?", [entity]):
        raise UsageError(f"entity {entity!r} already exists")
    if ledger.query("SELECT 1 FROM group_links WHERE grp = ?", [entity]):
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
    return ledger.append("entity", body), warnings


def link_entity(ledger: Session, entity: str, group: str, reason: str, now: datetime | None = None) -> int:
    """From now on ENTITY shares GROUP's 30-day cap (its earlier entries stay its own)."""
    _entity_row(ledger, entity)
    _check_group(ledger, group)
    if not reason.strip():
        raise UsageError("a link needs a reason: why the entity belongs to the group")
    now = now or ledger.now()
    if holder_at(ledger, entity, now) == group:
        raise UsageError(f"{entity} is already part of {group}")
    at = iso(now)
    return ledger.append("entity_link", {"entity": entity, "group": group, "reason": reason.strip(), "at": at})


def holder_at(ledger: Session, entity: str, at: datetime) -> str:
    """Whose cap `entity`'s entries at `at` count toward: its group then, or itself."""
    from quota.ledger import utc_naive

    return str(ledger.rows(ledger.store.sql("holder_at"), [entity, utc_naive(at)])[0][0])


def holders_at(ledger: Session, at: datetime) -> dict[str, str]:
    """holder_at for every entity at once."""
    from quota.ledger import utc_naive

    rows = ledger.rows(
        """SELECT e.entity, coalesce(g.grp, e.entity) FROM entities e LEFT JOIN (
               SELECT DISTINCT ON (entity) entity, grp FROM group_links WHERE valid_from <= ?
               ORDER BY entity, valid_from DESC, seq DESC) g USING (entity)""",
        [utc_naive(at)],
    )
    return {str(e): str(h) for e, h in rows}


def group_of(ledger: Session) -> dict[str, str]:
    """The group each linked entity belongs to now (its latest link)."""
    rows = ledger.query(
        "SELECT DISTINCT ON (entity) entity, grp FROM group_links ORDER BY entity, valid_from DESC, seq DESC"
    )
    return {r["entity"]: r["grp"] for r in rows}


def groups(ledger: Session) -> dict[str, list[str]]:
    """Each group with the entities that belong to it now."""
    out: dict[str, list[str]] = {}
    for entity, group in group_of(ledger).items():
        out.setdefault(group, []).append(entity)
    return dict(sorted(out.items()))


# An acceptance recorded later than this after the moment it states is back-dated.
BACKDATED = timedelta(hours=24)
EVIDENCE_LIMIT = 1 << 30


def file_sha256(path: Path, what: str) -> str:
    """The sha256 of a document or evidence file (a regular file, at most 1 GiB)."""
    from quota.errors import BadInput
    from quota.readers.source import regular_file

    st = regular_file(path, str(path))
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
    from quota.exports import not_future

    _entity_row(ledger, entity)
    if not by.strip():
        raise UsageError("an acceptance needs the name of the person who accepted the terms")
    if document is None and (version is None or not version.strip()):
        raise UsageError(
            "say what was accepted: the terms' document (its sha256 is recorded) or their version, "
            "e.g. 'X Developer Agreement and Policy, 2026-10'"
        )
    now = now or ledger.now()
    not_future(at, "--at", now)
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
    existing = ledger.query("SELECT entity FROM persons WHERE person = ?", [person])
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
    from quota.exports import not_future

    rows = ledger.query("SELECT person FROM persons WHERE person = ?", [person])
    if not rows:
        raise UsageError(f"no person {person!r} in the ledger (add it with quota person add)")
    _entity_row(ledger, entity)
    not_future(at, "--at", ledger.now())
    if not reason.strip():
        raise UsageError("a move needs a reason")
    if person_entity_at(ledger, person, at) == entity:
        raise UsageError(f"{person} already belongs to {entity} at {iso(at)}")
    return ledger.append("person_move", {"person": person, "entity": entity, "at": iso(at), "reason": reason.strip()})


def person_entity_at(ledger: Session, person: str, at: datetime) -> str | None:
    """The entity PERSON belonged to at `at` (the latest move at or before it), or None."""
    from quota.ledger import utc_naive

    rows = ledger.query(
        """SELECT coalesce((SELECT entity FROM person_moves WHERE person = ? AND valid_from <= ?
                            ORDER BY valid_from DESC, seq DESC LIMIT 1), p.entity) AS entity
           FROM persons p WHERE p.person = ?""",
        [person, utc_naive(at), person],
    )
    return rows[0]["entity"] if rows else None


def add_permission(ledger: Session, ref: str, entity: str, cap: int, start: datetime, until: datetime) -> int:
    """X's permission for an entity, or for a group (`entity` names either): a group's lifts
    the one cap its entities share."""
    if not ledger.query("SELECT 1 FROM group_links WHERE grp = ?", [entity]):
        _entity_row(ledger, entity)
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
    if ledger.query("SELECT 1 FROM permissions WHERE ref = ?", [ref]):
        raise UsageError(f"permission {ref!r} is already recorded")
    return ledger.append(
        "permission", {"ref": ref, "entity": entity, "cap": cap, "from": iso(start), "until": iso(until)}
    )


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
    return ledger.append(
        "policy", {"profile": profile.name, "version": profile.version, "reason": reason.strip(), "by": by.strip()}
    )


def entities(ledger: Session) -> list[dict[str, Any]]:
    return ledger.query(
        """SELECT e.entity, e.name, e.kind,
                  (SELECT min(accepted_at) FROM terms_acceptances t WHERE t.entity = e.entity) AS terms_accepted_at,
                  (SELECT count(*) FROM persons p WHERE p.entity = e.entity) AS persons
           FROM entities e ORDER BY e.entity"""
    )


def entity_detail(ledger: Session, entity: str) -> dict[str, Any]:
    row = _entity_row(ledger, entity)
    detail = {k: row[k] for k in ("entity", "name", "kind")}
    detail["terms"] = ledger.query(
        """SELECT accepted_by, accepted_at, version, document_sha256, method, evidence_sha256,
                  coalesce(backdated, false) AS backdated
           FROM terms_acceptances WHERE entity = ? ORDER BY seq""",
        [entity],
    )
    detail["persons"] = ledger.query("SELECT person, name FROM persons WHERE entity = ? ORDER BY person", [entity])
    detail["permissions"] = permissions(ledger, entity)
    return detail


def persons(ledger: Session) -> list[dict[str, Any]]:
    """Every person with the entity they belong to now (after any move)."""
    return ledger.query(
        """SELECT p.person, coalesce((SELECT m.entity FROM person_moves m WHERE m.person = p.person
                                      ORDER BY m.valid_from DESC, m.seq DESC LIMIT 1), p.entity) AS entity,
                  p.name, p.email
           FROM persons p ORDER BY p.person"""
    )


def permissions(ledger: Session, entity: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
    return ledger.query(
        f"SELECT ref, entity, cap, valid_from, valid_until FROM permissions {where} ORDER BY valid_from, ref", params
    )
