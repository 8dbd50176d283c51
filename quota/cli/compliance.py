"""`quota who-received`, `notice ...`, `sql`, `report`: the answers compliance staff need."""

from __future__ import annotations

import sys
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
from quota.cli.render import render
from quota.errors import UsageError
from quota.jsontext import to_json


@cli.command("who-received")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--file", "file", default=None, help="IDs from a file: one per line, or any format strip reads.")
@click.option("--kind", type=click.Choice(["post", "user", "dm"]), default=None, help="Only IDs of this kind.")
@ledger_options
@format_options
def who_received_cmd(
    ids: tuple[str, ...], file: str | None, kind: str | None, db: str | None, wait: float, as_json: bool, as_csv: bool
) -> None:
    """Every export or manual entry that delivered each ID: entity, person, time, basis.

    \b
    Examples:
      quota who-received 1895625031960240129
      quota who-received --file deleted.txt --kind post --csv
    """
    from quota import received

    asked, typed = received.ids_from(ids, file, kind)
    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        rows = received.who_received(ledger, asked, kind or ("post" if typed and file else None))
    click.echo(render(rows, received.COLUMNS, fmt))
    reached = len({r["id"] for r in rows})
    click.echo(f"quota: {reached:,} of {len(set(asked)):,} IDs were delivered to someone", err=True)


@cli.group()
def notice() -> None:
    """Deletion notices from X's compliance jobs: who must be told, by when (24 hours)."""


