"""The `quota` command: parse, call the library, render, map errors to exit codes.

Heavy modules (DuckDB, Arrow) are imported inside commands so that `quota --help` is fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from quota import __version__
from quota.errors import QuotaError, UsageError
from quota.policy import MAX_QUANTITY
from quota.render import render, to_json

if TYPE_CHECKING:
    from quota.ledger import Ledger
    from quota.progress import ByteProgress

EXIT_CODES = """Exit codes: 0 ok; 1 unexpected error; 2 usage; 3 refused by policy;
4 bad input data; 5 ledger unavailable or failed verification."""


MAX_MESSAGE = 300
# A refusal is quota's own sentence of numbers (used, cap, over by, when it fits, why): it is
# never cut, only bounded, since what it quotes (names, times) is bounded already.
MAX_REFUSAL = 600


class QuotaFailure(click.ClickException):
    """A QuotaError (or an unexpected error) carried through click with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        # One readable sentence: whatever a message quotes, it never runs to pages.
        # The end often says what became of the run ("... was released"): cut the middle.
        limit = MAX_REFUSAL if exit_code == 3 else MAX_MESSAGE
        if len(message) > limit:
            message = message[: limit - 103] + " ... " + message[-98:]
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: object = None) -> None:
        click.echo(f"quota: {self.message}", err=True)


