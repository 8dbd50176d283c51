"""The `quota` command group: errors mapped to one line on stderr and the documented exit code."""

from __future__ import annotations

import os

import click

from quota.errors import QuotaError
from quota.version import __version__

EXIT_CODES = """Exit codes: 0 ok; 1 unexpected error; 2 usage; 3 refused by policy;
4 bad input data; 5 ledger unavailable or failed verification."""

MAX_MESSAGE = 300
# A refusal is quota's own sentence of numbers (used, cap, over by, when it fits, why): it is
# never cut, only bounded, since what it quotes (names, times) is bounded already.

MAX_REFUSAL = 600


class QuotaFailure(click.ClickException):
    """A QuotaError (or an unexpected error) carried through click with its exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        # One readable sentence: whatever a message quotes, it never runs to pages.
        # The end often says what became of the run ("... was released"): cut the middle.
        limit = MAX_REFUSAL if exit_code == 3 else MAX_MESSAGE
        if len(message) > limit:
            message = message[: limit - 103] + " ... " + message[-98:]
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class, for its own subclasses

    def show(self, file: object = None) -> None:
        click.echo(f"quota: {self.message}", err=True)


class QuotaGroup(click.Group):
    """Maps library errors to one line on stderr and the documented exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except QuotaError as e:
            raise QuotaFailure(e.for_cli(), e.exit_code) from None
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