@notice.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--received-at", default=None,
    help="When X's result arrived (ISO 8601, UTC; default now); more than 5 minutes ago needs --evidence.",
)  # fmt: skip
@click.option(
    "--evidence", default=None, type=click.Path(path_type=Path),
    help="Proof of a back-dated --received-at (the e-mail or message; its sha256 is kept).",
)  # fmt: skip
@click.option(
    "--kind", type=click.Choice(["post", "user"]), default=None,
    help="Whose IDs the result lists: post (a tweets job) or user (a users job); the file does not say.",
)  # fmt: skip
@click.option(
    "--job", "job_file", default=None, type=click.Path(path_type=Path),
    help="The compliance job's own JSON (its type, tweets or users, gives the kind).",
)  # fmt: skip
@ledger_options
@format_options
def notice_add(
    file: Path,
    received_at: str | None,
    evidence: Path | None,
    kind: str | None,
    job_file: Path | None,
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """Record a compliance result FILE (JSON lines) and list the entities to tell by the deadline.

    X's result does not say whether it came from a tweets job or a users job: give --kind, or
    the job's JSON with --job.

    \b
    Examples:
      quota notice add compliance-2026-11-22.jsonl --kind post
      quota notice add compliance-2026-11-22.jsonl --job job-1596.json
      quota notice add result.jsonl --kind post --received-at 2026-11-22T08:00:00Z --evidence mail.eml
    """
    from quota import notices

    if received_at is not None:
        parse_time(received_at, "--received-at")
    fmt = output_format(as_json, as_csv)
    job = None
    if job_file is not None:
        job_says, job_id = notices.job_kind(job_file, str(job_file))
        if kind is not None and kind != job_says:
            raise UsageError(f"--kind {kind} contradicts {job_file}, a {job_says}s job ({job_id})")
        kind, job = job_says, (str(job_file), job_id)
    if kind is None:
        raise UsageError(
            "say whose IDs the result lists: --kind post (a tweets job) or --kind user (a users job), "
            "or --job with the job's JSON"
        )
    with writer(db, wait) as ledger:
        when = parse_time(received_at, "--received-at") if received_at is not None else None
        notice_id, seq = notices.add(ledger, file, str(file), when, kind, job, evidence)
        rows = notices.affected(ledger, notice_id)
    for r in rows:
        r["notice_id"] = notice_id
    click.echo(f"recorded notice {notice_id} (event {seq}): {plural(len(rows), 'entity')} to tell", err=True)
    click.echo(render(rows, ["notice_id", "entity", "ids", "deadline", "declared"], fmt))


@notice.command("show")
@click.argument("notice_id")
@click.option("-o", "--out", "outdir", default=None, type=click.Path(path_type=Path), help="One CSV per entity here.")
@ledger_options
@format_options
def notice_show(notice_id: str, outdir: Path | None, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Per entity, the notice's IDs it received, with reason and the exports that delivered them.

    \b
    Examples:
      quota notice show n-20261122T080000-1a2b3c
      quota notice show n-20261122T080000-1a2b3c -o to-send/
    """
    from quota import notices

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        rows = notices.detail(ledger, notice_id)
    if outdir is not None:
        for path in notices.write_files(rows, outdir, notice_id):
            click.echo(f"wrote {path}", err=True)
    click.echo(render(rows, ["entity", "id", "kind", "action", "reason", "export_ids", "declared"], fmt))


@notice.command("sent")
@click.argument("notice_id")
@click.option("--entity", "entity_id", required=True, help="The recipient that was told.")
@click.option(
    "--at",
    "at",
    default=None,
    help="When it was told (ISO 8601, UTC; default now); more than 5 minutes ago needs --evidence.",
)
@click.option(
    "--evidence", default=None, type=click.Path(path_type=Path),
    help="Proof of a back-dated --at (the message that told them; its sha256 is kept).",
)  # fmt: skip
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="Print what was recorded as JSON.")
def notice_sent(
    notice_id: str, entity_id: str, at: str | None, evidence: Path | None, db: str | None, wait: float, as_json: bool
) -> None:
    """Record that ENTITY was told about the notice's IDs (now, or at a back-dated --at with --evidence).

    \b
    Examples:
      quota notice sent n-20261122T080000-1a2b3c --entity acme
      quota notice sent n-20261122T080000-1a2b3c --entity beta --at 2026-11-22T09:30:00Z --evidence sent.eml
    """
    from quota import notices

    when = parse_time(at) if at is not None else None
    with writer(db, wait) as ledger:
        seq = notices.sent(ledger, notice_id, entity_id, when, evidence)
    if as_json:
        click.echo(
            to_json({"notice_id": notice_id, "entity": entity_id, "event": seq, "already_recorded": seq is None})
        )
    if seq is None:
        click.echo(f"already recorded: {entity_id} was told about {notice_id}", err=True)
    else:
        click.echo(f"recorded that {entity_id} was told about {notice_id} (event {seq})", err=True)


@notice.command("void")
@click.argument("notice_id")
@click.option("--reason", required=True, help="Why the notice was recorded wrongly.")
@click.option("--by", "by", default=None, help="Who voids it (the ledger also records the authenticated user).")
@ledger_options
def notice_void(notice_id: str, reason: str, by: str | None, db: str | None, wait: float) -> None:
    """Mark a notice recorded in error (e.g. with the wrong --kind); it stays in the ledger and
    stops demanding action, and its file may then be added again.

    \b
    Example:
      quota notice void n-20261122T080000-1a2b3c --reason "users job recorded as posts" --by "C. Officer"
    """
    from quota import notices

    with writer(db, wait) as ledger:
        seq = notices.void(ledger, notice_id, reason, by)
    click.echo(f"voided notice {notice_id} (event {seq})", err=True)


@notice.command("list")
@click.option("--check", is_flag=True, help="Exit 3 when any notice is overdue (for cron).")
@click.option("--all", "everything", is_flag=True, help="Also notices whose entities were all told.")
@click.option("--at", "at", default=None, help="Judge overdue at this time (default now).")
@ledger_options
@format_options
def notice_list(
    check: bool, everything: bool, at: str | None, db: str | None, wait: float, as_json: bool, as_csv: bool
) -> None:
    """Open notices: entities not yet told and the time left; overdue ones first.

    \b
    Examples:
      quota notice list
      quota notice list --check --json    # exit 3 if anything is overdue
    """
    from quota import notices

    if at is not None:
        parse_time(at)
    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        when = at_or_now(ledger, at)
        found = notices.open_notices(ledger, when, everything)
    if fmt == "json":
        click.echo(to_json(found))
    else:
        flat = [r | {"time_left": notices.time_left(r["deadline"], when)} for r in notices.flat(found)]
        click.echo(
            render(flat, ["notice_id", "deadline", "overdue", "time_left", "entity", "ids", "told_at", "acked_at"], fmt)
        )
    overdue = notices.overdue(found)
    if check and overdue:
        raise QuotaFailure(f"{plural(len(overdue), 'notice')} overdue: {', '.join(overdue)}", 3)


@cli.command("sql")
@click.argument("query")
@click.option(
    "--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
    help="Stop the query after this many seconds (it holds the ledger's shared lock while it runs).",
)  # fmt: skip
@ledger_options
@format_options
def sql_cmd(query: str, timeout: float, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Run one read-only SELECT QUERY (or - to read it from stdin) on the ledger and its views.

    Views: exports, delivered_ids, recipients, people, exemption_usage, cap_permissions,
    notices, usage_30d, manual_usage_24h (see docs/compliance.md). Writes, ATTACH, COPY, file and
    network functions, INSTALL and SET are refused (exit 2). A query may take --timeout
    seconds, 1 GB of memory and return 1,000,000 rows; past that it stops with exit 2.

    \b
    Examples:
      quota sql "SELECT entity, count(*) FROM delivered_ids GROUP BY ALL" --csv
      echo "SELECT * FROM usage_30d ORDER BY used DESC LIMIT 5" | quota sql - --json
    """
    from quota import sqlquery

    text = _query_from_stdin() if query == "-" else query
    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        try:
            columns, rows = sqlquery.run(ledger, text, timeout)
        except sqlquery.QueryTimeout as e:
            raise QuotaFailure(f"{e} (--timeout SECONDS gives it longer)", e.exit_code) from None
    click.echo(render(rows, columns, fmt))


def _query_from_stdin() -> str:
    data = sys.stdin.buffer.read((1 << 20) + 1)
    if len(data) > 1 << 20:
        raise UsageError("the query on standard input is longer than 1 MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"the query on standard input is not UTF-8 text (byte {e.start + 1})") from None
    if "\x00" in text:
        raise UsageError("the query on standard input holds a NUL byte: it is not SQL text")
    return text


@cli.command("report")
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--since", default=None, help="Start of the period (ISO 8601; default 90 days before --until).")
@click.option("--until", default=None, help="End of the period (default now).")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True,
    help="One self-contained HTML file, or the same document as JSON.",
)  # fmt: skip
@click.option(
    "--from-checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Check that the ledger extends this checkpoint, then verify only what came after it.",
)
@checkpoints_option(
    "Without --from-checkpoint: start from the last checkpoint a verify kept in this directory "
    "(ledger verify --keep; default $QUOTA_CHECKPOINTS) and compare only the rows made since."
)
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="Print a summary of what was written as JSON.")
def report_cmd(
    out: Path,
    since: str | None,
    until: str | None,
    fmt: str,
    checkpoint_file: Path | None,
    log_dir: Path | None,
    db: str | None,
    wait: float,
    as_json: bool,
) -> None:
    """One self-contained report for compliance staff: usage over time, headroom, exemptions,
    manual exports, deletion notices, and whether the ledger verifies.

    With --from-checkpoint (a file of quota ledger checkpoint, kept since a full verify), the
    report re-hashes only the events after it, as ledger verify --since does, and still compares
    every state table. Without it, from the last checkpoint `ledger verify --keep` kept in
    --checkpoints (a verify that compared every table then), it compares only the rows made
    since. The report says which.

    \b
    Examples:
      quota report -o report.html
      quota report -o report.json --format json --since 2026-01-01
      quota report -o report.html --from-checkpoint checkpoint-2026-11.txt
      quota report -o report.html --checkpoints /mnt/compliance/checkpoints
    """

    from quota import report
    from quota.store.session import read_checkpoint, read_verified

    end = parse_time(until, "--until") if until else None
    start = parse_time(since, "--since") if since else None
    if start and end and start >= end:
        raise click.UsageError("--since must be before --until")
    checkpoint = read_checkpoint(checkpoint_file) if checkpoint_file is not None else None
    with reader(db, wait) as ledger:
        verified = None
        if checkpoint is None and log_dir is not None:
            checkpoint = verified = read_verified(log_dir, ledger.ledger_id)
        doc = report.write(ledger, out, fmt, start, end, checkpoint, verified is not None)
    if as_json:
        click.echo(to_json({"path": str(out), "format": fmt, "verified": doc["ledger"]["verified"],
                            "problem": doc["ledger"]["problem"], "checked": doc["ledger"]["checked"],
                            "entities": len(doc["entities"]), "exemptions": len(doc["exemptions"]),
                            "overdue_notices": doc["overdue_notices"]}))  # fmt: skip
    state = "verified" if doc["ledger"]["verified"] else "FAILED verification"
    click.echo(
        f"wrote {out}: {plural(len(doc['entities']), 'entity')}, {plural(len(doc['exemptions']), 'exemption')}, "
        f"{plural(doc['overdue_notices'], 'overdue notice')}; ledger {state}",
        err=True,
    )
    if not doc["ledger"]["verified"]:
        # Written all the same (what was found is evidence), but never a success.
        raise QuotaFailure(f"the ledger failed verification: {doc['ledger']['problem']}", 5)
