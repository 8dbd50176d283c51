"""Possibly related recipients: one organisation entered as several entities, one human under
several person handles. The cap is per entity "inclusive of multiple individuals associated
with a single entity", and nobody may be enabled to get around it: quota cannot know who is
related, but it can say who looks related, when they are added and whenever asked.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from quota.ledger import Ledger

# Words that say what kind of body a name is, not which one: "Acme Ltd" and "ACME Inc." are one.
_FORMS = frozenset(
    [
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "sas",
        "bv",
        "nv",
        "co",
        "corp",
        "corporation",
        "company",
        "the",
        "group",
        "holdings",
    ]
)
NEAR = 0.88  # difflib ratio from which two normalised names are "near-same"


def normalise(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.casefold())
    return " ".join(w for w in words if w not in _FORMS)


def near(a: str, b: str) -> bool:
    x, y = normalise(a), normalise(b)
    if not x or not y:
        return False
    return x == y or difflib.SequenceMatcher(None, x, y).ratio() >= NEAR


def normalise_domain(domain: str) -> str:
    d = domain.strip().casefold().removeprefix("www.")
    return d.rstrip(".")


def entity_warnings(ledger: Ledger, entity: str, name: str, domains: list[str]) -> list[str]:
    """Why the entity being added may be an existing one (or part of the same organisation)."""
    out = []
    mine = {normalise_domain(d) for d in domains}
    for other in ledger.query("SELECT entity, name FROM entities WHERE entity <> ? ORDER BY entity", [entity]):
        theirs = {
            normalise_domain(r["domain"])
            for r in ledger.query("SELECT domain FROM entity_domains WHERE entity = ?", [other["entity"]])
        }
        for d in sorted(mine & theirs):
            out.append(f"same domain as entity {other['entity']}: {d}")
        if near(name, other["name"] or ""):
            out.append(f"a name like entity {other['entity']}'s ({other['name']})")
    return out


def person_warnings(ledger: Ledger, person: str, name: str | None, email: str | None) -> list[str]:
    """Why the person being added may be an existing one."""
    out = []
    for other in ledger.query(
        "SELECT person, entity, name, email FROM persons WHERE person <> ? ORDER BY person", [person]
    ):
        if email and other["email"] and email.casefold() == other["email"].casefold():
            out.append(f"same email as person {other['person']} of {other['entity']}: one allowance of objects")
        if name and other["name"] and normalise(name) == normalise(other["name"]):
            out.append(f"the same name as person {other['person']} of {other['entity']} ({other['name']})")
    return out


def related(ledger: Ledger) -> list[dict[str, Any]]:
    """Every pair of possibly related recipients, with why and whether they already share a
    cap (one group) or an allowance (one email)."""
    ledger.views(upto="exports")
    entities = ledger.query("SELECT entity, name FROM entities ORDER BY entity")
    domains: dict[str, set[str]] = {}
    for r in ledger.query("SELECT entity, domain FROM entity_domains"):
        domains.setdefault(r["entity"], set()).add(normalise_domain(r["domain"]))
    groups = {
        r["entity"]: r["grp"]
        for r in ledger.query("SELECT entity, arg_max(grp, (valid_from, seq)) AS grp FROM group_links GROUP BY entity")
    }
    persons = ledger.query("SELECT person, entity, name, email FROM persons ORDER BY person")
    by_entity: dict[str, list[dict[str, Any]]] = {}
    for p in persons:
        by_entity.setdefault(p["entity"], []).append(p)
    out: list[dict[str, Any]] = []
    for i, a in enumerate(entities):
        for b in entities[i + 1 :]:
            why = [
                f"same domain {d}" for d in sorted(domains.get(a["entity"], set()) & domains.get(b["entity"], set()))
            ]
            if near(a["name"] or "", b["name"] or ""):
                why.append(f"near-same names ({a['name']} / {b['name']})")
            shared: set[str] = set()
            for x in by_entity.get(a["entity"], []):
                for y in by_entity.get(b["entity"], []):
                    if x["name"] and y["name"] and normalise(x["name"]) == normalise(y["name"]):
                        shared.add(f"shared person name {x['name']}")
                    if x["email"] and y["email"] and x["email"].casefold() == y["email"].casefold():
                        shared.add(f"shared email {x['email']}")
            why += sorted(shared)
            if why:
                together = a["entity"] in groups and groups.get(a["entity"]) == groups.get(b["entity"])
                out.append({"kind": "entities", "first": a["entity"], "second": b["entity"], "why": "; ".join(why),
                            "sharing": together})  # fmt: skip
    for i, a in enumerate(persons):
        for b in persons[i + 1 :]:
            why = []
            same_email = bool(a["email"] and b["email"] and a["email"].casefold() == b["email"].casefold())
            if same_email:
                why.append(f"same email {a['email']}")
            if a["name"] and b["name"] and normalise(a["name"]) == normalise(b["name"]):
                why.append(f"same name {a['name']}")
            if why:
                out.append({"kind": "persons", "first": a["person"], "second": b["person"], "why": "; ".join(why),
                            "sharing": same_email})  # fmt: skip
    return out
