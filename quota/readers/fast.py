"""The fast path for one-JSON-object-per-line files: DuckDB parses in parallel and keeps
only IDs. It never decides that a line is bad: when anything looks wrong (a parse error,
an ID that does not round-trip, a line that is not what the format says) it gives up, and
the careful reader (quota.readers.jsonl) reads the file again and names the line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from quota.errors import UsageError, flag
from quota.ids import Kind
from quota.readers.records import Role, Want

if TYPE_CHECKING:
    import duckdb

    from quota.readers.source import Source

V = "VARCHAR"


class GiveUp(Exception):
    """The fast path cannot vouch for this file; read it carefully instead."""


@dataclass(frozen=True)
class Plan:
    schema: dict[str, object]  # only the fields we need (V, nested dicts, one-item lists)
    line_ok: str | None  # SQL over the typed line `t`: false where a page is not a page (pages only)
    elements: str | None  # SQL making table `el` of v2 objects, column `e`
    selects: list[str]  # (role, ID text) queries over `lines` / `el`
    reader: str = "ndjson"  # ndjson: one object a line; pages: v2 responses; lines: a plain ID list
    unrecognised: str | None = None  # SQL counting objects that are neither post, user nor DM
    lean: bool = False  # leaves out fields few posts need to be told; a file that needs them is read again with them
    posts: str | None = None  # the relation of post objects, as `p`, for fields kept beside the IDs


@dataclass(frozen=True)
class Keep:
    """Fields of each post to keep from the same parse, in a table of their own (a request's
    filters read them: quota.readers.fields). `schema(fmt)`: the post object's fields to parse
    besides strip's; `select(fmt, relation)`: the SQL making the table from the post objects."""

    schema: Callable[[str], dict[str, object]]
    select: Callable[[str, str], str]
    formats: tuple[str, ...]


def merged(a: dict[str, object], b: dict[str, object]) -> dict[str, object]:
    """Two field specs as one: a field both hold is the same field (nested specs merge)."""
    out = dict(a)
    for k, v in b.items():
        if k not in out:
            out[k] = v
        elif isinstance(out[k], dict) and isinstance(v, dict):
            out[k] = merged(out[k], v)  # type: ignore[arg-type]
        elif isinstance(out[k], list) and isinstance(v, list):
            out[k] = [merged(out[k][0], v[0])]  # type: ignore[index]
        elif out[k] != v:
            raise ValueError(f"field {k!r} is read as {out[k]!r} and as {v!r}")
    return out


