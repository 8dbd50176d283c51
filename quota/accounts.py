"""Portal accounts: who may sign in to `quota serve`, in which role, as which person.

Every change is a ledger event: an account added (with a one-time sign-up link), its role
changed, disabled, a new link issued (a reset), a link used to set a password. The ledger keeps
the sha256 of each link's secret, never the secret nor a password: the portal keeps argon2id
hashes of passwords in its own store (quota.web.state). An act done in the portal runs under
`acting_as(email)`, so every event it writes names the account beside the backend's actor.

Roles: a researcher is linked to a person (so to the person's entity) and asks for, accepts
terms for and downloads only their own; compliance decides requests and reads the ledger's
answers; the data team delivers; an auditor reads; an admin manages accounts and nothing else.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from quota import registry
from quota.errors import UsageError
from quota.names import unknown
from quota.store.base import acting_account
from quota.store.session import Session
from quota.times import iso, utc_naive

ROLES = ("researcher", "compliance", "data-team", "auditor", "admin")
LINK_LIFE = timedelta(days=7)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    person: str | None
    entity: str | None  # a researcher's: their person's entity now
    disabled: bool
    password_set: bool

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def email_of(text: str) -> str:
    """An email as accounts are named by it: trimmed, lower case."""
    email = text.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise UsageError(f"{text.strip()[:80]!r} is not an email address")
    return email


def _role(role: str) -> str:
    if role not in ROLES:
        raise UsageError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    return role


def link_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_link(email: str, now: datetime) -> tuple[str, dict[str, Any]]:
    secret = secrets.token_urlsafe(32)
    return secret, {"email": email, "link_sha256": link_sha256(secret), "link_expires": iso(now + LINK_LIFE)}


def add(
    ledger: Session, email: str, role: str, person: str | None = None, entity: str | None = None
) -> tuple[int, str]:
    """Add an account; returns its event and the secret of its one-time sign-up link."""
    email, role = email_of(email), _role(role)
    if get(ledger, email) is not None:
        raise UsageError(f"an account {email} already exists (quota account role changes its role)")
    now = ledger.now()
    if person is not None:
        of = registry.person_entity_at(ledger, person, now)
        if of is None:
            raise unknown(ledger, "person", person)
        if entity is not None and entity != of:
            raise UsageError(f"person {person} is of entity {of}, not {entity}")
        entity = of
    elif entity is not None and not ledger.query("entity_exists", [entity]):
        raise unknown(ledger, "entity", entity)
    if role == "researcher" and person is None:
        raise UsageError("a researcher's account is linked to their person (who receives, for which entity)")
    secret, link = _new_link(email, now)
    body = {"email": email, "role": role, "person": person, "entity": None if person else entity} | link
    return ledger.append("account", body), secret


def _existing(ledger: Session, email: str) -> Account:
    account = get(ledger, email_of(email))
    if account is None:
        raise UsageError(f"no account {email.strip()[:80]!r} in the ledger (quota account add makes one)")
    return account


def set_role(ledger: Session, email: str, role: str, reason: str | None = None) -> int:
    account, role = _existing(ledger, email), _role(role)
    if account.disabled:
        raise UsageError(f"the account {account.email} is disabled")
    if role == account.role:
        raise UsageError(f"the account {account.email} is already {role}")
    if role == "researcher" and account.person is None:
        raise UsageError("a researcher's account is linked to their person: add a new account with its person")
    return ledger.append("account_role", {"email": account.email, "role": role, "reason": reason})


def disable(ledger: Session, email: str, reason: str | None = None) -> int:
    """From now on the account cannot sign in (its sessions end at their next request)."""
    account = _existing(ledger, email)
    if account.disabled:
        raise UsageError(f"the account {account.email} is already disabled")
    return ledger.append("account_disable", {"email": account.email, "reason": reason})


def reset(ledger: Session, email: str) -> tuple[int, str]:
    """A new one-time link to set the password; earlier links stop working."""
    account = _existing(ledger, email)
    if account.disabled:
        raise UsageError(f"the account {account.email} is disabled")
    secret, link = _new_link(account.email, ledger.now())
    return ledger.append("account_link", link), secret


def linked(ledger: Session, secret: str) -> Account | None:
    """The account whose newest link this is, when it is unused, unexpired and the account enabled."""
    rows = ledger.query("account_link_of", [link_sha256(secret)])
    if not rows:
        return None
    row = rows[0]
    if row["used"] or row["expires_at"] <= utc_naive(ledger.now()):
        return None
    account = get(ledger, row["email"])
    return account if account is not None and not account.disabled else None


def use_link(ledger: Session, secret: str) -> Account:
    """Record that the link was used to set a password (once)."""
    account = linked(ledger, secret)
    if account is None:
        raise UsageError("this sign-up link is used, expired or replaced: ask for a new one")
    ledger.append("account_password", {"email": account.email, "link_sha256": link_sha256(secret)})
    return account


def get(ledger: Session, email: str) -> Account | None:
    rows = listing(ledger, email.strip().lower())
    return Account(**rows[0]) if rows else None


def listing(ledger: Session, email: str | None = None) -> list[dict[str, Any]]:
    """Every account (or the one of `email`) as it stands: its role (the latest), whether
    disabled, its person and entity."""
    now = ledger.now()
    out = []
    one = ("WHERE a.email = ?", [email]) if email is not None else ("", [])
    for r in ledger.query("accounts_now", one[1], condition=one[0]):
        entity = registry.person_entity_at(ledger, r["person"], now) if r["person"] else r["entity"]
        out.append(
            {
                "email": r["email"], "role": r["role"], "person": r["person"], "entity": entity,
                "disabled": bool(r["disabled"]), "password_set": bool(r["password_set"]),
            }
        )  # fmt: skip
    return out


COLUMNS = ["email", "role", "person", "entity", "disabled", "password_set"]


@contextmanager
def acting_as(email: str) -> Iterator[None]:
    """Every event written in this context (this thread or task) names the account."""
    token = acting_account.set(email)
    try:
        yield
    finally:
        acting_account.reset(token)
