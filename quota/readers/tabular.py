"""CSV (twarc-csv columns, or any CSV with a named ID column) and Parquet."""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from quota.errors import BadInput, UsageError, flag
from quota.ids import Kind, id_problem
from quota.readers.records import Problem, ReadResult, Role, Rows, Sink, Want
from quota.readers.source import LINE_LIMIT, Source, mib

# twarc-csv's column names (twarc2 csv), by the role of the IDs they hold.
TWARC_COLUMNS: dict[Role, tuple[str, ...]] = {
    Role.AUTHOR: ("author_id", "author.id"),
    Role.POST_REF: (
        "referenced_tweets.replied_to.id",
        "referenced_tweets.retweeted.id",
        "referenced_tweets.quoted.id",
    ),
    Role.AUTHOR_REF: ("in_reply_to_user_id", "retweeted_user_id", "quoted_user_id"),
}
ROLE_OF_KIND = {Kind.POST: Role.POST, Kind.USER: Role.USER, Kind.DM: Role.DM}
# Columns by which a header says its rows are posts or users (the v2 recognition rule).
TYPED_COLUMNS = ("text", "author_id", "author.id", "edit_history_tweet_ids", "conversation_id", "username")


def declared(header: list[str], id_column: str | None) -> bool:
    """Whether the kind of the IDs read is the operator's word rather than the file's."""
    return id_column is not None or not any(name in header for name in TYPED_COLUMNS)


@dataclass(frozen=True)
class Column:
    index: int
    name: str
    role: Role
    required: bool


def plan_columns(source: str, header: list[str], want: Want, id_column: str | None) -> list[Column]:
    """Which columns to read, and whether an empty cell there is an error."""
    pos = {name: i for i, name in reversed(list(enumerate(header)))}
    if id_column is not None:
        if len(want.kinds) != 1:
            raise UsageError(
                flag(
                    "--id-column names one column, so --ids must", "an ID column is one column, so the kinds asked for"
                )
                + " name exactly one kind"
            )
        if id_column not in pos:
            raise BadInput(source, f"has no column named {id_column!r} (columns: {', '.join(header[:12])})")
        (kind,) = want.kinds
        return [Column(pos[id_column], id_column, ROLE_OF_KIND[kind], True)]
    if "id" not in pos:
        raise BadInput(source, "has no 'id' column: name the column that holds the IDs" + flag(" with --id-column", ""))
    is_users = "username" in pos and "author_id" not in pos and "text" not in pos
    if is_users:
        return [Column(pos["id"], "id", Role.USER, True)]
    cols = [Column(pos["id"], "id", Role.POST, True)]
    roles = want.roles()
    for role, names in TWARC_COLUMNS.items():
        if role not in roles:
            continue
        present = [n for n in names if n in pos]
        if role is Role.AUTHOR:
            if not present:
                raise BadInput(source, "has no author_id column, so it cannot give User IDs")
            cols.append(Column(pos[present[0]], present[0], role, True))
        else:
            cols.extend(Column(pos[n], n, role, False) for n in present)
    return cols


def _bounded(text: io.TextIOWrapper, name: str) -> Iterator[str]:
    """Lines for the csv module, none longer than a line of X data can be."""
    n = 0
    while line := text.readline(LINE_LIMIT + 1):
        n += 1
        if len(line) > LINE_LIMIT and not line.endswith(("\n", "\r")):
            raise BadInput(name, f"the line is longer than {mib(LINE_LIMIT)} characters, so this is not X data", n)
        yield line


def read_csv(source: Source, want: Want, skip_bad: bool, id_column: str | None, sink: Sink | None = None) -> ReadResult:
    result = ReadResult(rows=[], sink=sink)
    try:
        with source.open() as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.reader(_bounded(text, source.name), strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise BadInput(source.name, "is empty") from None
            cols = plan_columns(source.name, header, want, id_column)
            result.declared = declared(header, id_column)
            width = len(header)
            last = reader.line_num
            for record in reader:
                start, last = last + 1, reader.line_num
                if not record or record == [""]:
                    continue
                result.lines += 1
                try:
                    rows: Rows = []
                    if len(record) != width:
                        raise Problem(f"the row has {len(record)} fields, the header has {width}")
                    for c in cols:
                        cell = record[c.index]
                        if cell == "" and not c.required:
                            continue
                        problem = id_problem(cell)
                        if problem is not None:
                            raise Problem(f"column {c.name}: {problem}")
                        rows.append((int(c.role), cell))
                except Problem as p:
                    if not skip_bad:
                        raise BadInput(source.name, str(p), start) from None
                    result.note_bad(start, str(p))
                    continue
                result.add(rows)
    except csv.Error as e:
        raise BadInput(source.name, f"is not valid CSV ({e})", last + 1) from None
    except UnicodeDecodeError:
        raise BadInput(source.name, "is not UTF-8 text", last + 1) from None
    except (EOFError, zlib.error) as e:
        raise BadInput(source.name, f"the gzip data is damaged or truncated ({e})") from e
    return result


def read_parquet(
    source: Source, want: Want, skip_bad: bool, id_column: str | None, sink: Sink | None = None
) -> ReadResult:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(source.path)
    except (pa.ArrowException, OSError) as e:
        raise BadInput(source.name, f"is not a readable Parquet file ({e})") from None
    schema = pf.schema_arrow
    cols = plan_columns(source.name, list(schema.names), want, id_column)
    for c in cols:
        t = schema.field(c.name).type
        if pa.types.is_floating(t) or pa.types.is_decimal(t):
            raise BadInput(source.name, f"column {c.name} holds {t} numbers, which cannot carry 64-bit IDs exactly")
        if not (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t)):
            raise BadInput(source.name, f"column {c.name} has type {t}, not integers or strings")
    result = ReadResult(rows=[], sink=sink, declared=declared(list(schema.names), id_column))
    row0 = 0
    for batch in pf.iter_batches(batch_size=65536, columns=sorted({c.name for c in cols})):
        values = {c.name: batch.column(c.name).to_pylist() for c in cols}
        for i in range(batch.num_rows):
            result.lines += 1
            try:
                rows: Rows = []
                for c in cols:
                    v = values[c.name][i]
                    if v is None and not c.required:
                        continue
                    text = str(v) if isinstance(v, int) else v
                    problem = id_problem(text)
                    if problem is not None:
                        raise Problem(f"column {c.name}: {problem}")
                    rows.append((int(c.role), text))
            except Problem as p:
                if not skip_bad:
                    raise BadInput(source.name, str(p), row0 + i + 1, unit="row") from None
                result.note_bad(row0 + i + 1, str(p))
                continue
            result.add(rows)
        row0 += batch.num_rows
    return result
