"""The SQL of each backend: sql/<dialect>/{migrations,queries,views}/*.sql, installed as quota.sql.

Named queries are `-- name: NAME` followed by one statement; a file may hold several. Both
dialects define the same names (a test checks it), so code asks for a query by name and
never writes dialect SQL of its own.
"""

from __future__ import annotations

import functools
import hashlib
import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

DIALECTS = ("duckdb", "postgres")


def sql_dir() -> Traversable:
    """The SQL files: installed as quota.sql; in a source tree run as is, the top-level sql/."""
    try:
        return resources.files("quota.sql")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent.parent / "sql"


def _files(dialect: str, folder: str) -> list[tuple[str, str]]:
    where = sql_dir().joinpath(dialect, folder)
    return sorted((f.name, f.read_text(encoding="utf-8")) for f in where.iterdir() if f.name.endswith(".sql"))


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
    """Every named query of `dialect` (all files of sql/<dialect>/queries/). `{q:NAME}` in a
    query stands for the query NAME, as a subquery: a rule is written once and used twice."""
    out: dict[str, str] = {}
    for file, text in _files(dialect, "queries"):
        for name, sql in parse_named(text).items():
            if name in out:
                raise ValueError(f"the query {name} is defined twice in sql/{dialect}/queries ({file})")
            out[name] = sql
    for _ in range(len(out)):  # includes may nest; each pass resolves one level
        for name, sql in out.items():
            out[name] = _INCLUDE.sub(lambda m: f"({out[m.group(1)]})", sql)
    return out


# Queries one backend's store alone runs (the rest are shared by name): DuckDB streams lineage to
# Python for verify's digests (quota/store/digests.py), the server hashes them itself.
OWN_QUERIES = {
    "duckdb": frozenset({"lineage_in_order", "lineage_digests_streamed"}),
    # The history's append-only triggers: DuckDB has no roles to keep apart.
    "postgres": frozenset({"append_only_function", "append_only_rows", "append_only_truncate"}),
}


@functools.cache
def query_files(dialect: str) -> dict[str, tuple[str, ...]]:
    """The names each query file of `dialect` defines that every dialect defines (OWN_QUERIES aside)."""
    own = OWN_QUERIES[dialect]
    out = {file: tuple(n for n in parse_named(text) if n not in own) for file, text in _files(dialect, "queries")}
    return {file: names for file, names in out.items() if names}


@functools.cache
def views(dialect: str) -> tuple[tuple[str, str], ...]:
    """(name, sql) of sql/<dialect>/views/*.sql in dependency order; each file defines one view."""
    return tuple((name.split("_", 1)[1].removesuffix(".sql"), sql) for name, sql in _files(dialect, "views"))
