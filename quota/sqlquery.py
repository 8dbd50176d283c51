"""`quota sql`: read-only SQL over the ledger and its documented views.

How each backend locks a query down is its store's business (`Store.user_select`): on DuckDB
the ledger is opened read-only, only a single SELECT as DuckDB's own parser classifies it is
accepted, and external access is switched off and the configuration locked before it runs.
Here: the limits every backend applies, and IDs as text in every output.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from quota.answers import normalized
from quota.errors import QueryTimeout, UsageError
from quota.store.session import Session

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["DEFAULT_TIMEOUT", "MAX_BYTES", "MAX_ROWS", "MAX_TIMEOUT", "QueryTimeout", "run", "table"]

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 86_400.0  # a day: longer is a mistake, and the backends' timers overflow
MAX_ROWS = 1_000_000
MAX_BYTES = 256 << 20  # of the answer held in this process


def table(ledger: Session, query: str, timeout: float = DEFAULT_TIMEOUT) -> pa.Table:
    return normalized(_answer(ledger, query, timeout))


def _answer(ledger: Session, query: str, timeout: float) -> pa.Table:
    """Run one read-only SELECT; at most `timeout` seconds, MAX_ROWS rows and MAX_BYTES of
    answer, so that a query can neither hold the ledger for long (writers may wait behind it)
    nor exhaust the machine. The answer is typed as quota.answers says."""
    if ledger.writable:
        raise UsageError("quota sql needs the ledger opened read-only")
    if not 0 < timeout <= MAX_TIMEOUT:  # NaN fails both
        raise UsageError(f"the time limit is a number of seconds above 0 and at most {MAX_TIMEOUT:,.0f} (a day)")
    ledger.views()
    answer = ledger.store.user_select(query, timeout, MAX_ROWS, MAX_BYTES)
    if answer.num_rows > MAX_ROWS:
        raise UsageError(f"the query returns more than {MAX_ROWS:,} rows: aggregate or LIMIT it")
    if answer.nbytes > MAX_BYTES:
        raise UsageError(f"the query returns more than {MAX_BYTES >> 20} MiB: aggregate or LIMIT it")
    return answer


def run(ledger: Session, query: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[list[str], list[dict[str, Any]]]:
    """`table` as rows for the command line: IDs and 64-bit integers as text (JSON readers
    lose digits past 2^53), times as they are."""
    import pyarrow as pa

    raw = _answer(ledger, query, timeout)
    # As declared: UBIGINT / NUMERIC(20) IDs, HUGEINT / NUMERIC sums (not BIGINT counts).
    big = {f.name for f in raw.schema if pa.types.is_uint64(f.type) or pa.types.is_decimal(f.type)}
    answer = normalized(raw)
    fix = {f.name: _plain(f.type) for f in answer.schema}
    rows = [
        {c: (str(v) if c in big and v is not None else fix[c](v)) for c, v in row.items()} for row in answer.to_pylist()
    ]
    return answer.column_names, rows


def _plain(t: pa.DataType) -> Any:
    """How a value of Arrow type `t` becomes what the renderer knows: an interval a timedelta
    (a month taken as 30 days, as DuckDB does), a map a dict; anything else as it is."""
    import pyarrow as pa

    if t == pa.month_day_nano_interval():
        return lambda v: (
            None if v is None else timedelta(days=v.months * 30 + v.days, microseconds=v.nanoseconds // 1000)
        )
    if pa.types.is_map(t):
        return lambda v: None if v is None else dict(v)
    return lambda v: v
