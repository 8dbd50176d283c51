"""`quota strip`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from quota.cli.app import cli
from quota.cli.common import input_options, output_options, progress_bar, summary


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), help="Output directory.")
@input_options
@output_options
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
    from quota import stripping as strip_mod
    from quota.output import OutputOptions, check_outdir, write_outdir
    from quota.readers.records import Want
    from quota.scratch import WorkDir

    want = Want(strip_mod.parse_kinds(ids), referenced)
    out_opts = OutputOptions(out_format=out_format, gzip=gz, split=split)
    out_opts.check()
    before = check_outdir(outdir, force)
    progress = progress_bar(inputs, quiet)
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
