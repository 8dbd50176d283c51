"""A plain reading of sample posts' fields, the oracle of what a request's filters choose."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quota.readers.fields import TAGS_FROM_BOTH, TAGS_FROM_ENTITIES


def _lower(tags: list[str] | None) -> set[str] | None:
    return None if tags is None else {t.lower() for t in tags}


def _post(p: dict[str, Any]) -> dict[str, Any]:
    """A post's fields; `entity_tags` are those of the entities of the text it is read by (None
    where the capture holds none), `top_tags` those of its top-level entities."""
    if "id_str" in p:  # v1.1: a long post's text and entities are in extended_tweet
        at = datetime.strptime(p["created_at"], "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
        ext = p.get("extended_tweet")
        top = [h["text"] for h in p.get("entities", {}).get("hashtags", [])]
        read_by = ext if ext is not None else p
        ents = read_by.get("entities")
        text = ext["full_text"] if ext else p.get("full_text", p.get("text"))
        ext_tags = (ext or {}).get("entities", {}).get("hashtags")
        shown = top if ext_tags is None else [h["text"] for h in ext_tags]
        return {"id": p["id_str"], "author": p["user"]["id_str"], "at": at, "lang": p["lang"], "text": text,
                "entity_tags": None if ents is None else _lower([h["text"] for h in ents.get("hashtags", [])]),
                "top_tags": _lower(shown)}  # fmt: skip
    at = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    note = p.get("note_tweet")
    ents = (note or p).get("entities")
    return {"id": p["id"], "author": p["author_id"], "at": at, "lang": p["lang"],
            "text": note["text"] if note else p["text"],
            "entity_tags": None if ents is None else _lower([h["tag"] for h in ents.get("hashtags", [])]),
            "top_tags": _lower([h["tag"] for h in p.get("entities", {}).get("hashtags", [])])}  # fmt: skip


def tags(post: dict[str, Any], rule: str) -> set[str]:
    """A post's hashtags as `rule` reads them (quota.choosing.Filters.hashtags_from)."""
    written = {t.lower() for t in re.findall(r"#(\w+)", post["text"])}
    if rule == TAGS_FROM_BOTH:
        return post["top_tags"] | written
    assert rule == TAGS_FROM_ENTITIES
    return written if post["entity_tags"] is None else post["entity_tags"]


def posts_of(*paths: Path) -> dict[str, dict[str, Any]]:
    """Each post of the files (v2 pages, flattened v2, v1.1 lines) by ID; `tags` as a request
    submitted today reads them."""
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            obj = json.loads(line)
            for p in obj.get("data", [obj]):
                post = _post(p)
                post["tags"] = tags(post, TAGS_FROM_ENTITIES)
                assert out.setdefault(post["id"], post) == post, "the samples hold one version of each post"
    return out
