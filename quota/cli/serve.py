"""`quota serve`: the web portal (quota.web) over the same ledger."""

from __future__ import annotations

from pathlib import Path

import click

from quota.cli.app import cli
from quota.cli.common import ledger_options


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port.")
@click.option(
    "--deliveries",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="QUOTA_DELIVERIES",
    default="deliveries",
    show_default=True,
    help="Where the portal writes deliveries (and keeps its sessions); else $QUOTA_DELIVERIES.",
)
@click.option(
    "--terms",
    "terms",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The terms document researchers accept for their entity (its sha256 is recorded).",
)
@click.option("--trusted-header", default=None, metavar="NAME", help="Single sign-on: the header holding the email.")
@click.option(
    "--trusted-proxy", "proxies", multiple=True, metavar="IP", help="The reverse proxy's address (repeatable)."
)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Server processes.")
@click.option("--contact", envvar="QUOTA_CONTACT", default=None, help="Deliveries' contact for deletion notices.")
@click.option(
    "--notify-every", default=60.0, show_default=True, type=click.FloatRange(min=0),
    help="Seconds between runs of quota notify run in the server (0: none; cron may run it instead).",
)  # fmt: skip
@ledger_options
def serve(
    host: str,
    port: int,
    deliveries: Path,
    terms: Path | None,
    trusted_header: str | None,
    proxies: tuple[str, ...],
    workers: int,
    contact: str | None,
    notify_every: float,
    db: str | None,
    wait: float,
) -> None:
    """Serve the portal: researchers request and download, compliance decides and watches, the
    data team delivers. Accounts come from `quota account add`. Behind a reverse proxy with TLS,
    give its address with --trusted-proxy. On a DuckDB ledger one process serves; on PostgreSQL
    --workers may be more (they share DELIVERIES).

    \b
    Examples:
      quota serve --deliveries /srv/quota/deliveries --terms x-terms-2026-10.pdf
      quota serve --db postgresql://quota@db/quota --workers 4 --host 127.0.0.1 --port 8000 \\
          --trusted-proxy 127.0.0.1 --trusted-header X-Forwarded-Email
    """
    try:
        import uvicorn
    except ImportError:
        raise click.UsageError("the portal needs its extra: pip install 'quota[web]'") from None
    import os

    from quota.errors import UsageError
    from quota.store import resolve
    from quota.store.session import Session
    from quota.web.config import PortalConfig

    place = resolve(db)
    if workers > 1 and not isinstance(place, str):
        raise UsageError("a DuckDB ledger is served by one process: --workers is for a PostgreSQL ledger")
    with Session.open(place, wait=wait):  # the ledger must exist before anyone signs in
        pass
    config = PortalConfig(place, deliveries.resolve(), terms.resolve() if terms else None, trusted_header, proxies,
                          wait=min(wait, 10.0), contact=contact, notify_every=notify_every).check()  # fmt: skip
    os.environ["QUOTA_SERVE_CONFIG"] = _encode(config)
    click.echo(f"quota portal on http://{host}:{port}/ (ledger {place}; deliveries {config.deliveries})", err=True)
    uvicorn.run("quota.web:app_from_environment", factory=True, host=host, port=port, workers=workers,
                proxy_headers=False, server_header=False, log_level="warning")  # fmt: skip


def _encode(config: object) -> str:
    import json
    from dataclasses import asdict

    values = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items() if k != "clock"}  # type: ignore[call-overload]
    return json.dumps(values)
