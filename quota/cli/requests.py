"""`quota request ...`: researchers ask for ID sets from a dataset, compliance decides, the data
team delivers."""

from __future__ import annotations

import json
from pathlib import Path

import click

from quota.cli.app import cli
from quota.cli.common import (
    format_options,
    iso_z,
    ledger_options,
    output_format,
    output_options,
    parse_time,
    plural,
    progress_bar,
    query_command,
    reader,
    writer,
)
from quota.cli.render import render
from quota.jsontext import to_json
from quota.policy import MAX_QUANTITY

_COUNT = click.IntRange(min=0, max=MAX_QUANTITY)


@cli.group()
def request() -> None:
    """Requests for ID sets from a dataset: submit, approve or reject, deliver."""


@request.command("submit")
@click.option("--dataset", required=True, help="The dataset asked for (quota dataset list).")
@click.option("--person", required=True, help="The researcher who asks; their entity receives.")
@click.option("--exemption", default=None, metavar="REF", help="Deliver under this research exemption, not the cap.")
@click.option("--purpose", required=True, help="What the IDs are for.")
@click.option("--ids", default="post", show_default=True, help="post, or post,user for the posts' authors too.")
@click.option("--from", "start", default=None, help="Posts created at or after this time (ISO 8601, UTC).")
@click.option("--until", default=None, help="Posts created before this time (ISO 8601, UTC).")
@click.option("--lang", "langs", multiple=True, help="Posts in this language (repeat for any of several).")
@click.option("--hashtag", "hashtags", multiple=True, help="Posts with this hashtag, any case (repeatable).")
@click.option("--keyword", "keywords", multiple=True, help="Posts whose text contains this, any case (repeatable).")
@click.option("--author", "authors", multiple=True, help="Posts by this User ID (repeatable).")
@click.option("--oldest", type=_COUNT, default=None, help="At most this many Post IDs: the oldest.")
@click.option("--newest", type=_COUNT, default=None, help="At most this many Post IDs: the newest.")
@click.option("--sample", type=_COUNT, default=None, help="A reproducible sample of this many Post IDs (needs --seed).")
@click.option("--seed", default=None, help="The sample's seed: the same seed draws the same sample.")
@click.option("--by", default=None, help="Who submits it, when not the researcher.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@ledger_options
def request_submit(
    dataset: str,
    person: str,
    exemption: str | None,
    purpose: str,
    ids: str,
    start: str | None,
    until: str | None,
    langs: tuple[str, ...],
    hashtags: tuple[str, ...],
    keywords: tuple[str, ...],
    authors: tuple[str, ...],
    oldest: int | None,
    newest: int | None,
    sample: int | None,
    seed: str | None,
    by: str | None,
    as_json: bool,
    db: str | None,
    wait: float,
) -> None:
    """Ask for the posts of a dataset that match the filters. Filters of one kind given several
    times match any of their values; different filters must all match. Prints how many IDs
    the request holds and whether they fit now (the export check, dry).

    \b
    Examples:
      quota request submit --dataset elections-2026 --person rsmith --exemption X-ACAD-7 \\
          --hashtag vote --lang en --from 2026-10-01 --sample 50000 --seed 7 --ids post,user \\
          --purpose "Replication of the turnout study"
      quota request submit --dataset elections-2026 --person ana --newest 1000 --purpose "QA" --json
    """
    from quota import requests
    from quota.choosing import Filters

    limits = [(o, n) for o, n in (("oldest", oldest), ("newest", newest), ("sample", sample)) if n is not None]
    if len(limits) > 1:
        raise click.UsageError("choose one of --oldest, --newest and --sample")
    if (sample is None) != (seed is None):
        raise click.UsageError("--sample and --seed go together: the seed makes the sample reproducible")
    order, limit = limits[0] if limits else ("oldest", None)
    filters = Filters.make(
        start=parse_time(start, "--from") if start else None, until=parse_time(until, "--until") if until else None,
        langs=langs, hashtags=hashtags, keywords=keywords, authors=authors, order=order, limit=limit, seed=seed,
    )  # fmt: skip
    done = requests.submit(db, dataset, person, filters, purpose, ids, exemption, by, wait)
    if as_json:
        click.echo(to_json(done.as_json()))
    fits = "fits now" if done.fits else "does not fit now"
    click.echo(
        f"submitted request {done.request_id}: {plural(done.post_ids, 'Post ID')} and "
        f"{plural(done.user_ids, 'User ID')} of {dataset} for {person}; {fits} ({done.basis})",
        err=True,
    )


@request.command("approve")
@click.argument("request_id", metavar="REQ")
@click.option("--by", required=True, help="Who approves (not the researcher, not who submitted it).")
@click.option("--note", default=None, help="A note kept with the approval.")
@ledger_options
def request_approve(request_id: str, by: str, note: str | None, db: str | None, wait: float) -> None:
    """Approve a submitted request: it may then be delivered.

    \b
    Example:
      quota request approve req-20261201-1a2b3c4d --by "C Officer" --note "within X-ACAD-7"
    """
    from quota import requests

    with writer(db, wait) as ledger:
        seq = requests.decide(ledger, request_id, True, by, note)
    click.echo(f"approved request {request_id} (event {seq})", err=True)


@request.command("reject")
@click.argument("request_id", metavar="REQ")
@click.option("--by", required=True, help="Who rejects it.")
@click.option("--reason", required=True, help="Why: the researcher is told.")
@ledger_options
def request_reject(request_id: str, by: str, reason: str, db: str | None, wait: float) -> None:
    """Reject a submitted request: it is never delivered.

    \b
    Example:
      quota request reject req-20261201-1a2b3c4d --by "C Officer" --reason "no exemption covers it"
    """
    from quota import requests

    with writer(db, wait) as ledger:
        seq = requests.decide(ledger, request_id, False, by, reason)
    click.echo(f"rejected request {request_id} (event {seq})", err=True)


@request.command("deliver")
@click.argument("request_id", metavar="REQ")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option(
    "--fit", is_flag=True, help="Deliver the largest part that fits now, in the request's order; the rest stays."
)
@output_options
@click.option(
    "--contact",
    envvar="QUOTA_CONTACT",
    default=None,
    help="Whom the recipient contacts about deletion notices (the delivery's README.md says); else $QUOTA_CONTACT.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress bar.")
@ledger_options
def request_deliver(
    request_id: str,
    outdir: Path,
    fit: bool,
    out_format: str,
    gz: bool,
    split: int | None,
    force: bool,
    contact: str | None,
    as_json: bool,
    quiet: bool,
    db: str | None,
    wait: float,
) -> None:
    """Deliver an approved request (or what an earlier --fit left of it) as an export: the
    same checks, reservation, hashes and lineage, under its exemption or the cap. Without
    --fit, a request that does not fit now is refused with the numbers.

    \b
    Examples:
      quota request deliver req-20261201-1a2b3c4d -o deliveries/rsmith-1/
      quota request deliver req-20261201-1a2b3c4d -o deliveries/rsmith-2/ --fit --json
    """
    from quota import requests
    from quota.output import OutputOptions

    say = (lambda m: None) if quiet else (lambda m: click.echo(f"quota: {m}", err=True))
    progress = progress_bar((), quiet, indefinite=True)
    try:
        result, row = requests.deliver(
            db, request_id, outdir, out_opts=OutputOptions(out_format=out_format, gzip=gz, split=split), fit=fit,
            force=force, contact=contact, wait=wait, say=say, progress=progress,
        )  # fmt: skip
    finally:
        if progress:
            progress.close()
    if as_json:
        out = result.as_json()
        out |= {"request_id": request_id, "state": row["state"], "left_post_ids": row["left_post_ids"]}
        click.echo(to_json(out))
    if not quiet:
        click.echo(
            f"recorded export {result.export_id} of request {request_id}: {plural(result.post_ids, 'Post ID')} and "
            f"{plural(result.user_ids, 'User ID')} to {result.entity} at {iso_z(result.at)} ({result.basis}); "
            f"request {row['state']}, {plural(row['left_post_ids'], 'Post ID')} left",
            err=True,
        )


@request.command("list")
@click.option("--state", "states", multiple=True, help="Only requests in this state (repeatable).")
@ledger_options
@format_options
def request_list(states: tuple[str, ...], db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Requests, oldest first, with their state and what is delivered and left.

    \b
    Examples:
      quota request list --state submitted
      quota request list --json
    """
    from quota import requests

    query_command(db, wait, as_json, as_csv, lambda ledger: requests.listing(ledger, states), requests.COLUMNS)


@request.command("show")
@click.argument("request_id", metavar="REQ")
@ledger_options
@format_options
def request_show(request_id: str, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """One request: its dataset, filters, decision and deliveries.

    \b
    Example:
      quota request show req-20261201-1a2b3c4d --json
    """
    from quota import requests

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        row = requests.status(ledger, request_id)
    if fmt == "json":
        click.echo(to_json(row))
        return
    flat = {
        **row,
        "export_ids": " ".join(row["export_ids"]),
        "filters": json.dumps(row["filters"], separators=(",", ":")),
    }
    columns = [*requests.COLUMNS, "export_ids", "purpose", "filters", "submitted_by", "decided_by", "note"]
    click.echo(render([flat], columns, fmt))
