"""A plain reading of sample posts' fields, the oracle of what a request's filters choose."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def _post(p: dict[str, Any]) -> dict[str, Any]:
    if "id_str" in p:  # v1.1
        at = datetime.strptime(p["created_at"], "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
        tags = [h["text"] for h in p.get("entities", {}).get("hashtags", [])]
        return {"id": p["id_str"], "author": p["user"]["id_str"], "at": at, "lang": p["lang"],
                "text": p["full_text"], "tags": {t.lower() for t in tags}}  # fmt: skip
    at = datetime.fromisoformat(p["created_at"].replace("Z", "+00:00"))
    tags = [h["tag"] for h in p.get("entities", {}).get("hashtags", [])]
    return {"id": p["id"], "author": p["author_id"], "at": at, "lang": p["lang"], "text": p["text"],
            "tags": {t.lower() for t in tags}}  # fmt: skip


def _with_written(post: dict[str, Any]) -> dict[str, Any]:
    """A post's hashtags: its entities' and those written in its text."""
    post["tags"] |= {t.lower() for t in re.findall(r"#(\w+)", post["text"])}
    return post


def posts_of(*paths: Path) -> dict[str, dict[str, Any]]:
    """Each post of the files (v2 pages, flattened v2, v1.1 lines) by ID."""
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            obj = json.loads(line)
            for p in obj.get("data", [obj]):
                post = _with_written(_post(p))
                assert out.setdefault(post["id"], post) == post, "the samples hold one version of each post"
    return out
