"""Deterministic synthetic X data: the only source of `sample_data/` and of benchmark inputs.

Nothing here is real: user names, texts and IDs come from a seeded generator. IDs are
shaped like X's snowflakes (19 digits, far above 2^53) so that any float on the path
would show.

    python -m quota.testing.synth sample_data/            # the small committed samples
    python -m quota.testing.synth --bench v2 --size-mb 1024 big.jsonl
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

TWEPOCH_MS = 1288834974657
START = datetime(2025, 3, 1, tzinfo=UTC)

_WORDS = [
    "data",
    "river",
    "lantern",
    "quiet",
    "orbit",
    "maple",
    "signal",
    "harbor",
    "pixel",
    "meadow",
    "cobalt",
    "archive",
    "thunder",
    "velvet",
    "prism",
    "ember",
    "tundra",
    "lagoon",
    "quartz",
    "falcon",
    "café",
    "naïve",
    "façade",
    "jalapeño",
    "smörgåsbord",
    "東京",
    "数据",
    "研究",
    "مرحبا",
    "שלום",
    "Привет",
    "🚀",
    "🌊",
    "📊",
    "✨",
    "🦉",
    "👩🏽\u200d💻",
]
_LANGS = ("en", "de", "fr", "ja", "ar", "he", "ru", "es", "und")
# Words written as hashtags wherever they occur: derived from the text, so the random stream
# (and every ID) is the same with or without them.
_TAGGED = frozenset({"data", "signal", "archive", "研究"})
_SOURCES = ("Synthetic Web App", "Synthetic for Android", "Synthetic for iPhone")


def snowflake(ms: int, worker: int, seq: int) -> int:
    return ((ms - TWEPOCH_MS) << 22) | ((worker & 0x3FF) << 12) | (seq & 0xFFF)


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def v1_time(ts: datetime) -> str:
    return ts.strftime("%a %b %d %H:%M:%S +0000 %Y")


@dataclass
class User:
    id: str
    username: str
    name: str
    description: str
    created_at: datetime
    followers: int
    following: int


@dataclass
class Post:
    id: str
    author: User
    created_at: datetime
    text: str
    lang: str
    ref_type: str | None = None  # retweeted | quoted | replied_to
    ref: Post | None = None
    edit_history: list[str] = field(default_factory=list)
    metrics: dict[str, int] = field(default_factory=dict)


class World:
    """A seeded population of users and a stream of posts between them."""

    def __init__(self, seed: int = 20261122, n_users: int = 400) -> None:
        self.rng = random.Random(seed)
        self.clock = START
        self.seq = 0
        self.users = [self._user(i) for i in range(n_users)]
        self.recent: list[Post] = []

    def _user(self, i: int) -> User:
        rng = self.rng
        created = START - timedelta(days=rng.randint(30, 5000))
        # Old accounts have short sequential IDs; newer ones are snowflakes.
        if i % 5 == 0:
            uid = str(rng.randint(10_000, 999_999_999))
        else:
            uid = str(snowflake(int(created.timestamp() * 1000), rng.randint(0, 1023), i))
        handle = f"synth_{rng.choice(_WORDS[:20])}_{i}"
        return User(
            id=uid,
            username=handle,
            name=f"Synthetic {rng.choice(_WORDS)} {i}",
            description=" ".join(rng.choice(_WORDS) for _ in range(rng.randint(0, 12))),
            created_at=created,
            followers=rng.randint(0, 200_000),
            following=rng.randint(0, 5_000),
        )

    def _next_id(self) -> tuple[str, datetime]:
        self.clock += timedelta(milliseconds=self.rng.randint(1, 4000))
        self.seq += 1
        ms = int(self.clock.timestamp() * 1000)
        return str(snowflake(ms, self.rng.randint(0, 1023), self.seq)), self.clock

    def _outside_post(self, before: datetime) -> Post:
        rng = self.rng
        ts = before - timedelta(days=rng.randint(1, 900), milliseconds=rng.randint(0, 86_400_000))
        pid = str(snowflake(int(ts.timestamp() * 1000), rng.randint(0, 1023), rng.randint(0, 4095)))
        text = _tagged(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 30))))
        metrics = {"retweet_count": 0, "reply_count": 0, "like_count": rng.randint(0, 50), "quote_count": 0}
        return Post(pid, rng.choice(self.users), ts, text, rng.choice(_LANGS), edit_history=[pid], metrics=metrics)

    def post(self) -> Post:
        rng = self.rng
        pid, ts = self._next_id()
        author = rng.choice(self.users)
        text = _tagged(" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 40))))
        p = Post(
            id=pid,
            author=author,
            created_at=ts,
            text=text,
            lang=rng.choice(_LANGS),
            metrics={
                "retweet_count": rng.randint(0, 500),
                "reply_count": rng.randint(0, 80),
                "like_count": rng.randint(0, 3000),
                "quote_count": rng.randint(0, 40),
            },
        )
        roll = rng.random()
        # ~18% of posts reference another one, as in real collections.
        if self.recent and roll < 0.18:
            # Most referenced posts lie outside the collection (older, or from other searches).
            p.ref = rng.choice(self.recent) if rng.random() < 0.3 else self._outside_post(ts)
            p.ref_type = ("retweeted", "quoted", "replied_to")[int(roll / 0.06)]
            if p.ref_type == "retweeted":
                p.text = f"RT @{p.ref.author.username}: {p.ref.text}"[:280]
        if rng.random() < 0.03:
            older = [str(int(pid) - rng.randint(1 << 22, 1 << 30)) for _ in range(rng.randint(1, 3))]
            p.edit_history = [*sorted(older), pid]
        else:
            p.edit_history = [pid]
        self.recent.append(p)
        if len(self.recent) > 200:
            self.recent.pop(0)
        return p


def _tagged(text: str) -> str:
    return " ".join(f"#{w}" if w in _TAGGED else w for w in text.split(" "))


def hashtags(text: str) -> list[tuple[int, int, str]]:
    """(start, end, tag) of each hashtag in `text`, in code points, as X's entities give them."""
    return [(m.start(), m.end(), m.group(1)) for m in re.finditer(r"#(\w+)", text)]


