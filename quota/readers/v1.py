"""X API v1.1 posts (`id_str`, `user`, `retweeted_status`, ...) and user objects."""

from __future__ import annotations

from typing import Any

from quota.readers.kinds import looks_like, v1_is_dm, v1_is_post, v1_is_user
from quota.readers.records import Problem, Role, Rows, Want, add, add_optional


def _user_id(obj: dict[str, Any], key: str) -> object:
    user = obj.get(key)
    return user.get("id_str") if isinstance(user, dict) else None


def post(obj: Any, want: Want, where: str = "the object") -> Rows:
    rows: Rows = []
    if not isinstance(obj, dict):
        raise Problem(f"{where} is not a JSON object")
    if v1_is_user(obj) and obj.get("user") is None:
        add(rows, Role.USER, obj.get("id_str"), f"{where}.id_str")
        return rows
    if not v1_is_post(obj):
        raise Problem(f"{where} {looks_like(obj)}")
    # `id` is a JSON number that many writers have already rounded: only `id_str` is exact.
    add(rows, Role.POST, obj.get("id_str"), f"{where}.id_str")
    if want.authors:
        add(rows, Role.AUTHOR, _user_id(obj, "user"), f"{where}.user.id_str")
    if want.referenced:
        for key in ("retweeted_status", "quoted_status"):
            ref = obj.get(key)
            if ref is None:
                continue
            if not isinstance(ref, dict):
                raise Problem(f"{where}.{key} is not a JSON object")
            add(rows, Role.POST_REF, ref.get("id_str"), f"{where}.{key}.id_str")
            if want.authors:
                add_optional(rows, Role.AUTHOR_REF, _user_id(ref, "user"), f"{where}.{key}.user.id_str")
        for key in ("quoted_status_id_str", "in_reply_to_status_id_str"):
            add_optional(rows, Role.POST_REF, obj.get(key), f"{where}.{key}")
        if want.authors:
            add_optional(rows, Role.AUTHOR_REF, obj.get("in_reply_to_user_id_str"), f"{where}.in_reply_to_user_id_str")
    return rows


def dm(obj: Any, want: Want, where: str = "the object") -> Rows:
    """A v1 Direct Message: its DM ID (`id_str`, else `id`, which the oldest carry alone), and
    with authors its sender's User ID. Never a Post ID: its `id` and `text` are a message's."""
    rows: Rows = []
    if not isinstance(obj, dict) or not v1_is_dm(obj):
        raise Problem(f"{where} {looks_like(obj)}")
    key = "id_str" if obj.get("id_str") is not None else "id"
    add(rows, Role.DM, obj.get(key), f"{where}.{key}")
    if want.authors:
        sender = obj.get("sender_id_str") if obj.get("sender_id_str") is not None else obj.get("sender_id")
        if sender is None and isinstance(obj.get("sender"), dict):
            sender = obj["sender"].get("id_str")
        add(rows, Role.AUTHOR, sender, f"{where}.sender_id")
    return rows
