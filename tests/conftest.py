from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from quota.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


def quota(*args: str | Path, input: bytes | str | None = None) -> Run:
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)
    return Run(result.exit_code, result.stdout, result.stderr)


def ids_of(path: Path) -> list[str]:
    text = path.read_text()
    return text.splitlines()


def manifest(outdir: Path) -> dict:
    return json.loads((outdir / "manifest.json").read_text())


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Never touch a user's ledger or files: everything happens under tmp_path.
    monkeypatch.setenv("QUOTA_DB", str(tmp_path / "ledger.duckdb"))
    monkeypatch.chdir(tmp_path)


# What tests accept: the terms' version and how, with evidence, since their acceptances are
# back-dated (recorded long after the --at they state).
EVIDENCE = Path(__file__).with_name("evidence") / "terms-signed.txt"
TERMS = (
    "--version",
    "X Developer Agreement and Policy, 2026-10",
    "--method",
    "signed PDF",
    "--evidence",
    str(EVIDENCE),
)


def init_acme(*more: tuple[str, ...]) -> None:
    """A fresh ledger with entity acme, which accepted X's terms on 2026-01-01, and `more` commands."""
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme"),
        ("entity", "accept-terms", *TERMS, "acme", "--by", "J Doe", "--at", "2026-01-01T00:00:00Z"),
        *more,
    ):
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
