"""quota: redistribute X data as IDs only, within X's Developer Policy, and prove it.

The public API (everything else is the package's own and may change):

    from quota import Ledger, strip

    ledger = Ledger.open("ledger.duckdb")          # or "postgresql://quota@db.example/quota"
    ledger.usage()                                 # Polars DataFrames, from Arrow
    ledger.who_received([1895629786007437888])
    result = ledger.export(["pages.jsonl"], to="acme", out="deliveries/acme-nov")
    strip(["pages.jsonl"], ids="post,user").ids["post"]   # a pyarrow uint64 array

Errors are `quota.errors.QuotaError` subclasses (UsageError, PolicyRefusal, BadInput,
LedgerError, DiskError), each one sentence in the domain's words.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quota.version import __version__

__all__ = [
    "BadInput", "DiskError", "ExportResult", "Ledger", "LedgerError", "PolicyRefusal", "QuotaError",
    "StripResult", "UsageError", "VerifyReport", "__version__", "strip",
]  # fmt: skip

if TYPE_CHECKING:
    from quota.api import Ledger, StripResult, strip
    from quota.errors import BadInput, DiskError, LedgerError, PolicyRefusal, QuotaError, UsageError
    from quota.exports import ExportResult
    from quota.store.verify import VerifyReport


def __getattr__(name: str) -> Any:
    # Lazily: `quota --help` and `import quota.cli` stay free of DuckDB, Arrow and Polars.
    if name in ("Ledger", "StripResult", "strip"):
        from quota import api

        return getattr(api, name)
    if name in ("BadInput", "DiskError", "LedgerError", "PolicyRefusal", "QuotaError", "UsageError"):
        from quota import errors

        return getattr(errors, name)
    if name == "ExportResult":
        from quota.exports import ExportResult

        return ExportResult
    if name == "VerifyReport":
        from quota.store.verify import VerifyReport

        return VerifyReport
    raise AttributeError(f"module 'quota' has no attribute {name!r}")
