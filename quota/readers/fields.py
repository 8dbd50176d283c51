"""The fields a request filters on (created_at, lang, text, hashtags, author), read from a
dataset's inputs by the scratch DuckDB that stripped them, with one query per format that
carries post fields (fields.sql beside this module), whatever backend keeps the ledger."""

from __future__ import annotations

import functools
from importlib import resources
from typing import TYPE_CHECKING, Any

from quota.errors import BadInput
from quota.store.sqlfiles import fill, parse_named

if TYPE_CHECKING:
    from quota.stripping import Stripped

# The formats whose posts carry the fields a filter reads.
FIELD_FORMATS = ("v2-pages", "v2-flat", "v1")


@functools.cache
def _queries() -> dict[str, str]:
    return parse_named(resources.files("quota.readers").joinpath("fields.sql").read_text(encoding="utf-8"))


def read_fields(con: Any, name: str, inputs: list[dict[str, Any]], stripped: Stripped, ids: str) -> None:
    import duckdb

    queries = _queries()
    con.execute("SET TimeZone = 'UTC'")
    parts = []
    for i, read in zip(inputs, stripped.inputs, strict=True):
        literal = "'" + i["path"].replace("'", "''") + "'"
        parts.append(fill(queries[i["format"]], path=literal, compression=read.compression or "none"))
    try:
        con.execute(
            f"""CREATE TEMP TABLE posts AS
                SELECT f.id, min(f.author) AS author, min(f.created_at) AS created_at,
                       bool_or(f.created_at IS NULL) AS undated, min(f.created_text) AS created_text,
                       min(f.lang) AS lang, min(f.text) AS text,
                       list_distinct(flatten(list(f.tags || regexp_extract_all(lower(f.text), ?, 1)))) AS tags
                FROM (SELECT TRY_CAST(id AS UBIGINT) AS id, TRY_CAST(author AS UBIGINT) AS author, created_at,
                             created_text, lower(lang) AS lang, text, coalesce(tags, []) AS tags
                      FROM ({" UNION ALL ".join(f"({p})" for p in parts)}) WHERE is_post) f
                WHERE f.id IN (SELECT id FROM {ids})
                GROUP BY f.id""",
            [_HASHTAG],
        )
    except duckdb.Error as e:
        raise BadInput(name, f"the posts' fields cannot be read for filtering ({str(e).splitlines()[0]})") from None
    missing = con.execute(f"SELECT count(*), min(id) FROM {ids} WHERE id NOT IN (SELECT id FROM posts)").fetchall()
    if missing[0][0]:
        raise BadInput(
            name,
            f"{missing[0][0]:,} of its posts (Post ID {missing[0][1]} the lowest) have no fields a filter can read: "
            "no choice is made on part of the data",
        )


# A hashtag written in the text, whether or not the capture asked X for entities (without them
# a post's hashtags would look like none).
_HASHTAG = r"#([\p{L}\p{M}\p{N}_]+)"
