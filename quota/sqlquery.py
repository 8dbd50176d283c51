"""`quota sql`: read-only SQL over the ledger and its documented views.

Three locks, each enough on its own for what it guards: the ledger is opened read-only (no
write can reach the file); only a single SELECT statement is accepted, as DuckDB's own parser
classifies it (so casing, comments or a second statement cannot hide an INSERT, ATTACH, COPY,
SET, INSTALL or PRAGMA); and external access is switched off and the configuration locked
before the query runs (so no table function can read a file or the network, and the query
cannot switch that back on).
"""

from __future__ import annotations

from typing import Any

from quota.errors import UsageError
from quota.ledger import Ledger


def statement_problem(con: Any, query: str) -> str | None:
    """Why `query` may not run, or None for exactly one SELECT."""
    import duckdb

    try:
        statements = con.extract_statements(query)
    except duckdb.Error as e:
        return f"the query does not parse: {str(e).splitlines()[0]}"
    if len(statements) != 1:
        return f"give exactly one SELECT statement, not {len(statements)} statements"
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        name = str(kind).rsplit(".", 1)[-1].replace("_STATEMENT", "")
        return f"only SELECT queries run here, not {name}: the ledger is read-only"
    return None


def run(ledger: Ledger, query: str) -> tuple[list[str], list[dict[str, Any]]]:
    import duckdb

    if ledger.writable:
        raise UsageError("quota sql needs the ledger opened read-only")
    ledger.views()
    con = ledger.con
    problem = statement_problem(con, query)
    if problem:
        raise UsageError(problem)
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]
    except duckdb.PermissionException as e:
        raise UsageError(f"refused: the query reaches outside the ledger ({str(e).splitlines()[0]})") from None
    except duckdb.Error as e:
        raise UsageError(f"the query failed: {str(e).splitlines()[0]}") from None
    return columns, rows
