"""`quota alerts` and `quota notice upload-file`: what needs attention, and the compliance loop with X."""

from __future__ import annotations

from pathlib import Path

import click

from quota.cli.app import QuotaFailure, cli
from quota.cli.common import (
    at_or_now,
    checkpoints_option,
    format_options,
    ledger_options,
    output_format,
    parse_time,
    plural,
    reader,
    writer,
)
from quota.cli.compliance import notice
from quota.cli.render import render
from quota.jsontext import to_json


@cli.command("alerts")
@click.option("--at", "at", default=None, help="Judge at this time (ISO 8601, UTC; default now).")
@checkpoints_option(
    "The directory of the ledger's checkpoint log (default $QUOTA_CHECKPOINTS): how recent is the newest.",
    dest="checkpoints",
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


@notice.command("ack")
@click.argument("notice_id", metavar="NOTICE")
@click.option("--entity", required=True, help="The recipient that confirmed it removed the IDs.")
@click.option("--by", required=True, help="Who confirmed it (a name, as they gave it).")
@ledger_options
def notice_ack(notice_id: str, entity: str, by: str, db: str | None, wait: float) -> None:
    """Record that a recipient confirmed it deleted what a notice names (its deletion request's
    link in the portal records the same).

    \b
    Example:
      quota notice ack n-20261201-ab12cd34 --entity acme --by "J. Doe, Acme data office"
    """
    from quota import notify

    with writer(db, wait) as ledger:
        seq = notify.ack(ledger, notice_id, entity, by)
    click.echo(f"{entity} acknowledged notice {notice_id} (event {seq})", err=True)


@cli.group("notify")
def notify_group() -> None:
    """Messages that are never lost: the outbox in the ledger, sent by mail and webhooks."""


@notify_group.command("run")
@checkpoints_option(
    "The checkpoint log's directory (default $QUOTA_CHECKPOINTS): the daily checkpoint is appended there.",
    dest="checkpoints",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No line for each message.")
@ledger_options
def notify_run(checkpoints: Path | None, as_json: bool, quiet: bool, db: str | None, wait: float) -> None:
    """Record the messages that are due (deletion requests, requests' steps, alerts, the daily
    checkpoint, digests) and send everything due: for cron, every few minutes. Mail and webhook
    settings come from $QUOTA_NOTIFY_CONFIG's file and QUOTA_SMTP_* variables, never options.

    \b
    Examples:
      */5 * * * *  QUOTA_NOTIFY_CONFIG=/etc/quota/notify.toml quota notify run -q
      quota notify run --json
    """
    from quota import notify
    from quota.sending import Settings

    settings = Settings.load()
    say = None if quiet else (lambda m: click.echo(f"quota: {m}", err=True))
    report = notify.run(db, settings, wait, checkpoints, say)
    if as_json:
        click.echo(to_json(report.as_json()))
    if report.busy:
        click.echo("another notify run is under way: nothing done", err=True)
        return
    click.echo(
        f"recorded {plural(report.recorded, 'message')}; delivered {report.delivered}, failed {report.failed}"
        + (f"; told {plural(len(report.told), 'recipient')} of deletion notices" if report.told else ""),
        err=True,
    )


@notify_group.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    help="Only messages in this state (delivered, due, waiting, held, in-doubt, given-up).",
)
@ledger_options
@format_options
def notify_list(states: tuple[str, ...], db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """The outbox: every message, its state and its last result.

    \b
    Examples:
      quota notify list
      quota notify list --state given-up --json
    """
    from quota import outbox

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        now = ledger.now()
        rows = [m.as_json(now) for m in outbox.outbox(ledger)]
    rows = [r for r in rows if not states or r["state"] in states]
    click.echo(to_json(rows) if fmt == "json" else render(rows, outbox.COLUMNS, fmt))
