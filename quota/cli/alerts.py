"""`quota alerts` and `quota notice upload-file`: what needs attention, and the compliance loop with X."""

from __future__ import annotations

from pathlib import Path

import click

from quota.cli.app import QuotaFailure, cli
from quota.cli.common import at_or_now, format_options, ledger_options, output_format, parse_time, plural, reader
from quota.cli.compliance import notice
from quota.cli.render import render
from quota.jsontext import to_json


@cli.command("alerts")
@click.option("--at", "at", default=None, help="Judge at this time (ISO 8601, UTC; default now).")
@click.option(
    "--checkpoints",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="QUOTA_CHECKPOINTS",
    default=None,
    help="The directory of the ledger's checkpoint log (default $QUOTA_CHECKPOINTS): how recent is the newest.",
)
@ledger_options
@format_options
def alerts_command(
    at: str | None, checkpoints: Path | None, db: str | None, wait: float, as_json: bool, as_csv: bool
) -> None:
    """What needs attention now: caps filling up, deletion notices near their deadline, exemptions
    and permissions ending or drawn down, interrupted exports, waiting requests, no recent
    checkpoint or compliance result. Exit 3 when anything is due, 0 when nothing is (for cron and
    monitoring). The thresholds are the policy profile's settings (quota/alerts.toml, or the file
    $QUOTA_ALERT_SETTINGS names).

    \b
    Examples:
      quota alerts
      quota alerts --json --checkpoints /mnt/compliance/checkpoints || mail-the-team
      quota alerts --at 2026-12-24T00:00:00Z
    """
    from quota import alerts

    if at is not None:
        parse_time(at)
    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        when = at_or_now(ledger, at)
        found = alerts.alerts(ledger, when, checkpoints)
    if fmt == "json":
        click.echo(to_json([a.as_json() for a in found]))
    else:
        click.echo(render([a.as_json() for a in found], alerts.COLUMNS, fmt))
    if found:
        raise QuotaFailure(f"{plural(len(found), 'alert')} due", 3)


@notice.command("upload-file")
@click.option("--kind", required=True, type=click.Choice(["post", "user"]), help="Post IDs or User IDs.")
@click.option("--since", default=None, help="Only what was delivered at or after this time (ISO 8601, UTC).")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The file.")
@ledger_options
def notice_upload_file(kind: str, since: str | None, out: Path, db: str | None, wait: float) -> None:
    """Write the upload file of X's batch compliance: every distinct Post (or User) ID delivered
    in the period, one per line, no header. Run `twarc2 compliance-job create` on it and record
    its result with `quota notice add --job`.

    \b
    Examples:
      quota notice upload-file --kind post -o upload-posts.txt
      quota notice upload-file --kind user --since 2026-11-01T00:00:00Z -o upload-users.txt
    """
    from quota import upload

    start = parse_time(since, "--since") if since else None
    with reader(db, wait) as ledger:
        n = upload.write(ledger, kind, start, out)
    click.echo(f"wrote {plural(n, f'{kind.capitalize()} ID')} to {out}", err=True)
