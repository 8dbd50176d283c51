"""What an X object is: a post, a user, or something else that must never become a Post ID.

Every object the API returns has an `id`; only some are posts. A reader therefore recognises
a post and a user positively, by fields only they carry, and names anything else by what it
looks like, so that a List, a Space, a compliance job or a media object is bad input, not a
Post ID counted against a recipient's cap.
"""

from __future__ import annotations

from typing import Any

# v2: a post has `id` and at least one of these (X returns `text` and `edit_history_tweet_ids`
# by default), or both `created_at` and `conversation_id`.
V2_POST_FIELDS = ("text", "author_id", "edit_history_tweet_ids")


def v2_is_post(obj: dict[str, Any]) -> bool:
    return any(obj.get(k) is not None for k in V2_POST_FIELDS) or (
        obj.get("created_at") is not None and obj.get("conversation_id") is not None
    )


def v2_is_user(obj: dict[str, Any]) -> bool:
    return obj.get("username") is not None


def v1_is_post(obj: dict[str, Any]) -> bool:
    return (obj.get("text") is not None or obj.get("full_text") is not None) and isinstance(obj.get("user"), dict)


def v1_is_dm(obj: dict[str, Any]) -> bool:
    """A v1 Direct Message (2007 on; v1.1 alike): its sender and recipient, by ID or object."""
    sender = any(k in obj for k in ("sender_id", "sender_id_str")) or isinstance(obj.get("sender"), dict)
    recipient = any(k in obj for k in ("recipient_id", "recipient_id_str")) or isinstance(obj.get("recipient"), dict)
    return sender and recipient and ("id" in obj or "id_str" in obj)


def v1_is_user(obj: dict[str, Any]) -> bool:
    return obj.get("screen_name") is not None


# What other objects look like: (name, fields that tell it, how many of them must be present).
_OTHERS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("compliance job", ("upload_url", "download_url", "resumable", "upload_expires_at"), 1),
    ("compliance result", ("action", "reason", "redacted_at"), 2),
    ("List", ("member_count", "follower_count", "owner_id", "slug", "subscriber_count", "mode"), 1),
    ("Space", ("host_ids", "creator_id", "participant_count", "scheduled_start", "speaker_ids"), 1),
    ("media", ("media_key", "media_id", "media_id_string", "expires_after_secs", "processing_info"), 1),
    ("count bucket", ("tweet_count", "start", "end"), 2),
    ("usage", ("project_usage", "project_cap", "cap_reset_day", "daily_project_usage"), 1),
)


def looks_like(obj: object) -> str:
    """A short description of a JSON value that is neither a post nor a user."""
    if not isinstance(obj, dict):
        return "is not a JSON object"
    keys = list(obj)
    for name, fields, need in _OTHERS:
        present = [k for k in keys if k in fields]
        if len(present) >= need:
            shown = ", ".join(present[:3] + [k for k in ("name", "type", "status", "state") if k in obj][:2])
            return f"is a {name} object ({shown}), not a post or a user"
    shown = ", ".join(k for k in keys[:4])
    return f"is an object of an unknown kind ({shown or 'no fields'}), not a post or a user"
