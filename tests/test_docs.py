"""Every command has an example in its help and a line in the documentation (README and docs/)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from conftest import ROOT, docs_text

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
    readme = docs_text()
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


def readme_commands() -> list[list[str]]:
    """Every `quota ...` line of the README's shell examples, continuation lines joined."""
    import shlex

    text = docs_text()
    out = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.strip()
            if line.startswith("quota ") and "<<" not in line:
                out.append(shlex.split(line, comments=True))
    return out


def test_every_readme_example_names_commands_and_options_that_exist() -> None:
    """Each example parses as written: its command, its options, their values' types."""
    import click

    from quota.cli.app import cli

    commands = readme_commands()
    assert len(commands) >= 90
    for args in commands:
        cmd: click.Command = cli
        ctx = cli.make_context("quota", args[1:])
        rest = ctx._protected_args + ctx.args
        while isinstance(cmd, click.Group):
            name, *rest = rest
            sub = cmd.get_command(ctx, name)
            assert sub is not None, (args, name)
            ctx = sub.make_context(name, rest, parent=ctx)
            rest = getattr(ctx, "_protected_args", []) + ctx.args if isinstance(sub, click.Group) else []
            cmd = sub
        assert not isinstance(cmd, click.Group), args


# Placeholder IDs the README writes (an entry made at another time): those lines parse above.
_PLACEHOLDER = re.compile(r"\b(?:[mnx]-\d{8}T\d{6}-[0-9a-f]+|req-\d{8}-[0-9a-f]+)\b")


@pytest.mark.parametrize(
    "first", ['quota entity add uni --name "A University"', 'quota entity add acme --name "Acme Research Ltd"']
)
def test_the_readmes_workflows_run_as_written(tmp_path: Path, first: str) -> None:
    """The researcher's and the analyst's blocks, line by line, on the sample files under the
    names the README gives them."""
    import shlex
    import shutil

    from conftest import SAMPLES, quota

    for name in ("sample.jsonl", "pages.jsonl"):
        shutil.copy(SAMPLES / "v2_pages.jsonl", tmp_path / name)
    shutil.copy(SAMPLES / "v2_flat.jsonl", tmp_path / "more.jsonl")
    assert quota("init").exit_code == 0
    text = docs_text()
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if b.startswith(first)]
    ran = 0
    for line in re.sub(r"\\\n\s*", " ", block).splitlines():
        if not line.startswith("quota ") or _PLACEHOLDER.search(line):
            continue
        r = quota(*shlex.split(line, comments=True)[1:])
        assert r.exit_code == 0, (line, r.stderr)
        if "--exemption" in line:  # its summary speaks the exemption's words, not a cap's
            assert "Post IDs drawn under the research exemption" in r.stderr and "no cap" not in r.stderr
        ran += 1
    assert ran >= 8


@pytest.mark.slow  # eight processes; the quick loop keeps the workflows above
def test_the_readmes_strip_examples_run_as_written(tmp_path: Path) -> None:
    """Each line of the strip examples in a shell, in a folder of its own holding the sample
    files under the names the README gives them."""
    import os
    import shutil
    import subprocess
    import sys

    from conftest import SAMPLES

    text = docs_text()
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", text, re.S) if b.startswith("quota strip pages.jsonl")]
    names = {
        "pages.jsonl": "v2_pages.jsonl", "pages.jsonl.gz": "v2_pages.jsonl.gz", "more.jsonl": "v1_lines.jsonl",
        "tweets.jsonl": "v2_pages.jsonl", "big.jsonl": "v2_pages.jsonl", "dms.jsonl": "dm_events.jsonl",
        "messy.jsonl": "v2_pages_bad.jsonl",
    }  # fmt: skip
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    lines = [line for line in block.splitlines() if "quota strip" in line]
    assert len(lines) >= 8
    for n, line in enumerate(lines):
        here = tmp_path / str(n)
        here.mkdir()
        for name, sample in names.items():
            shutil.copy(SAMPLES / sample, here / name)
        (here / "export.csv").write_text("tweet_id,note\n1895625031960240129,synthetic\n")
        r = subprocess.run(["bash", "-c", line], cwd=here, env=env, capture_output=True, text=True)
        assert r.returncode == 0, (line, r.stderr)
        assert any((here / "out").iterdir()), line


def test_the_cli_reference_is_the_commands_own_help() -> None:
    """docs/cli.md is generated (python -m quota.cli.reference > docs/cli.md): a changed option
    or help text without a fresh reference fails here."""
    from quota.cli.reference import reference

    assert (ROOT / "docs" / "cli.md").read_text() == reference(), "run: python -m quota.cli.reference > docs/cli.md"
