"""Inputs -> de-duplicated, sorted ID sets, with an account of every input.

The IDs of all inputs gather in a scratch DuckDB table (input, role, id) as unsigned
64-bit integers; nothing on the way is a float. `strip()` is what `quota strip` and, later,
`quota export` call before anything touches the ledger.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from quota.errors import BadInput, UsageError, flag
from quota.ids import Kind, spreadsheet_rounded
from quota.readers import FORMATS, detect, fast
from quota.readers.records import KIND_OF_ROLE, ReadResult, Role, Rows, Sink, Want
from quota.readers.source import Source
from quota.scratch import WorkDir

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa


class Progress(Protocol):
    total: int  # bytes over all inputs

    def begin(self, name: str, size: int, con: Any = None) -> None: ...
    def end(self) -> None: ...


@dataclass
class InputReport:
    path: str
    bytes: int
    sha256: str
    format: str
    compression: str | None
    lines: int
    posts_read: int
    users_read: int
    dms_read: int
    ids_read: dict[str, int]
    duplicates_dropped: int
    bad_lines: int
    first_bad_lines: list[dict[str, Any]]
    reader: str  # "fast" (DuckDB) or "careful" (line by line)
    declared: bool  # its IDs' kind is the operator's --ids, not the file's (see ReadResult)

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class StripOptions:
    want: Want
    fmt: str | None = None
    id_column: str | None = None
    skip_bad: bool = False
    threads: int | None = None
    memory_limit: str = "1GB"
    # Where DuckDB spills and stdin is copied: the caller's work directory beside its output.
    # None: a work directory of strip's own in the system's temporary directory.
    scratch: Path | None = None
    # Fields of the posts to keep from the fast reader's parse, for a request's filters.
    keep: fast.Keep | None = None


@dataclass
class Stripped:
    """The result: per-kind ID sets held in DuckDB until written, and the inputs' account."""

    con: duckdb.DuckDBPyConnection
    want: Want
    inputs: list[InputReport]
    seconds: float
    _dir: Path = field(repr=False)  # strip's scratch: spill files, copies of pipes
    _own: WorkDir | None = field(repr=False)  # the work directory holding it, when strip made one
    # Per kind: the scratch table of its unique IDs (or of those kept) and their count.
    _unique: dict[str, tuple[str, int]] = field(default_factory=dict, repr=False)
    _found: dict[str, int] = field(default_factory=dict, repr=False)  # unique IDs before any keep
    # A request's choice (quota.choosing): a table (id, author, rank) ranking the Post IDs to
    # deliver, rank 1, 2, ... without gaps. Its User IDs are the authors of the Post IDs kept,
    # and keeping takes a prefix of the ranking.
    _ranked: str | None = field(default=None, repr=False)
    # Per kind: unique IDs left out because a deletion notice names them (see withhold).
    _withheld: dict[str, int] = field(default_factory=dict, repr=False)
    # Per input number: the table of the fields the fast reader kept of its posts (StripOptions.keep).
    _kept: dict[int, str] = field(default_factory=dict, repr=False)

    def kept_fields(self, input_no: int) -> str | None:
        """The table of the posts' fields kept from input `input_no`'s parse, if kept."""
        return self._kept.get(input_no)

    def roles(self, kind: Kind) -> list[int]:
        return sorted(int(r) for r in self.want.roles() if KIND_OF_ROLE[r] is kind)

    def unique(self, kind: Kind) -> tuple[str, int]:
        """A scratch table of the unique IDs of `kind` in ascending order, and their count."""
        if kind.value not in self._unique:
            table = f"unique_{kind.value}"
            roles = ",".join(map(str, self.roles(kind)))
            # Scans of the table, and COPY from it, must keep the sorted order.
            self.con.execute("SET preserve_insertion_order = true")
            self.con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT DISTINCT id FROM ids WHERE role IN ({roles}) ORDER BY id"
            )
            self._unique[kind.value] = (table, self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
            self._found[kind.value] = self._unique[kind.value][1]
        return self._unique[kind.value]

    def found(self, kind: Kind) -> int:
        """How many unique IDs of `kind` the inputs hold, whatever `keep` kept of them."""
        self.unique(kind)
        return self._found[kind.value]

    def rank(self, table: str) -> None:
        """Deliver the Post IDs of `table` (id, author, rank) in its order, with their authors."""
        for kind in self.want.kinds:
            self.unique(kind)  # what the inputs hold, for the manifest, before the choice
        self._ranked = table
        self._prefix(None)

    def _prefix(self, n: int | None) -> None:
        ranked, cut = self._ranked, "true" if n is None else f"rank <= {int(n)}"
        size = "all" if n is None else int(n)
        posts, users = f"chosen_post_{size}", f"chosen_user_{size}"
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {posts} AS SELECT id FROM {ranked} WHERE {cut} ORDER BY id")
        self._unique[Kind.POST.value] = (posts, self.con.execute(f"SELECT count(*) FROM {posts}").fetchall()[0][0])
        if Kind.USER in self.want.kinds:
            self.con.execute(
                f"""CREATE OR REPLACE TEMP TABLE {users} AS SELECT DISTINCT author AS id FROM {ranked}
                    WHERE {cut} AND author IS NOT NULL ORDER BY id"""
            )
            self._unique[Kind.USER.value] = (users, self.con.execute(f"SELECT count(*) FROM {users}").fetchall()[0][0])

    def withhold(self, kind: Kind, noticed: pa.Table) -> tuple[int, list[str]]:
        """Leave out the IDs of `kind` that `noticed` (notice_id, id) holds: what X said is gone
        never leaves again. Before any keep or cut; for a ranking, its Post IDs leave it (the
        ranks close up) and its authors stop being delivered. How many unique IDs went, and the
        notices that named them."""
        table, count = self.unique(kind)
        self.con.register("noticed_ids", noticed)
        try:
            if self._ranked is None:
                source = table
            elif kind is Kind.POST:
                source = self._ranked
            else:
                source = f"(SELECT DISTINCT author AS id FROM {self._ranked})"
            hit = self.con.execute(
                f"SELECT DISTINCT notice_id FROM noticed_ids WHERE id IN (SELECT id FROM {source}) ORDER BY 1"
            ).fetchall()
            n = len(self._withheld)
            if self._ranked is None:
                kept = f"withheld_{kind.value}_{n}"
                self.con.execute(
                    f"""CREATE TEMP TABLE {kept} AS SELECT id FROM {table}
                        WHERE id NOT IN (SELECT id FROM noticed_ids) ORDER BY id"""
                )
                left = self.con.execute(f"SELECT count(*) FROM {kept}").fetchall()[0][0]
                self._unique[kind.value] = (kept, left)
                gone = count - left
            else:
                ranked = f"ranked_withheld_{kind.value}_{n}"
                if kind is Kind.POST:
                    sql = f"""SELECT id, author, row_number() OVER (ORDER BY rank) AS rank FROM {self._ranked}
                              WHERE id NOT IN (SELECT id FROM noticed_ids)"""
                else:
                    sql = f"""SELECT id, CASE WHEN author IN (SELECT id FROM noticed_ids) THEN NULL ELSE author END
                              AS author, rank FROM {self._ranked}"""
                before = self.con.execute(
                    f"SELECT count(DISTINCT {'id' if kind is Kind.POST else 'author'}) FROM {self._ranked}"
                ).fetchall()[0][0]
                self.con.execute(f"CREATE TEMP TABLE {ranked} AS {sql}")
                after = self.con.execute(
                    f"SELECT count(DISTINCT {'id' if kind is Kind.POST else 'author'}) FROM {ranked}"
                ).fetchall()[0][0]
                self._ranked = ranked
                self._prefix(None)
                gone = before - after
        finally:
            self.con.unregister("noticed_ids")
        self._withheld[kind.value] = self._withheld.get(kind.value, 0) + gone
        return gone, [str(r[0]) for r in hit] if gone else []

    def withheld(self, kind: Kind) -> int:
        return self._withheld.get(kind.value, 0)

    def fitting(self, posts: int, users: int | None) -> int:
        """How many Post IDs a cut to at most `posts` Post IDs and `users` User IDs keeps: `posts`,
        unless the User IDs are the authors of a ranking (then the longest prefix whose authors
        number at most `users`)."""
        if self._ranked is None or users is None or Kind.USER not in self.want.kinds:
            return posts
        # A prefix of length k holds the authors first seen at rank <= k: it grows past `users`
        # authors at the (users + 1)-th first sighting.
        row = self.con.execute(
            f"""SELECT r FROM (SELECT min(rank) AS r FROM {self._ranked} WHERE author IS NOT NULL GROUP BY author)
                ORDER BY r LIMIT 1 OFFSET {int(users)}"""
        ).fetchall()
        return posts if not row else min(posts, int(row[0][0]) - 1)

    def cut(self, posts: int, users: int | None, seed: str | None = None) -> None:
        """Keep the first `posts` Post IDs in delivery order and at most `users` User IDs (the
        lowest; or, for a ranking, the authors of the Post IDs kept: see `fitting`)."""
        if self._ranked is not None:
            self._prefix(self.fitting(posts, users))
            return
        if Kind.POST in self.want.kinds:
            self.keep(Kind.POST, posts, seed)
        if users is not None and Kind.USER in self.want.kinds:
            self.keep(Kind.USER, users)

    def keep(self, kind: Kind, n: int, seed: str | None = None) -> int:
        """Keep only the first `n` unique IDs of `kind` in delivery order: ascending (the oldest
        first: IDs grow with time), or with a `seed`, the order of sha256("SEED:ID") (a sample
        anyone can draw again). The first m of what is kept are the first m of all, so keeping
        again with the same seed takes a prefix. What stays is written ascending, as always."""
        assert self._ranked is None, "a ranking is cut as a whole (cut)"
        table, count = self.unique(kind)
        if n >= count:
            return count
        kept = f"kept_{kind.value}_{int(n)}"  # each keep holds fewer: a new name
        order = "id" if seed is None else "sha256(? || ':' || id::VARCHAR), id"
        self.con.execute(
            f"CREATE TEMP TABLE {kept} AS SELECT id FROM (SELECT id FROM {table} ORDER BY {order} LIMIT {int(n)}) "
            "ORDER BY id",
            [seed] if seed is not None else [],
        )
        self._unique[kind.value] = (kept, max(n, 0))
        return max(n, 0)

    def write_ids(self, kind: Kind, path: Path) -> int:
        """The unique IDs of `kind`, ascending, one per line, to `path`; their count."""
        table, n = self.unique(kind)
        self.con.execute(f"COPY (SELECT id FROM {table}) TO ? (FORMAT csv, HEADER false)", [str(path)])
        return n

    def arrow(self, kind: Kind) -> pa.Array:
        """The unique IDs of `kind`, ascending, as an Arrow uint64 array (the public API's)."""
        table, _ = self.unique(kind)
        return self.con.sql(f"SELECT id FROM {table}").to_arrow_table().column("id").combine_chunks()

    def ids(self, kind: Kind) -> list[int]:
        """The unique IDs of `kind`, ascending, in memory (for small inputs: who-received, import)."""
        table, _ = self.unique(kind)
        return [int(i) for (i,) in self.con.execute(f"SELECT id FROM {table}").fetchall()]

    def sources(self) -> dict[str, str]:
        """Per kind asked for: "declared" when any input gave IDs of it by the operator's word
        alone (a plain list, an ID column), else "typed" (every ID came from an object that
        says what it is)."""
        out = {}
        for kind in sorted(self.want.kinds, key=lambda k: k.value):
            word = any(r.declared and r.ids_read.get(kind.value, 0) for r in self.inputs)
            out[kind.value] = "declared" if word else "typed"
        return out

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self._dir, ignore_errors=True)
        if self._own is not None:
            self._own.close()

    def __enter__(self) -> Stripped:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(opts: StripOptions, scratch: str) -> duckdb.DuckDBPyConnection:
    import duckdb

    config: dict[str, Any] = {
        "threads": opts.threads or os.cpu_count() or 1,
        "memory_limit": opts.memory_limit,
        "temp_directory": scratch,
        "preserve_insertion_order": False,
        "enable_external_access": True,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
    }
    con = duckdb.connect(":memory:", config=config)
    con.execute("CREATE TABLE ids (input UINTEGER, role UTINYINT, id UBIGINT, bad BOOLEAN)")
    return con


