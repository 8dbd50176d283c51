"""`quota export`, `quota usage`, `quota manual`: distributions and what they leave."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from quota.cli.app import cli
from quota.cli.common import (
    at_or_now,
    format_options,
    input_options,
    iso_z,
    ledger_options,
    output_format,
    output_options,
    parse_time,
    plural,
    progress_bar,
    query_command,
    reader,
)
from quota.cli.render import render
from quota.jsontext import to_json
from quota.policy import MAX_QUANTITY


@cli.command("export")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--to", "entity_id", required=True, help="The recipient entity.")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--person", default=None, help="The person of the entity who receives it.")
@input_options
@output_options
@click.option(
    "--at", "at", default=None,
    help="With --dry-run: check as if at this time (ISO 8601, UTC). A delivery happens now; the past is ledger import's.",
)  # fmt: skip
@click.option("--export-id", default=None, help="A key that makes a retry idempotent.")
@click.option(
    "--exemption", default=None, metavar="REF", help="Export under this research exemption (outside the 30-day cap)."
)
@click.option(
    "--limit",
    type=click.IntRange(min=0, max=MAX_QUANTITY),
    default=None,
    help="Deliver at most this many Post IDs: the oldest (lowest) first.",
)
@click.option(
    "--sample",
    type=click.IntRange(min=0, max=MAX_QUANTITY),
    default=None,
    help="Deliver a reproducible sample of this many Post IDs (needs --seed).",
)
@click.option("--seed", default=None, help="The sample's seed: the same seed draws the same sample.")
@click.option(
    "--fit",
    is_flag=True,
    help="Over the cap or the exemption: deliver the largest part that fits now (in delivery order) and say what was left.",
)
@click.option(
    "--contact",
    envvar="QUOTA_CONTACT",
    default=None,
    help="Whom the recipient contacts about deletion notices (the delivery's README.md says); else $QUOTA_CONTACT.",
)
@click.option("--dry-run", is_flag=True, help="Check only: write nothing, record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress bar.")
@ledger_options
def export_cmd(
    inputs: tuple[str, ...],
    entity_id: str,
    outdir: Path,
    person: str | None,
    ids: str,
    referenced: bool,
    fmt: str | None,
    id_column: str | None,
    out_format: str,
    gz: bool,
    split: int | None,
    at: str | None,
    export_id: str | None,
    exemption: str | None,
    limit: int | None,
    sample: int | None,
    seed: str | None,
    fit: bool,
    contact: str | None,
    skip_bad: bool,
    dry_run: bool,
    force: bool,
    as_json: bool,
    quiet: bool,
    db: str | None,
    wait: float,
) -> None:
    """Strip INPUT files to IDs, check them against ENTITY's 30-day cap, write and record them,
    now by the ledger's clock. IDs a deletion notice names are withheld.

    \b
    Examples:
      quota export pages.jsonl --to acme -o deliveries/acme-2026-11/ --ids post,user
      quota export pages.jsonl --to acme -o /tmp/x --dry-run
      quota export pages.jsonl --to acme -o /tmp/x --dry-run --at 2026-10-01T12:00:00Z
      quota export sample.jsonl --to uni --person rsmith -o out/ --ids post,user --exemption X-ACAD-7
      quota export pages.jsonl --to acme -o /tmp/x --sample 10000 --seed 42 --fit
    """
    from quota import exports
    from quota import stripping as strip_mod
    from quota.output import OutputOptions
    from quota.readers.records import Want

    if limit is not None and sample is not None:
        raise click.UsageError("choose one of --limit and --sample")
    if (sample is None) != (seed is None):
        raise click.UsageError("--sample and --seed go together: the seed makes the sample reproducible")
    selection = exports.Selection(limit=sample if sample is not None else limit, seed=seed, fit=fit)
    say = (lambda m: None) if quiet else (lambda m: click.echo(f"quota: {m}", err=True))
    progress = progress_bar(inputs, quiet)
    try:
        plan = exports.ExportPlan(
            inputs=inputs,
            entity=entity_id,
            outdir=outdir,
            strip_opts=strip_mod.StripOptions(
                want=Want(strip_mod.parse_kinds(ids), referenced), fmt=fmt, id_column=id_column, skip_bad=skip_bad
            ),
            out_opts=OutputOptions(out_format=out_format, gzip=gz, split=split),
            selection=selection,
            person=person,
            exemption=exemption,
            contact=contact,
            export_id=export_id,
            at=parse_time(at) if at else None,
            dry_run=dry_run,
            force=force,
        )
        result = exports.export(plan, exports.LedgerAt(db, wait, say), progress)
    finally:
        if progress:
            progress.close()
    if as_json:
        click.echo(to_json(result.as_json()))
    if not quiet:
        verb = f"already delivered to {result.outdir}:" if result.already_recorded and result.outdir else _verb(result)
        click.echo(
            f"{verb} export {result.export_id}: {plural(result.post_ids, 'Post ID')}, {plural(result.user_ids, 'User ID')}, "
            f"{plural(result.dm_ids, 'DM ID')} to {result.entity} at {iso_z(result.at)}; {_standing(result)}",
            err=True,
        )
        if result.left_post_ids or result.left_user_ids:
            click.echo(
                f"quota: --fit left out {plural(result.left_post_ids or 0, 'Post ID')} and "
                f"{plural(result.left_user_ids or 0, 'User ID')} that did not fit",
                err=True,
            )


@cli.command()
@click.argument("entity_id", metavar="[ENTITY]", required=False)
@click.option("--person", default=None, help="A person's manual objects in the 24 hours to --at instead.")
@click.option("--at", "at", default=None, help="The end of the window (default now).")
@click.option(
    "--need", type=click.IntRange(min=0, max=MAX_QUANTITY), default=None, help="When would this many more fit?"
)
@ledger_options
@format_options
def usage(
    entity_id: str | None,
    person: str | None,
    at: str | None,
    need: int | None,
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Post IDs used in the 30 days to --at, the cap, the headroom, and when more frees up.

    With --person: the person's manual objects in the 24 hours to --at (or its UTC day, as
    the profile says), the limit, what remains and when more fit.

    \b
    Examples:
      quota usage
      quota usage acme --need 500000 --json
      quota usage --person ana --json
    """
    from quota import manual
    from quota.usage import USAGE_COLUMNS
    from quota.usage import usage as usage_rows

    if at is not None:
        parse_time(at)  # a bad time is refused before the ledger is opened
    if person is not None:
        if entity_id is not None:
            raise click.UsageError("give ENTITY or --person, not both")
        fmt = output_format(as_json, as_csv)
        with reader(db, wait) as ledger:
            row = manual.usage(ledger, person, at_or_now(ledger, at), need)
        columns = ["person", "entity", "at", "used", "limit", "remaining", "next_free_at"]
        # One person, one object (scripts read the keys directly); CSV and tables as usual.
        click.echo(to_json(row) if fmt == "json" else render([row], columns, fmt))
        return
    query_command(
        db, wait, as_json, as_csv, lambda ledger: usage_rows(ledger, entity_id, at_or_now(ledger, at), need),
        USAGE_COLUMNS,
    )  # fmt: skip


