"""Who may receive data: entities, their persons, their acceptance of X's terms, X's written
permissions raising a cap, and the policy profile in force. Each change is a ledger event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quota.errors import UsageError
from quota.ledger import Ledger, check_name, iso
from quota.policy import MAX_QUANTITY, PROFILES, Profile

ENTITY_KINDS = ("organization", "academic", "individual")
TERMS = "X Terms of Service, Privacy Policy, Developer Agreement and Developer Policy"


def _entity_row(ledger: Ledger, entity: str) -> dict[str, Any]:
    rows = ledger.query("SELECT * FROM entities WHERE entity = ?", [entity])
    if not rows:
        raise UsageError(f"no entity {entity!r} in the ledger (add it with quota entity add)")
    return rows[0]


def add_entity(ledger: Ledger, entity: str, name: str, kind: str) -> int:
    check_name("entity", entity)
    if kind not in ENTITY_KINDS:
        raise UsageError(f"--kind takes {', '.join(ENTITY_KINDS)}, not {kind!r}")
    if ledger.query("SELECT 1 FROM entities WHERE entity = ?", [entity]):
        raise UsageError(f"entity {entity!r} already exists")
    return ledger.append("entity", {"entity": entity, "name": name, "kind": kind})


def accept_terms(ledger: Ledger, entity: str, by: str, at: datetime) -> int:
    _entity_row(ledger, entity)
    if not by.strip():
        raise UsageError("--by needs the name of the person who accepted the terms")
    return ledger.append("terms", {"entity": entity, "by": by, "at": iso(at), "terms": TERMS})


def add_person(ledger: Ledger, person: str, entity: str, name: str | None) -> int:
    check_name("person", person)
    _entity_row(ledger, entity)
    existing = ledger.query("SELECT entity FROM persons WHERE person = ?", [person])
    if existing:
        raise UsageError(f"person {person!r} already exists (of entity {existing[0]['entity']!r})")
    return ledger.append("person", {"person": person, "entity": entity, "name": name})


def add_permission(ledger: Ledger, ref: str, entity: str, cap: int, start: datetime, until: datetime) -> int:
    _entity_row(ledger, entity)
    if not ref.strip():
        raise UsageError("a permission needs X's reference")
    check_name("permission", ref)
    if not 0 < cap <= MAX_QUANTITY:
        raise UsageError(f"a permission's cap must be a positive number of Post IDs up to {MAX_QUANTITY:,}")
    if until <= start:
        raise UsageError("--until must be after --from")
    if ledger.query("SELECT 1 FROM permissions WHERE ref = ?", [ref]):
        raise UsageError(f"permission {ref!r} is already recorded")
    return ledger.append(
        "permission", {"ref": ref, "entity": entity, "cap": cap, "from": iso(start), "until": iso(until)}
    )


def current_profile(ledger: Ledger) -> Profile:
    return ledger.profile()


def use_policy(ledger: Ledger, name: str) -> int:
    if name not in PROFILES:
        raise UsageError(f"no policy profile {name!r} (profiles: {', '.join(sorted(PROFILES))})")
    profile = PROFILES[name]
    return ledger.append("policy", {"profile": profile.name, "version": profile.version})


def entities(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.query(
        """SELECT e.entity, e.name, e.kind,
                  (SELECT max(accepted_at) FROM terms_acceptances t WHERE t.entity = e.entity) AS terms_accepted_at,
                  (SELECT count(*) FROM persons p WHERE p.entity = e.entity) AS persons
           FROM entities e ORDER BY e.entity"""
    )


def entity_detail(ledger: Ledger, entity: str) -> dict[str, Any]:
    row = _entity_row(ledger, entity)
    detail = {k: row[k] for k in ("entity", "name", "kind")}
    detail["terms"] = ledger.query(
        "SELECT accepted_by, accepted_at FROM terms_acceptances WHERE entity = ? ORDER BY seq", [entity]
    )
    detail["persons"] = ledger.query("SELECT person, name FROM persons WHERE entity = ? ORDER BY person", [entity])
    detail["permissions"] = permissions(ledger, entity)
    return detail


def persons(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.query("SELECT person, entity, name FROM persons ORDER BY person")


def permissions(ledger: Ledger, entity: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
    return ledger.query(
        f"SELECT ref, entity, cap, valid_from, valid_until FROM permissions {where} ORDER BY valid_from, ref", params
    )
