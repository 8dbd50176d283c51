"""`quota dataset ...`: the collections researchers may ask for ID sets of."""

from __future__ import annotations

import click

from quota.cli.app import cli
from quota.cli.common import format_options, ledger_options, output_format, parse_time, query_command, reader, writer
from quota.cli.render import render
from quota.errors import UsageError
from quota.jsontext import to_json


@cli.group()
def dataset() -> None:
    """Collections the data team holds, registered by path (nothing is copied)."""


@dataset.command("add")
@click.argument("name", metavar="NAME")
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("--title", required=True, help="A short title, as a researcher would cite it.")
@click.option("--description", required=True, help="What the collection holds and why it was made.")
@click.option("--collected-with", default=None, help="How it was collected: tool, endpoint, query or stream rules.")
@click.option("--from", "start", default=None, help="ISO 8601 start of the period it covers.")
@click.option("--until", "until", default=None, help="ISO 8601 end of the period it covers.")
@click.option("--citation", default=None, help="How to cite it (a reference or DOI); deliveries carry a CITATION.cff.")
@ledger_options
def dataset_add(
    name: str,
    inputs: tuple[str, ...],
    title: str,
    description: str,
    collected_with: str | None,
    start: str | None,
    until: str | None,
    citation: str | None,
    db: str | None,
    wait: float,
) -> None:
    """Register a collection: its inputs are read once, to count their unique Post and User IDs
    and record each file's sha256; they stay where they are.

    \b
    Example:
      quota dataset add elections-2026 capture/*.jsonl.gz --title "Election posts 2026" \\
          --description "Posts matching the campaign hashtags" --collected-with "twarc2 search" \\
          --from 2026-09-01 --until 2026-11-01 --citation "Data Team (2026). Election posts 2026."
    """
    from quota import datasets

    period = (parse_time(start, "--from") if start else None, parse_time(until, "--until") if until else None)
    with reader(db, wait) as ledger:  # a name already taken should not cost a long read
        if datasets.find(ledger, name) is not None:
            raise UsageError(f"dataset {name!r} is already registered")
    from quota.cli.common import progress_bar

    progress = progress_bar(tuple(inputs), False)
    try:
        collection = datasets.read(inputs, progress)
    finally:
        if progress:
            progress.close()
    with writer(db, wait) as ledger:
        seq = datasets.add(ledger, name, collection, title, description, collected_with, *period, citation)
    click.echo(
        f"registered dataset {name}: {collection.post_ids:,} Post IDs, {collection.user_ids:,} User IDs "
        f"in {len(collection.inputs)} file(s) (event {seq})",
        err=True,
    )


@dataset.command("list")
@ledger_options
@format_options
def dataset_list(db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """The registered datasets.

    \b
    Example:
      quota dataset list --json
    """
    from quota import datasets

    query_command(db, wait, as_json, as_csv, datasets.listing, datasets.COLUMNS)


@dataset.command("show")
@click.argument("name", metavar="NAME")
@ledger_options
@format_options
def dataset_show(name: str, db: str | None, wait: float, as_json: bool, as_csv: bool) -> None:
    """One dataset: its description, period, citation and each input's file, sha256 and size.

    \b
    Example:
      quota dataset show elections-2026 --json
    """
    from quota import datasets

    fmt = output_format(as_json, as_csv)
    with reader(db, wait) as ledger:
        row = datasets.show(ledger, name)
    if fmt == "json":
        click.echo(to_json(row))
        return
    click.echo(render([{**row, "inputs": len(row["inputs"])}], datasets.COLUMNS, fmt))
    if fmt == "table":
        click.echo(render(row["inputs"], ["file", "sha256", "bytes", "format", "path"], fmt))