@cli.command("manual")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--person", required=True, help="The person who receives the spreadsheet.")
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="The spreadsheet: FILE.xlsx or FILE.csv."
)
@click.option(
    "--at",
    "at",
    default=None,
    help="With --dry-run: check as if at this time (ISO 8601, UTC). A hand-over happens now.",
)
@click.option(
    "--fit", is_flag=True, help="Over the limit: write the first objects that fit and say how many were left."
)
@click.option("--no-users", is_flag=True, help="Leave out the users sheet (user objects count toward the limit too).")
@click.option("--format", "fmt", default=None, help="Input format instead of detecting it.")
@click.option("--export-id", default=None, help="A key that makes a retry idempotent.")
@click.option("--dry-run", is_flag=True, help="Check only: write nothing, record nothing.")
@click.option("--force", is_flag=True, help="Replace an existing FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress bar.")
@ledger_options
def manual_cmd(
    inputs: tuple[str, ...],
    person: str,
    out: Path,
    at: str | None,
    fit: bool,
    no_users: bool,
    fmt: str | None,
    export_id: str | None,
    dry_run: bool,
    force: bool,
    as_json: bool,
    quiet: bool,
    db: str | None,
    wait: float,
) -> None:
    """Hand whole Post/User objects to one PERSON as a spreadsheet, within the daily limit.

    Writes a posts sheet (and a users sheet when the input carries users) with every ID as
    text, checks the person's manual objects in the 24 hours to --at (500 by default; user
    objects count too), and records the file's sha256 and every object ID.

    \b
    Examples:
      quota manual pages.jsonl --person ana -o ana-2026-11-22.xlsx
      quota manual pages.jsonl --person ana -o ana.xlsx --fit --no-users
      quota manual flat.jsonl --person ana -o ana.csv --dry-run --json
    """
    from quota import manual

    say = (lambda m: None) if quiet else (lambda m: click.echo(f"quota: {m}", err=True))
    result = manual.manual(
        inputs, person, out, db=db, at=parse_time(at) if at else None, fit=fit, export_id=export_id,
        dry_run=dry_run, force=force, users=not no_users, fmt=fmt, wait=wait, say=say,
    )  # fmt: skip
    if as_json:
        click.echo(to_json(result.as_json()))
    if not quiet:
        verb = _verb(result)
        left = f"; {result.left_out:,} left out (over the limit)" if result.left_out else ""
        if result.left_out_not_public:
            left += f"; {result.left_out_not_public:,} left out (not public: protected accounts)"
        click.echo(
            f"{verb} manual export {result.export_id}: {plural(result.posts, 'post')} and {plural(result.users, 'user')} to "
            f"{result.person} ({result.entity}) at {iso_z(result.at)}; {result.used_after:,} of {result.limit:,} "
            f"objects used{left}",
            err=True,
        )


def _standing(result: Any) -> str:
    """Where the export leaves its recipient, in the words of its basis."""
    if result.basis == "exemption":
        approved = "no approved number" if result.cap is None else f"{result.cap:,} approved"
        return f"{result.used_after:,} of {approved} Post IDs drawn under the research exemption"
    if result.cap is None:
        return f"{result.used_after:,} used in the 30 days to then (no cap: {result.basis})"
    return f"{result.used_after:,} of {result.cap:,} used in the 30 days to then ({result.basis})"


def _verb(result: Any) -> str:
    """How a summary says what became of an export or a manual export."""
    if result.already_recorded:
        return "already recorded"
    return "would record (dry run)" if result.dry_run else "recorded"
