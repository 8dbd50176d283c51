"""Possibly related recipients: one organisation entered as several entities, one human under
several person handles. The cap is per entity "inclusive of multiple individuals associated
with a single entity", and nobody may be enabled to get around it: quota cannot know who is
related, but it can say who looks related, when they are added and whenever asked.

Here: how names, domains and emails are compared (pure), and the warnings recorded when a
recipient is added. The listing of every possibly related pair is quota.usage.related.
"""

from __future__ import annotations

import difflib
import re

from quota.store.session import Session

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
    words = re.findall(r"[^\W_]+", name.casefold())  # letters and digits of any script
    return " ".join(w for w in words if w not in _FORMS)


def near(a: str, b: str) -> bool:
    return _near(normalise(a), normalise(b))


def _near(x: str, y: str) -> bool:
    """Near-same normalised names; the cheap upper bounds first (most pairs fail on length)."""
    if not x or not y:
        return False
    if x == y:
        return True
    m = difflib.SequenceMatcher(None, x, y)
    return m.real_quick_ratio() >= NEAR and m.quick_ratio() >= NEAR and m.ratio() >= NEAR


def normalise_domain(domain: str) -> str:
    d = domain.strip().casefold().removeprefix("www.")
    return d.rstrip(".")


def entity_warnings(ledger: Session, entity: str, name: str, domains: list[str]) -> list[str]:
    """Why the entity being added may be an existing one (or part of the same organisation)."""
    out = []
    mine = {normalise_domain(d) for d in domains}
    held: dict[str, set[str]] = {}
    for r in ledger.query("entity_domains_all"):
        held.setdefault(r["entity"], set()).add(normalise_domain(r["domain"]))
    for other in ledger.query("entity_names_but", [entity]):
        for d in sorted(mine & held.get(other["entity"], set())):
            out.append(f"same domain as entity {other['entity']}: {d}")
        if near(name, other["name"] or ""):
            out.append(f"a name like entity {other['entity']}'s ({other['name']})")
    return out


def person_warnings(ledger: Session, person: str, name: str | None, email: str | None) -> list[str]:
    """Why the person being added may be an existing one."""
    out = []
    for other in ledger.query("persons_but", [person]):
        if email and other["email"] and email.casefold() == other["email"].casefold():
            out.append(f"same email as person {other['person']} of {other['entity']}: one allowance of objects")
        if name and other["name"] and normalise(name) == normalise(other["name"]):
            out.append(f"the same name as person {other['person']} of {other['entity']} ({other['name']})")
    return out


def _pairs(groups: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    """For each key shared by several members: every pair of them, with the key."""
    out: dict[tuple[str, str], list[str]] = {}
    for key, members in groups.items():
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                out.setdefault((a, b), []).append(key)
    return out


BLOCK = 300  # a name fragment shared by more entities than this says nothing of relation


def _candidates(normal: dict[str, str]) -> set[tuple[str, str]]:
    """Pairs of entities whose normalised names could be near-same: they share the first or
    the last three letters of a word, or of the name without its spaces. Names that share
    neither differ at both ends of every word, which at 0.88 only very long words survive
    (tests check words of up to 12 letters).
    Comparing only these keeps `related` fast with thousands of entities."""
    blocks: dict[str, set[str]] = {}
    for entity, name in normal.items():
        # The words, and the name without its spaces: "ce ae" and "ceae" differ by a space alone.
        for word in [*name.split(), name.replace(" ", "")]:
            blocks.setdefault("<" + word[:3], set()).add(entity)
            blocks.setdefault(word[-3:] + ">", set()).add(entity)
    out: set[tuple[str, str]] = set()
    for members in blocks.values():
        if 1 < len(members) <= BLOCK:
            ordered = sorted(members)
            out.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])
    return out
