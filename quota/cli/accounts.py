"""`quota account ...`: who may sign in to the portal (`quota serve`), in which role."""

from __future__ import annotations

import click

from quota.cli.app import cli
from quota.cli.common import format_options, ledger_options, query_command, writer
from quota.jsontext import to_json

_ROLE = click.Choice(["researcher", "compliance", "data-team", "auditor", "admin"])
_PORTAL = click.option(
    "--portal-url",
    envvar="QUOTA_PORTAL_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Where the portal is reached (the link printed starts with it); else $QUOTA_PORTAL_URL.",
)


def _link(portal_url: str, secret: str) -> str:
    return f"{portal_url.rstrip('/')}/welcome/{secret}"


@cli.group()
def account() -> None:
    """Portal accounts and their roles: researcher, compliance, data-team, auditor, admin."""


@account.command("add")
@click.argument("email")
@click.option("--role", required=True, type=_ROLE, help="What the account may do in the portal.")
@click.option("--person", default=None, help="The person it is (a researcher's is required: who receives).")
@click.option("--entity", default=None, help="Its entity (for a person, the person's own).")
@_PORTAL
@click.option("--json", "as_json", is_flag=True, help="Print the account and its link as JSON.")
@ledger_options
def account_add(
    email: str,
    role: str,
    person: str | None,
    entity: str | None,
    portal_url: str,
    as_json: bool,
    db: str | None,
    wait: float,
) -> None:
    """Add a portal account and print its one-time sign-up link (valid 7 days; the portal never
    mails passwords: hand the link over yourself).

    \b
    Examples:
      quota account add rsmith@uni.example --role researcher --person rsmith
      quota account add officer@acme.example --role compliance
    """
    from quota import accounts

    with writer(db, wait) as ledger:
        seq, secret = accounts.add(ledger, email, role, person, entity)
    link = _link(portal_url, secret)
    if as_json:
        click.echo(to_json({"email": accounts.email_of(email), "role": role, "event": seq, "link": link}))
    else:
        click.echo(link)
    click.echo(
        f"added account {accounts.email_of(email)} ({role}, event {seq}); its sign-up link works once, for 7 days",
        err=True,
    )


@account.command("list")
@ledger_options
@format_options
def account_list(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Every account with its role, person, entity, and whether it is disabled.

    \b
    Example:
      quota account list --json
    """
    from quota import accounts

    query_command(db, wait, as_json, as_csv, accounts.listing, accounts.COLUMNS)


@account.command("role")
@click.argument("email")
@click.option("--role", required=True, type=_ROLE, help="The account's new role.")
@click.option("--reason", default=None, help="Why (kept in the ledger).")
@ledger_options
def account_role(email: str, role: str, reason: str | None, db: str | None, wait: float) -> None:
    """Change an account's role.

    \b
    Example:
      quota account role officer@acme.example --role auditor --reason "moved to audit"
    """
    from quota import accounts

    with writer(db, wait) as ledger:
        seq = accounts.set_role(ledger, email, role, reason)
    click.echo(f"account {accounts.email_of(email)} is now {role} (event {seq})", err=True)


@account.command("disable")
@click.argument("email")
@click.option("--reason", default=None, help="Why (kept in the ledger).")
@ledger_options
def account_disable(email: str, reason: str | None, db: str | None, wait: float) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at their next request.

    \b
    Example:
      quota account disable rsmith@uni.example --reason "left the project"
    """
    from quota import accounts

    with writer(db, wait) as ledger:
        seq = accounts.disable(ledger, email, reason)
    click.echo(f"disabled account {accounts.email_of(email)} (event {seq})", err=True)


@account.command("reset")
@click.argument("email")
@_PORTAL
@ledger_options
def account_reset(email: str, portal_url: str, db: str | None, wait: float) -> None:
    """Print a new one-time link to set the account's password (earlier links stop working).

    \b
    Example:
      quota account reset rsmith@uni.example
    """
    from quota import accounts

    with writer(db, wait) as ledger:
        seq, secret = accounts.reset(ledger, email)
    click.echo(_link(portal_url, secret))
    click.echo(f"new sign-up link for {accounts.email_of(email)} (event {seq}), valid 7 days", err=True)


@account.command("notify")
@click.argument("email")
@click.option(
    "--mode", required=True, type=click.Choice(["immediate", "daily", "off"]),
    help="Messages at once, in one daily digest, or none.",
)  # fmt: skip
@click.option("--alerts/--no-alerts", default=False, show_default=True, help="Also be told of quota alerts.")
@ledger_options
def account_notify(email: str, mode: str, alerts: bool, db: str | None, wait: float) -> None:
    """How an account receives its messages from quota notify run (deletion requests go to the
    recipients' contacts whatever this says).

    \b
    Examples:
      quota account notify officer@acme.example --mode immediate --alerts
      quota account notify rsmith@uni.example --mode daily
    """
    from quota import notify

    with writer(db, wait) as ledger:
        seq = notify.set_mode(ledger, email, mode, alerts)
    click.echo(f"{email.strip().lower()}: messages {mode}{', with alerts' if alerts else ''} (event {seq})", err=True)