def _careful(source: Source, fmt: str, opts: StripOptions, sink: Sink | None = None) -> ReadResult:
    """The line-by-line reader of `fmt`; with a sink, rows go there in batches."""
    from quota.readers import DOCUMENTS, arrays, documents, idlist, jsonl, tabular, v1, v2

    want, skip = opts.want, opts.skip_bad
    if fmt in ("v2-pages", "dm-events"):
        result = jsonl.read(source, v2.page, want, skip, sink)
    elif fmt == "v2-flat":
        result = jsonl.read(source, v2.flat, want, skip, sink)
    elif fmt == "v1":
        result = jsonl.read(source, v1.post, want, skip, sink)
    elif fmt == "v1-array":
        result = arrays.read_v1_array(source, want, skip, sink)
    elif fmt == "v1-dms":
        result = jsonl.read(source, v1.dm, want, skip, sink)
    elif fmt == "v1-dm-array":
        result = arrays.read_v1_dm_array(source, want, skip, sink)
    elif fmt == "archive-zip":
        result = arrays.read_archive_zip(source, want, skip, sink)
    elif fmt in DOCUMENTS:
        result = documents.read(source, want, skip, sink)
    elif fmt == "archive":
        result = arrays.read_archive(source, want, skip, sink)
    elif fmt == "csv":
        result = tabular.read_csv(source, want, skip, opts.id_column, sink)
    elif fmt == "parquet":
        result = tabular.read_parquet(source, want, skip, opts.id_column, sink)
    elif fmt == "ids":
        if len(want.kinds) != 1:
            raise UsageError(
                f"{source.name} is a plain ID list, which holds one kind of ID: "
                + flag("name it with --ids", "ask for exactly one kind of ID")
            )
        (kind,) = want.kinds
        role = {Kind.POST: Role.POST, Kind.USER: Role.USER, Kind.DM: Role.DM}[kind]
        result = idlist.read(source, role, skip, sink)
    else:
        raise UsageError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    result.flush()
    return result


