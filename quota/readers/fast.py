"""The fast path for one-JSON-object-per-line files: DuckDB parses in parallel and keeps
only IDs. It never decides that a line is bad: when anything looks wrong (a parse error,
an ID that does not round-trip, a line that is not what the format says) it gives up, and
the careful reader (quota.readers.jsonl) reads the file again and names the line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quota.readers.records import Role, Want

if TYPE_CHECKING:
    import duckdb

    from quota.readers.source import Source

V = "VARCHAR"


class GiveUp(Exception):
    """The fast path cannot vouch for this file; read it carefully instead."""


def _struct(fields: dict[str, object]) -> str:
    import json

    return json.dumps(fields, separators=(",", ":"))


def _element_schema(want: Want) -> dict[str, object]:
    e: dict[str, object] = {"id": V, "username": V, "event_type": V}
    if want.authors:
        e["author_id"] = V
        e["sender_id"] = V
    if want.referenced:
        ref: dict[str, object] = {"id": V}
        if want.authors:
            ref["author_id"] = V
        e["referenced_tweets"] = [ref]
        if want.authors:
            e["in_reply_to_user_id"] = V
    return e


def _element_rows(want: Want, var: str) -> list[str]:
    """List expressions of {r, s} structs for one v2 element `var`."""
    is_dm = f"{var}.event_type IS NOT NULL"
    is_user = f"{var}.event_type IS NULL AND {var}.username IS NOT NULL"
    is_post = f"{var}.event_type IS NULL AND {var}.username IS NULL"
    out = [
        f"[{{r: CASE WHEN {is_dm} THEN {Role.DM:d} WHEN {is_user} THEN {Role.USER:d} "
        f"ELSE {Role.POST:d} END, s: {var}.id}}]"
    ]
    if want.authors:
        out.append(
            f"CASE WHEN {is_post} THEN [{{r: {Role.AUTHOR:d}, s: {var}.author_id}}] "
            f"WHEN {is_dm} THEN [{{r: {Role.AUTHOR:d}, s: {var}.sender_id}}] ELSE [] END"
        )
    if want.referenced:
        refs = f"CASE WHEN {is_user} THEN [] ELSE coalesce({var}.referenced_tweets, []) END"
        out.append(f"list_transform({refs}, lambda x: {{r: {Role.POST_REF:d}, s: x.id}})")
        if want.authors:
            out.append(
                f"list_transform(list_filter({refs}, lambda x: x.author_id IS NOT NULL), "
                f"lambda x: {{r: {Role.AUTHOR_REF:d}, s: x.author_id}})"
            )
            out.append(
                f"CASE WHEN {is_post} AND {var}.in_reply_to_user_id IS NOT NULL "
                f"THEN [{{r: {Role.AUTHOR_REF:d}, s: {var}.in_reply_to_user_id}}] ELSE [] END"
            )
    return out


def _flatten(parts: list[str]) -> str:
    """list_concat of many lists, nested by pairs (list_concat takes two in older DuckDB)."""
    expr = parts[0]
    for p in parts[1:]:
        expr = f"list_concat({expr}, {p})"
    return expr


def pages_sql(want: Want) -> tuple[str, str]:
    """(json_transform schema, row-list expression) for v2 response pages."""
    schema: dict[str, object] = {"data": [_element_schema(want)]}
    if want.referenced:
        inc: dict[str, object] = {"id": V}
        if want.authors:
            inc["author_id"] = V
        schema["includes"] = {"tweets": [inc]}
    # A line without `data` is fine only as an object with errors or meta (a page of errors,
    # or of zero results); anything else — including `data` of the wrong type — gives up.
    page_ok = (
        "(t.data IS NOT NULL OR (json_type(json) = 'OBJECT' AND NOT json_exists(json, '$.data') "
        "AND (json_exists(json, '$.errors') OR json_exists(json, '$.meta') OR json_exists(json, '$.includes'))))"
    )
    parts = [f"[{{r: 0, s: CASE WHEN {page_ok} THEN '' END}}]"]
    per_element = _flatten(_element_rows(want, "e"))
    parts.append(f"flatten(list_transform(coalesce(t.data, []), lambda e: {per_element}))")
    if want.referenced:
        parts.append(f"list_transform(coalesce(t.includes.tweets, []), lambda x: {{r: {Role.POST_REF:d}, s: x.id}})")
        if want.authors:
            parts.append(
                "list_transform(list_filter(coalesce(t.includes.tweets, []), lambda x: x.author_id IS NOT NULL), "
                f"lambda x: {{r: {Role.AUTHOR_REF:d}, s: x.author_id}})"
            )
    return _struct(schema), _flatten(parts)


def flat_sql(want: Want) -> tuple[str, str]:
    schema = _element_schema(want)
    parts = ["[{r: 0, s: ''}]", *_element_rows(want, "t")]
    return _struct(schema), _flatten(parts)


def v1_sql(want: Want) -> tuple[str, str]:
    user = {"id_str": V}
    schema: dict[str, object] = {"id_str": V, "screen_name": V, "user": user}
    if want.referenced:
        schema["retweeted_status"] = {"id_str": V, "user": user}
        schema["quoted_status"] = {"id_str": V, "user": user}
        schema["quoted_status_id_str"] = V
        schema["in_reply_to_status_id_str"] = V
        schema["in_reply_to_user_id_str"] = V
    is_user = "(t.screen_name IS NOT NULL AND t.user IS NULL)"
    parts = [
        "[{r: 0, s: ''}]",
        f"[{{r: CASE WHEN {is_user} THEN {Role.USER:d} ELSE {Role.POST:d} END, s: t.id_str}}]",
    ]
    if want.authors:
        parts.append(f"CASE WHEN {is_user} THEN [] ELSE [{{r: {Role.AUTHOR:d}, s: t.user.id_str}}] END")
    if want.referenced:
        # A nested post, when present, must have its ID; the other reference fields are optional.
        for key in ("retweeted_status", "quoted_status"):
            parts.append(
                f"CASE WHEN t.{key} IS NOT NULL AND NOT {is_user} THEN [{{r: {Role.POST_REF:d}, s: t.{key}.id_str}}] ELSE [] END"
            )
        opt = [
            f"[{{r: {Role.POST_REF:d}, s: t.quoted_status_id_str}}, {{r: {Role.POST_REF:d}, s: t.in_reply_to_status_id_str}}]"
        ]
        if want.authors:
            opt.append(
                f"[{{r: {Role.AUTHOR_REF:d}, s: t.retweeted_status.user.id_str}}, "
                f"{{r: {Role.AUTHOR_REF:d}, s: t.quoted_status.user.id_str}}, "
                f"{{r: {Role.AUTHOR_REF:d}, s: t.in_reply_to_user_id_str}}]"
            )
        parts.append(f"CASE WHEN {is_user} THEN [] ELSE list_filter({_flatten(opt)}, lambda x: x.s IS NOT NULL) END")
    return _struct(schema), _flatten(parts)


BUILDERS = {"v2-pages": pages_sql, "dm-events": pages_sql, "v2-flat": flat_sql, "v1": v1_sql}


def stage(con: duckdb.DuckDBPyConnection, source: Source, fmt: str, want: Want, input_no: int) -> int:
    """Insert the input's rows into `ids`; return its line count. Raises GiveUp."""
    import duckdb

    schema, rows = BUILDERS[fmt](want)
    compression = "gzip" if source.gzip else "none"
    # `bad` is true where an ID is not in canonical form (TRY_CAST alone takes '1e5',
    # '12.0', '+1', ' 1', '1_000') and where a line is not what the format says (r = 0).
    sql = f"""
        INSERT INTO ids
        SELECT ? AS input, x.r::UTINYINT AS role, TRY_CAST(x.s AS UBIGINT) AS id,
               CASE WHEN x.r = 0 THEN x.s IS NULL
                    ELSE coalesce(TRY_CAST(x.s AS UBIGINT)::VARCHAR <> x.s, true) END AS bad
        FROM (
            SELECT unnest({rows}) AS x
            FROM (SELECT json_transform(json, '{schema}') AS t, json
                  FROM read_ndjson_objects(?, compression = '{compression}'))
        )
    """
    try:
        con.execute(sql, [input_no, str(source.path)])
        lines, bad = con.execute(
            "SELECT count(*) FILTER (WHERE role = 0), count(*) FILTER (WHERE bad) FROM ids WHERE input = ?",
            [input_no],
        ).fetchall()[0]
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException):
        raise  # our SQL is wrong: a bug to see, not a file to read slowly
    except duckdb.Error as e:
        con.execute("DELETE FROM ids WHERE input = ?", [input_no])
        raise GiveUp(str(e)) from None
    if bad:
        con.execute("DELETE FROM ids WHERE input = ?", [input_no])
        raise GiveUp(f"{bad} IDs or lines need a careful read")
    con.execute("DELETE FROM ids WHERE input = ? AND role = 0", [input_no])
    return int(lines)
