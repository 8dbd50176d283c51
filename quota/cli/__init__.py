"""The `quota` command: parse, call the library, render, map errors to exit codes.

One module per command group (strip, exports, registry, ledger, exemptions, compliance, datasets, requests,
accounts, serve),
over what they share (common: the option sets, time parsing, wording) and the group (app).

Heavy modules (DuckDB, Arrow) are imported inside commands so that `quota --help` is fast.
"""

from __future__ import annotations

from quota.cli import (  # noqa: F401  (registers the commands)
    accounts,
    alerts,
    compliance,
    datasets,
    exemptions,
    exports,
    ledger,
    registry,
    requests,
    serve,
    strip,
)
from quota.cli.app import cli, main

__all__ = ["cli", "main"]
