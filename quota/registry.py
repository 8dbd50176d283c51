"""Who may receive data: entities, their persons, their acceptance of X's terms, X's written
permissions raising a cap, and the policy profile in force. Each change is a ledger event."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
    ledger: Ledger,
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
    not_future(at, "--at")
    now = now or datetime.now(UTC)
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


def profile_note(profile: Profile) -> str | None:
    """What a profile's numbers allow that a reader might not expect."""
    if profile.object_days == "utc-day":
        n = profile.objects_per_person
        return (
            f"objects are counted per UTC calendar day, so a person may receive up to twice the limit "
            f"({2 * n:,} objects) within minutes across midnight; the default profile counts any 24 hours"
        )
    return None


def use_policy(ledger: Ledger, name: str, reason: str, by: str) -> int:
    """Switch the profile in force: a controlled act, with why and who."""
    if name not in PROFILES:
        raise UsageError(f"no policy profile {name!r} (profiles: {', '.join(sorted(PROFILES))})")
    if not reason.strip() or not by.strip():
        raise UsageError("a profile change needs a reason and the name of who makes it")
    profile = PROFILES[name]
    return ledger.append(
        "policy", {"profile": profile.name, "version": profile.version, "reason": reason.strip(), "by": by.strip()}
    )


def entities(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.query(
        """SELECT e.entity, e.name, e.kind,
                  (SELECT min(accepted_at) FROM terms_acceptances t WHERE t.entity = e.entity) AS terms_accepted_at,
                  (SELECT count(*) FROM persons p WHERE p.entity = e.entity) AS persons
           FROM entities e ORDER BY e.entity"""
    )


def entity_detail(ledger: Ledger, entity: str) -> dict[str, Any]:
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


def persons(ledger: Ledger) -> list[dict[str, Any]]:
    return ledger.query("SELECT person, entity, name FROM persons ORDER BY person")


def permissions(ledger: Ledger, entity: str | None = None) -> list[dict[str, Any]]:
    where, params = ("WHERE entity = ?", [entity]) if entity else ("", [])
    return ledger.query(
        f"SELECT ref, entity, cap, valid_from, valid_until FROM permissions {where} ORDER BY valid_from, ref", params
    )
