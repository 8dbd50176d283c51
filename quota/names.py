"""A name the ledger does not know, said with the nearest ones it does ("did you mean ...?")."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from quota.errors import UsageError

if TYPE_CHECKING:
    from quota.store.session import Session

# What each kind of name is, in the ledger: its table and column, and how one adds it.
_KINDS = {
    "entity": ("entities", "entity", "add it with quota entity add"),
    "person": ("persons", "person", "add it with quota person add"),
    "dataset": ("datasets", "name", "register it with quota dataset add"),
    "request": ("requests", "request_id", ""),
    "exemption": ("exemptions", "ref", ""),
}


def unknown(ledger: Session, kind: str, name: str) -> UsageError:
    """`no entity 'acmee' in the ledger (did you mean acme? add it with quota entity add)`."""
    table, column, how = _KINDS[kind]
    known = [str(v) for (v,) in ledger.rows(f"SELECT {column} FROM {table}")]
    near = difflib.get_close_matches(name, known, n=3, cutoff=0.6) if isinstance(name, str) else []
    hints = [f"did you mean {' or '.join(near)}?"] if near else []
    hints += [how] if how else []
    return UsageError(f"no {kind} {name!r} in the ledger" + (f" ({' '.join(hints)})" if hints else ""))