class QuotaGroup(click.Group):
    """Maps library errors to one line on stderr and the documented exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except QuotaError as e:
            raise QuotaFailure(str(e), e.exit_code) from None
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            raise QuotaFailure("output pipe closed", 1) from None
        except Exception as e:  # no traceback for the user; QUOTA_DEBUG=1 shows it
            if os.environ.get("QUOTA_DEBUG"):
                raise
            raise QuotaFailure(f"unexpected error: {type(e).__name__}: {e} (QUOTA_DEBUG=1 shows details)", 1) from None


@click.group(cls=QuotaGroup, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quota")
def cli() -> None:
    """Redistribute X data as IDs only, within X's Developer Policy, and prove it."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option(
    "--ids", "ids", default="post", show_default=True, help="ID kinds to keep: post, user, dm (comma-separated)."
)
@click.option(
    "--referenced",
    is_flag=True,
    help="Add referenced posts (quoted, replied-to, retweeted, includes.tweets) and, with user, their authors.",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    help="Input format instead of detecting it: v2-pages, dm-events, v2-flat, v1, v1-array, archive, csv, parquet, ids.",
)
@click.option("--id-column", default=None, help="CSV/Parquet column holding the IDs (of the one kind given by --ids).")
@click.option("--out-format", type=click.Choice(["txt", "csv", "parquet"]), default="txt", show_default=True)
@click.option("--gzip", "gz", is_flag=True, help="Gzip the text or CSV outputs.")
@click.option("--split", type=click.IntRange(min=1), default=None, help="At most N IDs per file, in numbered parts.")
@click.option(
    "--skip-bad",
    is_flag=True,
    help="Skip bad lines (counted and listed in the summary and manifest) instead of stopping.",
)
@click.option("--force", is_flag=True, help="Replace a non-empty OUTDIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the manifest on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress bar.")
def strip(
    inputs: tuple[str, ...],
    outdir: Path,
    ids: str,
    referenced: bool,
    fmt: str | None,
    id_column: str | None,
    out_format: str,
    gz: bool,
    split: int | None,
    skip_bad: bool,
    force: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Strip INPUT files (or - for stdin) down to sorted, unique IDs in OUTDIR.

    \b
    Example:
      quota strip pages.jsonl.gz -o out/ --ids post,user
    """
    from quota import strip as strip_mod
    from quota.output import OutputOptions, check_outdir, write_outdir
    from quota.readers.records import Want
    from quota.scratch import WorkDir

    want = Want(strip_mod.parse_kinds(ids), referenced)
    out_opts = OutputOptions(out_format=out_format, gzip=gz, split=split)
    out_opts.check()
    before = check_outdir(outdir, force)
    progress = _progress(inputs, quiet)
    with WorkDir(outdir) as work:
        opts = strip_mod.StripOptions(want=want, fmt=fmt, id_column=id_column, skip_bad=skip_bad, scratch=work.path)
        try:
            stripped = strip_mod.strip(inputs, opts, progress)
        finally:
            if progress:
                progress.close()
        with stripped:
            doc = write_outdir(work, outdir, before, stripped, out_opts)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    if not quiet:
        click.echo(summary(doc, outdir, stripped.seconds), err=True)


def _progress(inputs: tuple[str, ...], quiet: bool) -> ByteProgress | None:
    """The progress bar of strip and export: on a terminal only, never with --quiet."""
    if quiet or not sys.stderr.isatty():
        return None
    from quota.progress import ByteProgress

    return ByteProgress(sum(os.path.getsize(p) for p in inputs if p != "-" and os.path.isfile(p)))


# ------------------------------------------------------------------ the ledger


def ledger_options(f):  # type: ignore[no-untyped-def]
    f = click.option(
        "--wait", type=float, default=60.0, show_default=True, help="Seconds to wait for the ledger lock."
    )(f)
    return click.option("--db", "db", default=None, help="Ledger file (else $QUOTA_DB, else the per-user default).")(f)


def format_options(f):  # type: ignore[no-untyped-def]
    f = click.option("--csv", "as_csv", is_flag=True, help="CSV on stdout.")(f)
    return click.option("--json", "as_json", is_flag=True, help="JSON on stdout (stable keys).")(f)


def _fmt(as_json: bool, as_csv: bool) -> str:
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


def _at(ledger, value: str | None, option: str = "--at") -> datetime:  # type: ignore[no-untyped-def]
    """The time given, else now by the ledger's clock (a shared ledger's: the server's)."""
    return parse_time(value, option) if value is not None else ledger.now()


def _writer(db: str | None, wait: float, create: bool = False):  # type: ignore[no-untyped-def]
    from quota.ledger import Ledger

    return Ledger.open(db, write=True, wait=wait, create=create)


def _reader(db: str | None, wait: float):  # type: ignore[no-untyped-def]
    from quota.ledger import Ledger

    return Ledger.open(db, write=False, wait=wait)


def _query(
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
    fetch: Callable[[Ledger], list[dict[str, Any]]],
    columns: list[str],
) -> None:
    """Run `fetch(ledger)` under a shared lock and print its rows as a table, JSON or CSV."""
    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        rows = fetch(ledger)
    click.echo(render(rows, columns, fmt))


@cli.command()
@ledger_options
def init(db: str | None, wait: float) -> None:
    """Create the ledger, or upgrade it to this version (safe to repeat).

    \b
    Example:
      quota init --db /srv/quota/ledger.duckdb
    """
    with _writer(db, wait, create=True) as ledger:
        seq, _ = ledger.head()
        done = "created" if ledger.created else "upgraded"
        click.echo(f"{done} ledger {ledger.ledger_id} at {ledger.path} ({seq} events)", err=True)
    click.echo(ledger.path)


@cli.group()
def entity() -> None:
    """Recipients: organisations, academic institutions, individuals."""


@entity.command("add")
@click.argument("entity_id", metavar="ENTITY")
@click.option("--name", required=True, help="The recipient's full name.")
@click.option(
    "--kind", default="organization", show_default=True, type=click.Choice(["organization", "academic", "individual"])
)
@click.option("--part-of", "group", default=None, help="The group (organisation) whose one 30-day cap it shares.")
@click.option("--domain", "domains", multiple=True, help="An internet domain of the recipient (repeatable).")
@ledger_options
def entity_add(
    entity_id: str, name: str, kind: str, group: str | None, domains: tuple[str, ...], db: str | None, wait: float
) -> None:
    """Add a recipient entity. A name or domain like another entity's is warned of (and recorded).

    \b
    Examples:
      quota entity add acme --name "Acme Research Ltd" --domain acme.example
      quota entity add acme-labs --name "Acme Labs" --part-of acme-group --domain labs.acme.example
    """
    from quota import registry

    with _writer(db, wait) as ledger:
        seq, warnings = registry.add_entity(ledger, entity_id, name, kind, group, domains)
    click.echo(f"added entity {entity_id} (event {seq})" + (f", part of {group}" if group else ""), err=True)
    _warn(entity_id, warnings)


def _warn(subject: str, warnings: list[str]) -> None:
    for w in warnings:
        click.echo(f"quota: warning: {subject} may be related to another recipient: {w} (see quota related)", err=True)


@entity.command("link")
@click.argument("entity_id", metavar="ENTITY")
@click.option("--part-of", "group", required=True, help="The group whose one 30-day cap it shares from now on.")
@click.option("--reason", required=True, help="Why it belongs to the group.")
@ledger_options
def entity_link(entity_id: str, group: str, reason: str, db: str | None, wait: float) -> None:
    """From now on, ENTITY shares GROUP's one 30-day cap (its earlier entries stay its own).

    \b
    Example:
      quota entity link acme-eu --part-of acme-group --reason "subsidiary of Acme Research Ltd"
    """
    from quota import registry

    with _writer(db, wait) as ledger:
        seq = registry.link_entity(ledger, entity_id, group, reason)
    click.echo(f"linked {entity_id} to group {group} (event {seq})", err=True)


@entity.command("accept-terms")
@click.argument("entity_id", metavar="ENTITY")
@click.option("--by", required=True, help="Who accepted X's terms for the entity.")
@click.option("--at", "at", default=None, help="When (ISO 8601, UTC); default now; not in the future.")
@click.option("--document", default=None, type=click.Path(path_type=Path), help="The accepted terms (sha256 kept).")
@click.option(
    "--version", "version", default=None, help="Which terms, e.g. 'X Developer Agreement and Policy, 2026-10'."
)
@click.option("--method", default=None, help="How they were accepted, e.g. 'web form', 'signed PDF'.")
@click.option(
    "--evidence", default=None, type=click.Path(path_type=Path),
    help="Proof of an acceptance recorded over 24 hours after --at (sha256 kept); required then.",
)  # fmt: skip
@ledger_options
def entity_accept_terms(
    entity_id: str,
    by: str,
    at: str | None,
    document: Path | None,
    version: str | None,
    method: str | None,
    evidence: Path | None,
    db: str | None,
    wait: float,
) -> None:
    """Record that ENTITY accepted X's Terms, Privacy Policy, Developer Agreement and Developer Policy.

    Give what was accepted (--document or --version). An acceptance more than 24 hours in the
    past is back-dated: it needs --evidence, and is flagged wherever acceptances are shown.

    \b
    Examples:
      quota entity accept-terms acme --by "J. Doe" --version "X Developer Agreement and Policy, 2026-10" --method "web form"
      quota entity accept-terms acme --by "J. Doe" --document xda-2026-10.pdf --at 2026-11-01T09:00:00Z --evidence signed.pdf
    """
    from quota import registry

    with _writer(db, wait) as ledger:
        seq = registry.accept_terms(
            ledger, entity_id, by, _at(ledger, at), document=document, version=version, method=method,
            evidence=evidence,
        )  # fmt: skip
    click.echo(f"recorded terms acceptance of {entity_id} (event {seq})", err=True)


@entity.command("list")
@ledger_options
@format_options
def entity_list(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """List entities, with their terms acceptance and number of persons.

    \b
    Example:
      quota entity list --json
    """
    from quota import registry

    _query(db, wait, as_json, as_csv, registry.entities, ["entity", "name", "kind", "terms_accepted_at", "persons"])


@entity.command("show")
@click.argument("entity_id", metavar="ENTITY")
@ledger_options
@format_options
def entity_show(entity_id: str, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Show one entity: terms acceptances, persons, permissions.

    \b
    Example:
      quota entity show acme
    """
    from quota import registry

    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        detail = registry.entity_detail(ledger, entity_id)
    if fmt == "json":
        click.echo(to_json(detail))
        return
    head = {k: detail[k] for k in ("entity", "name", "kind")}
    click.echo(render([head], list(head), fmt))
    if fmt == "table":
        for part, cols in (
            ("terms", ["accepted_by", "accepted_at", "version", "method", "backdated"]),
            ("persons", ["person", "name"]),
            ("permissions", ["ref", "cap", "valid_from", "valid_until"]),
        ):
            click.echo(f"\n{part}:")
            click.echo(render(detail[part], cols, fmt))


@cli.group()
def person() -> None:
    """People of an entity: their receipts add up at the entity."""


@person.command("add")
@click.argument("person_id", metavar="PERSON")
@click.option("--entity", "entity_id", required=True)
@click.option("--name", default=None)
@click.option("--email", default=None, help="Handles with one email are one human: one daily allowance.")
@ledger_options
def person_add(
    person_id: str, entity_id: str, name: str | None, email: str | None, db: str | None, wait: float
) -> None:
    """Add a person belonging to an entity. A name or email like another person's is warned of.

    \b
    Example:
      quota person add jdoe --entity acme --name "J. Doe" --email j.doe@acme.example
    """
    from quota import registry

    with _writer(db, wait) as ledger:
        seq, warnings = registry.add_person(ledger, person_id, entity_id, name, email)
    click.echo(f"added person {person_id} of {entity_id} (event {seq})", err=True)
    _warn(person_id, warnings)


@person.command("move")
@click.argument("person_id", metavar="PERSON")
@click.option("--to", "entity_id", required=True, help="The entity the person belongs to from --at on.")
@click.option("--at", "at", required=True, help="From when (ISO 8601, UTC).")
@click.option("--reason", required=True)
@ledger_options
def person_move(person_id: str, entity_id: str, at: str, reason: str, db: str | None, wait: float) -> None:
    """PERSON belongs to another entity from --at on: receipts before stay with the old entity,
    and the person's daily allowance of objects follows them.

    \b
    Example:
      quota person move jdoe --to beta --at 2026-12-01T00:00:00Z --reason "changed employer"
    """
    from quota import registry

    with _writer(db, wait) as ledger:
        seq = registry.move_person(ledger, person_id, entity_id, _at(ledger, at), reason)
    click.echo(f"moved {person_id} to {entity_id} (event {seq})", err=True)


@person.command("list")
@ledger_options
@format_options
def person_list(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """List persons and their entities.

    \b
    Example:
      quota person list --csv
    """
    from quota import registry

    _query(db, wait, as_json, as_csv, registry.persons, ["person", "entity", "name", "email"])


@cli.group()
def permission() -> None:
    """X's written permissions to exceed the 30-day Post ID cap."""


@permission.command("add")
@click.argument("ref", metavar="REF")
@click.option("--entity", "entity_id", default=None, help="The entity X gave it to.")
@click.option("--group", "group", default=None, help="Or the group (its entities share one cap).")
@click.option(
    "--cap",
    type=click.IntRange(min=1, max=MAX_QUANTITY),
    required=True,
    help="Post IDs per 30-day window while the permission is in force.",
)
@click.option("--from", "start", required=True, help="ISO 8601 start (windows ending from then on).")
@click.option("--until", "until", required=True, help="ISO 8601 end (exclusive).")
@ledger_options
def permission_add(
    ref: str, entity_id: str | None, group: str | None, cap: int, start: str, until: str, db: str | None, wait: float
) -> None:
    """Record X's written permission REF raising an entity's (or a group's) cap between two dates.

    \b
    Examples:
      quota permission add X-2026-0042 --entity acme --cap 3000000 --from 2026-12-01 --until 2027-06-01
      quota permission add X-2026-0043 --group acme-group --cap 3000000 --from 2026-12-01 --until 2027-06-01
    """
    from quota import registry

    if (entity_id is None) == (group is None):
        raise UsageError("name the holder of the permission: --entity ENTITY or --group GROUP")
    entity_id = entity_id or group
    assert entity_id is not None
    with _writer(db, wait) as ledger:
        seq = registry.add_permission(
            ledger, ref, entity_id, cap, parse_time(start, "--from"), parse_time(until, "--until")
        )
    click.echo(f"recorded permission {ref} for {entity_id} (event {seq})", err=True)


@permission.command("list")
@click.option("--entity", "entity_id", default=None)
@ledger_options
@format_options
def permission_list(entity_id: str | None, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """List recorded permissions.

    \b
    Example:
      quota permission list --entity acme
    """
    from quota import registry

    columns = ["ref", "entity", "cap", "valid_from", "valid_until"]
    _query(db, wait, as_json, as_csv, lambda ledger: registry.permissions(ledger, entity_id), columns)


@cli.group()
def policy() -> None:
    """Policy profiles: the numbers every check uses."""


@policy.command("show")
@ledger_options
@format_options
def policy_show(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Show the profile in force and the ones available.

    \b
    Example:
      quota policy show --json
    """
    from quota import registry
    from quota.policy import PROFILES

    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        current = registry.current_profile(ledger).name
    rows = [
        {
            "profile": p.name,
            "in_force": p.name == current,
            "version": p.version,
            "post_ids_per_30_days": p.post_id_cap,
            "objects_per_person_per_day": p.objects_per_person,
            "object_days": p.object_days,
            "academic_ids": "as approved",
            "notice_deadline_hours": p.notice_deadline // timedelta(hours=1),
            "source": p.source,
            "note": registry.profile_note(p),
        }
        for p in PROFILES.values()
    ]
    click.echo(render(rows, list(rows[0]), fmt))
    if fmt == "table":
        for row in rows:
            if row["note"]:
                click.echo(f"{row['profile']}: {row['note']}", err=True)


@policy.command("use")
@click.argument("profile", metavar="PROFILE")
@click.option("--reason", required=True, help="Why the numbers change (the report lists it).")
@click.option("--by", "by", required=True, help="Who decided it.")
@ledger_options
def policy_use(profile: str, reason: str, by: str, db: str | None, wait: float) -> None:
    """Switch the profile in force (recorded in the ledger; later entries are judged under it).

    \b
    Example:
      quota policy use x-developer-policy-utc-day --reason "counsel reads days as UTC days" --by "C. Officer"
    """
    from quota import registry

    with _writer(db, wait) as ledger:
        seq = registry.use_policy(ledger, profile, reason, by)
    click.echo(f"policy profile {profile} in force from event {seq}", err=True)


@cli.group("ledger")
def ledger_group() -> None:
    """Prove the ledger is intact."""


@cli.command("export")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--to", "entity_id", required=True, help="The recipient entity.")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--person", default=None, help="The person of the entity who receives it.")
@click.option("--ids", "ids", default="post", show_default=True, help="ID kinds: post, user, dm (comma-separated).")
@click.option("--referenced", is_flag=True, help="Add referenced posts (and, with user, their authors).")
@click.option("--format", "fmt", default=None, help="Input format instead of detecting it.")
@click.option("--id-column", default=None, help="CSV/Parquet column holding the IDs.")
@click.option("--out-format", type=click.Choice(["txt", "csv", "parquet"]), default="txt", show_default=True)
@click.option("--gzip", "gz", is_flag=True)
@click.option("--split", type=click.IntRange(min=1), default=None)
@click.option("--at", "at", default=None, help="Record a distribution made in the past (ISO 8601, UTC).")
@click.option("--export-id", default=None, help="A key that makes a retry idempotent.")
@click.option(
    "--exemption", default=None, metavar="REF", help="Export under this research exemption (outside the 30-day cap)."
)
@click.option(
    "--skip-bad", is_flag=True, help="Skip bad lines (counted and listed in the manifest) instead of stopping."
)
@click.option("--dry-run", is_flag=True, help="Check only: write nothing, record nothing.")
@click.option("--force", is_flag=True, help="Replace a non-empty OUTDIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True)
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
    skip_bad: bool,
    dry_run: bool,
    force: bool,
    as_json: bool,
    quiet: bool,
    db: str | None,
    wait: float,
) -> None:
    """Strip INPUT files to IDs, check them against ENTITY's 30-day cap, write and record them.

    \b
    Examples:
      quota export pages.jsonl --to acme -o deliveries/acme-2026-11/ --ids post,user
      quota export old.txt --to acme -o /tmp/x --at 2026-10-01T12:00:00Z --export-id acme-oct
      quota export pages.jsonl --to acme -o /tmp/x --dry-run
      quota export sample.jsonl --to uni --person rsmith -o out/ --ids post,user --exemption X-ACAD-7
    """
    from quota import exports
    from quota import strip as strip_mod
    from quota.output import OutputOptions
    from quota.readers.records import Want

    say = (lambda m: None) if quiet else (lambda m: click.echo(f"quota: {m}", err=True))
    progress = _progress(inputs, quiet)
    try:
        result = exports.export(
            inputs,
            entity_id,
            outdir,
            db=db,
            strip_opts=strip_mod.StripOptions(
                want=Want(strip_mod.parse_kinds(ids), referenced), fmt=fmt, id_column=id_column, skip_bad=skip_bad
            ),
            out_opts=OutputOptions(out_format=out_format, gzip=gz, split=split),
            person=person,
            at=parse_time(at) if at else None,
            export_id=export_id,
            dry_run=dry_run,
            force=force,
            wait=wait,
            say=say,
            exemption=exemption,
            progress=progress,
        )
    finally:
        if progress:
            progress.close()
    if as_json:
        click.echo(to_json(result.as_json()))
    if not quiet:
        if result.already_recorded:
            verb = "already recorded"
        elif result.dry_run:
            verb = "would record (dry run)"
        else:
            verb = "recorded"
        cap = "no cap" if result.cap is None else f"{result.cap:,}"
        click.echo(
            f"{verb} export {result.export_id}: {_n(result.post_ids, 'Post ID')}, {_n(result.user_ids, 'User ID')}, "
            f"{_n(result.dm_ids, 'DM ID')} to {result.entity} at {iso_z(result.at)}; "
            f"{result.used_after:,} of {cap} used in the 30 days to then ({result.basis})",
            err=True,
        )


def iso_z(t: datetime) -> str:
    from quota.ledger import iso

    return iso(t)


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
    from quota import manual, reports

    if at is not None:
        parse_time(at)  # a bad time is refused before the ledger is opened
    if person is not None:
        if entity_id is not None:
            raise click.UsageError("give ENTITY or --person, not both")
        fmt = _fmt(as_json, as_csv)
        with _reader(db, wait) as ledger:
            row = manual.usage(ledger, person, _at(ledger, at), need)
        columns = ["person", "entity", "at", "used", "limit", "remaining", "next_free_at"]
        # One person, one object (scripts read the keys directly); CSV and tables as usual.
        click.echo(to_json(row) if fmt == "json" else render([row], columns, fmt))
        return
    columns = ["entity", "group", "at", "window_start", "used", "cap", "headroom", "next_free_at"]
    _query(db, wait, as_json, as_csv, lambda ledger: reports.usage(ledger, entity_id, _at(ledger, at), need), columns)


@cli.command("manual")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--person", required=True, help="The person who receives the spreadsheet.")
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="The spreadsheet: FILE.xlsx or FILE.csv."
)
@click.option("--at", "at", default=None, help="Record a hand-over made in the past (ISO 8601, UTC).")
@click.option(
    "--fit", is_flag=True, help="Over the limit: write the first objects that fit and say how many were left."
)
@click.option("--no-users", is_flag=True, help="Leave out the users sheet (user objects count toward the limit too).")
@click.option("--format", "fmt", default=None, help="Input format instead of detecting it.")
@click.option("--export-id", default=None, help="A key that makes a retry idempotent.")
@click.option("--dry-run", is_flag=True, help="Check only: write nothing, record nothing.")
@click.option("--force", is_flag=True, help="Replace an existing FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
@click.option("-q", "--quiet", is_flag=True)
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
        if result.already_recorded:
            verb = "already recorded"
        elif result.dry_run:
            verb = "would record (dry run)"
        else:
            verb = "recorded"
        left = f"; {result.left_out:,} left out (over the limit)" if result.left_out else ""
        if result.left_out_not_public:
            left += f"; {result.left_out_not_public:,} left out (not public: protected accounts)"
        click.echo(
            f"{verb} manual export {result.export_id}: {_n(result.posts, 'post')} and {_n(result.users, 'user')} to "
            f"{result.person} ({result.entity}) at {iso_z(result.at)}; {result.used_after:,} of {result.limit:,} "
            f"objects used{left}",
            err=True,
        )


@ledger_group.command("list")
@click.option("--entity", "entity_id", default=None)
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
    from quota import reports

    start = parse_time(since, "--since") if since else None
    end = parse_time(until, "--until") if until else None
    _query(
        db, wait, as_json, as_csv, lambda ledger: reports.exports(ledger, entity_id, start, end), reports.EXPORT_COLUMNS
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
    from quota import reports

    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        row = reports.export_detail(ledger, export_id)
    if fmt == "json":
        click.echo(to_json(row))
        return
    head = {k: row[k] for k in [*reports.EXPORT_COLUMNS, "profile", "version"]}
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
    """Mark an entry recorded in error as void: it stays, and no longer counts toward any cap.
    Its IDs may have been handed over, so who-received and deletion notices still find them.

    \b
    Example:
      quota ledger void acme-oct --reason "recorded twice by mistake" --by "C. Officer"
    """
    from quota import recovery

    with _writer(db, wait) as ledger:
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
@click.option("--reason", default="interrupted export; files never delivered", show_default=True)
@ledger_options
@format_options
def ledger_recover(
    release_id: str | None,
    publish_id: str | None,
    reason: str,
    db: str | None,
    wait: float,
    as_json: bool,
    as_csv: bool,
) -> None:
    """List exports an interruption left unresolved: open reservations (they still count) and
    committed exports whose files were never published; release or publish one.

    \b
    Examples:
      quota ledger recover
      quota ledger recover --release x-20261122T101500-3fa2c1d0
      quota ledger recover --publish x-20261122T101500-3fa2c1d0
    """
    from quota import recovery

    if release_id and publish_id:
        raise click.UsageError("give --release or --publish, not both")
    if release_id:
        with _writer(db, wait) as ledger:
            seq = recovery.release(ledger, release_id, reason)
        click.echo(f"released {release_id} (event {seq})", err=True)
        return
    if publish_id:
        with _writer(db, wait) as ledger:
            where = recovery.publish_pending(ledger, publish_id)
        click.echo(f"published {publish_id} in {where}", err=True)
        return
    columns = ["export_id", "entity", "person", "at", "post_ids", "user_ids", "dm_ids", "state", "outdir"]
    _query(db, wait, as_json, as_csv, recovery.unresolved, columns)


@ledger_group.command("import")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path))
@click.option("--breach", "breach", is_flag=True, help="Rows over the cap were real: record them as breaches.")
@click.option("--reason", default=None, help="With --breach: how the breach happened.")
@ledger_options
def ledger_import(csv_file: Path, breach: bool, reason: str | None, db: str | None, wait: float) -> None:
    """Record distributions made before the ledger existed
    (at,entity,post_ids[,user_ids,reference,ids_file]).

    Each row is checked like a back-dated export (terms, then the cap); one refused row records
    nothing. ids_file: a plain list of the row's Post IDs, so that who-received and deletion
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
    with _writer(db, wait) as ledger:
        ids = imports.import_csv(ledger, csv_file, str(csv_file), breach=reason if breach else None)
    click.echo(f"imported {_n(len(ids), 'past distribution')}", err=True)


@cli.group()
def exemption() -> None:
    """Research exemptions approved by X in writing (academic, peer-review, DSA Art. 40)."""


EXEMPTION_COLUMNS = [
    "ref", "kind", "entity", "approved_post_ids", "used_post_ids", "remaining_post_ids", "approved_user_ids",
    "used_user_ids", "remaining_user_ids", "valid_from", "valid_until", "revoked", "exports",
]  # fmt: skip


@exemption.command("add")
@click.argument("ref", metavar="REF")
@click.option("--entity", "entity_id", required=True)
@click.option("--kind", required=True, type=click.Choice(["academic", "peer-review", "dsa-art40"]))
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
@click.option("--purpose", default=None)
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
    from datetime import date

    from quota import exemptions

    try:
        approved = date.fromisoformat(approved_on)
    except ValueError:
        raise click.BadParameter(
            f"{approved_on!r} is not a date such as 2026-10-01", param_hint="--approved-on"
        ) from None
    with _writer(db, wait) as ledger:
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

    _query(db, wait, as_json, as_csv, exemptions.listing, EXEMPTION_COLUMNS)


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

    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        row = exemptions.status(ledger, ref)
    click.echo(to_json(row) if fmt == "json" else render([row], EXEMPTION_COLUMNS, fmt))


@exemption.command("revoke")
@click.argument("ref", metavar="REF")
@click.option("--reason", required=True)
@ledger_options
def exemption_revoke(ref: str, reason: str, db: str | None, wait: float) -> None:
    """Record that an exemption no longer holds (later exports under it are refused).

    \b
    Example:
      quota exemption revoke X-ACAD-7 --reason "project ended early"
    """
    from quota import exemptions

    with _writer(db, wait) as ledger:
        seq = exemptions.revoke(ledger, ref, reason)
    click.echo(f"revoked exemption {ref} (event {seq})", err=True)


@ledger_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also check that the ledger extends this checkpoint.",
)
@ledger_options
@format_options
def ledger_verify(checkpoint_file: Path | None, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Recompute the hash chain and rebuild the state from the events; exit 5 at the first problem.

    \b
    Example:
      quota ledger verify --checkpoint checkpoint-2026-11.txt
    """
    from quota.errors import LedgerError

    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        report = ledger.verify()
        if report.ok and checkpoint_file is not None:
            from quota.ledger import read_checkpoint

            why = ledger.extends(read_checkpoint(checkpoint_file))
            if why:
                report.ok, report.problem = False, why
    row = report.as_json()
    if fmt != "table":
        click.echo(render([row], list(row), fmt) if fmt == "csv" else to_json(row))
    if not report.ok:
        raise LedgerError(f"ledger verification failed: {report.problem}")
    if fmt == "table":
        click.echo(f"ok: ledger {report.ledger_id}, {report.events} events, head {report.head}")
        for b in report.breaches:
            click.echo(
                f"breach recorded: {b['export_id']} gave {b['entity']} {b['post_ids']:,} Post IDs at "
                f"{iso_z(b['at'])}, over the cap: {b['reason']}"
            )


@ledger_group.command("checkpoint")
@click.option(
    "-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write it to a file too."
)
@ledger_options
def ledger_checkpoint(out: Path | None, db: str | None, wait: float) -> None:
    """Print `ledger-id / event count / head hash / UTC time` for compliance to keep elsewhere.

    \b
    Example:
      quota ledger checkpoint -o checkpoint-2026-11.txt
    """
    with _reader(db, wait) as ledger:
        line = ledger.checkpoint()
    if out is not None:
        out.write_text(line + "\n")
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
    with _reader(db, wait) as ledger:
        report = ledger.copy_to(to, wait)
    click.echo(
        f"copied ledger {report.ledger_id} ({_n(report.events, 'event')}, {_n(report.lineage, 'delivered ID')}, "
        f"{_n(report.notice_ids, 'notice ID')}) to {report.target}; it verifies",
        err=True,
    )
    click.echo(report.target)


def _n(count: int, noun: str) -> str:
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
    kinds = ", ".join(_n(t["unique"], f"{k} ID") for k, t in doc["totals"].items())
    dups = sum(t["duplicates_dropped"] for t in doc["totals"].values())
    text = (
        f"stripped {_n(len(inputs), 'input')} ({mb:,.1f} MB, {_n(lines, 'line')}) "
        f"to {kinds} in {outdir}/ ({_n(dups, 'duplicate')} dropped, {seconds:.1f} s)"
    )
    if doc["bad_lines"]:
        firsts = [f"{i['path']}:{b['line']}" for i in inputs for b in i["first_bad_lines"]][:5]
        text += f"; skipped {_n(doc['bad_lines'], 'bad line')}, first at {', '.join(firsts)}"
    return text


# ------------------------------------------------------------------ compliance


@cli.command("related")
@ledger_options
@format_options
def related_cmd(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """Possibly related recipients: entities with one domain or near-same names, or sharing
    persons; persons with one name or email. One organisation has one cap, one human one
    allowance: link them (entity link, person add --email) if they are one.

    \b
    Example:
      quota related --json
    """
    from quota import related

    _query(db, wait, as_json, as_csv, related.related, ["kind", "first", "second", "why", "sharing"])


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
    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        rows = received.who_received(ledger, asked, kind or ("post" if typed and file else None))
    click.echo(render(rows, received.COLUMNS, fmt))
    reached = len({r["id"] for r in rows})
    click.echo(f"quota: {reached:,} of {len(set(asked)):,} IDs were delivered to someone", err=True)


@cli.group()
def notice() -> None:
    """Deletion notices from X's compliance jobs: who must be told, by when (24 hours)."""


@notice.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--received-at", default=None, help="When X's result arrived (ISO 8601, UTC; default now).")
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
      quota notice add compliance-2026-11-22.jsonl --kind post --received-at 2026-11-22T08:00:00Z
      quota notice add compliance-2026-11-22.jsonl --job job-1596.json
    """
    from quota import notices

    if received_at is not None:
        parse_time(received_at, "--received-at")
    fmt = _fmt(as_json, as_csv)
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
    with _writer(db, wait) as ledger:
        when = _at(ledger, received_at, "--received-at")
        notice_id, seq = notices.add(ledger, file, str(file), when, kind, job)
        rows = notices.affected(ledger, notice_id)
    for r in rows:
        r["notice_id"] = notice_id
    click.echo(f"recorded notice {notice_id} (event {seq}): {_n(len(rows), 'entity')} to tell", err=True)
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

    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        rows = notices.detail(ledger, notice_id)
    if outdir is not None:
        for path in notices.write_files(rows, outdir, notice_id):
            click.echo(f"wrote {path}", err=True)
    click.echo(render(rows, ["entity", "id", "kind", "action", "reason", "export_ids", "declared"], fmt))


@notice.command("sent")
@click.argument("notice_id")
@click.option("--entity", "entity_id", required=True, help="The recipient that was told.")
@click.option("--at", "at", default=None, help="When it was told (ISO 8601, UTC; default now).")
@ledger_options
def notice_sent(notice_id: str, entity_id: str, at: str | None, db: str | None, wait: float) -> None:
    """Record that ENTITY was told about the notice's IDs.

    \b
    Example:
      quota notice sent n-20261122T080000-1a2b3c --entity acme
    """
    from quota import notices

    with _writer(db, wait) as ledger:
        seq = notices.sent(ledger, notice_id, entity_id, _at(ledger, at))
    if seq is None:
        click.echo(f"already recorded: {entity_id} was told about {notice_id}", err=True)
    else:
        click.echo(f"recorded that {entity_id} was told about {notice_id} (event {seq})", err=True)


@notice.command("void")
@click.argument("notice_id")
@click.option("--reason", required=True, help="Why the notice was recorded wrongly.")
@ledger_options
def notice_void(notice_id: str, reason: str, db: str | None, wait: float) -> None:
    """Mark a notice recorded in error (e.g. with the wrong --kind); it stays in the ledger and
    stops demanding action, and its file may then be added again.

    \b
    Example:
      quota notice void n-20261122T080000-1a2b3c --reason "users job recorded as posts"
    """
    from quota import notices

    with _writer(db, wait) as ledger:
        seq = notices.void(ledger, notice_id, reason)
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
    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        when = _at(ledger, at)
        found = notices.open_notices(ledger, when, everything)
    if fmt == "json":
        click.echo(to_json(found))
    else:
        flat = [
            {
                "notice_id": n["notice_id"],
                "deadline": n["deadline"],
                "overdue": n["overdue"],
                "time_left": notices.time_left(n["deadline"], when),
                "entity": e["entity"],
                "ids": e["ids"],
                "told_at": e["told_at"],
            }
            for n in found
            for e in (n["entities"] or [{"entity": None, "ids": 0, "told_at": None}])
        ]
        click.echo(render(flat, ["notice_id", "deadline", "overdue", "time_left", "entity", "ids", "told_at"], fmt))
    overdue = [n["notice_id"] for n in found if n["overdue"]]
    if check and overdue:
        raise QuotaFailure(f"{_n(len(overdue), 'notice')} overdue: {', '.join(overdue)}", 3)


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
    notices, usage_30d, manual_usage_24h (see the README). Writes, ATTACH, COPY, file and
    network functions, INSTALL and SET are refused (exit 2). A query may take --timeout
    seconds, 1 GB of memory and return 1,000,000 rows; past that it stops with exit 2.

    \b
    Examples:
      quota sql "SELECT entity, count(*) FROM delivered_ids GROUP BY ALL" --csv
      echo "SELECT * FROM usage_30d ORDER BY used DESC LIMIT 5" | quota sql - --json
    """
    from quota import sqlquery

    text = sys.stdin.read(1 << 20) if query == "-" else query
    fmt = _fmt(as_json, as_csv)
    with _reader(db, wait) as ledger:
        try:
            columns, rows = sqlquery.run(ledger, text, timeout)
        except sqlquery.QueryTimeout as e:
            raise QuotaFailure(f"{e} (--timeout SECONDS gives it longer)", e.exit_code) from None
    click.echo(render(rows, columns, fmt))


@cli.command("report")
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--since", default=None, help="Start of the period (ISO 8601; default 90 days before --until).")
@click.option("--until", default=None, help="End of the period (default now).")
@click.option("--format", "fmt", type=click.Choice(["html", "json"]), default="html", show_default=True)
@ledger_options
def report_cmd(out: Path, since: str | None, until: str | None, fmt: str, db: str | None, wait: float) -> None:
    """One self-contained report for compliance staff: usage over time, headroom, exemptions,
    manual exports, deletion notices, and whether the ledger verifies.

    \b
    Examples:
      quota report -o report.html
      quota report -o report.json --format json --since 2026-01-01
    """
    import os

    from quota import report, report_html
    from quota.output import hidden_sibling

    end = parse_time(until, "--until") if until else None
    start = parse_time(since, "--since") if since else None
    if start and end and start >= end:
        raise click.UsageError("--since must be before --until")
    with _reader(db, wait) as ledger:
        doc = report.build(ledger, start, end)
    text = to_json(doc) + "\n" if fmt == "json" else report_html.render(doc)
    tmp = hidden_sibling(out)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    state = "verified" if doc["ledger"]["verified"] else "FAILED verification"
    click.echo(
        f"wrote {out}: {_n(len(doc['entities']), 'entity')}, {_n(len(doc['exemptions']), 'exemption')}, "
        f"{_n(doc['overdue_notices'], 'overdue notice')}; ledger {state}",
        err=True,
    )


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="quota", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("quota: interrupted", err=True)
        return 130
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    return 0
