"""Full Post and User objects for manual exports: the readable fields of a spreadsheet.

`strip` keeps only IDs; a manual export hands over a few hundred whole objects, so this
reader keeps the fields an analyst reads (text, time, author, references, public metrics)
from every format `strip` reads that carries them. Objects come out in input order, with a
post's author right after the post (when the input carries that user), so that `--fit` can
cut the sequence anywhere.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from quota.errors import BadInput
from quota.ids import JSONFloat, Kind, id_problem
from quota.readers import detect
from quota.readers.arrays import ARCHIVE_PREFIX, DELETED_PARTS, DELETED_WHY, archive_check, elements, text_of
from quota.readers.jsonl import numbered_lines, parse
from quota.readers.kinds import looks_like, v1_is_post, v1_is_user, v2_is_post, v2_is_user
from quota.readers.records import Problem
from quota.readers.source import Source

POST_COLUMNS = [
    "id",
    "created_at",
    "author_id",
    "author_username",
    "text",
    "lang",
    "replied_to_id",
    "quoted_id",
    "retweeted_id",
    "retweet_count",
    "reply_count",
    "like_count",
    "quote_count",
]
USER_COLUMNS = ["id", "username", "name", "description", "created_at", "followers_count", "following_count"]
# Columns holding IDs: written as text cells, checked like every ID quota reads.
ID_COLUMNS = frozenset({"id", "author_id", "replied_to_id", "quoted_id", "retweeted_id"})

NO_OBJECTS = {
    "ids": "is a list of IDs, not full objects: a manual export hands over objects (use quota export for IDs)",
    "dm-events": "holds DM events, which are not public Post or User objects",
}


# Readers mark whether an object's account is protected with this key (None: the input does not
# say), and where that would have been said with the next; neither is a sheet column.
PROTECTED = "_protected"
STATED_IN = "_stated_in"


def _protected(value: object) -> bool | None:
    """v1.1 and v2 give `protected` as a JSON boolean; CSV cells hold its text. None when the
    input does not say (absent, empty, or anything else): then the object is not known to be public."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _account(protected: object, field: str) -> dict[str, Any]:
    return {PROTECTED: _protected(protected), STATED_IN: field}


@dataclass(frozen=True)
class Obj:
    kind: Kind  # POST or USER
    fields: dict[str, Any]  # column -> text, int or None
    source: str
    line: int
    # Whether the account is protected (a user's own, a post's author's); None: the input does
    # not say, at `stated_in` (the field that is missing).
    protected: bool | None = False
    stated_in: str | None = None

    @property
    def id(self) -> str:
        return str(self.fields["id"])

    @property
    def public(self) -> bool:
        return self.protected is False