# ---------------------------------------------------------------- v2 shapes


def v2_user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "name": u.name,
        "description": u.description,
        "created_at": iso(u.created_at),
        "protected": False,
        "verified": False,
        "public_metrics": {
            "followers_count": u.followers,
            "following_count": u.following,
            "tweet_count": u.followers // 3,
            "listed_count": u.followers // 100,
        },
    }


def v2_post(p: Post) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": p.id,
        "text": p.text,
        "author_id": p.author.id,
        "conversation_id": p.ref.id if p.ref_type == "replied_to" and p.ref else p.id,
        "created_at": iso(p.created_at),
        "lang": p.lang,
        "possibly_sensitive": False,
        "public_metrics": dict(p.metrics),
        "edit_history_tweet_ids": list(p.edit_history),
        "edit_controls": {"edits_remaining": 5 - len(p.edit_history) + 1, "is_edit_eligible": True},
        "source": _SOURCES[int(p.id) % 3],
    }
    if tags := hashtags(p.text):
        d["entities"] = {"hashtags": [{"start": s, "end": e, "tag": t} for s, e, t in tags]}
    if p.ref and p.ref_type:
        d["referenced_tweets"] = [{"type": p.ref_type, "id": p.ref.id}]
        if p.ref_type == "replied_to":
            d["in_reply_to_user_id"] = p.ref.author.id
    return d


