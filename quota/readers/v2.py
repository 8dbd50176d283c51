"""X API v2: response pages (`data[]`, `includes`, `meta`, `errors`), flattened posts
(`twarc2 flatten`), users and DM events. One function per shape of object."""

from __future__ import annotations

from typing import Any

from quota.readers.kinds import looks_like, v2_is_post, v2_is_user
from quota.readers.records import Problem, Role, Rows, Want, add, add_optional, each

PAGE_KEYS = ("data", "includes", "meta", "errors")


def element(obj: Any, want: Want, rows: Rows, where: str) -> None:
    """One v2 object: a post, a user or a DM event, told apart by their fields."""
    if not isinstance(obj, dict):
        raise Problem(f"{where} is not a JSON object")
    if obj.get("event_type") is not None:
        add(rows, Role.DM, obj.get("id"), f"{where}.id")
        if want.authors:
            add(rows, Role.AUTHOR, obj.get("sender_id"), f"{where}.sender_id")
        _references(obj, want, rows, where)
    elif v2_is_user(obj):
        add(rows, Role.USER, obj.get("id"), f"{where}.id")
    elif v2_is_post(obj):
        add(rows, Role.POST, obj.get("id"), f"{where}.id")
        if want.authors:
            add(rows, Role.AUTHOR, obj.get("author_id"), f"{where}.author_id")
        _references(obj, want, rows, where)
        if want.referenced and want.authors:
            add_optional(rows, Role.AUTHOR_REF, obj.get("in_reply_to_user_id"), f"{where}.in_reply_to_user_id")
    else:
        raise Problem(f"{where} {looks_like(obj)}")


def _references(obj: dict[str, Any], want: Want, rows: Rows, where: str) -> None:
    if not want.referenced:
        return
    for i, ref in each(obj.get("referenced_tweets"), f"{where}.referenced_tweets"):
        at = f"{where}.referenced_tweets[{i}]"
        if not isinstance(ref, dict):
            raise Problem(f"{at} is not a JSON object")
        add(rows, Role.POST_REF, ref.get("id"), f"{at}.id")
        # Flattened posts carry the referenced post inline, with its author.
        if want.authors:
            add_optional(rows, Role.AUTHOR_REF, ref.get("author_id"), f"{at}.author_id")


def page(obj: Any, want: Want) -> Rows:
    rows: Rows = []
    if not isinstance(obj, dict):
        raise Problem("the line is not a JSON object")
    if not any(k in obj for k in PAGE_KEYS):
        raise Problem("the line is not a v2 response page (no data, includes, meta or errors)")
    data = obj.get("data")
    if isinstance(data, dict):  # single-object lookups answer with one object
        element(data, want, rows, "data")
    elif data is not None:
        for i, item in each(data, "data"):
            element(item, want, rows, f"data[{i}]")
    if want.referenced:
        includes = obj.get("includes") or {}
        if not isinstance(includes, dict):
            raise Problem("includes is not a JSON object")
        for i, ref in each(includes.get("tweets"), "includes.tweets"):
            at = f"includes.tweets[{i}]"
            if not isinstance(ref, dict):
                raise Problem(f"{at} is not a JSON object")
            add(rows, Role.POST_REF, ref.get("id"), f"{at}.id")
            if want.authors:
                add_optional(rows, Role.AUTHOR_REF, ref.get("author_id"), f"{at}.author_id")
    return rows


def flat(obj: Any, want: Want) -> Rows:
    rows: Rows = []
    if not isinstance(obj, dict):
        raise Problem("the line is not a JSON object")
    element(obj, want, rows, "the object")
    return rows
