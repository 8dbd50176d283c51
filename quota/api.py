"""The library's face: `from quota import Ledger, strip`.

A `Ledger` is a ledger by its place (a DuckDB file or a PostgreSQL URL). It holds nothing
open: each call opens a session of its own and closes it, so a notebook that keeps a Ledger
blocks no exporter. Answers are Polars DataFrames, built from the database's Arrow results;
Polars is imported only when an answer is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import UsageError
from quota.ids import Kind
from quota.store import resolve
from quota.store.session import Session
from quota.times import parse_iso, utc_naive

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from quota.exports import ExportResult
    from quota.store.copy import CopyReport
    from quota.store.verify import VerifyReport
    from quota.stripping import InputReport


def _frame(table: pa.Table) -> pl.DataFrame:
    """Every answer through one door: the types of quota.answers (times datetime[us, UTC])."""
    import polars as pl

    from quota.answers import normalized

    frame = pl.from_arrow(normalized(table))
    assert isinstance(frame, pl.DataFrame)
    return frame


# Columns that hold times, in the rows the library computes in Python: typed as times even
# when every value is null.
_TIMES = frozenset({"at", "deadline", "window_start", "period_from", "period_until", "valid_from", "valid_until"})


def _rows_frame(
    rows: list[dict[str, Any]], columns: Sequence[str], ids: Sequence[str] = (), counts: Sequence[str] = ()
) -> pl.DataFrame:
    """Rows the library computed in Python, through Arrow; `ids`: columns of IDs (uint64);
    `counts`: whole numbers (int64) that may all be null."""
    import pyarrow as pa

    arrays = []
    for c in columns:
        values = [r.get(c) for r in rows]
        if c in ids:
            arrays.append(pa.array([None if v is None else int(v) for v in values], pa.uint64()))
        elif c in _TIMES or c.endswith("_at"):
            # naive: UTC, as the ledger keeps time; an event's recorded_at is its ISO text
            times = [parse_iso(v) if isinstance(v, str) else v for v in values]
            arrays.append(pa.array([utc_naive(t) if t is not None else None for t in times], pa.timestamp("us")))
        elif c in counts:
            arrays.append(pa.array([None if v is None else int(v) for v in values], pa.int64()))
        else:
            array = pa.array(values)
            arrays.append(array.cast(pa.string()) if pa.types.is_null(array.type) else array)
    return _frame(pa.table(arrays, names=list(columns)))


def _kinds(ids: str | Iterable[str]) -> frozenset[Kind]:
    from quota.stripping import parse_kinds

    return parse_kinds(ids if isinstance(ids, str) else ",".join(ids))


class Ledger:
    """A ledger by its place. `Ledger.open(url_or_path)` checks that it is one."""

    def __init__(self, place: str | Path | None = None, *, wait: float = 60.0) -> None:
        self.place = resolve(place)
        self.wait = wait

    @classmethod
    def open(cls, url_or_path: str | Path | None = None, *, create: bool = False, wait: float = 60.0) -> Ledger:
        """The ledger at a path or PostgreSQL URL (None: $QUOTA_DB, else the per-user file).
        With `create`, made (or upgraded) first, as `quota init` does."""
        ledger = cls(url_or_path, wait=wait)
        with Session.open(ledger.place, write=create, create=create, wait=wait):
            pass
        return ledger

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        """Nothing to close: every call closed its own session."""

    def __repr__(self) -> str:
        return f"Ledger({str(self.place)!r})"

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session.open(self.place, wait=self.wait) as session:
            yield session

    # -------------------------------------------------------------- answers

    def usage(self, entity: str | None = None, at: datetime | None = None) -> pl.DataFrame:
        """Per entity (and group): the Post IDs in the 30 days to `at` (default now), the cap,
        the headroom and when more fit."""
        from quota import usage

        with self._read() as session:
            rows = usage.usage(session, entity, at or session.now(), None)
        return _rows_frame(rows, usage.USAGE_COLUMNS)

    def exports(
        self,
        entity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        state: str | None = None,
    ) -> pl.DataFrame:
        """Every distribution (the `exports` view), oldest first."""
        where, params = [], []
        for column, op, value in (("entity", "=", entity), ('"at"', ">=", since), ('"at"', "<", until),
                                  ("state", "=", state)):  # fmt: skip
            if value is not None:
                where.append(f"{column} {op} ?")
                params.append(utc_naive(value) if isinstance(value, datetime) else value)
        condition = ("WHERE " + " AND ".join(where)) if where else ""
        with self._read() as session:
            session.views(upto="exports")
            table = session.arrow("exports_view_listed", params, condition=condition)
        return _frame(table)

    def who_received(self, ids: Iterable[int | str], kind: str | None = None) -> pl.DataFrame:
        """Every delivery of each ID (committed, open or void; not released), by ID then time.
        `kind`: post, user or dm (IDs of a declared kind match under every kind)."""
        from quota import received
        from quota.ids import id_problem

        asked = []
        for i in ids:
            if (problem := id_problem(str(i))) is not None:
                raise UsageError(f"{str(i)[:40]!r} is not an ID: {problem}")
            asked.append(int(i))
        if not asked:
            raise UsageError("give at least one ID")
        with self._read() as session:
            rows = received.who_received(session, asked, kind)
        return _rows_frame(rows, received.COLUMNS, ids=("id",))

    def delivered_ids(
        self, entity: str | None = None, export_id: str | None = None, kind: str | None = None
    ) -> pl.DataFrame:
        """Every ID each recipient holds (the `delivered_ids` view), filtered."""
        where, params = [], []
        for column, value in (("entity", entity), ("export_id", export_id), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        condition = ("WHERE " + " AND ".join(where)) if where else ""
        with self._read() as session:
            session.views(upto="delivered_ids")
            table = session.arrow("delivered_ids_listed", params, condition=condition)
        return _frame(table)

    def sql(self, query: str, timeout: float = 30.0) -> pl.DataFrame:
        """One read-only SELECT over the ledger's tables and views, locked down as `quota sql` is,
        typed as the database declares (quota.answers): IDs UInt64, counts and sums Int64 (a sum
        past 2^63 Decimal), decimals Decimal, times datetime[us, UTC] on both backends."""
        from quota import sqlquery

        with self._read() as session:
            return _frame(sqlquery.table(session, query, timeout))

    def notices(self, at: datetime | None = None, everything: bool = False) -> pl.DataFrame:
        """Open deletion notices (`quota notice list`): one row per notice and entity still to
        be told (with `everything`, told ones too), overdue first."""
        from quota import notices

        with self._read() as session:
            found = notices.open_notices(session, at or session.now(), everything)
        return _rows_frame(
            notices.flat(found), ["notice_id", "deadline", "overdue", "entity", "ids", "told_at"], counts=["ids"]
        )

    def requests(self, state: str | None = None) -> pl.DataFrame:
        """Researchers' requests (`quota request list`) with their state and counts."""
        import json

        from quota import requests

        with self._read() as session:
            rows = requests.listing(session, (state,) if state else ())
        for r in rows:
            r["filters"] = json.dumps(r["filters"], sort_keys=True)
        counts = [c for c in REQUEST_COLUMNS if c.endswith("_ids") and c != "export_ids"]
        return _rows_frame(rows, REQUEST_COLUMNS, counts=counts)

    def datasets(self) -> pl.DataFrame:
        """The registered datasets (`quota dataset list`)."""
        from quota import datasets

        with self._read() as session:
            rows = datasets.listing(session)
        return _rows_frame(rows, datasets.COLUMNS, counts=["post_ids", "user_ids", "inputs"])

    def entities(self) -> pl.DataFrame:
        """The recipients (`quota entity list`): terms accepted, persons."""
        from quota import registry

        with self._read() as session:
            rows = registry.entities(session)
        return _rows_frame(rows, ["entity", "name", "kind", "terms_accepted_at", "persons"], counts=["persons"])

    def report(
        self, path: str | Path, since: datetime | None = None, until: datetime | None = None, fmt: str | None = None
    ) -> dict[str, Any]:
        """Write the compliance report (`quota report`) to `path` (HTML, or JSON for a .json path
        or fmt="json") and return its document; `doc["ledger"]["verified"]` says whether the
        ledger passed the report's checks (the file says so at its top when not)."""
        from quota import report

        out = Path(path)
        with self._read() as session:
            return report.write(
                session, out, fmt or ("json" if out.suffix.lower() == ".json" else "html"), since, until
            )

    # -------------------------------------------------------------- acts

    def export(
        self,
        inputs: Sequence[str | Path],
        to: str,
        out: str | Path,
        *,
        ids: str | Iterable[str] = "post",
        person: str | None = None,
        at: datetime | None = None,
        export_id: str | None = None,
        exemption: str | None = None,
        dry_run: bool = False,
        force: bool = False,
        contact: str | None = None,
    ) -> ExportResult:
        """Strip `inputs`, check the IDs against `to`'s cap (or `exemption`), write them to `out`
        and record them: the export protocol of `quota export`. `contact`: whom the recipient
        contacts about deletion notices (its README says; default $QUOTA_CONTACT)."""
        import os

        from quota import exports
        from quota.output import OutputOptions
        from quota.readers.records import Want
        from quota.stripping import StripOptions

        plan = exports.ExportPlan(
            inputs=tuple(str(i) for i in inputs), entity=to, outdir=Path(out),
            strip_opts=StripOptions(want=Want(_kinds(ids))), out_opts=OutputOptions(),
            person=person, exemption=exemption, contact=contact or os.environ.get("QUOTA_CONTACT"),
            export_id=export_id, at=at, dry_run=dry_run, force=force,
        )  # fmt: skip
        return exports.export(plan, exports.LedgerAt(self.place, self.wait, lambda m: None))

    def verify(self, checkpoint: str | None = None, since: str | None = None) -> VerifyReport:
        """The whole proof (`quota ledger verify`); with `checkpoint`'s text, that the ledger
        extends it; with `since` (a checkpoint's text), only what came after it is verified
        (`quota ledger verify --since`)."""
        with self._read() as session:
            return session.verify(checkpoint=checkpoint, since=since)

    def checkpoint(self) -> str:
        with self._read() as session:
            return session.checkpoint()

    def copy_to(self, to: str | Path) -> CopyReport:
        """This whole ledger into a new file or PostgreSQL schema, verified (`quota ledger copy`)."""
        with self._read() as session:
            return session.copy_to(to, self.wait)


