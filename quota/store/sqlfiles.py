"""The ledger's SQL: quota/store/sql/{common,duckdb,postgres}/{migrations,queries,views}/*.sql.

What both dialects write alike lives once in common/; what differs, in the dialect's folder. A
migration or view file is in one place or the other, never both (the loader refuses it). Named
queries are `-- name: NAME` followed by one statement; a file may hold several, and a query
file of one name may exist in common/ and in a dialect's folder, each with its own queries.
Both dialects define the same names (a test checks it), so code asks for a query by name and
never writes dialect SQL of its own.

One parameter style: `?` for values, bound by position (the PostgreSQL store turns it into
the driver's); `{name}` for the fragments code fills in with `fill` (identifiers, lists and
subqueries a value cannot stand for), every one of them, or the query is refused.
"""

from __future__ import annotations

import functools
import hashlib
import re
from importlib import resources
from importlib.resources.abc import Traversable

DIALECTS = ("duckdb", "postgres")
COMMON = "common"


def sql_dir() -> Traversable:
    return resources.files("quota.store").joinpath("sql")


def _files(dialect: str, folder: str) -> list[tuple[str, str]]:
    """(file name, text) of common/FOLDER and DIALECT/FOLDER, by name."""
    found: dict[str, list[str]] = {}
    for where in (COMMON, dialect):
        here = sql_dir().joinpath(where, folder)
        if not here.is_dir():
            continue
        for f in here.iterdir():
            if f.name.endswith(".sql"):
                found.setdefault(f.name, []).append(f.read_text(encoding="utf-8"))
    if folder != "queries":
        twice = sorted(name for name, texts in found.items() if len(texts) > 1)
        if twice:
            raise ValueError(f"{folder} {', '.join(twice)} is both in sql/{COMMON} and in sql/{dialect}")
    return sorted((name, "\n".join(texts)) for name, texts in found.items())


_FRAGMENT = re.compile(r"\{([a-z_]+)\}")


def marks(n: int) -> str:
    """`?, ?, ?`: a parameter for each of `n` values (an IN list's fragment)."""
    return ", ".join("?" * n)


def fill(sql: str, **fragments: object) -> str:
    """`sql` with each `{name}` replaced by its fragment, in one pass (a fragment's own text is
    not filled again). A fragment left unfilled is a bug in quota and raised as one; one given
    that this dialect's text does not hold is not (the other dialect's may)."""
    if missing := set(_FRAGMENT.findall(sql)) - set(fragments):
        raise ValueError(f"the query needs the fragments {', '.join(sorted(missing))}")
    return _FRAGMENT.sub(lambda m: str(fragments[m.group(1)]), sql)


@functools.cache
def migrations(dialect: str) -> tuple[tuple[int, str, str, str], ...]:
    """(version, name, sql, sha256) of every migration of `dialect`, in order."""
    return tuple(
        (int(name.split("_", 1)[0]), name, sql, hashlib.sha256(sql.encode()).hexdigest())
        for name, sql in _files(dialect, "migrations")
    )


def parse_named(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in text.split("-- name: ")[1:]:
        name, _, sql = part.partition("\n")
        lines = [line for line in sql.strip().splitlines() if not line.lstrip().startswith("--")]
        out[name.strip()] = "\n".join(lines).strip().rstrip(";")
    return out


_INCLUDE = re.compile(r"\{q:(\w+)\}")


@functools.cache
def queries(dialect: str) -> dict[str, str]:
    """Every named query of `dialect` (the files of sql/common/queries/ and sql/<dialect>/queries/). `{q:NAME}` in a
    query stands for the query NAME, as a subquery: a rule is written once and used twice."""
    out: dict[str, str] = {}
    for file, text in _files(dialect, "queries"):
        for name, sql in parse_named(text).items():
            if name in out:
                raise ValueError(
                    f"the query {name} is defined twice in sql/{COMMON}/queries and sql/{dialect}/queries ({file})"
                )
            out[name] = sql
    for _ in range(len(out) + 1):  # includes may nest; each pass resolves one level
        pending = [name for name, sql in out.items() if "{q:" in sql]
        if not pending:
            break
        for name in pending:
            out[name] = _INCLUDE.sub(lambda m: f"({out[m.group(1)]})", out[name])
    else:
        raise ValueError(f"named queries include each other in a circle: {', '.join(pending)}")
    return out


# Queries one backend's store alone runs (the rest are shared by name): DuckDB streams lineage to
# Python for verify's digests (quota/store/digests.py), the server hashes them itself.
OWN_QUERIES = {
    "duckdb": frozenset({"lineage_in_order", "lineage_digests_streamed"}),
    # The history's append-only triggers: DuckDB has no roles to keep apart.
    # And its verify's hashing of lineage in the order its scan reads (postgres_scan).
    "postgres": frozenset(
        {"append_only_function", "append_only_rows", "append_only_truncate", "lineage_digests_confirmed_in_blocks"}
    ),
}


@functools.cache
def query_files(dialect: str) -> dict[str, tuple[str, ...]]:
    """The names each query file of `dialect` defines that every dialect defines (OWN_QUERIES aside)."""
    own = OWN_QUERIES[dialect]
    out = {file: tuple(n for n in parse_named(text) if n not in own) for file, text in _files(dialect, "queries")}
    return {file: names for file, names in out.items() if names}


@functools.cache
def views(dialect: str) -> tuple[tuple[str, str], ...]:
    """(name, sql) of the views (sql/common/views/ and sql/<dialect>/views/) in dependency order;
    each file defines one view."""
    return tuple((name.split("_", 1)[1].removesuffix(".sql"), sql) for name, sql in _files(dialect, "views"))
