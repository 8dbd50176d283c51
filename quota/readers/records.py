"""What every reader produces: (role, ID text) rows, with the roles tied to ID kinds."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from quota.ids import Kind, id_problem


class Role(IntEnum):
    """Why an ID is in the data. Stored as a small integer beside each ID."""

    POST = 1  # the dataset's own post
    POST_REF = 2  # a post the dataset's posts refer to (quote, reply, retweet, includes.tweets)
    AUTHOR = 3  # the author of one of the dataset's posts (or the sender of a DM)
    USER = 4  # a user object of a users file
    AUTHOR_REF = 5  # the author of a referenced post
    DM = 6  # a DM event


KIND_OF_ROLE: dict[Role, Kind] = {
    Role.POST: Kind.POST,
    Role.POST_REF: Kind.POST,
    Role.AUTHOR: Kind.USER,
    Role.USER: Kind.USER,
    Role.AUTHOR_REF: Kind.USER,
    Role.DM: Kind.DM,
}
RECORD_ROLES = (Role.POST, Role.USER, Role.DM)  # one per record read


@dataclass(frozen=True)
class Want:
    kinds: frozenset[Kind]
    referenced: bool = False

    def roles(self) -> frozenset[Role]:
        """Roles written out. Record roles are always read and checked, even if not written."""
        out = set(RECORD_ROLES)
        if Kind.USER in self.kinds:
            out.add(Role.AUTHOR)
            if self.referenced:
                out.add(Role.AUTHOR_REF)
        if self.referenced and Kind.POST in self.kinds:
            out.add(Role.POST_REF)
        return frozenset(out)

    @property
    def authors(self) -> bool:
        return Kind.USER in self.kinds


class Problem(Exception):
    """A record is bad; the reader adds file and line."""


class Fatal(Problem):
    """A problem --skip-bad must not skip: the input may not be delivered at all."""


Rows = list[tuple[int, str]]
Sink = Callable[[Rows], None]
SINK_BATCH = 500_000


def add(rows: Rows, role: Role, value: object, where: str) -> None:
    """Append one ID, or raise Problem naming the field and the value."""
    problem = id_problem(value)
    if problem is not None:
        raise Problem(f"{where}: {problem}")
    rows.append((int(role), value))  # type: ignore[arg-type]


def add_optional(rows: Rows, role: Role, value: object, where: str) -> None:
    if value is not None:
        add(rows, role, value, where)


def each(value: object, where: str) -> Iterable[tuple[int, object]]:
    """The items of a JSON list that may be absent; anything but a list is a Problem."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Problem(f"{where} is not a list")
    return enumerate(value)


@dataclass
class ReadResult:
    """What one input gave: its rows and how many lines were read or skipped.

    With a sink, rows are handed over in batches so that memory stays flat on large inputs.
    """

    rows: Rows
    lines: int = 0
    bad_lines: int = 0
    first_bad: list[tuple[int, str]] | None = None
    sink: Sink | None = None
    # The kind of its IDs is the operator's word (--ids), not what the input says: a plain ID
    # list, a named --id-column, a column of bare IDs. Post and User IDs share one number space.
    declared: bool = False

    def add(self, rows: Rows) -> None:
        self.rows.extend(rows)
        if self.sink is not None and len(self.rows) >= SINK_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.sink is not None and self.rows:
            self.sink(self.rows)
            self.rows = []

    def note_bad(self, line: int, problem: str, keep: int = 5) -> None:
        self.bad_lines += 1
        if self.first_bad is None:
            self.first_bad = []
        if len(self.first_bad) < keep:
            self.first_bad.append((line, problem))
