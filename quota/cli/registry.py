"""`quota entity`, `person`, `permission`, `policy`, `related`: who may receive, under what."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from quota.cli.app import cli
from quota.cli.common import (
    at_or_now,
    format_options,
    iso_z,
    ledger_options,
    output_format,
    parse_date,
    parse_time,
    query_command,
    reader,
    warn,
    writer,
)
from quota.cli.render import render
from quota.errors import DateOrder, UsageError
from quota.jsontext import to_json
from quota.policy import MAX_QUANTITY


@cli.group()
def entity() -> None:
    """Recipients: organisations, academic institutions, individuals."""


@entity.command("add")
@click.argument("entity_id", metavar="ENTITY")
@click.option("--name", required=True, help="The recipient's full name.")
@click.option(
    "--kind",
    default="organization",
    show_default=True,
    type=click.Choice(["organization", "academic", "individual"]),
    help="What the recipient is.",
)
@click.option("--part-of", "group", default=None, help="The group (organisation) whose one 30-day cap it shares.")
@click.option("--domain", "domains", multiple=True, help="An internet domain of the recipient (repeatable).")
@click.option("--email", "emails", multiple=True, help="Whom its deletion requests go to (repeatable).")
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="Print what was recorded as JSON.")
def entity_add(
    entity_id: str,
    name: str,
    kind: str,
    group: str | None,
    domains: tuple[str, ...],
    emails: tuple[str, ...],
    db: str | None,
    wait: float,
    as_json: bool,
) -> None:
    """Add a recipient entity. A name or domain like another entity's is warned of (and recorded).

    \b
    Examples:
      quota entity add acme --name "Acme Research Ltd" --domain acme.example --email data-office@acme.example
      quota entity add acme-labs --name "Acme Labs" --part-of acme-group --domain labs.acme.example
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq, warnings = registry.add_entity(ledger, entity_id, name, kind, group, domains, emails)
    if as_json:
        click.echo(to_json({"entity": entity_id, "event": seq, "group": group, "warnings": list(warnings)}))
    click.echo(f"added entity {entity_id} (event {seq})" + (f", part of {group}" if group else ""), err=True)
    warn(entity_id, warnings)


