"""`quota report`: the numbers a compliance officer reads, as JSON or one self-contained HTML file.

Everything is computed from the ledger in one read-only session: the rolling 30-day Post ID
usage of each entity over the period (the peak of each UTC day), current headroom, research
exemptions and their drawdown, manual exports per person, open deletion notices, and whether
the ledger verifies. The HTML is rendered by quota.report.page from exactly this document.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from quota import manual, notices, registry, usage
from quota.errors import UsageError
from quota.policy import micros
from quota.store.session import Session
from quota.times import iso, parse_iso, utc_naive

DEFAULT_SPAN = timedelta(days=90)
# What the report checks, said exactly: its numbers are read from the state tables, so each
# of those is rebuilt from the events and compared (after a verified checkpoint, the rows made
# since: the verify that kept it compared the rest).
CHECKED = (
    "the hash chain of every event; every state table rebuilt from the events and compared row for row "
    "(the numbers below are read from them); every 30-day and 24-hour window, exemption drawdown, request "
    "and deletion notice. Not re-checked here: the stored ID sets against their hashes (quota ledger verify "
    "re-hashes them)"
)


def build(
    ledger: Session,
    since: datetime | None,
    until: datetime | None,
    now: datetime | None = None,
    checkpoint: str | None = None,
    verified: bool = False,
) -> dict[str, Any]:
    """`checkpoint`: the text of one the ledger must extend; only the events after it are
    verified (re-hashing a large ledger's whole chain is most of the report's time); `verified`:
    it is the checkpoint of a verify kept apart (ledger verify --keep), which compared every
    state table, so only the rows made after it are compared again."""
    now = now or ledger.now()
    until = until or now
    since = since or until - DEFAULT_SPAN
    ledger.views()
    profile = registry.current_profile(ledger)
    verdict = ledger.verify(full=False, since=checkpoint, tables=True, rows_after=verified)
    checked = CHECKED
    if verdict.since is not None and not verified:
        checked = (
            f"that the ledger extends the checkpoint given (event {verdict.since}); the hash chain, windows, "
            "exemption drawdowns, requests and deletion notices of the events after it (what came before, the "
            "checkpoint vouches for); every state table rebuilt from all the events and compared row for row (the "
            "numbers below are read from them). Not re-checked here: the stored ID sets against their hashes "
            "(quota ledger verify re-hashes them)"
        )
    elif verdict.since is not None:
        checked = (
            f"that the ledger extends the checkpoint (event {verdict.since}) of a verify kept before; the hash "
            "chain, windows, exemption drawdowns, requests and deletion notices of the events after it, and the "
            "state rows those events made, rebuilt from them and compared row for row (the numbers below are read "
            "from the state tables). Taken as that verify found them: the events up to the checkpoint and the "
            "rows they made. Not re-checked here: the stored ID sets against their hashes (quota ledger verify "
            "re-hashes them)"
        )

    rows = usage.usage(ledger, None, until, None)
    found = registry.holders(ledger)
    by_holder = {r["group"] or r["entity"]: r for r in rows}
    series = daily_series(ledger, since, until, profile)
    in_group = {e: h for e, h in found.of.items() if e not in found.groups}
    entities = []
    for e in registry.entities(ledger):
        holder = found.holder(e["entity"])
        u = by_holder[holder]
        points = series.get(holder, [])
        entities.append(
            {
                "entity": e["entity"],
                "name": e["name"],
                "group": in_group.get(e["entity"]),
                "used": u["used"],
                "cap": u["cap"],
                "headroom": u["headroom"],
                "next_free_at": u["next_free_at"],
                "peak": max((p["used"] for p in points), default=0),
                "series": points,
            }
        )
    # One chart per cap: each group, and each entity of no group.
    charts = [{"holder": g, "group": True, "series": series.get(g, [])} for g in sorted(set(in_group.values()))]
    charts += [{"holder": e["entity"], "group": False, "series": e["series"]} for e in entities if not e["group"]]

    exemptions = ledger.query("report_exemptions")
    persons = []
    for p in ledger.query(
        "report_manual_persons",
        [utc_naive(since), utc_naive(until)] * 2,
    ):
        now_usage = manual.usage(ledger, p["person"], until)
        persons.append({**p, "used_24h": now_usage["used"], "limit": now_usage["limit"]})
    every_notice = notices.open_notices(ledger, now, everything=True)
    open_notices = notices.untold(every_notice)
    # Entities told after the deadline, in the period: a late notification stays on the record.
    late = [
        {"notice_id": n["notice_id"], "deadline": n["deadline"], "entity": e["entity"], "told_at": e["told_at"]}
        for n in every_notice
        for e in n["entities"]
        if e["late"] and utc_naive(since) <= e["told_at"] <= utc_naive(until)
    ]
    # A receipt or a telling stated long before it was recorded moves a deadline's clock: each one.
    backdated = [
        {"notice_id": n["notice_id"], "entity": None, "what": "received", "at": n["received_at"]}
        for n in every_notice
        if n["backdated"]
    ] + [
        {"notice_id": n["notice_id"], "entity": e["entity"], "what": "told", "at": e["told_at"]}
        for n in every_notice
        for e in n["entities"]
        if e["backdated"]
    ]

    # Every entry recorded in the period, whatever date it states (an import of the past), and
    # every entry dated in it.
    distributions = [
        {
            **{k: r[k] for k in (*usage.EXPORT_COLUMNS, "exemption", "breach")},
            "imported": r["basis"] == "import",
            "sources": usage.sources(r),
        }
        for r in usage.exports(ledger, None, since, until + timedelta(microseconds=1), recorded=True)
    ]
    acts = _acts(ledger, since, until)

    terms = ledger.query("report_terms")
    permissions = ledger.query("report_permissions")
    profile_changes = [
        {**c, "at": parse_iso(c["at"])}
        for c in ledger.query(
            "report_profile_changes",
            [iso(since), iso(until)],
        )
    ]
    related_pairs = usage.related(ledger)
    links = [{**x, "recorded_at": parse_iso(x["recorded_at"])} for x in ledger.query("report_group_links")]
    holders = [
        {
            "holder": h,
            "members": members,
            "groups": sorted(g for g, x in found.of.items() if x == h and g in found.groups),
        }
        for h, members in registry.groups(ledger).items()
    ]

    return {
        "generated_at": now,
        "since": since,
        "until": until,
        "profile": {
            "name": profile.name,
            "version": profile.version,
            "post_id_cap": profile.post_id_cap,
            "objects_per_person": profile.objects_per_person,
        },
        "ledger": {
            "path": str(ledger.path),
            "ledger_id": verdict.ledger_id,
            "events": verdict.events,
            "head": verdict.head,
            "verified": verdict.ok,
            "problem": verdict.problem,
            "checked": checked,
            "since_checkpoint": verdict.since,
        },
        "entities": entities,
        "exemptions": exemptions,
        "manual": persons,
        "notices": open_notices,
        "overdue_notices": sum(1 for n in open_notices if n["overdue"]),
        "late_notices": late,
        "backdated_notices": backdated,
        "distributions": distributions,
        "charts": charts,
        "terms": terms,
        "permissions": permissions,
        "profile_changes": profile_changes,
        "related": related_pairs,
        "group_links": links,
        "holders": holders,
        **acts,
    }


def _actor(body: str) -> str | None:
    actor: str | None = json.loads(body).get("actor")
    return actor


def _acts(ledger: Session, since: datetime, until: datetime) -> dict[str, list[dict[str, Any]]]:
    """The acts an auditor asks about, with who did them (the name given, and the authenticated
    actor the ledger recorded): voids of distributions and of notices, person moves and `person
    same`, and decisions on requests (flagged when the one who decided is who submitted)."""
    period = [iso(since), iso(until)]
    voids = [
        {"export_id": r["export_id"], "reason": r["reason"], "by": r["done_by"], "actor": _actor(r["body"]),
         "at": parse_iso(r["recorded_at"])}
        for r in ledger.query(
            "report_voids",
            period,
        )
    ]  # fmt: skip
    voided_notices = [
        {"notice_id": r["notice_id"], "reason": r["reason"], "by": r["done_by"], "actor": _actor(r["body"]),
         "at": parse_iso(r["recorded_at"])}
        for r in ledger.query(
            "report_notice_voids"
        )
    ]  # fmt: skip
    moves = ledger.query("report_person_moves")
    same = ledger.query("report_persons_same")
    decisions = []
    for r in ledger.query(
        "report_request_decisions",
        period,
    ):
        actor, asker = _actor(r["body"]), _actor(r["asked"])
        decisions.append({
            "request_id": r["request_id"], "decision": r["decision"], "by": r["decided_by"], "actor": actor,
            "submitted_by": r["submitted_by"], "submitter_actor": asker, "at": parse_iso(r["recorded_at"]),
            "same_actor": actor is not None and actor == asker,
        })  # fmt: skip
    for row in (*moves, *same):
        row["recorded_at"] = parse_iso(row["recorded_at"])
    return {
        "voids": voids,
        "voided_notices": voided_notices,
        "person_moves": moves,
        "person_same": same,
        "decisions": decisions,
    }


def daily_series(ledger: Session, since: datetime, until: datetime, profile: Any) -> dict[str, list[dict[str, Any]]]:
    """Per holder of a cap (a group, or an entity of none), every UTC day of the period: the
    most Post IDs in any 30-day window ending that day, and the cap then. Usage only rises at
    an entry and falls as entries age out, so a day's peak is at its start or at one of its
    entries: those are all the instants examined."""
    span = micros(profile.window)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in ledger.query(
        ledger.store.sql("daily_peaks", span=span),
        [utc_naive(since), utc_naive(until), utc_naive(since), utc_naive(until), profile.post_id_cap],
    ):
        out.setdefault(r["holder"], []).append({"day": r["day"], "used": int(r["used"]), "cap": r["cap"]})
    return out


def stamp(t: datetime | None) -> str:
    return "" if t is None else iso(t)


def write(ledger: Session, out: Path, fmt: str, since: datetime | None, until: datetime | None,
          checkpoint: str | None = None, verified: bool = False) -> dict[str, Any]:  # fmt: skip
    """Build the report in `ledger` and write it to `out` (a regular file or a new path) as HTML
    or JSON, whole or not at all; returns its document, written even when the ledger failed."""
    from quota.jsontext import to_json
    from quota.output import replace_file, writable_file
    from quota.report import page

    if fmt not in ("html", "json"):
        raise UsageError(f"a report is html or json, not {fmt!r}")
    writable_file(out, "a report")  # before the work, and again when it is written
    doc = build(ledger, since, until, checkpoint=checkpoint, verified=verified)
    replace_file(out, to_json(doc) + "\n" if fmt == "json" else page.render(doc), "a report")
    return doc