def _id(value: object, where: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    problem = id_problem(value)
    if problem is not None:
        raise Problem(f"{where}: {problem}")
    return str(value)


def _text_of(value: object, where: str = "a text field") -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise Problem(f"{where} should be text, not a JSON {'object' if isinstance(value, dict) else 'list'}")
    return str(value)


def _count(value: object) -> int | None:
    """A public metric: a whole number, or None when absent or not a whole number."""
    if value is None or isinstance(value, (bool, JSONFloat)):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def v1_time(value: object, where: str) -> str | None:
    """v1.1's `Wed Oct 10 20:19:24 +0000 2018` as ISO 8601 UTC, the form v2 uses."""
    text = _text_of(value, where)
    if text is None:
        return None
    try:
        t = datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return text
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ------------------------------------------------------------------ v2


def _v2_user(obj: dict[str, Any], where: str) -> dict[str, Any]:
    metrics = _dict(obj.get("public_metrics"))
    return {
        "id": _id(obj.get("id"), f"{where}.id"),
        "username": _text_of(obj.get("username"), f"{where}.username"),
        "name": _text_of(obj.get("name"), f"{where}.name"),
        "description": _text_of(obj.get("description"), f"{where}.description"),
        "created_at": _text_of(obj.get("created_at"), f"{where}.created_at"),
        "followers_count": _count(metrics.get("followers_count")),
        "following_count": _count(metrics.get("following_count")),
        **_account(obj.get("protected"), f"{where}.protected"),
    }


def _v2_post(obj: dict[str, Any], where: str, username: str | None) -> dict[str, Any]:
    refs: dict[str, str | None] = {}
    raw_refs = obj.get("referenced_tweets") or []
    if not isinstance(raw_refs, list):
        raise Problem(f"{where}.referenced_tweets is not a list")
    for i, ref in enumerate(raw_refs):
        if not isinstance(ref, dict):
            raise Problem(f"{where}.referenced_tweets[{i}] is not a JSON object")
        kind = ref.get("type")
        if kind in ("replied_to", "quoted", "retweeted") and kind not in refs:
            refs[kind] = _id(ref.get("id"), f"{where}.referenced_tweets[{i}].id")
    metrics = _dict(obj.get("public_metrics"))
    # Posts longer than 280 characters carry their whole text in note_tweet.
    text = _dict(obj.get("note_tweet")).get("text") or obj.get("text")
    return {
        "id": _id(obj.get("id"), f"{where}.id"),
        "created_at": _text_of(obj.get("created_at"), f"{where}.created_at"),
        "author_id": _id(obj.get("author_id"), f"{where}.author_id", required=False),
        "author_username": username,
        "text": _text_of(text, f"{where}.text"),
        "lang": _text_of(obj.get("lang"), f"{where}.lang"),
        "replied_to_id": refs.get("replied_to"),
        "quoted_id": refs.get("quoted"),
        "retweeted_id": refs.get("retweeted"),
        "retweet_count": _count(metrics.get("retweet_count")),
        "reply_count": _count(metrics.get("reply_count")),
        "like_count": _count(metrics.get("like_count")),
        "quote_count": _count(metrics.get("quote_count")),
    }


def _v2_element(obj: Any, where: str, users: dict[str, dict[str, Any]]) -> Iterator[tuple[Kind, dict[str, Any]]]:
    """One v2 object; `users` maps author IDs to user objects the input carries."""
    if not isinstance(obj, dict):
        raise Problem(f"{where} is not a JSON object")
    if obj.get("event_type") is not None:
        raise Problem(f"{where} is a DM event, which is not a public Post or User object")
    if v2_is_user(obj):
        yield Kind.USER, _v2_user(obj, where)
        return
    if not v2_is_post(obj):
        raise Problem(f"{where} {looks_like(obj)}")
    author = obj.get("author")
    author_fields = _v2_user(author, f"{where}.author") if isinstance(author, dict) else None
    post = _v2_post(obj, where, None)
    if author_fields is None and post["author_id"] is not None and post["author_id"] in users:
        author_fields = users[post["author_id"]]
    if author_fields is not None:
        post["author_username"] = author_fields["username"]
        post[PROTECTED], post[STATED_IN] = author_fields[PROTECTED], author_fields[STATED_IN]
    else:
        post |= _account(None, f"its author's protected ({where}.author or includes.users)")
    yield Kind.POST, post
    if author_fields is not None:
        yield Kind.USER, author_fields


def _v2_page(obj: Any) -> Iterator[tuple[Kind, dict[str, Any]]]:
    if not isinstance(obj, dict):
        raise Problem("the line is not a JSON object")
    includes = _dict(obj.get("includes"))
    users: dict[str, dict[str, Any]] = {}
    for i, u in enumerate(includes.get("users") or []):
        if isinstance(u, dict):
            fields = _v2_user(u, f"includes.users[{i}]")
            users[fields["id"]] = fields
    data = obj.get("data")
    if isinstance(data, dict):
        yield from _v2_element(data, "data", users)
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _v2_element(item, f"data[{i}]", users)
    elif data is not None:
        raise Problem("data is neither a list nor an object")


# ------------------------------------------------------------------ v1.1 and archives


def _v1_user(obj: dict[str, Any], where: str) -> dict[str, Any]:
    return {
        "id": _id(obj.get("id_str"), f"{where}.id_str"),
        "username": _text_of(obj.get("screen_name"), f"{where}.screen_name"),
        "name": _text_of(obj.get("name"), f"{where}.name"),
        "description": _text_of(obj.get("description"), f"{where}.description"),
        "created_at": v1_time(obj.get("created_at"), f"{where}.created_at"),
        "followers_count": _count(obj.get("followers_count")),
        "following_count": _count(obj.get("friends_count")),
        **_account(obj.get("protected"), f"{where}.protected"),
    }


def _v1_post(obj: Any, where: str, recognised: bool = False) -> Iterator[tuple[Kind, dict[str, Any]]]:
    if not isinstance(obj, dict):
        raise Problem(f"{where} is not a JSON object")
    if v1_is_user(obj) and obj.get("user") is None:
        yield Kind.USER, _v1_user(obj, where)
        return
    if not recognised and not v1_is_post(obj):
        raise Problem(f"{where} {looks_like(obj)}")
    user = obj.get("user")
    author = _v1_user(user, f"{where}.user") if isinstance(user, dict) else None
    extended = _dict(obj.get("extended_tweet"))
    text = extended.get("full_text") or obj.get("full_text") or obj.get("text")
    retweeted = obj.get("retweeted_status")
    post = {
        "id": _id(obj.get("id_str"), f"{where}.id_str"),
        "created_at": v1_time(obj.get("created_at"), f"{where}.created_at"),
        "author_id": author["id"] if author else None,
        "author_username": author["username"] if author else None,
        "text": _text_of(text, f"{where}.text"),
        "lang": _text_of(obj.get("lang"), f"{where}.lang"),
        "replied_to_id": _id(obj.get("in_reply_to_status_id_str"), f"{where}.in_reply_to_status_id_str", False),
        "quoted_id": _id(obj.get("quoted_status_id_str"), f"{where}.quoted_status_id_str", False),
        "retweeted_id": _id(retweeted.get("id_str"), f"{where}.retweeted_status.id_str")
        if isinstance(retweeted, dict)
        else None,
        "retweet_count": _count(obj.get("retweet_count")),
        "reply_count": _count(obj.get("reply_count")),
        "like_count": _count(obj.get("favorite_count")),
        "quote_count": _count(obj.get("quote_count")),
        **(
            {PROTECTED: author[PROTECTED], STATED_IN: author[STATED_IN]}
            if author
            else _account(None, f"{where}.user.protected (no user object)")
        ),
    }
    yield Kind.POST, post
    if author is not None:
        yield Kind.USER, author


def _archive_post(entry: Any, where: str) -> Iterator[tuple[Kind, dict[str, Any]]]:
    tweet = entry.get("tweet") if isinstance(entry, dict) else None
    if not isinstance(tweet, dict):
        raise Problem(f"{where} has no tweet object")
    archive_check(tweet, f"{where}.tweet")
    for kind, fields in _v1_post(tweet, f"{where}.tweet", recognised=True):
        if fields[PROTECTED] is None:
            # The account's own posts: tweets.js never says whether the account is protected.
            fields[STATED_IN] = "whether the archive's account is protected (tweets.js does not say)"
        yield kind, fields


# ------------------------------------------------------------------ CSV and Parquet (twarc-csv columns)


def _row_objects(row: dict[str, Any], is_users: bool) -> Iterator[tuple[Kind, dict[str, Any]]]:
    def cell(*names: str) -> Any:
        for name in names:
            value = row.get(name)
            if value is not None and value != "":
                return value
        return None

    def id_cell(name: str, required: bool = False) -> str | None:
        value = cell(name)
        return _id(str(value) if isinstance(value, int) else value, f"column {name}", required)

    if is_users:
        yield (
            Kind.USER,
            {
                "id": id_cell("id", True),
                "username": _text_of(cell("username")),
                "name": _text_of(cell("name")),
                "description": _text_of(cell("description")),
                "created_at": _text_of(cell("created_at")),
                "followers_count": _count(cell("public_metrics.followers_count", "followers_count")),
                "following_count": _count(cell("public_metrics.following_count", "following_count")),
                **_account(cell("protected"), "column protected"),
            },
        )
        return
    yield (
        Kind.POST,
        {
            "id": id_cell("id", True),
            "created_at": _text_of(cell("created_at")),
            "author_id": id_cell("author_id") or id_cell("author.id"),
            "author_username": _text_of(cell("author.username", "author_username")),
            "text": _text_of(cell("text")),
            "lang": _text_of(cell("lang")),
            "replied_to_id": id_cell("referenced_tweets.replied_to.id"),
            "quoted_id": id_cell("referenced_tweets.quoted.id"),
            "retweeted_id": id_cell("referenced_tweets.retweeted.id"),
            "retweet_count": _count(cell("public_metrics.retweet_count", "retweet_count")),
            "reply_count": _count(cell("public_metrics.reply_count", "reply_count")),
            "like_count": _count(cell("public_metrics.like_count", "like_count")),
            "quote_count": _count(cell("public_metrics.quote_count", "quote_count")),
            **_account(cell("author.protected"), "column author.protected"),
        },
    )


def _table_kind(name: str, header: list[str]) -> bool:
    """True for a users table, False for posts; BadInput when it holds only IDs."""
    if "id" not in header:
        raise BadInput(name, "has no 'id' column")
    is_users = "username" in header and "text" not in header
    if not is_users and "text" not in header:
        raise BadInput(name, "has no text or username column: it holds IDs, not objects (use quota export for IDs)")
    return is_users


def _csv_rows(source: Source) -> Iterator[tuple[int, Iterator[tuple[Kind, dict[str, Any]]]]]:
    last = 0
    try:
        with source.open() as raw:
            reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), strict=True)
            header = next(reader, None)
            if header is None:
                raise BadInput(source.name, "is empty")
            is_users = _table_kind(source.name, header)
            last = reader.line_num
            for record in reader:
                start, last = last + 1, reader.line_num
                if not record or record == [""]:
                    continue
                if len(record) != len(header):
                    raise BadInput(
                        source.name, f"the row has {len(record)} fields, the header has {len(header)}", start
                    )
                yield start, _row_objects(dict(zip(header, record, strict=True)), is_users)
    except csv.Error as e:
        raise BadInput(source.name, f"is not valid CSV ({e})", last + 1) from None
    except UnicodeDecodeError:
        raise BadInput(source.name, "is not UTF-8 text", last + 1) from None
    except (EOFError, zlib.error) as e:
        raise BadInput(source.name, f"the gzip data is damaged or truncated ({e})") from e


