"""Every failure a user can cause is a QuotaError with its exit code (DESIGN §4)."""

from __future__ import annotations

import re
import secrets

# A phrase said two ways: in domain words to the library's callers, with the option's name at
# the command line (the CLI shows QuotaError.for_cli()). The marks hold a nonce of this process,
# so that no value a message quotes (a file's name) can pass for one.
_NONCE = secrets.token_hex(8)
_OPEN, _MID, _CLOSE = f"\x1f{_NONCE}<", f"\x1f{_NONCE}|", f"\x1f{_NONCE}>"
_SAID = re.compile(f"{re.escape(_OPEN)}(.*?){re.escape(_MID)}(.*?){re.escape(_CLOSE)}", re.S)


def flag(cli: str, words: str) -> str:
    """A phrase of a message: `words` for the library's callers, `cli` (which names the
    command-line option) where the CLI shows it."""
    return f"{_OPEN}{cli}{_MID}{words}{_CLOSE}"


class QuotaError(Exception):
    """Base class: the message is one plain sentence for stderr, in domain words (phrases made
    with `flag` name the command-line option only in `for_cli`)."""

    exit_code = 1

    def __init__(self, message: str = "") -> None:
        self.said = message
        super().__init__(_SAID.sub(lambda m: m.group(2), message))

    def for_cli(self) -> str:
        # The message may have grown since (a failed export's says what became of its reservation).
        plain, text = _SAID.sub(lambda m: m.group(2), self.said), str(self)
        if not text.startswith(plain):
            return text
        return _SAID.sub(lambda m: m.group(1), self.said) + text[len(plain) :]


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