# What share of an input's long IDs (18 digits or more, as every post since 2013 has) may have
# only zeros past the 15th digit before the input is judged rounded by a spreadsheet: by
# chance, 1 in 1,000 of 18-digit IDs and 1 in 10,000 of 19-digit ones; after Excel, all of
# them. Half tells the two apart without refusing a short real list for one such ID. (Shorter IDs lose too few digits to tell: a 16-digit ID ends in 0 one time in ten.)
ROUNDED_SHARE = 0.5
_ROUNDED = """length(id::VARCHAR) BETWEEN 18 AND 20
    AND substr(id::VARCHAR, 16) = repeat('0', length(id::VARCHAR) - 15)"""


def _refuse_rounded(con: duckdb.DuckDBPyConnection, no: int, source: Source, result: ReadResult, skip: bool) -> None:
    """A list or CSV whose long IDs went through a spreadsheet as numbers: refused (exit 4),
    naming the first such ID's line; with --skip-bad those IDs are left out and counted."""
    long, rounded = con.execute(
        f"""SELECT count(*) FILTER (WHERE id >= 100000000000000000), count(*) FILTER (WHERE {_ROUNDED})
            FROM ids WHERE input = ?""",
        [no],
    ).fetchall()[0]
    if not rounded or rounded <= ROUNDED_SHARE * long:
        return
    line, first = _first_rounded(source)
    why = (
        f"ID {first} has only 15 significant digits (all Excel keeps of a number), as have {rounded:,} of the "
        f"{long:,} IDs of 18 digits or more here: a spreadsheet rounded them (export the column as text)"
    )
    if not skip:
        raise BadInput(source.name, why, line)
    con.execute(f"DELETE FROM ids WHERE input = ? AND {_ROUNDED}", [no])
    result.bad_lines += rounded
    result.first_bad = [*(result.first_bad or []), (line or 0, why)][:5]