def duckdb_type(spec: object) -> str:
    """DuckDB's type for a field spec: V (or another type's name), nested dicts, one-item lists."""
    if isinstance(spec, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {duckdb_type(v)}' for k, v in spec.items()) + ")"
    if isinstance(spec, list):
        return duckdb_type(spec[0]) + "[]"
    return str(spec)


def json_columns(schema: dict[str, object]) -> str:
    """read_json's `columns` argument (a struct literal) for a field spec."""
    return "{" + ", ".join(f"'{k}': '{duckdb_type(v)}'" for k, v in schema.items()) + "}"


def _element_schema(want: Want, lean: bool) -> dict[str, object]:
    # The fields that tell a post (quota.readers.kinds): not `text`, which costs the most to
    # copy; an object that only `text` would prove a post sends the file to the careful reader.
    # Lean, without created_at and conversation_id (a sixth of the parse): X sends
    # edit_history_tweet_ids by default, and collectors ask for author_id.
    e: dict[str, object] = {"id": V, "username": V, "event_type": V, "author_id": V, "edit_history_tweet_ids": "JSON"}
    if not lean:
        e["created_at"] = V
        e["conversation_id"] = V
    if want.authors:
        e["sender_id"] = V
    if want.referenced:
        ref: dict[str, object] = {"id": V}
        if want.authors:
            ref["author_id"] = V
        e["referenced_tweets"] = [ref]
        if want.authors:
            e["in_reply_to_user_id"] = V
    return e


# Every element must be a DM event, a user or a recognised post; anything else gives up.
UNRECOGNISED = """SELECT count(*) FROM el WHERE e.event_type IS NULL AND e.username IS NULL
    AND e.author_id IS NULL AND e.edit_history_tweet_ids IS NULL"""
UNRECOGNISED_FULL = UNRECOGNISED + " AND (e.created_at IS NULL OR e.conversation_id IS NULL)"


def _element_selects(want: Want) -> list[str]:
    """(r, s) SELECTs over the table `el` holding one v2 object per row in column `e`."""
    dm = "e.event_type IS NOT NULL"
    user = "(e.event_type IS NULL AND e.username IS NOT NULL)"
    post = "(e.event_type IS NULL AND e.username IS NULL)"
    out = [
        f"SELECT CASE WHEN {dm} THEN {Role.DM:d} WHEN {user} THEN {Role.USER:d} ELSE {Role.POST:d} END, e.id FROM el"
    ]
    if want.authors:
        out.append(
            f"SELECT {Role.AUTHOR:d}, CASE WHEN {dm} THEN e.sender_id ELSE e.author_id END FROM el WHERE NOT {user}"
        )
    if want.referenced:
        refs = f"(SELECT unnest(e.referenced_tweets) AS x FROM el WHERE NOT {user})"
        out.append(f"SELECT {Role.POST_REF:d}, x.id FROM {refs}")
        if want.authors:
            out.append(f"SELECT {Role.AUTHOR_REF:d}, x.author_id FROM {refs} WHERE x.author_id IS NOT NULL")
            out.append(
                f"SELECT {Role.AUTHOR_REF:d}, e.in_reply_to_user_id FROM el "
                f"WHERE {post} AND e.in_reply_to_user_id IS NOT NULL"
            )
    return out


def pages_sql(want: Want, lean: bool) -> Plan:
    # A line without `data` is fine only as an object with errors, meta or includes (a page of
    # errors, or of zero results); anything else gives up. `errors` and `meta` are small, kept
    # as JSON text only to see that they are there; `includes` is typed, not copied: a struct
    # with one field that is never read is non-null exactly when includes is an object.
    includes: dict[str, object] = {"_quota_present": "JSON"}
    if want.referenced:
        inc: dict[str, object] = {"id": V}
        if want.authors:
            inc["author_id"] = V
        includes = {"tweets": [inc]}
    schema: dict[str, object] = {
        "data": [_element_schema(want, lean)], "errors": "JSON", "meta": "JSON", "includes": includes,
    }  # fmt: skip
    ok = "(t.data IS NOT NULL OR t.errors IS NOT NULL OR t.meta IS NOT NULL OR t.includes IS NOT NULL)"
    selects = _element_selects(want)
    if want.referenced:
        inc_rows = "(SELECT unnest(t.includes.tweets) AS x FROM lines)"
        selects.append(f"SELECT {Role.POST_REF:d}, x.id FROM {inc_rows}")
        if want.authors:
            selects.append(f"SELECT {Role.AUTHOR_REF:d}, x.author_id FROM {inc_rows} WHERE x.author_id IS NOT NULL")
    elements = "SELECT unnest(t.data) AS e FROM lines"
    return Plan(schema, ok, elements, selects, "pages", _unrecognised(lean), lean, "(SELECT e AS p FROM el)")


def _unrecognised(lean: bool) -> str:
    return UNRECOGNISED if lean else UNRECOGNISED_FULL


def flat_sql(want: Want, lean: bool) -> Plan:
    return Plan(
        _element_schema(want, lean), None, "SELECT t AS e FROM lines", _element_selects(want), "ndjson",
        _unrecognised(lean), lean, "(SELECT e AS p FROM el)",
    )  # fmt: skip


def v1_sql(want: Want, lean: bool) -> Plan:
    user = {"id_str": V}
    schema: dict[str, object] = {"id_str": V, "screen_name": V, "user": user, "text": V, "full_text": V}
    if want.referenced:
        schema["retweeted_status"] = {"id_str": V, "user": user}
        schema["quoted_status"] = {"id_str": V, "user": user}
        schema["quoted_status_id_str"] = V
        schema["in_reply_to_status_id_str"] = V
        schema["in_reply_to_user_id_str"] = V
    is_user = "(t.screen_name IS NOT NULL AND t.user IS NULL)"
    selects = [f"SELECT CASE WHEN {is_user} THEN {Role.USER:d} ELSE {Role.POST:d} END, t.id_str FROM lines"]
    if want.authors:
        selects.append(f"SELECT {Role.AUTHOR:d}, t.user.id_str FROM lines WHERE NOT {is_user}")
    if want.referenced:
        posts = f"lines WHERE NOT {is_user}"
        # A nested post, when present, must have its ID; the other reference fields are optional.
        for key in ("retweeted_status", "quoted_status"):
            selects.append(f"SELECT {Role.POST_REF:d}, t.{key}.id_str FROM {posts} AND t.{key} IS NOT NULL")
            if want.authors:
                selects.append(
                    f"SELECT {Role.AUTHOR_REF:d}, t.{key}.user.id_str FROM {posts} AND t.{key}.user.id_str IS NOT NULL"
                )
        for key in ("quoted_status_id_str", "in_reply_to_status_id_str"):
            selects.append(f"SELECT {Role.POST_REF:d}, t.{key} FROM {posts} AND t.{key} IS NOT NULL")
        if want.authors:
            selects.append(
                f"SELECT {Role.AUTHOR_REF:d}, t.in_reply_to_user_id_str FROM {posts} "
                "AND t.in_reply_to_user_id_str IS NOT NULL"
            )
    return Plan(schema, None, None, selects, unrecognised=V1_UNRECOGNISED, posts="(SELECT t AS p FROM lines)")


# A v1.1 object is a user (screen_name, no user) or a post (text or full_text, and a user).
V1_UNRECOGNISED = """SELECT count(*) FROM lines WHERE NOT (t.screen_name IS NOT NULL AND t.user IS NULL)
    AND NOT ((t.text IS NOT NULL OR t.full_text IS NOT NULL) AND t.user IS NOT NULL)"""


def ids_sql(want: Want, lean: bool) -> Plan:
    if len(want.kinds) != 1:
        raise UsageError(
            "a plain ID list holds one kind of ID: " + flag("name it with --ids", "ask for exactly one kind of ID")
        )
    (kind,) = want.kinds
    role = {Kind.POST: Role.POST, Kind.USER: Role.USER, Kind.DM: Role.DM}[kind]
    return Plan({}, None, None, [f"SELECT {role:d}, t FROM lines"], reader="lines")


BUILDERS: dict[str, Callable[[Want, bool], Plan]] = {
    "ids": ids_sql,
    "v2-pages": pages_sql,
    "dm-events": pages_sql,
    "v2-flat": flat_sql,
    "v1": v1_sql,
    "v2-document": pages_sql,  # one response, or an array of them
    "v2-array": flat_sql,
    "v1-array": v1_sql,
}
# Whole-file documents: DuckDB reads a top-level array element by element, and a lone object
# as one value; both are held to the careful reader's limit (source.DOC_LIMIT).
DOCUMENT_FORMATS = ("v2-document", "v2-array", "v1-array")


def _json_format(source: Source, fmt: str) -> str:
    """DuckDB's `format` for the file: JSON lines, or a document (array or one value)."""
    if fmt not in DOCUMENT_FORMATS:
        return "newline_delimited"
    return "array" if source.head(4096).lstrip(b"\xef\xbb\xbf").lstrip().startswith(b"[") else "unstructured"


def kept_table(input_no: int) -> str:
    """The table of the fields `stage` kept of input `input_no`'s posts (see Keep)."""
    return f"kept_fields_{int(input_no)}"


def stage(
    con: duckdb.DuckDBPyConnection, source: Source, fmt: str, want: Want, input_no: int, lean: bool = True,
    keep: Keep | None = None,
) -> int:  # fmt: skip
    """Insert the input's rows into `ids`; return its line count. Raises GiveUp. With `keep`
    (and a format it reads), the posts' fields are kept in kept_table(input_no).

    The JSON is parsed once, into a table of just the wanted fields; every row of IDs is
    then a plain column query over that table (building lists per line costs far more).
    """
    import duckdb

    plan = BUILDERS[fmt](want, lean)
    if keep is not None and fmt not in keep.formats:
        keep = None
    if keep is not None and plan.posts is not None:
        extra = keep.schema(fmt)
        if plan.reader == "pages":
            element = plan.schema["data"][0]  # type: ignore[index]
            plan = replace(plan, schema={**plan.schema, "data": [merged(element, extra)]})
        else:
            plan = replace(plan, schema=merged(plan.schema, extra))
    compression = "gzip" if source.gzip else "none"
    form = _json_format(source, fmt)
    if fmt in DOCUMENT_FORMATS:
        from quota.readers.source import DOC_LIMIT, too_big

        if source.size > DOC_LIMIT:
            raise too_big(source.name)  # the careful reader's limit, applied alike here
        if source.gzip:
            raise GiveUp("a compressed document's size is known only once read: the careful reader bounds it")
    # A lone document holds its objects in `data`: count those, as the careful reader does.
    count = "el" if form == "unstructured" else "lines"
    rows = " UNION ALL ".join(f"({q})" for q in plan.selects)
    try:
        if plan.reader == "lines":
            # One ID per line, nothing else: no quoting, and a separator no ID contains, so that
            # any stray character (a comma, a space, a quote) fails the round trip below.
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE lines AS SELECT r.s AS t, true AS ok
                    FROM read_csv(?, columns = {{'s': 'VARCHAR'}}, header = false, delim = '\x1f', quote = '',
                                  escape = '', auto_detect = false, compression = '{compression}') AS r""",
                [str(source.path)],
            )
        else:
            # One parse per line: read_json with typed columns keeps only the wanted fields, and
            # is strict: a field of the wrong type or a repeated key is an error (so: give up).
            # records = true matters for pages: without it DuckDB samples the shape of each
            # page's large objects, 7x slower; for one small object a line it makes no difference.
            records = "true" if plan.reader == "pages" else "'auto'"
            columns = json_columns(plan.schema)
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE lines AS SELECT t, {plan.line_ok or "true"} AS ok
                    FROM (SELECT r AS t FROM read_json(?, columns = {columns}, records = {records}, format = '{form}',
                                                       compression = '{compression}') AS r)""",
                [str(source.path)],
            )
        if plan.elements:
            con.execute(f"CREATE OR REPLACE TEMP TABLE el AS {plan.elements}")
        if plan.unrecognised and con.execute(plan.unrecognised).fetchall()[0][0]:
            _discard(con, input_no)
            if plan.lean:
                return stage(con, source, fmt, want, input_no, lean=False, keep=keep)
            raise GiveUp("an object is neither a post, a user nor a DM event: the careful reader names it")
        # `bad` where an ID is not in canonical form: TRY_CAST alone takes '1e5', '12.0',
        # '+1', ' 1' and '1_000'; only an exact round trip proves the text is the number.
        con.execute(
            f"""INSERT INTO ids
                SELECT ?, r::UTINYINT, TRY_CAST(s AS UBIGINT),
                       coalesce(TRY_CAST(s AS UBIGINT)::VARCHAR <> s, true)
                FROM ({rows}) AS u(r, s)""",
            [input_no],
        )
        bad_lines = con.execute("SELECT count(*) FILTER (WHERE NOT ok) FROM lines").fetchall()[0][0]
        lines = con.execute(f"SELECT count(*) FROM {count}").fetchall()[0][0]
        bad_ids = con.execute("SELECT count(*) FROM ids WHERE input = ? AND bad", [input_no]).fetchall()[0][0]
        if keep is not None and plan.posts is not None and not (bad_lines or bad_ids):
            con.execute(f"CREATE OR REPLACE TEMP TABLE {kept_table(input_no)} AS {keep.select(fmt, plan.posts)}")
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
        raise  # our SQL is wrong: a bug to see, not a file to read slowly
    except duckdb.Error as e:
        _discard(con, input_no)
        raise GiveUp(str(e)) from None
    if bad_lines or bad_ids:
        _discard(con, input_no)
        raise GiveUp(f"{bad_lines} lines and {bad_ids} IDs need a careful read")
    con.execute("DROP TABLE IF EXISTS el; DROP TABLE IF EXISTS lines")
    return int(lines)


def _discard(con: duckdb.DuckDBPyConnection, input_no: int) -> None:
    con.execute("DELETE FROM ids WHERE input = ?", [input_no])
    con.execute(f"DROP TABLE IF EXISTS {kept_table(input_no)}")
    con.execute("DROP TABLE IF EXISTS el; DROP TABLE IF EXISTS lines")
