"""Every failure a user can cause is a QuotaError with its exit code (DESIGN §4)."""

from __future__ import annotations


class QuotaError(Exception):
    """Base class: the message is one plain sentence for stderr."""

    exit_code = 1


class UsageError(QuotaError):
    exit_code = 2


class PolicyRefusal(QuotaError):
    exit_code = 3


class BadInput(QuotaError):
    """Bad input data: names the file and, where there is one, the line."""

    exit_code = 4

    def __init__(self, source: str, problem: str, line: int | None = None, unit: str = "line") -> None:
        self.source = source
        self.problem = problem
        self.line = line
        where = f"{source}, {unit} {line}" if line is not None else source
        super().__init__(f"{where}: {problem}")


class LedgerError(QuotaError):
    exit_code = 5


class DiskError(QuotaError):
    """The disk failed under us (full, quota exceeded, I/O error): like the ledger, storage trouble."""

    exit_code = 5


class QueryTimeout(UsageError):
    """A user's query (quota sql) ran out of its time."""


class DateOrder(UsageError):
    """Something ends before it starts; the command line names its options."""
