"""What a request chooses from a dataset: its posts, filtered and ordered by DuckDB.

The dataset's inputs are read again by path, and each must still be the file registered (same
sha256, size and format). `strip` reads them as it always does, so the Post IDs are exactly the
ones an export of the same files would hold; a second query reads the fields the filters need
(created_at, lang, author; the text only for keywords and hashtags) from the same files
(quota/readers/fields.py), and every Post ID must be found there, or the choice is refused rather
than made on part of the data.

The choice is the request's whole set: filtered, ranked (oldest first, newest first, or a
seeded sample), cut to its limit. Its sha256 is recorded when the request is submitted, and a
delivery chooses again and must find the same set, less what earlier deliveries of the request
took.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quota.errors import BadInput, UsageError
from quota.ids import Kind, id_problem
from quota.readers.fields import FIELD_FORMATS, TAGS_FROM_BOTH, TAGS_FROM_ENTITIES, Needs, keep, read_fields
from quota.readers.records import Want
from quota.times import iso, parse_iso, utc_naive

if TYPE_CHECKING:
    import pyarrow as pa

    from quota.stripping import Progress, Stripped

ORDERS = ("oldest", "newest", "sample")


@dataclass(frozen=True)
class Filters:
    """A request's choice. Each filter given several values matches any of them; different
    filters must all match. Times are a post's created_at, from `start` up to (not including)
    `until`; hashtags and keywords ignore case; a keyword matches anywhere in the text.

    A post's hashtags are those of X's entities (a long post's note_tweet's), or those written
    in its text (#word) where the capture holds no entities for it (`hashtags_from` is
    TAGS_FROM_ENTITIES). A request recorded without the rule (submitted before 2026-12) read
    both, always (TAGS_FROM_BOTH), and keeps it, so that its delivery finds the set approved."""

    start: datetime | None = None
    until: datetime | None = None
    langs: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    order: str = "oldest"
    limit: int | None = None
    seed: str | None = None
    hashtags_from: str = TAGS_FROM_ENTITIES

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise UsageError(f"a request's order is one of {', '.join(ORDERS)}, not {self.order!r}")
        if (self.order == "sample") != (self.seed is not None):
            raise UsageError("a sample and its seed go together: the seed makes the sample reproducible")
        if self.order == "sample" and self.limit is None:
            raise UsageError("a sample needs its size: how many Post IDs to draw")
        if self.limit is not None and self.limit < 0:
            raise UsageError(f"the number of Post IDs to choose must be 0 or more, not {self.limit}")
        if self.hashtags_from not in (TAGS_FROM_ENTITIES, TAGS_FROM_BOTH):
            raise UsageError(
                f"hashtags are read from {TAGS_FROM_ENTITIES!r} or {TAGS_FROM_BOTH!r}, not {self.hashtags_from!r}"
            )
        if self.start is not None and self.until is not None and self.until <= self.start:
            raise UsageError("the request's period must end (until) after it starts (from)")
        for what, values in (("language", self.langs), ("hashtag", self.hashtags), ("keyword", self.keywords)):
            if any(not v.strip() for v in values):
                raise UsageError(f"a {what} to filter on cannot be blank")
        for author in self.authors:
            if (problem := id_problem(author)) is not None:
                raise UsageError(f"author {author!r}: {problem}")

    @classmethod
    def make(cls, **given: Any) -> Filters:
        """Filters as a person types them: '#Tag' is the hashtag 'tag', 'EN' the language 'en';
        repeats go, and the rest keeps its order, so that one choice has one record."""

        def norm(values: Sequence[str], f: Any) -> tuple[str, ...]:
            return tuple(dict.fromkeys(f(v) for v in values))

        given["langs"] = norm(given.get("langs", ()), lambda v: v.strip().lower())
        given["hashtags"] = norm(given.get("hashtags", ()), lambda v: v.strip().lstrip("#").lower())
        given["keywords"] = norm(given.get("keywords", ()), lambda v: v.strip().lower())
        given["authors"] = norm(given.get("authors", ()), lambda v: v.strip())
        return cls(**given)

    @property
    def needs_fields(self) -> bool:
        return bool(self.start or self.until or self.langs or self.hashtags or self.keywords or self.authors)

    def as_json(self) -> dict[str, Any]:
        return {
            "from": iso(self.start) if self.start else None,
            "until": iso(self.until) if self.until else None,
            "lang": list(self.langs),
            "hashtag": list(self.hashtags),
            "keyword": list(self.keywords),
            "author": list(self.authors),
            "order": self.order,
            "limit": self.limit,
            "seed": self.seed,
            "hashtags_from": self.hashtags_from,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Filters:
        return cls(
            start=parse_iso(d["from"]) if d.get("from") else None,
            until=parse_iso(d["until"]) if d.get("until") else None,
            langs=tuple(d["lang"]), hashtags=tuple(d["hashtag"]), keywords=tuple(d["keyword"]),
            authors=tuple(d["author"]), order=d["order"], limit=d["limit"], seed=d["seed"],
            hashtags_from=d.get("hashtags_from", TAGS_FROM_BOTH),
        )  # fmt: skip

    def described(self) -> list[str]:
        """The choice in words, for the recipient's README."""
        out = []
        if self.start or self.until:
            out.append(
                f"posts created from {iso(self.start) if self.start else 'the start'} "
                f"until {iso(self.until) if self.until else 'the end'} (created_at, UTC; until not included)"
            )
        read = (
            "as X's entities give them, or as written in its text where the capture holds no entities"
            if self.hashtags_from == TAGS_FROM_ENTITIES
            else "both as X's entities give them and as written in its text"
        )
        for what, values, how in (
            ("in the language", self.langs, ""),
            ("with the hashtag", ["#" + h for h in self.hashtags], f" (a post's hashtags {read})"),
            ("whose text contains", [f'"{k}"' for k in self.keywords], ""),
            ("by the author (User ID)", list(self.authors), ""),
        ):
            if values:
                out.append(f"posts {what} {' or '.join(values)}{how}")
        if self.order == "sample":
            out.append(
                f'a sample of at most {self.limit:,} of those, in the order of sha256 of "{self.seed}:ID" '
                f"(seed {self.seed!r}: the same seed draws the same sample)"
            )
        elif self.limit is not None:
            out.append(f"the {self.limit:,} {self.order} (by Post ID) of those at most")
        return out or ["every post of the dataset"]


