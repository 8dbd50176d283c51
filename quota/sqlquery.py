"""`quota sql`: read-only SQL over the ledger and its documented views.

How each backend locks a query down is its store's business (`Store.user_select`): on DuckDB
the ledger is opened read-only, only a single SELECT as DuckDB's own parser classifies it is
accepted, and external access is switched off and the configuration locked before it runs.
Here: the limits every backend applies, and IDs as text in every output.
"""

from __future__ import annotations

from typing import Any

from quota.errors import QueryTimeout, UsageError
from quota.ledger import Session

__all__ = ["DEFAULT_TIMEOUT", "MAX_ROWS", "QueryTimeout", "run"]

DEFAULT_TIMEOUT = 30.0
MAX_ROWS = 1_000_000


def run(ledger: Session, query: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one read-only SELECT; at most `timeout` seconds, a bounded amount of memory and
    MAX_ROWS rows, so that a query can neither hold the ledger for long (writers may wait
    behind it) nor exhaust the machine."""
    if ledger.writable:
        raise UsageError("quota sql needs the ledger opened read-only")
    if not timeout > 0:
        raise UsageError("the time limit must be a positive number of seconds")
    ledger.views()
    columns, fetched, text = ledger.store.user_select(query, timeout, MAX_ROWS + 1)
    if len(fetched) > MAX_ROWS:
        raise UsageError(f"the query returns more than {MAX_ROWS:,} rows: aggregate or LIMIT it")
    rows = [
        {c: (str(v) if i in text and v is not None else v) for i, (c, v) in enumerate(zip(columns, row, strict=True))}
        for row in fetched
    ]
    return columns, rows
