"""Questions compliance staff ask of the ledger: headroom, and what was delivered when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from quota import registry
from quota.caps import ledger_state, ledger_states
from quota.errors import UsageError
from quota.names import unknown
from quota.policy import cap_at, next_free_at, next_growth_at, used_at
from quota.related import _candidates, _near, _pairs, normalise, normalise_domain
from quota.store.session import Session
from quota.times import iso, utc_naive

USAGE_COLUMNS = [
    "entity", "group", "members", "at", "window_start", "used", "cap", "headroom", "next_free_at",
    "imported_post_ids", "void_post_ids", "declared_user_ids",
]  # fmt: skip


def usage(ledger: Session, entity: str | None, at: datetime, need: int | None) -> list[dict[str, Any]]:
    """Per holder of a cap: the Post IDs used in the window ending at `at`, the cap, headroom,
    next_free_at, and its members. An entity alone is its own holder (`entity`); linked entities
    and groups are one organisation (`group`, `entity` null), over all their entries. With
    ENTITY, the one row of its holder, for it. Of what is used: how many Post IDs came from
    imported (past) entries and from voided deliveries, which keep counting; and how many User
    IDs (which no cap counts) had a kind declared by the operator rather than read from objects."""
    profile = registry.current_profile(ledger)
    if entity and not ledger.query("entity_exists", [entity]):
        raise unknown(ledger, "entity", entity)
    found = registry.holders(ledger)
    rows: list[tuple[str | None, str]]
    if entity:
        rows = [(entity, found.holder(entity))]
        states = {}
    else:
        names = {found.holder(e["entity"]) for e in registry.entities(ledger)}
        rows = [(None if h in found.groups else h, h) for h in sorted(names)]
        states = ledger_states(ledger, at, profile.window)
    marked = _marked(ledger, found, at - profile.window, at)

    def row(name: str | None, holder: str) -> dict[str, Any]:
        entries, perms = states[holder] if holder in states else ledger_state(ledger, holder, at, profile.window)
        used = used_at(at, entries, profile.window)
        cap = cap_at(at, profile.post_id_cap, perms)
        if need is not None:
            free = next_free_at(entries, perms, profile.post_id_cap, profile.window, at, need)
        else:
            free = next_growth_at(entries, perms, profile.post_id_cap, profile.window, at)
        imported, voided, declared = marked.get(holder, (0, 0, 0))
        return {
            "entity": name,
            "group": None if holder == name else holder,
            "members": found.members(holder),
            "at": at,
            "window_start": at - profile.window,
            "used": used,
            "cap": cap,
            "headroom": None if cap is None else cap - used,
            "next_free_at": free,
            "imported_post_ids": imported,
            "void_post_ids": voided,
            "declared_user_ids": declared,
        }

    return [row(name, holder) for name, holder in rows]


def _marked(
    ledger: Session, found: registry.Holders, start: datetime, end: datetime
) -> dict[str, tuple[int, int, int]]:
    """Per holder, of the entries counted in (start, end]: Post IDs imported, Post IDs of voided
    deliveries, and User IDs of a declared kind."""
    out: dict[str, tuple[int, int, int]] = {}
    for entity, imported, voided, declared in ledger.rows("entries_marked", [utc_naive(start), utc_naive(end)]):
        h = found.holder(entity)
        was = out.get(h, (0, 0, 0))
        out[h] = (was[0] + int(imported), was[1] + int(voided), was[2] + int(declared))
    return out


EXPORT_COLUMNS = [
    "export_id", "entity", "person", "at", "post_ids", "user_ids", "dm_ids", "basis", "state", "recorded_at",
    "void_reason", "voided_by",
]  # fmt: skip


def sources(row: dict[str, Any]) -> dict[str, str]:
    """Per kind exported: 'typed' or 'declared' (absent for entries recorded before this was)."""
    return {k: row[f"{k}_source"] for k in ("post", "user", "dm") if row.get(f"{k}_source")}


def exports(
    ledger: Session,
    entity: str | None,
    since: datetime | None,
    until: datetime | None,
    state: str | None = None,
    recorded: bool = False,
) -> list[dict[str, Any]]:
    """Distributions whose time lies in [since, until); with `recorded`, also those recorded
    then, whatever time they state (an import of the past, recorded in the period)."""
    where: list[str] = []
    params: list[Any] = []
    if entity:
        where.append("entity = ?")
        params.append(entity)
    period: list[str] = []
    args: list[Any] = []
    if since:
        period.append('"at" >= ?')
        args.append(utc_naive(since))
    if until:
        period.append('"at" < ?')
        args.append(utc_naive(until))
    if period:
        if recorded:
            # Only an import states another time than the one it was recorded at (verify checks it).
            stamps = [iso(t) for t in (since, until) if t is not None]
            lo = "e.recorded_at >= ?" if since else "TRUE"
            hi = "e.recorded_at < ?" if until else "TRUE"
            where.append(
                f"""(({" AND ".join(period)}) OR export_id IN (SELECT r.export_id FROM reservations r
                    JOIN events e ON e.seq = r.seq WHERE r.basis = 'import' AND {lo} AND {hi}))"""
            )
            params += args + stamps
        else:
            where += period
            params += args
    if state:
        where.append("state = ?")
        params.append(state)
    condition = "WHERE " + " AND ".join(where) if where else ""
    ledger.views(upto="exports")
    return ledger.query("exports_listed", params, condition=condition)


def latest_exports(ledger: Session, n: int) -> list[dict[str, Any]]:
    """The `n` newest distributions, newest first."""
    ledger.views(upto="exports")
    return ledger.query("exports_latest", [n, n, n])


def export_detail(ledger: Session, export_id: str) -> dict[str, Any]:
    ledger.views(upto="exports")
    rows = ledger.query("export_detailed", [export_id])
    if not rows:
        raise UsageError(f"no export {export_id!r} in the ledger")
    row = rows[0]
    row["files"] = json.loads(row["files"]) if row["files"] else []
    row["ids_sha256"] = json.loads(row["ids_sha256"])
    row["sources"] = sources(row)
    for kind in ("post", "user", "dm"):
        del row[f"{kind}_source"]
    events = ledger.query(
        "export_events",
        [export_id] * 5,
    )
    row["events"] = events
    return row


# ------------------------------------------------------------------ possibly related recipients


def related(ledger: Session) -> list[dict[str, Any]]:
    """Every pair of possibly related recipients, with why and whether they already share a
    cap (one group) or an allowance (one email). Exact matches are grouped by key; only
    near-same names are compared pair by pair, behind cheap bounds."""
    entities = ledger.query("entity_names_all")
    by_domain: dict[str, set[str]] = {}
    for r in ledger.query("entity_domains_all"):
        by_domain.setdefault(normalise_domain(r["domain"]), set()).add(r["entity"])
    found = registry.holders(ledger)
    persons = ledger.query("persons_all")
    person_names: dict[str, set[str]] = {}
    person_emails: dict[str, set[str]] = {}
    names_of: dict[str, str] = {}
    for p in persons:
        if p["name"] and normalise(p["name"]):
            person_names.setdefault(normalise(p["name"]), set()).add(p["person"])
            names_of.setdefault(normalise(p["name"]), p["name"])
        if p["email"]:
            person_emails.setdefault(p["email"].casefold(), set()).add(p["person"])
    entity_of = {p["person"]: p["entity"] for p in persons}

    why: dict[tuple[str, str], list[str]] = {}
    for pair, keys in _pairs(by_domain).items():
        why.setdefault(pair, []).extend(f"same domain {d}" for d in sorted(keys))
    names = {e["entity"]: e["name"] or "" for e in entities}
    normal = {e: normalise(n) for e, n in names.items()}
    for a, b in _candidates(normal):
        if _near(normal[a], normal[b]):
            why.setdefault((a, b), []).append(f"near-same names ({names[a]} / {names[b]})")
    for label, index in (("shared person name", person_names), ("shared email", person_emails)):
        by_entity = {key: {entity_of[p] for p in members} for key, members in index.items()}
        for pair, keys in _pairs(by_entity).items():
            shown = [names_of.get(k, k) for k in sorted(keys)]
            why.setdefault(pair, []).extend(f"{label} {k}" for k in shown)
    out: list[dict[str, Any]] = []
    for (a, b), reasons in sorted(why.items()):
        together = found.holder(a) == found.holder(b)
        out.append({"kind": "entities", "first": a, "second": b, "why": "; ".join(reasons), "sharing": together})
    people: dict[tuple[str, str], list[str]] = {}
    for pair, keys in _pairs(person_emails).items():
        people.setdefault(pair, []).extend(f"same email {k}" for k in sorted(keys))
    for pair, keys in _pairs(person_names).items():
        people.setdefault(pair, []).extend(f"same name {names_of[k]}" for k in sorted(keys))
    declared = _declared_same(ledger)
    for (a, b), reasons in sorted(people.items()):
        if declared.get(a, a) == declared.get(b, b):
            continue  # recorded as one human (person same): nothing left to guess
        shared = any(r.startswith("same email") for r in reasons)
        out.append({"kind": "persons", "first": a, "second": b, "why": "; ".join(reasons), "sharing": shared})
    return out


def _declared_same(ledger: Session) -> dict[str, str]:
    """Each handle `person same` joined to another, with its human's first handle."""
    return registry.joined([(a, b) for a, b in ledger.rows("persons_same")])
