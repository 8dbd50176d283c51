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
