"""The fields a request filters on (created_at, lang, text, hashtags, author), read from a
dataset's inputs by the scratch DuckDB that stripped them, whatever backend keeps the ledger.

Only the fields the request's filters use are read: a post's text, and its entities above all,
cost far more to parse than its ID. Where strip's fast reader parses an input, it keeps these
fields from the same parse (`Keep`, quota.readers.fast); any other input of a format that
carries them is read again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quota.errors import BadInput
from quota.readers.fast import Keep, json_columns

if TYPE_CHECKING:
    from quota.stripping import Stripped

# The formats whose posts carry the fields a filter reads.
FIELD_FORMATS = ("v2-pages", "v2-flat", "v1")

# How a post's hashtags are read (a request records which; see quota.choosing.Filters).
TAGS_FROM_ENTITIES = "entities, else text"  # X's entities; the text only where a post has none
TAGS_FROM_BOTH = "entities and text"  # requests submitted before 2026-12: both, always

# A hashtag written in the text, whether or not the capture asked X for entities (without them
# a post's hashtags would look like none).
_HASHTAG = r"#([\p{L}\p{M}\p{N}_]+)"

V = "VARCHAR"
_V2_TAGS = {"hashtags": [{"tag": V}]}
_V1_TAGS = {"hashtags": [{"text": V}]}


@dataclass(frozen=True)
class Needs:
    """What a choice reads of each post. `hashtags`: those a post is asked to have one of
    (lower-cased), read by the rule `tags`; none: the post's hashtags are not read."""

    created: bool = False
    lang: bool = False
    author: bool = False
    text: bool = False
    hashtags: tuple[str, ...] = ()
    tags: str = TAGS_FROM_ENTITIES

    def __post_init__(self) -> None:
        if self.tags not in (TAGS_FROM_ENTITIES, TAGS_FROM_BOTH):
            raise ValueError(f"unknown rule for hashtags: {self.tags!r}")


def _family(fmt: str) -> str:
    return "v1" if fmt == "v1" else "v2"


def schema(fmt: str, needs: Needs) -> dict[str, object]:
    """The fields of one post object (a v2 element, a v1.1 line) that `needs` reads, typed as
    quota.readers.fast types them (V, nested dicts, one-item lists)."""
    text_or_tags = needs.text or bool(needs.hashtags)
    if _family(fmt) == "v1":
        s: dict[str, object] = {"id_str": V, "screen_name": V}
        if needs.author:
            s["user"] = {"id_str": V}
        ext: dict[str, object] = {}
        if text_or_tags:
            s["full_text"], s["text"], ext["full_text"] = V, V, V
        if needs.hashtags:
            s["entities"], ext["entities"] = _V1_TAGS, _V1_TAGS
    else:
        s = {"id": V, "username": V}
        if needs.author:
            s["author_id"] = V
        ext = {}
        if text_or_tags:
            s["text"], ext["text"] = V, V
        if needs.hashtags:
            s["entities"] = _V2_TAGS
            if needs.tags == TAGS_FROM_ENTITIES:
                ext["entities"] = _V2_TAGS
    if needs.created:
        s["created_at"] = V
    if needs.lang:
        s["lang"] = V
    if ext:
        s["extended_tweet" if _family(fmt) == "v1" else "note_tweet"] = ext
    return s


