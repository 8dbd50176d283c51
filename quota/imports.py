"""Past distributions: `quota ledger import` records what was handed over before the ledger
existed, each row checked like a back-dated export, all of them or none."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

from quota import registry
from quota.caps import check_recipient, ledger_state, recipient_label, refusal
from quota.errors import BadInput, PolicyRefusal, UsageError, flag
from quota.policy import MAX_QUANTITY, PROFILES, Entry, check, judging, next_free_at
from quota.readers.source import bounded_lines, regular_file
from quota.store.session import Session
from quota.store.sqlfiles import marks
from quota.times import CLOCK_SLACK, TimeProblem, iso, parse_iso

COLUMNS = ("at", "entity", "post_ids", "user_ids", "reference", "ids_file")
REQUIRED = {"at", "entity", "post_ids"}
# A table of past distributions is small; a bigger file is not one.
ROW_LIMIT = 1 << 20


def _text_lines(path: Path, name: str) -> Iterator[str]:
    """The file's lines as text, each bounded; a binary file is bad input, not a crash."""
    with open(path, "rb") as f:
        for n, raw in enumerate(bounded_lines(f, name, ROW_LIMIT), start=1):
            if b"\0" in raw:
                raise BadInput(name, "holds NUL bytes: it is not a CSV file", n)
            try:
                yield raw.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError:
                raise BadInput(name, "is not UTF-8 text, so not a CSV file", n) from None


MAX_ROWS = 10_000


def _count(name: str, row: dict[str, Any], col: str, line: int) -> int:
    text = (row.get(col) or "0").strip()
    if not text.isascii() or not text.isdigit():
        raise BadInput(name, f"{col} {text[:40]!r} is not a whole number", line)
    value = int(text)
    if value > MAX_QUANTITY:
        raise BadInput(name, f"{col} {text[:40]} is more IDs than any distribution holds", line)
    return value


def _planned(ledger: Session, path: Path, name: str) -> list[tuple[int, dict[str, Any]]]:
    chosen = ledger.chosen_profile()
    now = ledger.now()
    regular_file(path, name)
    try:
        reader = csv.DictReader(_text_lines(path, name), strict=True)
        fields = reader.fieldnames or []
    except OSError as e:
        raise BadInput(name, f"cannot be read ({e.strerror})") from None
    except csv.Error as e:
        raise BadInput(name, f"is not valid CSV ({e})", 1) from None
    missing = REQUIRED - set(fields)
    if missing:
        raise BadInput(
            name,
            f"lacks the column(s) {', '.join(sorted(missing))} (needs at,entity,post_ids[,user_ids,reference,ids_file])",
            1,
        )
    unknown = [f for f in fields if f not in COLUMNS]
    if unknown:
        raise BadInput(
            name, f"has the column(s) {', '.join(repr(u[:40]) for u in unknown[:3])}, which quota does not record "
            f"(it takes {','.join(COLUMNS)})", 1,
        )  # fmt: skip
    planned: list[tuple[int, dict[str, Any]]] = []
    known = {e for (e,) in ledger.rows("entity_names")}
    try:
        for row in reader:
            line = reader.line_num
            if len(planned) == MAX_ROWS:
                # Each row is checked in every window it falls in: a history longer than this
                # is imported in parts, each all or nothing.
                raise BadInput(
                    name, f"has more than {MAX_ROWS:,} rows: import it in files of at most {MAX_ROWS:,}", line
                )
            if None in row:
                raise BadInput(name, f"the row has more fields than the header's {len(fields)}", line)
            try:
                at = parse_iso(row["at"] or "")
            except TimeProblem as e:
                raise BadInput(name, f"at: {e}", line) from None
            counts = {col: _count(name, row, col, line) for col in ("post_ids", "user_ids")}
            if row["entity"] not in known:
                raise BadInput(name, f"entity {(row['entity'] or '')[:60]!r} is not in the ledger (add it first)", line)
            if at > now + CLOCK_SLACK:
                raise BadInput(name, f"at {iso(at)} is in the future", line)
            # Judged by the text of X's in force at its date (policy.judging).
            profile = judging(chosen, at, imported=True)
            ref = (row.get("reference") or "").strip()
            ids_file = (row.get("ids_file") or "").strip()
            planned.append(
                (
                    line,
                    {
                        "export_id": f"import-{hashlib.sha256(f'{name}:{line}:{ref}'.encode()).hexdigest()[:12]}",
                        "entity": row["entity"],
                        "person": None,
                        "at": iso(at),
                        "post_ids": counts["post_ids"],
                        "user_ids": counts["user_ids"],
                        "reference": ref,
                        "profile": profile.name,
                        "version": profile.version,
                        **({"ids_file": ids_file} if ids_file else {}),
                    },
                )
            )
    except csv.Error as e:
        raise BadInput(name, f"is not valid CSV ({e})", reader.line_num) from None
    if not planned:
        raise BadInput(name, "holds no rows below its header")
    return planned


