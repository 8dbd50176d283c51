"""`quota exemption ...`: research exemptions approved by X."""

from __future__ import annotations

import click

from quota.cli.app import cli
from quota.cli.common import (
    format_options,
    ledger_options,
    output_format,
    parse_date,
    parse_time,
    query_command,
    reader,
    writer,
)
from quota.cli.render import render
from quota.jsontext import to_json
from quota.policy import MAX_QUANTITY


@cli.group()
def exemption() -> None:
    """Research exemptions approved by X in writing (academic, peer-review, DSA Art. 40)."""


EXEMPTION_COLUMNS = [
    "ref", "kind", "entity", "approved_post_ids", "used_post_ids", "remaining_post_ids", "approved_user_ids",
    "used_user_ids", "remaining_user_ids", "valid_from", "valid_until", "revoked", "exports",
]  # fmt: skip


@exemption.command("add")
@click.argument("ref", metavar="REF")
@click.option("--entity", "entity_id", required=True, help="The institution X approved it for.")
@click.option(
    "--kind", required=True, type=click.Choice(["academic", "peer-review", "dsa-art40"]),
    help="What X approved: academic research, its peer review, or a DSA Art. 40 researcher.",
)  # fmt: skip
@click.option("--approved-on", required=True, help="The date of X's written approval (YYYY-MM-DD).")
@click.option("--from", "start", required=True, help="ISO 8601 start of validity.")
@click.option("--until", "until", required=True, help="ISO 8601 end of validity (exclusive).")
@click.option(
    "--post-ids", type=click.IntRange(min=0, max=MAX_QUANTITY), default=None, help="Approved Post IDs (academic)."
)
@click.option(
    "--user-ids", type=click.IntRange(min=0, max=MAX_QUANTITY), default=None, help="Approved User IDs (academic)."
)
@click.option(
    "--for", "parent", default=None, metavar="PARENT_REF", help="peer-review: the academic exemption it draws down."
)
@click.option(
    "--person", "persons", multiple=True, help="dsa-art40: a person named in the approved application (repeat)."
)
@click.option("--purpose", default=None, help="The research X approved, in its words.")
@ledger_options
def exemption_add(
    ref: str,
    entity_id: str,
    kind: str,
    approved_on: str,
    start: str,
    until: str,
    post_ids: int | None,
    user_ids: int | None,
    parent: str | None,
    persons: tuple[str, ...],
    purpose: str | None,
    db: str | None,
    wait: float,
) -> None:
    """Record an exemption X approved in writing.

    \b
    Examples:
      quota exemption add X-ACAD-7 --entity uni --kind academic --approved-on 2026-10-01 \\
          --from 2026-10-01 --until 2027-10-01 --post-ids 5000000 --user-ids 200000 --purpose "elections study"
      quota exemption add X-PR-1 --entity lab2 --kind peer-review --for X-ACAD-7 --approved-on 2026-11-01 \\
          --from 2026-11-01 --until 2027-02-01
      quota exemption add DSA-40-12 --entity uni --kind dsa-art40 --person rsmith --approved-on 2026-09-01 \\
          --from 2026-09-01 --until 2027-09-01
    """
    from quota import exemptions

    approved = parse_date(approved_on, "--approved-on")
    with writer(db, wait) as ledger:
        seq = exemptions.add(
            ledger, ref, entity_id, kind, approved, parse_time(start, "--from"), parse_time(until, "--until"),
            post_ids, user_ids, parent, list(persons), purpose,
        )  # fmt: skip
    click.echo(f"recorded {kind} exemption {ref} for {entity_id} (event {seq})", err=True)


@exemption.command("list")
@ledger_options
@format_options
def exemption_list(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """List exemptions with their drawdown.

    \b
    Example:
      quota exemption list --json
    """
    from quota import exemptions

    query_command(db, wait, as_json, as_csv, exemptions.listing, EXEMPTION_COLUMNS)


@exemption.command("show")
@click.argument("ref", metavar="REF")
@ledger_options
@format_options
def exemption_show(ref: str, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """One exemption: approved, used and remaining IDs, dates, revocation, exports.

    \b
    Example:
      quota exemption show X-ACAD-7 --json
    """
    from quota import exemptions

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        row = exemptions.status(ledger, ref)
    click.echo(to_json(row) if fmt == "json" else render([row], EXEMPTION_COLUMNS, fmt))


@exemption.command("revoke")
@click.argument("ref", metavar="REF")
@click.option("--reason", required=True, help="Why it is revoked (the report lists it).")
@ledger_options
def exemption_revoke(ref: str, reason: str, db: str | None, wait: float) -> None:
    """Record that an exemption no longer holds (later exports under it are refused).

    \b
    Example:
      quota exemption revoke X-ACAD-7 --reason "project ended early"
    """
    from quota import exemptions

    with writer(db, wait) as ledger:
        seq = exemptions.revoke(ledger, ref, reason)
    click.echo(f"revoked exemption {ref} (event {seq})", err=True)