_LONG_ID = re.compile(rb"(?<![0-9])[1-9][0-9]{17,19}(?![0-9])")


def _first_rounded(source: Source) -> tuple[int | None, str]:
    """The line and text of the input's first rounded ID (for a message; read only to refuse)."""
    with source.open() as f:
        for n, raw in enumerate(f, start=1):
            for m in _LONG_ID.finditer(raw):
                if spreadsheet_rounded(value := m.group(0).decode()):
                    return n, value
    return None, "?"


def _insert_rows(con: duckdb.DuckDBPyConnection, input_no: int, rows: Rows) -> None:
    import pyarrow as pa

    if not rows:
        return
    roles, ids = zip(*rows, strict=True)
    table = pa.table(
        {
            "input": pa.array([input_no] * len(roles), pa.uint32()),
            "role": pa.array(roles, pa.uint8()),
            # Strings already checked canonical; Arrow parses them as integers, exactly.
            "id": pa.array(ids, pa.string()).cast(pa.uint64()),
            "bad": pa.array([False] * len(roles), pa.bool_()),
        }
    )
    con.register("incoming", table)
    try:
        con.execute("INSERT INTO ids SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def _account(con: duckdb.DuckDBPyConnection, input_no: int, want: Want) -> tuple[dict[int, int], dict[str, int], int]:
    """Records read per role, IDs read per kind, duplicates within the input."""
    per_role = dict(con.execute("SELECT role, count(*) FROM ids WHERE input = ? GROUP BY role", [input_no]).fetchall())
    ids_read: dict[str, int] = {}
    dups = 0
    for kind in sorted(want.kinds, key=lambda k: k.value):
        roles = [int(r) for r in want.roles() if KIND_OF_ROLE[r] is kind]
        n, unique = con.execute(
            f"SELECT count(*), count(DISTINCT id) FROM ids WHERE input = ? AND role IN ({','.join(map(str, roles))})",
            [input_no],
        ).fetchall()[0]
        ids_read[kind.value] = int(n)
        dups += int(n) - int(unique)
    return per_role, ids_read, dups


def strip(inputs: Sequence[str], opts: StripOptions, progress: Progress | None = None) -> Stripped:
    """Read every input; BadInput (exit 4) on the first bad line unless `skip_bad`."""
    if not inputs:
        raise UsageError("give at least one input file (or - for standard input)")
    if opts.fmt is not None and opts.fmt not in FORMATS:
        raise UsageError(f"unknown format {opts.fmt!r} (known: {', '.join(FORMATS)})")
    if list(inputs).count("-") > 1:
        raise UsageError("standard input (-) can be read only once")
    started = time.perf_counter()
    own = WorkDir() if opts.scratch is None else None
    scratch = Path(tempfile.mkdtemp(prefix="strip-", dir=opts.scratch or own.path))  # type: ignore[union-attr]
    reports: list[InputReport] = []
    sources: list[Source] = []
    kept: dict[int, str] = {}
    # One thread hashes the inputs in order while DuckDB loads and parses (hashlib drops the GIL).
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    stop_hashing = threading.Event()
    con = None
    try:
        for name in inputs:
            sources.append(Source.open_path(name, scratch))
        digests = [hasher.submit(s.hash_now, stop_hashing) for s in sources]
        con = _connect(opts, str(scratch / "duckdb"))
        if progress:
            # DuckDB tracks a query's progress only with its bar on; we draw our own.
            con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
        for no, source in enumerate(sources):
            fmt = opts.fmt or detect(source, opts.id_column)
            if progress:
                progress.begin(source.name, source.size, con)
            result: ReadResult | None = None
            reader = "fast"
            if fmt in fast.BUILDERS:
                with contextlib.suppress(fast.GiveUp):
                    result = ReadResult(
                        rows=[],
                        lines=fast.stage(con, source, fmt, opts.want, no, keep=opts.keep),
                        declared=fmt == "ids",
                    )
                    if opts.keep is not None and fmt in opts.keep.formats:
                        kept[no] = fast.kept_table(no)
            if result is None:
                reader = "careful"
                result = _careful(source, fmt, opts, partial(_insert_rows, con, no))
            if result.lines == 0 and result.bad_lines == 0:
                raise BadInput(source.name, "holds no records")
            if fmt in ("ids", "csv"):
                _refuse_rounded(con, no, source, result, opts.skip_bad)
            per_role, ids_read, dups = _account(con, no, opts.want)
            _refuse_other_kinds(source.name, per_role, ids_read)
            reports.append(
                InputReport(
                    path=source.name,
                    bytes=source.size,
                    sha256=digests[no].result() or "",
                    format=fmt,
                    compression="gzip" if source.gzip else None,
                    lines=result.lines,
                    posts_read=per_role.get(int(Role.POST), 0),
                    users_read=per_role.get(int(Role.USER), 0),
                    dms_read=per_role.get(int(Role.DM), 0),
                    ids_read=ids_read,
                    duplicates_dropped=dups,
                    bad_lines=result.bad_lines,
                    first_bad_lines=[{"line": n, "problem": p} for n, p in (result.first_bad or [])],
                    reader=reader,
                    declared=result.declared,
                )
            )
            if progress:
                progress.end()
    except BaseException:
        stop_hashing.set()
        if con is not None:
            con.close()
        shutil.rmtree(scratch, ignore_errors=True)
        if own is not None:
            own.close()
        raise
    finally:
        hasher.shutdown(wait=True)
        for s in sources:
            s.close()
    return Stripped(con, opts.want, reports, time.perf_counter() - started, scratch, own, _kept=kept)


_HELD = ((Role.POST, "post", "post"), (Role.USER, "user", "user"), (Role.DM, "DM event", "dm"))


def _refuse_other_kinds(name: str, per_role: dict[int, int], ids_read: dict[str, int]) -> None:
    """An input that gives none of the IDs asked for, while it holds objects of another kind,
    was given with the wrong --ids: refuse it rather than deliver an empty set."""
    if any(ids_read.values()):
        return
    held = [(n, noun, kind) for role, noun, kind in _HELD if (n := per_role.get(int(role), 0))]
    if held:
        what = " and ".join(f"{n:,} {noun} object{'' if n == 1 else 's'}" for n, noun, _ in held)
        kinds = ",".join(kind for _, _, kind in held)
        raise BadInput(
            name, f"holds {what} but none of the IDs asked for ({flag('--ids', 'asking for')} {kinds} would take them)"
        )


def parse_kinds(text: str) -> frozenset[Kind]:
    kinds = set()
    for part in text.split(","):
        part = part.strip().lower()
        try:
            kinds.add(Kind(part))
        except ValueError:
            raise UsageError(
                f"{flag('--ids takes', 'the kinds of IDs are')} post, user and dm separated by commas, not {part!r}"
            ) from None
    if not kinds:
        raise UsageError(f"{flag('--ids needs', 'ask for')} at least one of post, user, dm")
    return frozenset(kinds)