def select(fmt: str, needs: Needs, elements: str) -> str:
    """(id, author, created_at, created_text, lang, text, tagged, is_post) of each post object
    `p` of the relation `elements`, as text but for the time (in UTC: the connection's TimeZone
    is UTC); a field `needs` does not read is NULL. `tagged`: whether the object has one of the
    hashtags asked for, read as `needs.tags` says (a post's copies are gathered by read_fields)."""
    if _family(fmt) == "v1":
        # v1.1: created_at is "Wed Oct 10 20:19:24 +0000 2018"; a long post's text and hashtags
        # are in extended_tweet when the stream truncated it.
        ident, author, is_post = "p.id_str", 'p."user".id_str', "p.screen_name IS NULL"
        created = "TRY_STRPTIME(p.created_at, '%a %b %d %H:%M:%S %z %Y')::TIMESTAMP"
        text = "coalesce(p.extended_tweet.full_text, p.full_text, p.text)"
        top = "[lower(h.text) FOR h IN coalesce(p.extended_tweet.entities.hashtags, p.entities.hashtags, [])]"
        long, tag = "p.extended_tweet", "text"
    else:
        ident, author, is_post = "p.id", "p.author_id", "p.username IS NULL"
        created = "TRY_CAST(p.created_at AS TIMESTAMPTZ)::TIMESTAMP"
        text = "coalesce(p.note_tweet.text, p.text)"
        top = "[lower(h.tag) FOR h IN coalesce(p.entities.hashtags, [])]"
        long, tag = "p.note_tweet", "tag"
    # The hashtags of the entities of the text the post is read by: a long post's own (NULL if
    # its capture has none), else the post's; NULL where the capture holds no entities at all.
    own = f"""CASE WHEN {long} IS NOT NULL THEN [lower(h.{tag}) FOR h IN {long}.entities.hashtags]
                   WHEN p.entities IS NOT NULL THEN [lower(h.{tag}) FOR h IN coalesce(p.entities.hashtags, [])] END"""
    written = f"regexp_extract_all(lower({text}), '{_HASHTAG}', 1)"
    if needs.tags == TAGS_FROM_ENTITIES:
        # The entities of the text the post is read by (a long post's note); the text's #words
        # only where the capture holds none. A CASE runs its branch on the rows that take it:
        # the regex reads no post whose entities were captured.
        tags = f"CASE WHEN ({own}) IS NULL THEN {written} ELSE {own} END"
    else:
        tags = f"{top} || {written}"
    # A boolean, not the list: gathering every post's hashtags costs more than the parse.
    wanted = "[" + ", ".join("'" + h.replace("'", "''") + "'" for h in needs.hashtags) + "]::VARCHAR[]"
    tagged = f"list_has_any({tags}, {wanted})" if needs.hashtags else "NULL::BOOLEAN"
    return f"""SELECT {ident} AS id, {author if needs.author else "NULL::VARCHAR"} AS author,
                      {created if needs.created else "NULL::TIMESTAMP"} AS created_at,
                      {"p.created_at" if needs.created else "NULL::VARCHAR"} AS created_text,
                      {"p.lang" if needs.lang else "NULL::VARCHAR"} AS lang,
                      {text if needs.text else "NULL::VARCHAR"} AS text, {tagged} AS tagged, {is_post} AS is_post
               FROM {elements}"""


def keep(needs: Needs) -> Keep:
    """What strip's fast reader keeps of each post for `needs`, from its own parse."""
    return Keep(lambda fmt: schema(fmt, needs), lambda fmt, posts: select(fmt, needs, posts), FIELD_FORMATS)


def _read(fmt: str, needs: Needs, path: str, compression: str) -> str:
    """The fields of an input strip's fast reader did not keep: read again."""
    literal = "'" + path.replace("'", "''") + "'"
    fields = schema(fmt, needs)
    options = f"records = true, format = 'newline_delimited', compression = '{compression}'"
    if fmt == "v2-pages":
        columns = json_columns({"data": [fields]})
        elements = f"(SELECT unnest(r.data) AS p FROM read_json({literal}, columns = {columns}, {options}) AS r)"
    else:
        elements = f"(SELECT r AS p FROM read_json({literal}, columns = {json_columns(fields)}, {options}) AS r)"
    return select(fmt, needs, elements)


def read_fields(con: Any, name: str, inputs: list[dict[str, Any]], stripped: Stripped, ids: str, needs: Needs) -> None:
    """Table `posts` (id, author, created_at, undated, created_text, lang, text, tagged): one row
    per post of `ids`, the fields of its copies in the inputs gathered (the least of each; tagged
    if any copy is); what `needs` does not read is NULL."""
    import duckdb

    con.execute("SET TimeZone = 'UTC'")
    parts = []
    for no, (i, read) in enumerate(zip(inputs, stripped.inputs, strict=True)):
        kept = stripped.kept_fields(no)
        parts.append(
            f"SELECT * FROM {kept}" if kept else _read(i["format"], needs, i["path"], read.compression or "none")
        )
    try:
        con.execute(
            f"""CREATE TEMP TABLE posts AS
                SELECT f.id, min(f.author) AS author, min(f.created_at) AS created_at,
                       bool_or(f.created_at IS NULL) AS undated, min(f.created_text) AS created_text,
                       min(f.lang) AS lang, min(f.text) AS text, bool_or(f.tagged) AS tagged
                FROM (SELECT TRY_CAST(id AS UBIGINT) AS id, TRY_CAST(author AS UBIGINT) AS author, created_at,
                             created_text, lower(lang) AS lang, text, tagged
                      FROM ({" UNION ALL ".join(f"({p})" for p in parts)}) WHERE is_post) f
                WHERE f.id IN (SELECT id FROM {ids})
                GROUP BY f.id"""
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
