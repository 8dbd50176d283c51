"""`quota init` and `quota ledger ...`: the record itself, its proof and its copies."""

from __future__ import annotations

from pathlib import Path

import click

from quota.cli.app import cli
from quota.cli.common import (
    checkpoints_option,
    format_options,
    iso_z,
    ledger_options,
    output_format,
    parse_time,
    plural,
    query_command,
    reader,
    writer,
)
from quota.cli.render import render
from quota.errors import UsageError
from quota.jsontext import to_json


@cli.command()
@click.option(
    "--owner",
    "owner",
    default=None,
    metavar="URL",
    help="PostgreSQL: the role that owns the ledger's schema, which alone makes and migrates it; "
    "the --db role is then granted to read and append, never to change or remove a row.",
)
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def init(owner: str | None, db: str | None, wait: float, as_json: bool) -> None:
    """Create the ledger, or upgrade it to this version (safe to repeat).

    \b
    Examples:
      quota init --db /srv/quota/ledger.duckdb
      quota init --db "postgresql://quota_writer@db/quota?schema=ledger" \\
                 --owner "postgresql://quota_owner@db/quota?schema=ledger"
    """
    from quota.store import owner_and_writer

    if owner is not None:
        owner_url, writer_role = owner_and_writer(owner, db)
        with writer(owner_url, wait, create=True) as ledger:
            seq, _ = ledger.head()
            done = "created" if ledger.created else "upgraded"
            ledger.store.grant_writer(writer_role)
            ledger_id = ledger.ledger_id
    else:
        writer_role = None
        with writer(db, wait, create=True) as ledger:
            seq, _ = ledger.head()
            done = "created" if ledger.created else "upgraded"
            ledger_id = ledger.ledger_id
    click.echo(f"{done} ledger {ledger_id} at {ledger.path} ({seq} events)", err=True)
    if writer_role is not None:
        click.echo(f"the role {writer_role} may read the ledger and append to it, never change a row", err=True)
    if as_json:
        doc = {"ledger_id": ledger_id, "path": ledger.path, "events": seq, "done": done,
               "migrations": ledger.applied, "writer_role": writer_role}  # fmt: skip
        click.echo(to_json(doc))
    else:
        click.echo(ledger.path)


@cli.group("ledger")
def ledger_group() -> None:
    """The ledger itself: its entries (list, show, void), interrupted exports (recover), past
    distributions (import), and its proof (verify, checkpoint, copy)."""