@entity.command("contact")
@click.argument("entity_id", metavar="ENTITY")
@click.option("--email", required=True, help="An address its deletion requests go to.")
@ledger_options
def entity_contact(entity_id: str, email: str, db: str | None, wait: float) -> None:
    """Add an address that the entity's deletion requests go to (quota notify run sends them).

    \b
    Example:
      quota entity contact acme --email data-office@acme.example
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq = registry.add_contact(ledger, entity_id, email)
    click.echo(f"{email.strip().lower()} is a contact of {entity_id} (event {seq})", err=True)


@entity.command("link")
@click.argument("entity_id", metavar="ENTITY")
@click.option("--part-of", "group", required=True, help="The group (organisation) it is part of.")
@click.option("--reason", required=True, help="Why it belongs to the group.")
@click.option(
    "--breach", is_flag=True,
    help="The link puts the organisation over its cap in some window: record it as the breach it reveals (with --reason).",
)  # fmt: skip
@ledger_options
def entity_link(entity_id: str, group: str, reason: str, breach: bool, db: str | None, wait: float) -> None:
    """ENTITY is part of GROUP: one organisation, one 30-day cap, over all their entries, before
    the link and after it. Links are permanent; an entity linked to a second group merges the
    two. A link that puts the organisation over its cap in some window is refused, unless
    --breach records it as the breach it reveals (nothing more fits until the window clears).

    \b
    Examples:
      quota entity link acme-eu --part-of acme-group --reason "subsidiary of Acme Research Ltd"
      quota entity link acme-us --part-of acme-group --reason "bought by Acme in 2025" --breach
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq, over = registry.link_entity(ledger, entity_id, group, reason, reason if breach else None)
    click.echo(f"linked {entity_id} to group {group} (event {seq})", err=True)
    if over is not None:
        click.echo(
            f"quota: recorded as a breach: {over.used:,} Post IDs in the 30 days to {iso_z(over.end)} "
            f"(cap {over.cap:,}); nothing more fits until that window clears",
            err=True,
        )


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

    with writer(db, wait) as ledger:
        seq = registry.accept_terms(
            ledger, entity_id, by, at_or_now(ledger, at), document=document, version=version, method=method,
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

    query_command(
        db, wait, as_json, as_csv, registry.entities, ["entity", "name", "kind", "terms_accepted_at", "persons"]
    )


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

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
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
@click.option("--entity", "entity_id", required=True, help="The entity whose receipts the person's add up to.")
@click.option("--name", default=None, help="The person's full name.")
@click.option("--email", default=None, help="Handles with one email are one human: one daily allowance.")
@ledger_options
@click.option("--json", "as_json", is_flag=True, help="Print what was recorded as JSON.")
def person_add(
    person_id: str, entity_id: str, name: str | None, email: str | None, db: str | None, wait: float, as_json: bool
) -> None:
    """Add a person belonging to an entity. A name or email like another person's is warned of.

    \b
    Example:
      quota person add jdoe --entity acme --name "J. Doe" --email j.doe@acme.example
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq, warnings = registry.add_person(ledger, person_id, entity_id, name, email)
    if as_json:
        click.echo(to_json({"person": person_id, "entity": entity_id, "event": seq, "warnings": list(warnings)}))
    click.echo(f"added person {person_id} of {entity_id} (event {seq})", err=True)
    warn(person_id, warnings)


@person.command("move")
@click.argument("person_id", metavar="PERSON")
@click.option("--to", "entity_id", required=True, help="The entity the person belongs to from --at on.")
@click.option("--at", "at", required=True, help="From when (ISO 8601, UTC).")
@click.option("--reason", required=True, help="Why the person moved (the report lists it).")
@ledger_options
def person_move(person_id: str, entity_id: str, at: str, reason: str, db: str | None, wait: float) -> None:
    """PERSON belongs to another entity from --at on: receipts before stay with the old entity,
    and the person's daily allowance of objects follows them.

    \b
    Example:
      quota person move jdoe --to beta --at 2026-12-01T00:00:00Z --reason "changed employer"
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq = registry.move_person(ledger, person_id, entity_id, at_or_now(ledger, at), reason)
    click.echo(f"moved {person_id} to {entity_id} (event {seq})", err=True)


@person.command("same")
@click.argument("first", metavar="PERSON")
@click.argument("second", metavar="OTHER")
@click.option("--reason", required=True, help="Why the two handles are one human.")
@ledger_options
def person_same(first: str, second: str, reason: str, db: str | None, wait: float) -> None:
    """PERSON and OTHER are one human: one allowance of manual objects a day from now on (and
    quota related stops listing the pair).

    \b
    Example:
      quota person same ana ana-lab --reason "one analyst, two handles"
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq = registry.same_person(ledger, first, second, reason)
    click.echo(f"recorded that {first} and {second} are one human (event {seq})", err=True)


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

    query_command(db, wait, as_json, as_csv, registry.persons, ["person", "entity", "name", "email"])


@cli.group()
def permission() -> None:
    """X's written permissions to exceed the 30-day Post ID cap."""


@permission.command("add")
@click.argument("ref", metavar="REF")
@click.option("--entity", "entity_id", default=None, help="The entity X gave it to (while it stands alone).")
@click.option("--group", "group", default=None, help="Or the group (organisation) X gave it to.")
@click.option(
    "--cap",
    type=click.IntRange(min=1, max=MAX_QUANTITY),
    required=True,
    help="Post IDs per 30-day window while the permission is in force.",
)
@click.option("--from", "start", required=True, help="ISO 8601 start (windows ending from then on).")
@click.option("--until", "until", required=True, help="ISO 8601 end (exclusive).")
@click.option(
    "--letter", required=True, type=click.Path(path_type=Path), help="X's letter granting it (its sha256 is kept)."
)
@click.option("--signed-by", "signed_by", required=True, help="Who signed the letter for X.")
@click.option("--granted-on", "granted_on", required=True, help="The date X granted it (not after --from).")
@ledger_options
def permission_add(
    ref: str,
    entity_id: str | None,
    group: str | None,
    cap: int,
    start: str,
    until: str,
    letter: Path,
    signed_by: str,
    granted_on: str,
    db: str | None,
    wait: float,
) -> None:
    """Record X's written permission REF raising an entity's (or a group's) cap between two
    dates: X's letter (its sha256 is kept), who signed it and when X granted it.

    \b
    Examples:
      quota permission add X-2026-0042 --entity acme --cap 3000000 --from 2026-12-01 --until 2027-06-01 \\
          --letter x-2026-0042.pdf --signed-by "X Developer Policy team" --granted-on 2026-11-20
      quota permission add X-2026-0043 --group acme-group --cap 3000000 --from 2026-12-01 --until 2027-06-01 \\
          --letter x-2026-0043.pdf --signed-by "X Developer Policy team" --granted-on 2026-11-25
    """
    from quota import registry

    if (entity_id is None) == (group is None):
        raise UsageError("name the holder of the permission: --entity ENTITY or --group GROUP")
    entity_id = entity_id or group
    assert entity_id is not None
    granted = parse_date(granted_on, "--granted-on")
    with writer(db, wait) as ledger:
        try:
            seq = registry.add_permission(
                ledger, ref, entity_id, cap, parse_time(start, "--from"), parse_time(until, "--until"),
                letter=letter, signed_by=signed_by, granted_on=granted,
            )  # fmt: skip
        except DateOrder as e:
            raise UsageError(f"{e}: give --until after --from") from None
    click.echo(f"recorded permission {ref} for {entity_id} (event {seq})", err=True)


@permission.command("list")
@click.option("--entity", "entity_id", default=None, help="Only this entity's permissions.")
@ledger_options
@format_options
def permission_list(entity_id: str | None, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """List recorded permissions.

    \b
    Example:
      quota permission list --entity acme
    """
    from quota import registry

    columns = ["ref", "entity", "cap", "valid_from", "valid_until", "granted_on", "signed_by", "letter_sha256"]
    query_command(db, wait, as_json, as_csv, lambda ledger: registry.permissions(ledger, entity_id), columns)


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

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
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
@click.option("--json", "as_json", is_flag=True, help="Print what was recorded as JSON.")
def policy_use(profile: str, reason: str, by: str, db: str | None, wait: float, as_json: bool) -> None:
    """Switch the profile in force (recorded in the ledger; later entries are judged under it).

    \b
    Example:
      quota policy use x-developer-policy-utc-day --reason "counsel reads days as UTC days" --by "C. Officer"
    """
    from quota import registry

    with writer(db, wait) as ledger:
        seq = registry.use_policy(ledger, profile, reason, by)
    if as_json:
        click.echo(to_json({"profile": profile, "event": seq, "reason": reason, "by": by}))
    click.echo(f"policy profile {profile} in force from event {seq}", err=True)


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
    from quota import usage

    query_command(db, wait, as_json, as_csv, usage.related, ["kind", "first", "second", "why", "sharing"])