REQUEST_COLUMNS = [
    "request_id", "state", "dataset", "person", "entity", "exemption", "requested_post_ids", "delivered_post_ids",
    "left_post_ids", "withheld_post_ids", "requested_user_ids", "delivered_user_ids", "export_ids", "kinds",
    "purpose", "filters", "selection_sha256", "submitted_by", "submitted_at", "decided_by", "decided_at", "note",
]  # fmt: skip


@dataclass
class StripResult:
    """What `strip` found: the unique IDs of each kind asked for, ascending, and each input's
    account (lines, IDs read, duplicates, bad lines, its sha256)."""

    ids: dict[str, pa.Array]
    inputs: list[InputReport]

    def frame(self, kind: str = "post") -> pl.DataFrame:
        import pyarrow as pa

        return _frame(pa.table({"id": self.ids[kind]}))


def strip(
    inputs: Sequence[str | Path],
    ids: str | Iterable[str] = "post",
    *,
    fmt: str | None = None,
    id_column: str | None = None,
    referenced: bool = False,
    skip_bad: bool = False,
) -> StripResult:
    """Any X export down to its unique IDs, exactly as `quota strip` reads it (in memory:
    for files the size of a delivery; `quota strip` writes larger ones to disk)."""
    from quota import stripping as strip_mod
    from quota.readers.records import Want

    opts = strip_mod.StripOptions(want=Want(_kinds(ids), referenced), fmt=fmt, id_column=id_column, skip_bad=skip_bad)
    with strip_mod.strip([str(i) for i in inputs], opts) as stripped:
        found = {k.value: stripped.arrow(k) for k in sorted(stripped.want.kinds, key=lambda k: k.value)}
        return StripResult(found, list(stripped.inputs))