def _parquet_rows(source: Source) -> Iterator[tuple[int, Iterator[tuple[Kind, dict[str, Any]]]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(source.path)
    except (pa.ArrowException, OSError) as e:
        raise BadInput(source.name, f"is not a readable Parquet file ({e})") from None
    names = list(pf.schema_arrow.names)
    is_users = _table_kind(source.name, names)
    for name in ID_COLUMNS & set(names):
        t = pf.schema_arrow.field(name).type
        if pa.types.is_floating(t) or pa.types.is_decimal(t):
            raise BadInput(source.name, f"column {name} holds {t} numbers, which cannot carry 64-bit IDs exactly")
    n = 0
    for batch in pf.iter_batches(batch_size=4096):
        for row in batch.to_pylist():
            n += 1
            yield n, _row_objects(row, is_users)


# ------------------------------------------------------------------ any input


def _records(source: Source, fmt: str) -> Iterator[tuple[int, Iterator[tuple[Kind, dict[str, Any]]]]]:
    """(line, the objects of that line or element) for one input."""
    if fmt in NO_OBJECTS:
        raise BadInput(source.name, NO_OBJECTS[fmt])
    if fmt in ("v2-pages", "v2-flat", "v1"):
        for n, text in numbered_lines(source):
            try:
                obj = parse(text)
            except Problem as p:
                raise BadInput(source.name, str(p), n) from None
            if fmt == "v2-pages":
                yield n, _v2_page(obj)
            elif fmt == "v2-flat":
                yield n, _v2_element(obj, "the object", {})
            else:
                yield n, _v1_post(obj, "the object")
    elif fmt == "v1-array":
        for i, (n, obj) in enumerate(elements(source.name, text_of(source), 0)):
            yield n, _v1_post(obj, f"element {i}")
    elif fmt in ("v2-document", "v2-array", "v1-document"):
        yield from _document(source)
    elif fmt == "archive":
        text = text_of(source)
        m = ARCHIVE_PREFIX.match(text)
        if m is not None and m.group(1) in DELETED_PARTS:
            raise BadInput(source.name, DELETED_WHY)
        if m is None or m.group(1) not in ("tweets", "tweet"):
            raise BadInput(source.name, "is an X archive part without posts (manual exports read tweets.js)")
        for i, (n, obj) in enumerate(elements(source.name, text, m.end())):
            yield n, _archive_post(obj, f"element {i}")
    elif fmt == "csv":
        yield from _csv_rows(source)
    elif fmt == "parquet":
        yield from _parquet_rows(source)
    else:
        raise BadInput(source.name, f"format {fmt!r} is not one manual exports read")


def _document(source: Source) -> Iterator[tuple[int, Iterator[tuple[Kind, dict[str, Any]]]]]:
    """A whole JSON document (see quota.readers.documents): a manual export is at most a few
    hundred objects, so the document (bounded by DOC_LIMIT) is decoded at once."""
    text = text_of(source)
    start = len(text) - len(text.lstrip())
    if text[start : start + 1] == "[":
        for i, (n, obj) in enumerate(elements(source.name, text, start)):
            if isinstance(obj, dict) and any(k in obj for k in ("data", "includes", "meta", "errors")):
                yield n, _v2_page(obj)
            elif isinstance(obj, dict) and "id_str" in obj:
                yield n, _v1_post(obj, f"element {i}")
            else:
                yield n, _v2_element(obj, f"element {i}", {})
        return
    try:
        doc = parse(text)
    except Problem as p:
        raise BadInput(source.name, str(p)) from None
    if not isinstance(doc, dict):
        raise BadInput(source.name, "is not a JSON object or array")
    if isinstance(doc.get("ids"), list):
        raise BadInput(source.name, NO_OBJECTS["ids"])
    lists = [k for k in ("statuses", "users") if isinstance(doc.get(k), list)]
    if lists:
        for i, obj in enumerate(doc[lists[0]]):
            yield 1, _v1_post(obj, f"{lists[0]}[{i}]")
    elif any(k in doc for k in ("data", "includes", "meta", "errors")):
        yield 1, _v2_page(doc)
    elif "id_str" in doc:
        yield 1, _v1_post(doc, "the object")
    else:
        yield 1, _v2_element(doc, "the object", {})


def read_objects(inputs: list[str], fmt: str | None = None, users: bool = True) -> Iterator[Obj]:
    """Every Post (and, with `users`, User) object of the inputs, in input order, repeats included."""
    for name in inputs:
        source = Source.open_path(name)
        try:
            kind = fmt or detect(source)
            for line, objects in _records(source, kind):
                try:
                    found = list(objects)
                except Problem as p:
                    raise BadInput(source.name, str(p), line) from None
                for obj_kind, fields in found:
                    if obj_kind is Kind.USER and not users:
                        continue
                    # A copy: one author's fields serve every post of theirs in a page.
                    shown = {k: v for k, v in fields.items() if k not in (PROTECTED, STATED_IN)}
                    yield Obj(obj_kind, shown, source.name, line, fields[PROTECTED], fields[STATED_IN])
        finally:
            source.close()


def unique(objects: Iterator[Obj]) -> list[Obj]:
    """The first of each (kind, ID), in input order."""
    seen: set[tuple[Kind, str]] = set()
    out = []
    for obj in objects:
        key = (obj.kind, obj.id)
        if key not in seen:
            seen.add(key)
            out.append(obj)
    return out