@dataclass
class Choice:
    """What choosing found: the request's whole set (its Post IDs' sha256, its Post and User
    IDs), and, held in `stripped` ranked for delivery, what is left of it after `exclude`."""

    stripped: Stripped
    post_ids: int
    user_ids: int
    selection_sha256: str

    def close(self) -> None:
        self.stripped.close()

    def __enter__(self) -> Choice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def choose(
    dataset: dict[str, Any],
    filters: Filters,
    kinds: frozenset[Kind],
    scratch: Path | None = None,
    exclude: pa.Array | None = None,
    exclude_users: pa.Array | None = None,
    progress: Progress | None = None,
) -> Choice:
    """Choose from `dataset` (its ledger row, inputs parsed). `exclude`, `exclude_users`: the
    Post and User IDs delivered already (uint64), left out of what is ranked for delivery but
    not of the request's set (an author delivered before is not delivered, or counted, again)."""
    from quota.stripping import StripOptions, strip

    if Kind.POST not in kinds or Kind.DM in kinds:
        raise UsageError("a request chooses posts: ask for post IDs, and user IDs for their authors (post,user)")
    name = dataset["name"]
    if dataset.get("post_ids") == 0:
        raise UsageError(f"dataset {name} holds no posts, and a request chooses posts")
    fields = filters.needs_fields or Kind.USER in kinds
    paths = [i["path"] for i in dataset["inputs"]]
    for i in dataset["inputs"]:
        if not Path(i["path"]).is_file():
            raise BadInput(i["path"], f"is gone: dataset {name} was registered from it")
        if fields and i["format"] not in FIELD_FORMATS:
            why = "filters read the posts' fields" if filters.needs_fields else "authors come from the posts' fields"
            raise UsageError(
                f"dataset {name}'s input {i['file']} is {i['format']}: {why}, which quota reads from "
                f"{', '.join(FIELD_FORMATS)} only (without filters, ask for post IDs alone)"
            )
    needs = Needs(
        created=bool(filters.start or filters.until), lang=bool(filters.langs),
        author=bool(filters.authors) or Kind.USER in kinds, text=bool(filters.keywords),
        hashtags=filters.hashtags, tags=filters.hashtags_from,
    )  # fmt: skip
    options = StripOptions(want=Want(kinds), scratch=scratch, keep=keep(needs) if fields else None)
    stripped = strip(paths, options, progress)
    try:
        _same_files(name, dataset["inputs"], stripped)
        con = stripped.con
        table, _ = stripped.unique(Kind.POST)
        if fields:
            read_fields(con, name, dataset["inputs"], stripped, table, needs)
        else:
            con.execute(
                f"""CREATE TEMP TABLE posts AS SELECT id, NULL::UBIGINT AS author, NULL::TIMESTAMP AS created_at,
                    NULL AS lang, NULL AS text, NULL::BOOLEAN AS tagged FROM {table}"""
            )
        where, where_params = _where(filters)
        if filters.start or filters.until:
            _all_dated(con, name)
        if filters.langs:
            _all_have_lang(con, name)
        order = {"oldest": "id", "newest": "id DESC", "sample": "sha256(? || ':' || id::VARCHAR), id"}[filters.order]
        # Parameters bind by position in the statement's text: the seed's `?` (in the window's
        # ORDER BY) comes before the WHERE clause's.
        params = ([filters.seed] if filters.order == "sample" else []) + where_params
        limit = "" if filters.limit is None else f"QUALIFY rank <= {int(filters.limit)}"
        con.execute(
            f"""CREATE TEMP TABLE chosen AS SELECT id, author, row_number() OVER (ORDER BY {order}) AS rank
                FROM posts WHERE {where} {limit}""",
            params,
        )
        if Kind.USER in kinds:
            (anonymous,) = con.execute("SELECT count(*) FROM chosen WHERE author IS NULL").fetchall()[0]
            if anonymous:
                raise BadInput(
                    name, f"{anonymous:,} of the chosen posts carry no author ID: their authors cannot be given"
                )
        posts, users = con.execute("SELECT count(*), count(DISTINCT author) FROM chosen").fetchall()[0]
        digest = _digest(con, "chosen", stripped)
        import pyarrow as pa

        none = pa.array([], pa.uint64())
        con.register("delivered", pa.table({"id": none if exclude is None else exclude}))
        con.register("delivered_users", pa.table({"id": none if exclude_users is None else exclude_users}))
        con.execute(
            """CREATE TEMP TABLE ranked AS
               SELECT id, CASE WHEN author IN (SELECT id FROM delivered_users) THEN NULL ELSE author END AS author,
                      row_number() OVER (ORDER BY rank) AS rank
               FROM chosen WHERE id NOT IN (SELECT id FROM delivered)"""
        )
        con.unregister("delivered")
        con.unregister("delivered_users")
        stripped.rank("ranked")
    except BaseException:
        stripped.close()
        raise
    return Choice(stripped, int(posts), int(users) if Kind.USER in kinds else 0, digest)


