"""The CLI reference (docs/cli.md), generated from the commands' own help, so that it cannot
drift from them (tests/test_docs.py compares the file with a fresh run).

    python -m quota.cli.reference > docs/cli.md
"""

from __future__ import annotations

import click

from quota.cli import cli

WIDTH = 100


def _walk(cmd: click.Command, path: list[str], parent: click.Context | None) -> list[tuple[str, click.Command, str]]:
    # As the command itself makes it (its context settings: -h for help), but at a fixed width.
    ctx = cmd.make_context(
        path[-1], [], parent=parent, resilient_parsing=True, terminal_width=WIDTH, max_content_width=WIDTH
    )
    out = [(" ".join(path), cmd, cmd.get_help(ctx))]
    if isinstance(cmd, click.Group):
        for name in sorted(cmd.commands):
            out.extend(_walk(cmd.commands[name], [*path, name], ctx))
    return out


def reference() -> str:
    found = _walk(cli, ["quota"], None)
    lines = [
        "# Command reference",
        "",
        "Generated from the commands' own `--help` by `python -m quota.cli.reference > docs/cli.md`;",
        "a test fails when it is out of date. Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 refused",
        "by policy, 4 bad input data, 5 ledger unavailable or failed verification.",
        "",
    ]
    lines += [f"- [`{name}`](#{name.replace(' ', '-')})" for name, cmd, _ in found if not isinstance(cmd, click.Group)]
    for name, _, text in found:
        lines += ["", f'<a id="{name.replace(" ", "-")}"></a>', f"## `{name}`", "", "```text", text.rstrip(), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    click.echo(reference(), nl=False)
