"""The `quota` command: parse, call the library, render, map errors to exit codes.

Heavy modules (DuckDB, Arrow) are imported inside commands so that `quota --help` is fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from quota import __version__
from quota.errors import QuotaError

EXIT_CODES = """Exit codes: 0 ok; 1 unexpected error; 2 usage; 3 refused by policy;
4 bad input data; 5 ledger unavailable or failed verification."""


class QuotaFailure(click.ClickException):
    """A QuotaError (or an unexpected error) carried through click with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
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

    want = Want(strip_mod.parse_kinds(ids), referenced)
    out_opts = OutputOptions(out_format=out_format, gzip=gz, split=split)
    out_opts.check()
    check_outdir(outdir, force)
    progress = None
    if not quiet and sys.stderr.isatty():
        from quota.progress import ByteProgress

        total = sum(os.path.getsize(p) for p in inputs if p != "-" and os.path.isfile(p))
        progress = ByteProgress(total)
    try:
        stripped = strip_mod.strip(
            inputs, strip_mod.StripOptions(want=want, fmt=fmt, id_column=id_column, skip_bad=skip_bad), progress
        )
    finally:
        if progress:
            progress.close()
    with stripped:
        doc = write_outdir(outdir, stripped, out_opts, force)
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    if not quiet:
        click.echo(summary(doc, outdir, stripped.seconds), err=True)


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def summary(doc: dict, outdir: Path, seconds: float) -> str:  # type: ignore[type-arg]
    inputs = doc["inputs"]
    lines = sum(i["lines"] for i in inputs)
    mb = sum(i["bytes"] for i in inputs) / 1e6
    kinds = ", ".join(f"{t['unique']:,} {k} IDs" for k, t in doc["totals"].items())
    dups = sum(t["duplicates_dropped"] for t in doc["totals"].values())
    text = (
        f"stripped {_n(len(inputs), 'input')} ({mb:,.1f} MB, {_n(lines, 'line')}) "
        f"to {kinds} in {outdir}/ ({_n(dups, 'duplicate')} dropped, {seconds:.1f} s)"
    )
    if doc["bad_lines"]:
        firsts = [f"{i['path']}:{b['line']}" for i in inputs for b in i["first_bad_lines"]][:5]
        text += f"; skipped {_n(doc['bad_lines'], 'bad line')}, first at {', '.join(firsts)}"
    return text


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
