"""What the commands share: the ledger and output options, time parsing, progress, wording."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from quota.cli.render import render

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from quota.cli.progress import ByteProgress
    from quota.store.session import Session

F = TypeVar("F", bound=Callable[..., Any])


def progress_bar(inputs: tuple[str, ...], quiet: bool, indefinite: bool = False) -> ByteProgress | None:
    """The progress bar of strip, export, dataset add and request deliver: on a terminal only,
    never with --quiet. `indefinite`: the library learns the inputs (a dataset's) and sets
    the total."""
    if quiet or not sys.stderr.isatty():
        return None
    from quota.cli.progress import ByteProgress

    return ByteProgress(0 if indefinite else sum(os.path.getsize(p) for p in inputs if p != "-" and os.path.isfile(p)))


# ------------------------------------------------------------------ option sets


def input_options(f: F) -> F:
    """What to read and keep: the options strip and export share."""
    for option in reversed(
        [
            click.option("--ids", "ids", default="post", show_default=True,
                         help="ID kinds to keep: post, user, dm (comma-separated)."),
            click.option("--referenced", is_flag=True,
                         help="Add referenced posts (quoted, replied-to, retweeted, includes.tweets) and, with user, "
                         "their authors."),
            click.option("--format", "fmt", default=None,
                         help="Input format instead of detecting it: v2-pages, v2-document, v2-array, dm-events, "
                         "v2-flat, v1, v1-array, v1-document, archive, csv, parquet, ids."),
            click.option("--id-column", default=None,
                         help="CSV/Parquet column holding the IDs (of the one kind given by --ids)."),
            click.option("--skip-bad", is_flag=True,
                         help="Skip bad lines (counted and listed in the summary and manifest) instead of stopping."),
        ]
    ):  # fmt: skip
        f = option(f)
    return f


def output_options(f: F) -> F:
    """How the ID files are written: the options strip and export share."""
    for option in reversed(
        [
            click.option("--out-format", type=click.Choice(["txt", "csv", "parquet"]), default="txt",
                         show_default=True, help="The ID files: one ID per line, a CSV column, or Parquet."),
            click.option("--gzip", "gz", is_flag=True, help="Gzip the text or CSV outputs."),
            click.option("--split", type=click.IntRange(min=1, max=2**53), default=None,
                         help="At most N IDs per file, in numbered parts."),
            click.option("--force", is_flag=True, help="Replace a non-empty OUTDIR."),
        ]
    ):  # fmt: skip
        f = option(f)
    return f


# ------------------------------------------------------------------ the ledger


def ledger_options(f: F) -> F:
    f = click.option(
        "--wait", type=float, default=60.0, show_default=True, help="Seconds to wait for the ledger lock."
    )(f)
    return click.option(
        "--db",
        "db",
        default=None,
        help="The ledger: a file, or postgresql://USER@HOST[:PORT]/DBNAME (else $QUOTA_DB, else the per-user file).",
    )(f)


def checkpoints_option(help: str, name: str = "--checkpoints", dest: str = "log_dir") -> Callable[[F], F]:
    """The directory of the ledger's checkpoint log, kept apart from the ledger (default
    $QUOTA_CHECKPOINTS); `help` says what the command does with it."""
    return click.option(
        name, dest, type=click.Path(file_okay=False, path_type=Path), default=None, envvar="QUOTA_CHECKPOINTS",
        help=help,
    )  # fmt: skip


def format_options(f: F) -> F:
    f = click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")(f)
    return click.option("--json", "as_json", is_flag=True, help="JSON on stdout (stable keys).")(f)


def output_format(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    return "json" if as_json else "csv" if as_csv else "table"


def parse_time(value: str, option: str = "--at") -> datetime:
    """ISO 8601; a time without an offset is taken as UTC."""
    from quota.times import TimeProblem, parse_iso

    try:
        return parse_iso(value)
    except TimeProblem as e:
        raise click.BadParameter(str(e), param_hint=option) from None


def parse_date(value: str, option: str) -> date:
    """A calendar date, 2026-10-01."""
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value[:40]!r} is not a date such as 2026-10-01", param_hint=option) from None
    if not 2006 <= day.year < 3000:
        raise click.BadParameter(f"{value[:40]!r} is outside the years quota records (2006 to 2999)", param_hint=option)
    return day


def at_or_now(ledger: Session, value: str | None, option: str = "--at") -> datetime:
    """The time given, else now by the ledger's clock (a shared ledger's: the server's)."""
    return parse_time(value, option) if value is not None else ledger.now()


def writer(db: str | None, wait: float, create: bool = False) -> AbstractContextManager[Session]:
    from quota.store.session import Session

    return Session.open(db, write=True, wait=wait, create=create)


def reader(db: str | None, wait: float) -> AbstractContextManager[Session]:
    from quota.store.session import Session

    return Session.open(db, write=False, wait=wait)


def query_command(
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
    fetch: Callable[[Session], list[dict[str, Any]]],
    columns: list[str],
) -> None:
    """Run `fetch(ledger)` under a shared lock and print its rows as a table, JSON or CSV."""
    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        rows = fetch(ledger)
    click.echo(render(rows, columns, fmt))


def iso_z(t: datetime) -> str:
    from quota.times import iso

    return iso(t)


def plural(count: int, noun: str) -> str:
    """`1 entity`, `2 entities`, `1 post ID`, `3 post IDs`: the plural on the last word."""
    if count == 1:
        return f"{count:,} {noun}"
    head, _, last = noun.rpartition(" ")
    plural = last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou" else last + "s"
    return f"{count:,} {head + ' ' if head else ''}{plural}"


def summary(doc: dict, outdir: Path, seconds: float) -> str:  # type: ignore[type-arg]
    inputs = doc["inputs"]
    lines = sum(i["lines"] for i in inputs)
    mb = sum(i["bytes"] for i in inputs) / 1e6
    kinds = ", ".join(plural(t["unique"], f"{k} ID") for k, t in doc["totals"].items())
    dups = sum(t["duplicates_dropped"] for t in doc["totals"].values())
    text = (
        f"stripped {plural(len(inputs), 'input')} ({mb:,.1f} MB, {plural(lines, 'line')}) "
        f"to {kinds} in {outdir}/ ({plural(dups, 'duplicate')} dropped, {seconds:.1f} s)"
    )
    if doc["bad_lines"]:
        firsts = [f"{i['path']}:{b['line']}" for i in inputs for b in i["first_bad_lines"]][:5]
        text += f"; skipped {plural(doc['bad_lines'], 'bad line')}, first at {', '.join(firsts)}"
    return text


# ------------------------------------------------------------------ compliance


def warn(subject: str, warnings: list[str]) -> None:
    for w in warnings:
        click.echo(f"quota: warning: {subject} may be related to another recipient: {w} (see quota related)", err=True)
