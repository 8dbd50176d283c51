"""Files holding one JSON array: v1.1 post arrays and X account archive parts
(`window.YTD.tweets.part0 = [...]`). Each element is read on its own so that a problem
is named by the line it starts on."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any

from quota.errors import BadInput, flag
from quota.readers import v1
from quota.readers.jsonl import DECODER
from quota.readers.kinds import looks_like
from quota.readers.records import Fatal, Problem, ReadResult, Role, Rows, Sink, Want, add, add_optional, each
from quota.readers.source import DOC_LIMIT, Source, read_bounded

ARCHIVE_PREFIX = re.compile(r"\s*window\.YTD\.([A-Za-z0-9_]+)\.part[0-9]+\s*=\s*")
_WS = " \t\r\n"

ElementFn = Callable[[Any, Want, str], Rows]


def text_of(source: Source) -> str:
    try:
        with source.open() as f:
            data = read_bounded(f, source.name)
    except (EOFError, zlib.error, OSError) as e:
        raise BadInput(source.name, f"the gzip data is damaged or truncated ({e})") from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise BadInput(source.name, "is not UTF-8 text", line) from None
    # A byte-order mark becomes a space so that offsets and line numbers stay put.
    return " " + text[1:] if text.startswith("\ufeff") else text


def elements(
    name: str, text: str, start: int, close_at: list[int] | None = None
) -> Iterator[tuple[int, Any | Problem]]:
    """(line, element) for each element of the array that opens at `start`. With `close_at`,
    the array is a value inside a document: it gets the offset after the array, and what
    follows is the caller's; without, it is the whole file and nothing but `;` may follow it."""
    line = 1 + text.count("\n", 0, start)
    pos = start

    def skip_ws(p: int) -> int:
        nonlocal line
        while p < len(text) and text[p] in _WS:
            if text[p] == "\n":
                line += 1
            p += 1
        return p

    pos = skip_ws(pos)
    if pos >= len(text) or text[pos] != "[":
        raise BadInput(name, "expected a JSON array", line)
    pos = skip_ws(pos + 1)
    if pos < len(text) and text[pos] == "]":
        if close_at is not None:
            close_at[:] = [pos + 1]
        return
    while True:
        begin_line = line
        try:
            obj, end = DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            raise BadInput(name, f"invalid JSON ({e.msg})", e.lineno) from None
        line += text.count("\n", pos, end)
        yield begin_line, obj
        pos = skip_ws(end)
        if pos < len(text) and text[pos] == ",":
            pos = skip_ws(pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            if close_at is not None:
                close_at[:] = [pos + 1]
                return
            pos = skip_ws(pos + 1)
            if pos < len(text) and text[pos:].strip(_WS + ";"):
                raise BadInput(name, "unexpected text after the JSON array", line)
            return
        raise BadInput(name, "the JSON array is not closed (the file may be truncated)", line)


def _collect(
    name: str,
    text: str,
    start: int,
    fn: ElementFn,
    want: Want,
    skip_bad: bool,
    sink: Sink | None = None,
    result: ReadResult | None = None,
) -> ReadResult:
    """Each element of the array at `start` through `fn`, into `result` (a new one if None)."""
    result = result if result is not None else ReadResult(rows=[], sink=sink)
    for i, (line, obj) in enumerate(elements(name, text, start)):
        result.lines += 1
        try:
            result.add(fn(obj, want, f"element {i}"))
        except Problem as p:
            if not skip_bad or isinstance(p, Fatal):
                raise BadInput(name, str(p), line) from None
            result.note_bad(line, str(p))
    return result


def read_v1_array(source: Source, want: Want, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    return _collect(source.name, text_of(source), 0, v1.post, want, skip_bad, sink)


def read_v1_dm_array(source: Source, want: Want, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    return _collect(source.name, text_of(source), 0, v1.dm, want, skip_bad, sink)


# ------------------------------------------------------------------ account archives


DELETED_PARTS = frozenset({"deleted_tweets", "deleted_tweet", "deleted_tweet_headers", "deleted_note_tweet"})
DELETED_WHY = "is X's archive of deleted posts (deleted-tweets.js): X content that was deleted may not be redistributed"


def archive_check(tweet: dict[str, Any], where: str) -> None:
    """An archive post is `id_str` with `full_text`, and was not deleted."""
    if tweet.get("deleted_at") is not None:
        raise Fatal(f"{where} was deleted (deleted_at): X content that was deleted may not be redistributed")
    if tweet.get("id_str") is None or tweet.get("full_text") is None:
        raise Problem(f"{where} {looks_like(tweet)}")


def _archive_tweet(entry: Any, want: Want, where: str) -> Rows:
    rows: Rows = []
    tweet = entry.get("tweet") if isinstance(entry, dict) else None
    if not isinstance(tweet, dict):
        raise Problem(f"{where} has no tweet object")
    archive_check(tweet, f"{where}.tweet")
    add(rows, Role.POST, tweet.get("id_str"), f"{where}.tweet.id_str")
    if want.referenced:
        add_optional(
            rows, Role.POST_REF, tweet.get("in_reply_to_status_id_str"), f"{where}.tweet.in_reply_to_status_id_str"
        )
        if want.authors:
            add_optional(
                rows, Role.AUTHOR_REF, tweet.get("in_reply_to_user_id_str"), f"{where}.tweet.in_reply_to_user_id_str"
            )
    return rows


def _archive_dms(entry: Any, want: Want, where: str) -> Rows:
    rows: Rows = []
    conv = entry.get("dmConversation") if isinstance(entry, dict) else None
    if not isinstance(conv, dict):
        raise Problem(f"{where} has no dmConversation object")
    for i, msg in each(conv.get("messages"), f"{where}.dmConversation.messages"):
        at = f"{where}.dmConversation.messages[{i}]"
        create = msg.get("messageCreate") if isinstance(msg, dict) else None
        if not isinstance(create, dict):
            continue  # joins, leaves and renames of group chats carry no message
        add(rows, Role.DM, create.get("id"), f"{at}.messageCreate.id")
        if want.authors:
            add(rows, Role.AUTHOR, create.get("senderId"), f"{at}.messageCreate.senderId")
    return rows


def _archive_account(entry: Any, want: Want, where: str) -> Rows:
    rows: Rows = []
    account = entry.get("account") if isinstance(entry, dict) else None
    if not isinstance(account, dict):
        raise Problem(f"{where} has no account object")
    add(rows, Role.USER, account.get("accountId"), f"{where}.account.accountId")
    return rows


ARCHIVE_PARTS: dict[str, ElementFn] = {
    "tweets": _archive_tweet,
    "tweet": _archive_tweet,
    "community_tweet": _archive_tweet,  # posts to Communities, as tweets.js holds the others
    "direct_messages": _archive_dms,
    "direct_messages_group": _archive_dms,
    "account": _archive_account,
}


def read_archive(source: Source, want: Want, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    return _archive_part(source.name, text_of(source), want, skip_bad, sink)


# The parts of an archive zip that hold posts: data/tweets.js (tweet.js in older archives),
# its -partN files, and community-tweet.js. Nothing else of it is read.
POST_MEMBERS = re.compile(r"(?:^|/)data/(?:tweets?|community-tweet)(?:-part\d+)?\.js$")


def read_archive_zip(source: Source, want: Want, skip_bad: bool, sink: Sink | None = None) -> ReadResult:
    """X's account archive as X sends it: the posts of its post parts, each part named
    `ARCHIVE.zip!data/tweets.js` in messages."""
    import zipfile

    try:
        with zipfile.ZipFile(source.path) as z:
            members = sorted((i for i in z.infolist() if POST_MEMBERS.search(i.filename)), key=lambda i: i.filename)
            if not members:
                raise BadInput(source.name, "is a zip file but not an X account archive (it has no data/tweets.js)")
            result = ReadResult(rows=[], sink=sink)
            for info in members:
                name = f"{source.name}!{info.filename}"
                if info.file_size > DOC_LIMIT:
                    raise BadInput(name, f"is larger than {DOC_LIMIT >> 20} MiB once unpacked")
                with z.open(info) as f:
                    data = read_bounded(f, name)  # the size the zip states may lie
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise BadInput(name, "is not UTF-8 text", data.count(b"\n", 0, e.start) + 1) from None
                _archive_part(name, " " + text[1:] if text.startswith("\ufeff") else text, want, skip_bad, sink, result)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise BadInput(source.name, f"is a damaged zip file ({e})") from None
    except (OSError, RuntimeError) as e:  # RuntimeError: an encrypted member
        raise BadInput(source.name, f"cannot be read as a zip file ({e})") from None
    return result


def _archive_part(
    name: str, text: str, want: Want, skip_bad: bool, sink: Sink | None, result: ReadResult | None = None
) -> ReadResult:
    m = ARCHIVE_PREFIX.match(text)
    if m is None:
        raise BadInput(name, "does not start with window.YTD.<part>.partN = as X archive files do", 1)
    part = m.group(1)
    if part in DELETED_PARTS:
        raise BadInput(name, DELETED_WHY)
    fn = ARCHIVE_PARTS.get(part)
    if fn is None:
        known = ", ".join(sorted(ARCHIVE_PARTS))
        raise BadInput(name, f"is the archive part {part!r}, which holds no IDs quota reads (it reads {known})")
    if fn is _archive_tweet and want.authors:
        raise BadInput(
            name,
            "is an X archive tweets file, which does not carry its author's User ID: "
            f"leave 'user' out of {flag('--ids', 'the kinds asked for')} (the account's User ID is in account.js, "
            "strip that on its own)",
        )
    return _collect(name, text, m.end(), fn, want, skip_bad, sink, result)