def v2_page(posts: list[Post], world: World, errors: int = 0) -> dict[str, Any]:
    users: dict[str, User] = {}
    refs: dict[str, Post] = {}
    for p in posts:
        users[p.author.id] = p.author
        if p.ref:
            refs[p.ref.id] = p.ref
            users[p.ref.author.id] = p.ref.author
    page: dict[str, Any] = {
        "data": [v2_post(p) for p in posts],
        "includes": {
            "users": [v2_user(u) for u in users.values()],
            "tweets": [v2_post(r) for r in refs.values()],
        },
        "meta": {
            "result_count": len(posts),
            "newest_id": max((p.id for p in posts), key=int),
            "oldest_id": min((p.id for p in posts), key=int),
            "next_token": f"synthtoken{world.rng.getrandbits(40):x}",
        },
    }
    if errors:
        page["errors"] = [
            {
                "value": str(world.rng.getrandbits(60)),
                "detail": "Could not find tweet with ids: [...].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
            for _ in range(errors)
        ]
    page["__twarc"] = {"url": "https://api.x.invalid/2/tweets/search/all", "version": "2.14.0"}
    return page


def v2_flat(p: Post) -> dict[str, Any]:
    d = v2_post(p)
    d["author"] = v2_user(p.author)
    if p.ref and p.ref_type:
        ref = v2_post(p.ref)
        ref["author"] = v2_user(p.ref.author)
        ref["type"] = p.ref_type
        d["referenced_tweets"] = [ref]
        if p.ref_type == "replied_to":
            d["in_reply_to_user"] = v2_user(p.ref.author)
    d["__twarc"] = {"url": "https://api.x.invalid/2/tweets/search/all", "version": "2.14.0"}
    return d


# ---------------------------------------------------------------- v1.1 shapes


def v1_user(u: User) -> dict[str, Any]:
    return {
        "id": int(u.id),
        "id_str": u.id,
        "name": u.name,
        "screen_name": u.username,
        "description": u.description,
        "followers_count": u.followers,
        "friends_count": u.following,
        "created_at": v1_time(u.created_at),
        "protected": False,
    }


def v1_post(p: Post, nested: bool = True) -> dict[str, Any]:
    d: dict[str, Any] = {
        "created_at": v1_time(p.created_at),
        # v1.1 `id` is a JSON number: readers must use `id_str`, since many JSON
        # libraries turn numbers past 2^53 into floats.
        "id": int(p.id),
        "id_str": p.id,
        "full_text": p.text,
        "truncated": False,
        "lang": p.lang,
        "user": v1_user(p.author),
        "retweet_count": p.metrics["retweet_count"],
        "favorite_count": p.metrics["like_count"],
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id_str": None,
        "is_quote_status": p.ref_type == "quoted",
        "entities": {"hashtags": [{"text": t, "indices": [s, e]} for s, e, t in hashtags(p.text)]},
    }
    if p.ref and p.ref_type == "replied_to":
        d["in_reply_to_status_id"] = int(p.ref.id)
        d["in_reply_to_status_id_str"] = p.ref.id
        d["in_reply_to_user_id_str"] = p.ref.author.id
    elif p.ref and p.ref_type == "retweeted" and nested:
        d["retweeted_status"] = v1_post(p.ref, nested=False)
    elif p.ref and p.ref_type == "quoted" and nested:
        d["quoted_status_id_str"] = p.ref.id
        d["quoted_status"] = v1_post(p.ref, nested=False)
    return d


def archive_entry(p: Post) -> dict[str, Any]:
    d: dict[str, Any] = {
        "edit_info": {"initial": {"editTweetIds": list(p.edit_history), "editableUntil": iso(p.created_at)}},
        "retweeted": False,
        "source": _SOURCES[0],
        "entities": {"hashtags": [], "user_mentions": [], "urls": []},
        "favorite_count": str(p.metrics["like_count"]),
        "id_str": p.id,
        "id": p.id,
        "created_at": v1_time(p.created_at),
        "full_text": p.text,
        "lang": p.lang,
    }
    if p.ref and p.ref_type == "replied_to":
        d["in_reply_to_status_id_str"] = p.ref.id
        d["in_reply_to_status_id"] = p.ref.id
        d["in_reply_to_user_id_str"] = p.ref.author.id
    return {"tweet": d}


# ---------------------------------------------------------------- DMs


def dm_event(world: World, conv: tuple[User, User]) -> dict[str, Any]:
    eid, ts = world._next_id()
    sender = world.rng.choice(conv)
    lo, hi = sorted((conv[0].id, conv[1].id), key=int)
    return {
        "id": eid,
        "event_type": "MessageCreate",
        "text": " ".join(world.rng.choice(_WORDS) for _ in range(world.rng.randint(1, 15))),
        "sender_id": sender.id,
        "dm_conversation_id": f"{lo}-{hi}",
        "created_at": iso(ts),
    }


# ---------------------------------------------------------------- CSV (twarc-csv columns)

CSV_COLUMNS = [
    "id",
    "conversation_id",
    "referenced_tweets.replied_to.id",
    "referenced_tweets.retweeted.id",
    "referenced_tweets.quoted.id",
    "author_id",
    "in_reply_to_user_id",
    "retweeted_user_id",
    "quoted_user_id",
    "created_at",
    "text",
    "lang",
    "source",
    "public_metrics.like_count",
    "public_metrics.quote_count",
    "public_metrics.reply_count",
    "public_metrics.retweet_count",
    "author.id",
    "author.username",
    "author.name",
    "author.protected",
    "edit_history_tweet_ids",
]


def csv_row(p: Post) -> list[str]:
    def ref(kind: str) -> str:
        return p.ref.id if p.ref and p.ref_type == kind else ""

    def ref_user(kind: str) -> str:
        return p.ref.author.id if p.ref and p.ref_type == kind else ""

    return [
        p.id,
        p.ref.id if p.ref and p.ref_type == "replied_to" else p.id,
        ref("replied_to"),
        ref("retweeted"),
        ref("quoted"),
        p.author.id,
        ref_user("replied_to"),
        ref_user("retweeted"),
        ref_user("quoted"),
        iso(p.created_at),
        p.text + ("\nsecond line" if int(p.id) % 7 == 0 else ""),
        p.lang,
        _SOURCES[int(p.id) % 3],
        str(p.metrics["like_count"]),
        str(p.metrics["quote_count"]),
        str(p.metrics["reply_count"]),
        str(p.metrics["retweet_count"]),
        p.author.id,
        p.author.username,
        p.author.name,
        "False",
        json.dumps(p.edit_history),
    ]


# ---------------------------------------------------------------- bad lines

_BAD_LINES = (
    '{"data":[{"id":"12',  # truncated JSON
    '{"data":[{"id":1.5e+18,"text":"float id","author_id":"12"}]}',
    '{"data":[{"id":"-42","text":"negative","author_id":"12"}]}',
    '{"data":[{"text":"no id","author_id":"12"}]}',
    "not json at all",
)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- writers


def v2_page_lines(world: World, pages: int, per_page: int = 100, bad: float = 0.0) -> Iterator[str]:
    previous: list[Post] = []
    for i in range(pages):
        posts = [world.post() for _ in range(per_page)]
        # Overlapping searches return some posts again on later pages.
        if previous and world.rng.random() < 0.3:
            posts[: per_page // 10] = previous[-(per_page // 10) :]
        previous = posts
        if bad and world.rng.random() < bad:
            yield world.rng.choice(_BAD_LINES)
            continue
        yield dumps(v2_page(posts, world, errors=1 if i % 4 == 3 else 0))


# ---------------------------------------------------------------- other X objects and documents


def v2_list(world: World, owner: User) -> dict[str, Any]:
    """A v2 List object: an `id` that is not a Post ID."""
    lid, _ = world._next_id()
    return {"id": lid, "name": f"synthetic list {lid[-4:]}", "owner_id": owner.id,
            "member_count": world.rng.randint(2, 400), "follower_count": world.rng.randint(0, 90),
            "private": False}  # fmt: skip


def compliance_job(world: World, kind: str) -> dict[str, Any]:
    """What X returns for GET /2/compliance/jobs/:id (`kind`: tweets or users)."""
    jid, when = world._next_id()
    return {"data": {
        "type": kind, "id": jid, "name": f"synthetic {kind} job", "resumable": False, "status": "complete",
        "created_at": iso(when),
        "upload_url": "https://storage.x.invalid/upload", "upload_expires_at": iso(when + timedelta(minutes=15)),
        "download_url": "https://storage.x.invalid/download", "download_expires_at": iso(when + timedelta(days=7)),
    }}  # fmt: skip


_REASONS = ("deleted", "deleted", "deleted", "suspended", "protected", "deactivated")


def compliance_result(world: World, ids: list[str]) -> Iterator[str]:
    """A tweets job's result: one line per affected ID, as X writes it."""
    for i in ids:
        yield dumps({"id": i, "action": "delete", "created_at": iso(world.clock - timedelta(days=400)),
                     "redacted_at": iso(world.clock), "reason": world.rng.choice(_REASONS)})  # fmt: skip


def v1_search(world: World, n: int) -> dict[str, Any]:
    """A v1.1 search response: posts in `statuses`, beside `search_metadata`."""
    posts = [v1_post(world.post()) for _ in range(n)]
    return {"statuses": posts, "search_metadata": {"count": n, "query": "synthetic", "max_id_str": posts[0]["id_str"],
                                                   "next_results": "?max_id=1&q=synthetic"}}  # fmt: skip


def v1_cursor_ids(world: World, n: int) -> dict[str, Any]:
    """A v1.1 followers/ids page: IDs as JSON numbers (exact only as text), and a cursor."""
    ids = [int(u.id) for u in world.rng.sample(world.users, n)]
    return {"ids": ids, "next_cursor": 0, "next_cursor_str": "0", "previous_cursor": 0, "previous_cursor_str": "0"}


def write_text(path: Path, lines: Iterator[str] | list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line)
            f.write("\n")


def write_samples(out: Path, seed: int = 20261122) -> list[Path]:
    """The committed `sample_data/`: one small file per input format."""
    out.mkdir(parents=True, exist_ok=True)
    w = World(seed)
    written: list[Path] = []

    def target(name: str) -> Path:
        p = out / name
        written.append(p)
        return p

    write_text(target("v2_pages.jsonl"), v2_page_lines(w, pages=6, per_page=20))
    with open(target("v2_pages.jsonl.gz"), "wb") as raw:
        # mtime=0 keeps the gzip bytes deterministic.
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write("".join(line + "\n" for line in v2_page_lines(w, pages=3, per_page=20)).encode())
    write_text(target("v2_flat.jsonl"), (dumps(v2_flat(w.post())) for _ in range(60)))
    users_page = {"data": [v2_user(u) for u in w.users[:40]], "meta": {"result_count": 40}}
    write_text(target("v2_users.jsonl"), [dumps(users_page)])
    write_text(target("v1_lines.jsonl"), (dumps(v1_post(w.post())) for _ in range(60)))
    with open(target("v1_array.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump([v1_post(w.post()) for _ in range(25)], f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(target("archive_tweets.js"), "w", encoding="utf-8", newline="\n") as f:
        body = json.dumps([archive_entry(w.post()) for _ in range(25)], ensure_ascii=False, indent=2)
        f.write("window.YTD.tweets.part0 = " + body.replace('": ', '" : ') + "\n")
    convs = [(w.users[i], w.users[i + 1]) for i in range(0, 20, 2)]
    dm_pages = []
    for _ in range(3):
        events = [dm_event(w, w.rng.choice(convs)) for _ in range(15)]
        dm_pages.append(dumps({"data": events, "meta": {"result_count": len(events)}}))
    write_text(target("dm_events.jsonl"), dm_pages)
    csv_posts = [w.post() for _ in range(40)]
    with open(target("twarc.csv"), "w", encoding="utf-8", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(CSV_COLUMNS)
        wr.writerows(csv_row(p) for p in csv_posts)
    write_parquet(target("posts.parquet"), [w.post() for _ in range(40)])
    write_text(target("post_ids.txt"), sorted({w.post().id for _ in range(50)}, key=int))
    write_text(target("v2_pages_bad.jsonl"), v2_page_lines(w, pages=10, per_page=5, bad=0.3))
    # Whole documents as curl or an SDK saves them: pretty-printed, one response per file.
    response = v2_page([w.post() for _ in range(20)], w)
    del response["__twarc"]
    with open(target("v2_response.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(response, f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(target("v1_search.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(v1_search(w, 15), f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(target("v1_follower_ids.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(v1_cursor_ids(w, 30), f, indent=2)
        f.write("\n")
    # What must never become Post IDs: List objects, and an archive's deleted posts.
    lists = [v2_list(w, w.rng.choice(w.users)) for _ in range(5)]
    write_text(target("v2_lists.jsonl"), [dumps({"data": lists, "meta": {"result_count": len(lists)}})])
    with open(target("deleted-tweets.js"), "w", encoding="utf-8", newline="\n") as f:
        gone = []
        for _ in range(5):
            entry = archive_entry(w.post())
            entry["tweet"]["deleted_at"] = v1_time(w.clock)
            gone.append(entry)
        f.write("window.YTD.deleted_tweets.part0 = " + json.dumps(gone, ensure_ascii=False, indent=2) + "\n")
    # A tweets compliance job and its result, naming some posts of v2_pages.jsonl.
    with open(target("compliance_job.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(compliance_job(w, "tweets"), f, indent=2)
        f.write("\n")
    with open(out / "v2_pages.jsonl", encoding="utf-8") as f:
        first = json.loads(f.readline())["data"]
    write_text(target("compliance_result.jsonl"), compliance_result(w, [p["id"] for p in first[:4]]))
    # A page whose second author protects their posts: manual refuses it, or --fit leaves it out.
    posts = [w.post() for _ in range(6)]
    page = v2_page(posts, w)
    for u in page["includes"]["users"]:
        u["protected"] = u["id"] == posts[1].author.id
    write_text(target("v2_protected.jsonl"), [dumps(page)])
    # Evidence for a back-dated terms acceptance (the demo records one from January).
    write_text(target("terms-acceptance.txt"), [
        "Acme Research (synthetic) accepted the X Terms of Service, Privacy Policy, Developer Agreement",
        "and Developer Policy (X Developer Agreement and Policy, 2026-10) on 2026-01-01, signed by",
        "A. Analyst. This file is synthetic: it stands for the signed copy an organisation keeps.",
    ])  # fmt: skip
    return written


def write_parquet(path: Path, posts: list[Post]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "id": pa.array([int(p.id) for p in posts], pa.uint64()),
            "author_id": pa.array([int(p.author.id) for p in posts], pa.uint64()),
            "created_at": pa.array([iso(p.created_at) for p in posts]),
            "text": pa.array([p.text for p in posts]),
            "lang": pa.array([p.lang for p in posts]),
            "author.protected": pa.array([False] * len(posts)),
        }
    )
    pq.write_table(table, path)


def write_bench(kind: str, path: Path, size_mb: int, bad: float = 0.0, seed: int = 7) -> int:
    """A large file of realistic shape, `size_mb` megabytes (1e6 bytes) or a little more."""
    w = World(seed, n_users=20_000)
    limit = size_mb * 1_000_000
    written = 0
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as raw:
        f = io.BufferedWriter(raw, buffer_size=1 << 22)
        while written < limit:
            if kind == "v2":
                chunk = "\n".join(v2_page_lines(w, pages=20, per_page=100, bad=bad)) + "\n"
            elif kind == "v1":
                chunk = "\n".join(dumps(v1_post(w.post())) for _ in range(2000)) + "\n"
            elif kind == "flat":
                chunk = "\n".join(dumps(v2_flat(w.post())) for _ in range(2000)) + "\n"
            else:
                raise ValueError(f"unknown benchmark kind {kind!r}")
            data = chunk.encode()
            f.write(data)
            written += len(data)
        f.flush()
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m quota.testing.synth", description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output directory (samples) or file (--bench)")
    ap.add_argument("--bench", choices=["v2", "v1", "flat"], help="write one large file of this shape")
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--bad-lines", type=float, default=0.0, help="fraction of pages replaced by bad lines")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args(argv)
    if a.bench:
        n = write_bench(a.bench, a.out, a.size_mb, a.bad_lines, seed=a.seed if a.seed is not None else 7)
        print(f"wrote {n:,} bytes to {a.out}", file=sys.stderr)
    else:
        for p in write_samples(a.out, seed=a.seed if a.seed is not None else 20261122):
            print(p, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