@ledger_group.command("list")
@click.option("--entity", "entity_id", default=None, help="Only the entries of this entity.")
@click.option("--since", default=None, help="From this time (ISO 8601).")
@click.option("--until", default=None, help="Before this time (ISO 8601).")
@ledger_options
@format_options
def ledger_list(
    entity_id: str | None,
    since: str | None,
    until: str | None,
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List recorded distributions.

    \b
    Example:
      quota ledger list --entity acme --since 2026-11-01
    """
    from quota import usage

    start = parse_time(since, "--since") if since else None
    end = parse_time(until, "--until") if until else None
    query_command(
        db, wait, as_json, as_csv, lambda ledger: usage.exports(ledger, entity_id, start, end), usage.EXPORT_COLUMNS
    )


@ledger_group.command("show")
@click.argument("export_id", metavar="EXPORT_ID")
@ledger_options
@format_options
def ledger_show(export_id: str, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Show one distribution: counts, files with sha256, policy profile, events and hashes.

    \b
    Example:
      quota ledger show acme-oct --json
    """
    from quota import usage

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        row = usage.export_detail(ledger, export_id)
    if fmt == "json":
        click.echo(to_json(row))
        return
    head = {k: row[k] for k in [*usage.EXPORT_COLUMNS, "profile", "version"]}
    # typed: the IDs came from objects that say their kind; declared: the operator's --ids said it
    head["sources"] = " ".join(f"{kind}:{source}" for kind, source in row["sources"].items())
    click.echo(render([head], list(head), fmt))
    if fmt == "table":
        click.echo("\nfiles:")
        click.echo(render(row["files"], ["path", "kind", "count", "sha256"], fmt))
        click.echo("\nevents:")
        click.echo(render(row["events"], ["seq", "kind", "hash"], fmt))


@ledger_group.command("void")
@click.argument("export_id", metavar="EXPORT_ID")
@click.option("--reason", required=True, help="Why the entry was wrong.")
@click.option("--by", "by", required=True, help="Who voids it.")
@ledger_options
def ledger_void(export_id: str, reason: str, by: str, db: str | None, wait: float) -> None:
    """Mark an entry recorded in error as void: it stays, marked with the reason and who voided
    it. What was delivered keeps counting (cap, daily objects, exemption, request) and is still
    found by who-received and deletion notices; only an imported row, which delivered nothing,
    stops counting.

    \b
    Example:
      quota ledger void acme-oct --reason "recorded twice by mistake" --by "C. Officer"
    """
    from quota import recovery

    with writer(db, wait) as ledger:
        seq = recovery.void(ledger, export_id, reason, by)
    click.echo(f"voided {export_id} (event {seq})", err=True)


@ledger_group.command("recover")
@click.option(
    "--release",
    "release_id",
    default=None,
    metavar="EXPORT_ID",
    help="Resolve this open reservation (or unpublished export) as never delivered.",
)
@click.option(
    "--publish",
    "publish_id",
    default=None,
    metavar="EXPORT_ID",
    help="Move the committed files of this unpublished export into place (their sha256 checked first).",
)
@click.option(
    "--reason",
    default="interrupted export; files never delivered",
    show_default=True,
    help="With --release: why it was never delivered.",
)
@click.option(
    "--clean",
    is_flag=True,
    help="Remove the work directories (.OUTDIR.partial-*) that killed runs left, except those of unresolved exports.",
)
@click.option(
    "--in",
    "places",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Also look for work directories in this directory (repeatable).",
)
@ledger_options
@format_options
def ledger_recover(
    release_id: str | None,
    publish_id: str | None,
    reason: str,
    clean: bool,
    places: tuple[Path, ...],
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List exports an interruption left unresolved: open reservations (they still count) and
    committed exports whose files were never published; release or publish one. A committed
    export whose files are already in place is recorded as published. Work directories that
    killed runs left (.OUTDIR.partial-*, they hold IDs) are listed on stderr; --clean removes them.

    Only an export that provably stopped is released: reserved on this host, its work directory's
    lock free. A running one is refused (exit 3).

    \b
    Examples:
      quota ledger recover
      quota ledger recover --release x-20261122T101500-3fa2c1d0
      quota ledger recover --publish x-20261122T101500-3fa2c1d0
      quota ledger recover --clean --in /srv/deliveries
    """
    from quota import recovery

    if sum(map(bool, (release_id, publish_id, clean))) > 1:
        raise click.UsageError("give one of --release, --publish and --clean")
    if clean:
        with reader(db, wait) as ledger:
            removed = recovery.clean(recovery.leftovers(ledger, places))
        if as_json:
            click.echo(to_json(removed))
        total = sum(d["bytes"] for d in removed)
        click.echo(f"removed {plural(len(removed), 'work directory')} ({total:,} bytes)", err=True)
        for d in removed:
            click.echo(f"  {d['path']}", err=True)
        return
    if release_id:
        with writer(db, wait) as ledger:
            seq = recovery.release(ledger, release_id, reason)
        click.echo(f"released {release_id} (event {seq})", err=True)
        return
    if publish_id:
        with writer(db, wait) as ledger:
            where = recovery.publish_pending(ledger, publish_id)
        click.echo(f"published {publish_id} in {where}", err=True)
        return
    with reader(db, wait) as ledger:  # a look first: a ledger this user may only read lists too
        found = recovery.leftovers(ledger, places)
        unsettled = recovery.settle(ledger, dry_run=True)
    if unsettled:
        with writer(db, wait) as ledger:
            for row in recovery.settle(ledger):
                click.echo(f"recorded {row['export_id']} as published: its files are in {row['outdir']}", err=True)
    columns = ["export_id", "entity", "person", "at", "post_ids", "user_ids", "dm_ids", "state", "outdir"]
    query_command(db, wait, as_json, as_csv, recovery.unresolved, columns)
    loose = [d for d in found if d["export_id"] is None]
    if loose:
        total = sum(d["bytes"] for d in loose)
        click.echo(
            f"{plural(len(loose), 'work directory')} left by killed runs ({total:,} bytes of IDs and scratch): "
            + ", ".join(d["path"] for d in loose[:5])
            + ("" if len(loose) <= 5 else ", ...")
            + "; quota ledger recover --clean removes them",
            err=True,
        )


@ledger_group.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option("--breach", "breach", is_flag=True, help="Rows over the cap were real: record them as breaches.")
@click.option("--reason", default=None, help="With --breach: how the breach happened.")
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="List the entries made as JSON.")
def ledger_import(csv_file: Path, breach: bool, reason: str | None, db: str | None, wait: float, as_json: bool) -> None:
    """Record distributions made before the ledger existed
    (at,entity,post_ids[,user_ids,reference,ids_file]).

    Each row is checked in every 30-day window it falls in (terms, then the cap); one refused row
    records nothing. Imported entries are marked as such, with the time they were recorded. ids_file: a plain list of the row's Post IDs, so that who-received and deletion
    notices reach the recipient. --breach records rows over the cap, marked as breaches.

    \b
    Examples:
      quota ledger import past-deliveries.csv
      quota ledger import march-overrun.csv --breach --reason "two teams exported the same week"
    """
    from quota import imports

    if breach and not reason:
        raise UsageError("--breach needs --reason: how the breach happened")
    if reason and not breach:
        raise UsageError("--reason goes with --breach")
    with writer(db, wait) as ledger:
        ids = imports.import_csv(ledger, csv_file, str(csv_file), breach=reason if breach else None)
        made = imports.recorded(ledger, ids) if as_json else []
    if as_json:
        click.echo(to_json(made))
    click.echo(f"imported {plural(len(ids), 'past distribution')}", err=True)


@ledger_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also check that the ledger extends this checkpoint.",
)
@click.option(
    "--since",
    "since_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Check that the ledger extends this checkpoint, then verify only what came after it.",
)
@checkpoints_option(
    "Also check the ledger against every checkpoint in its log in this directory "
    "(written by ledger checkpoint --to; default $QUOTA_CHECKPOINTS)."
)
@click.option(
    "--keep", is_flag=True,
    help="When it verifies, append its checkpoint to the log of --checkpoints (quota alerts reads the newest) "
    "and keep it as the last verified one (quota report starts from it).",
)  # fmt: skip
@ledger_options
@format_options
def ledger_verify(
    checkpoint_file: Path | None,
    since_file: Path | None,
    log_dir: Path | None,
    keep: bool,
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Recompute the hash chain and rebuild the state from the events; exit 5 at the first problem.

    With --since, only the events after the checkpoint, their rows and IDs, and the windows
    their entries fall in are checked: what came before is taken as the checkpoint found it
    (a full verify proves that too).

    \b
    Examples:
      quota ledger verify --checkpoint checkpoint-2026-11.txt
      quota ledger verify --since checkpoint-2026-11.txt
      quota ledger verify --checkpoints /mnt/compliance/checkpoints --keep
    """
    from quota.errors import LedgerError

    fmt = output_format(as_json, as_csv)
    from quota.store.session import read_checkpoint

    if checkpoint_file is not None and since_file is not None:
        raise click.UsageError("give --checkpoint or --since, not both (--since checks the checkpoint too)")
    if keep and log_dir is None:
        raise click.UsageError(
            "--keep appends to the checkpoint log: name its directory (--checkpoints or $QUOTA_CHECKPOINTS)"
        )
    checkpoint = read_checkpoint(checkpoint_file) if checkpoint_file is not None else None
    since = read_checkpoint(since_file) if since_file is not None else None
    with reader(db, wait) as ledger:
        report = ledger.verify(checkpoint=checkpoint, since=since)
        logged = None
        if log_dir is not None and report.ok:
            logged, why = ledger.verify_log(log_dir)
            if why is not None:
                report.ok, report.problem = False, why
            elif keep:
                from quota.store.session import keep_verified

                keep_verified(log_dir, ledger.ledger_id, ledger.checkpoint())
    row = report.as_json()
    if log_dir is not None:
        row["checkpoints_checked"] = logged
    if fmt != "table":
        click.echo(render([row], list(row), fmt) if fmt == "csv" else to_json(row))
    if not report.ok:
        raise LedgerError(f"ledger verification failed: {report.problem}")
    if fmt == "table":
        click.echo(f"ok: ledger {report.ledger_id}, {report.events} events, head {report.head}")
        if log_dir is not None:
            click.echo(f"extends every checkpoint of its log in {log_dir} ({plural(logged or 0, 'checkpoint')})")
        if report.since is not None:
            new = plural(report.events - report.since, "event")
            click.echo(
                f"checked: the {new} after the checkpoint's event {report.since} (what came before, a full verify checks)"
            )
        for b in report.breaches:
            click.echo(
                f"breach recorded: {b['export_id']} gave {b['entity']} {b['post_ids']:,} Post IDs at "
                f"{iso_z(b['at'])}, over the cap: {b['reason']}"
            )


@ledger_group.command("checkpoint")
@click.option(
    "-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write it to a file too."
)
@checkpoints_option(
    "Append it to the ledger's checkpoint log in this directory, kept apart from the ledger "
    "(default $QUOTA_CHECKPOINTS); verify --checkpoints DIR checks them all.",
    name="--to",
)
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="Print the checkpoint as JSON.")
def ledger_checkpoint(out: Path | None, log_dir: Path | None, db: str | None, wait: float, as_json: bool) -> None:
    """Print `ledger-id / event count / head hash / UTC time` for compliance to keep elsewhere.

    \b
    Examples:
      quota ledger checkpoint -o checkpoint-2026-11.txt
      quota ledger checkpoint --to /mnt/compliance/checkpoints
    """
    from quota.output import replace_file
    from quota.store.session import append_checkpoint

    with reader(db, wait) as ledger:
        line = ledger.checkpoint()
        ledger_id = ledger.ledger_id
    if out is not None:
        replace_file(out, line + "\n", "a checkpoint")
    log = append_checkpoint(log_dir, ledger_id, line) if log_dir is not None else None
    if log is not None:
        click.echo(f"appended to {log}", err=True)
    if as_json:
        _, lid, events, head, at = line.split()
        click.echo(to_json({"checkpoint": line, "ledger_id": lid, "events": int(events), "head": head, "at": at,
                            "log": str(log) if log else None}))  # fmt: skip
    else:
        click.echo(line)


@ledger_group.command("copy")
@click.option("--to", "to", required=True, help="A new ledger: a file path or postgresql://USER@HOST[:PORT]/DBNAME.")
@ledger_options
def ledger_copy(to: str, db: str | None, wait: float) -> None:
    """Copy the whole ledger (every event and its IDs) into a new ledger of either backend,
    verified; the copy extends the same chain, so checkpoints of this one verify against it.

    \b
    Example (moving a team's file to the shared server):
      quota ledger copy --db ledger.duckdb --to postgresql://quota@db.example/quota
    """
    import sys

    def progress(step: str, done: int, total: int) -> None:
        what = step if total <= 1 else f"{step}: {done:,} of {total:,} ({done / max(total, 1):.0%})"
        click.echo(f"\r{what[:78]:78}", nl=False, err=True)

    shown = sys.stderr.isatty()
    with reader(db, wait) as ledger:
        report = ledger.copy_to(to, wait, progress=progress if shown else None)
    if shown:
        click.echo("\r" + " " * 78 + "\r", nl=False, err=True)
    click.echo(
        f"copied ledger {report.ledger_id} ({plural(report.events, 'event')}, {plural(report.lineage, 'delivered ID')}, "
        f"{plural(report.notice_ids, 'notice ID')}) to {report.target}; it verifies",
        err=True,
    )
    click.echo(report.target)
