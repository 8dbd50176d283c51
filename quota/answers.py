"""Answers as the library hands them out (`Ledger.sql()` and the other frames): the database's
own types, one convention for time.

DuckDB and PostgreSQL name the same things differently: an ID is UBIGINT on one and
NUMERIC(20) on the other, a sum HUGEINT or NUMERIC, a time TIMESTAMP (UTC by quota's
convention) or TIMESTAMPTZ. Each answer is Arrow, typed from what the database declared (so a
column of nulls keeps its type), then made alike: IDs uint64, whole sums int64 where they fit
(else decimal), every time timestamp[us, UTC].
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

UTC_MICROS = ("us", "UTC")

# PostgreSQL type OIDs and their Arrow types; NUMERIC (1700) is read by its precision and
# scale (quota.store.postgres), and anything else as what its values are.
_PG = {
    16: "bool_", 20: "int64", 21: "int16", 23: "int32", 26: "int64", 700: "float32", 701: "float64",
    18: "string", 19: "string", 25: "string", 114: "string", 1042: "string", 1043: "string", 3802: "string",
    2950: "string", 1082: "date32", 1114: "timestamp", 1184: "timestamp",
}  # fmt: skip


def arrow_type_of_pg(oid: int) -> pa.DataType | None:
    import pyarrow as pa

    name = _PG.get(oid)
    if name is None:
        return None
    if name == "timestamp":
        return pa.timestamp(*UTC_MICROS)
    return getattr(pa, name)()


def normalized(table: pa.Table) -> pa.Table:
    """`table` with every time as timestamp[us, UTC] (a zone-less time is UTC), every whole
    decimal or 128-bit integer (a sum) as int64 where all its values fit, and no null-typed
    column (text, for a NULL the query wrote as such)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for field, column in zip(table.schema, table.columns, strict=True):
        t = field.type
        if pa.types.is_timestamp(t):
            column = column.cast(pa.timestamp("us", tz=t.tz)) if t.unit != "us" else column
            column = pc.assume_timezone(column, "UTC") if t.tz is None else column.cast(pa.timestamp(*UTC_MICROS))
        elif pa.types.is_decimal(t) and t.scale == 0:
            low, high = pc.min(column).as_py(), pc.max(column).as_py()
            if (low is None or low >= -(2**63)) and (high is None or high < 2**63):
                column = column.cast(pa.int64())
        elif pa.types.is_null(t):
            column = column.cast(pa.string())
        columns.append(column)
    return pa.table(columns, names=table.column_names)
