"""Every command has an example in its help and a line in the README."""

from __future__ import annotations

import re

import click
from conftest import ROOT

from quota.cli import cli


def commands(group: click.Group, prefix: str = "quota") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out.extend(commands(cmd, full))
        else:
            out.append((full, cmd))
    return out


def test_every_command_is_documented() -> None:
    readme = (ROOT / "README.md").read_text()
    found = commands(cli)
    assert len(found) >= 20
    for name, cmd in found:
        assert "Example" in (cmd.help or ""), f"{name} has no example in its help"
        assert re.search(re.escape(name) + r"(\s|`)", readme), f"{name} is not in the README"


def test_every_group_command_and_option_says_what_it_is_for() -> None:
    import click

    from quota.cli.app import cli

    missing = []

    def walk(cmd: click.Command, path: str) -> None:
        if not (cmd.help or "").strip():
            missing.append(path)
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip():
                missing.append(f"{path} {p.opts[0]}")
        if isinstance(cmd, click.Group):
            for name, sub in cmd.commands.items():
                walk(sub, f"{path} {name}")

    walk(cli, "quota")
    assert missing == []
    assert "interrupted exports (recover)" in (cli.commands["ledger"].help or "")