def _same_files(name: str, registered: list[dict[str, Any]], stripped: Stripped) -> None:
    for was, now in zip(registered, stripped.inputs, strict=True):
        if (now.sha256, now.bytes, now.format) != (was["sha256"], was["bytes"], was["format"]):
            raise BadInput(
                was["path"],
                f"has changed since dataset {name} was registered (sha256 {was['sha256'][:12]}..., "
                f"{was['bytes']:,} bytes; now {now.sha256[:12]}..., {now.bytes:,} bytes): "
                "register the collection again under a new name",
            )


def _all_dated(con: Any, name: str) -> None:
    """A period filter on posts whose time cannot be read would drop them silently: refuse."""
    bad = con.execute("SELECT id, created_text FROM posts WHERE undated ORDER BY id LIMIT 1").fetchall()
    if bad:
        raise BadInput(name, f"post {bad[0][0]} has a created_at that cannot be read ({bad[0][1]!r})")


def _all_have_lang(con: Any, name: str) -> None:
    """Posts captured without their language (X sends `lang` only when asked) cannot be judged."""
    (n, low) = con.execute("SELECT count(*), min(id) FROM posts WHERE lang IS NULL").fetchall()[0]
    if n:
        raise BadInput(
            name,
            f"{n:,} of its posts (Post ID {low} the lowest) carry no language (lang): a language filter cannot judge them",
        )


def _where(f: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = ["true"]
    params: list[Any] = []
    if f.start:
        clauses.append("created_at >= ?")
        params.append(utc_naive(f.start))
    if f.until:
        clauses.append("created_at < ?")
        params.append(utc_naive(f.until))
    if f.langs:
        clauses.append(f"lang IN ({', '.join('?' * len(f.langs))})")
        params += list(f.langs)
    if f.hashtags:
        clauses.append("tagged")  # by the hashtags asked for (quota.readers.fields)
    if f.keywords:
        clauses.append("(" + " OR ".join("contains(lower(text), ?)" for _ in f.keywords) + ")")
        params += list(f.keywords)
    if f.authors:
        clauses.append(f"author IN ({', '.join('?::UBIGINT' for _ in f.authors)})")
        params += list(f.authors)
    return " AND ".join(clauses), params


def _digest(con: Any, table: str, stripped: Stripped) -> str:
    """sha256 of the set's Post IDs, ascending, one per line (as a post_ids.txt holds them)."""
    path = stripped._dir / f"{table}.txt"
    con.execute(f"COPY (SELECT id FROM {table} ORDER BY id) TO ? (FORMAT csv, HEADER false)", [str(path)])
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    path.unlink()
    return digest
