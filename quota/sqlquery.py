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


class QueryTimeout(UsageError):
    """The query ran out of its time."""


DEFAULT_TIMEOUT = 30.0
MEMORY_LIMIT = "1GB"
MAX_ROWS = 1_000_000
# Columns of these types hold IDs (lineage, notices) or may exceed 2^53: text in every output.
_TEXT_TYPES = ("UBIGINT", "HUGEINT", "UHUGEINT")


def run(ledger: Ledger, query: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[list[str], list[dict[str, Any]]]:
    """Run one read-only SELECT; at most `timeout` seconds, MEMORY_LIMIT of memory and
    MAX_ROWS rows, so that a query can neither hold the ledger's shared lock for long (writers
    wait behind it) nor exhaust the machine."""
    import threading

    import duckdb

    if ledger.writable:
        raise UsageError("quota sql needs the ledger opened read-only")
    if not timeout > 0:
        raise UsageError("the time limit must be a positive number of seconds")
    ledger.views()
    con = ledger.con
    problem = statement_problem(con, query)
    if problem:
        raise UsageError(problem)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    # Nowhere to spill on a read-only ledger, and no unbounded spill files on a writable one.
    con.execute("SET max_temp_directory_size = '0B'")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    timer = threading.Timer(timeout, con.interrupt)
    timer.daemon = True
    timer.start()
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description]
        text = {i for i, d in enumerate(cur.description) if str(d[1]) in _TEXT_TYPES}
        fetched = cur.fetchmany(MAX_ROWS + 1)
    except duckdb.InterruptException:
        raise QueryTimeout(f"the query ran longer than its time limit of {timeout:g} s") from None
    except duckdb.OutOfMemoryException:
        raise UsageError(f"the query needs more than {MEMORY_LIMIT} of memory: aggregate or LIMIT it") from None
    except duckdb.PermissionException as e:
        raise UsageError(f"refused: the query reaches outside the ledger ({str(e).splitlines()[0]})") from None
    except duckdb.Error as e:
        raise UsageError(f"the query failed: {str(e).splitlines()[0][:200]}") from None
    finally:
        timer.cancel()
    if len(fetched) > MAX_ROWS:
        raise UsageError(f"the query returns more than {MAX_ROWS:,} rows: aggregate or LIMIT it")
    rows = [
        {c: (str(v) if i in text and v is not None else v) for i, (c, v) in enumerate(zip(columns, row, strict=True))}
        for row in fetched
    ]
    return columns, rows