def _ids_of(path: Path, name: str, line: int, body: dict[str, Any]) -> list[int]:
    """The Post IDs of a row's `ids_file` (a plain list, relative to the CSV's directory): their
    count must be the row's post_ids; their kind is the importer's word (declared)."""
    from quota import stripping as strip_mod
    from quota.ids import Kind
    from quota.readers.records import Want

    target = Path(body["ids_file"])
    target = target if target.is_absolute() else path.parent / target
    opts = strip_mod.StripOptions(want=Want(frozenset({Kind.POST})), fmt="ids")
    with strip_mod.strip([str(target)], opts) as stripped:
        ids = stripped.ids(Kind.POST)
        n = len(ids)
    if n != body["post_ids"]:
        raise BadInput(
            name, f"post_ids says {body['post_ids']:,} but its ids_file {body['ids_file']} holds {n:,} unique IDs", line
        )
    digest = hashlib.sha256("".join(f"{i}\n" for i in ids).encode()).hexdigest()
    body["ids_sha256"] = {"post": digest}
    body["sources"] = {"post": "declared"}
    return ids


def import_csv(ledger: Session, path: Path, name: str, breach: str | None = None) -> list[str]:
    """Record distributions made before the ledger (columns at,entity,post_ids[,user_ids,reference,
    ids_file]), each checked like a back-dated export (terms, then cap), all of them or none.

    With `breach` (why), rows that break the cap are recorded anyway, marked as a breach: an
    auditor must see a real past delivery over the cap, not have it left out."""
    from quota.store import IdList

    if breach is not None and not breach.strip():
        raise UsageError("a breach is recorded with the reason it happened")
    planned = _planned(ledger, path, name)
    # Each row is checked against the ledger plus the rows before it, as if recorded one by one.
    added: dict[str, list[Entry]] = {}
    lineage: dict[str, list[int]] = {}
    done = {e for (e,) in ledger.rows("import_keys")}
    # Read once: the ledger does not change while the rows are judged (10,000 rows, one
    # query each, took minutes).
    found = registry.holders(ledger)
    first_terms = dict(ledger.rows("terms_first_accepted_each"))
    for line, body in planned:
        at = parse_iso(body["at"])
        profile = PROFILES[body["profile"]]
        terms = first_terms.get(body["entity"])
        if terms is None or terms.replace(tzinfo=UTC) > at:
            try:
                check_recipient(ledger, body["entity"], None, at)  # says why, in its words
            except PolicyRefusal as e:
                raise PolicyRefusal(f"{name}, line {line}: {e}") from None
        # The rows before this one count for the same holder (the entity's organisation, or it).
        holder = found.holder(body["entity"])
        if body["post_ids"] == 0:  # no Post ID can break a cap
            verdict = None
        else:
            entries, perms = ledger_state(ledger, body["entity"], at, profile.window)
            entries = entries + added.get(holder, [])
            verdict = check(entries, perms, profile.post_id_cap, profile.window, at, body["post_ids"])
        if verdict is not None and not verdict.allowed:
            if breach is None:
                fits = next_free_at(entries, perms, profile.post_id_cap, profile.window, at, body["post_ids"])
                why = refusal(recipient_label(ledger, body["entity"]), at, body["post_ids"], verdict, fits, perms)
                raise PolicyRefusal(
                    f"{name}, line {line}: {why} (if it happened: {flag('--breach', 'record a breach')})"
                )
            body["breach"] = breach.strip()
        if body["export_id"] in done:
            raise UsageError(f"{name}, line {line} was already imported (as {body['export_id']})")
        if "ids_file" in body:
            lineage[body["export_id"]] = _ids_of(path, name, line, body)
        if body["post_ids"]:
            added.setdefault(holder, []).append(Entry(at, body["post_ids"]))
    if breach is not None and not any("breach" in body for _, body in planned):
        raise UsageError(f"{name} breaks no cap: import it without {flag('--breach', 'a breach')}")

    loads = [IdList(export_id, 1, ids) for export_id, ids in lineage.items()]
    ledger.append_many([("import", body) for _, body in planned], loads)
    return [body["export_id"] for _, body in planned]


def recorded(ledger: Session, export_ids: list[str]) -> list[dict[str, Any]]:
    """The entries an import recorded, as `ledger import --json` prints them."""
    return ledger.query("reservations_made", export_ids, keys=marks(len(export_ids)))
