"""`quota report`: the numbers a compliance officer reads, as JSON or one self-contained HTML file.

Everything is computed from the ledger in one read-only session: the rolling 30-day Post ID
usage of each entity over the period (the peak of each UTC day), current headroom, research
exemptions and their drawdown, manual exports per person, open deletion notices, and whether
the ledger verifies. The HTML is rendered by quota.report_html from exactly this document.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from quota import manual, notices, registry, reports
from quota.ledger import Ledger, iso, utc_naive
from quota.policy import micros

DEFAULT_SPAN = timedelta(days=90)
CHECKED = (
    "the hash chain, every 30-day and 24-hour window and every exemption's drawdown; "
    "quota ledger verify also rebuilds every table from the events and re-hashes every stored ID set"
)


def build(
    ledger: Ledger, since: datetime | None, until: datetime | None, now: datetime | None = None
) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    until = until or now
    since = since or until - DEFAULT_SPAN
    ledger.views()
    profile = registry.current_profile(ledger)
    verdict = ledger.verify(full=False)

    usage = {r["entity"]: r for r in reports.usage(ledger, None, until, None)}
    series: dict[str, list[dict[str, Any]]] = {}
    # usage_30d's arithmetic, restricted to the entries that can reach the period's windows
    # (a filter on the view would come after its window function, over every export).
    span = micros(profile.window)
    for r in ledger.query(
        f"""WITH counted AS (
                SELECT entity, "at", post_ids FROM exports
                WHERE state IN ('committed', 'open') AND basis NOT IN ('exemption', 'manual')
                  AND "at" > ? - INTERVAL ({span}) MICROSECOND AND "at" <= ?),
            w AS (
                SELECT entity, "at", sum(post_ids) OVER (PARTITION BY entity ORDER BY "at"
                    RANGE BETWEEN INTERVAL ({span} - 1) MICROSECOND PRECEDING AND CURRENT ROW) AS used
                FROM counted),
            peaks AS (
                SELECT entity, date_trunc('day', "at") AS day, max(used) AS used, max("at") AS last
                FROM w WHERE "at" >= ? GROUP BY ALL)
            SELECT k.entity, k.day, k.used, greatest(?, max(p.cap)) AS cap FROM peaks k
            LEFT JOIN permissions p ON p.entity = k.entity AND p.valid_from <= k.last AND k.last < p.valid_until
            GROUP BY ALL ORDER BY k.entity, k.day""",
        [utc_naive(since), utc_naive(until), utc_naive(since), profile.post_id_cap],
    ):
        series.setdefault(r["entity"], []).append({"day": r["day"], "used": int(r["used"]), "cap": r["cap"]})
    entities = []
    for e in registry.entities(ledger):
        u = usage[e["entity"]]
        points = series.get(e["entity"], [])
        entities.append(
            {
                "entity": e["entity"],
                "name": e["name"],
                "used": u["used"],
                "cap": u["cap"],
                "headroom": u["headroom"],
                "next_free_at": u["next_free_at"],
                "peak": max((p["used"] for p in points), default=0),
                "series": points,
            }
        )

    exemptions = ledger.query(
        """SELECT ref, kind, entity, parent, valid_from, valid_until, approved_post_ids, used_post_ids,
                  approved_user_ids, used_user_ids, revoked FROM exemption_usage ORDER BY ref"""
    )
    persons = []
    for p in ledger.query(
        """SELECT p.person, p.entity, count(e.export_id) AS exports,
                  coalesce(sum(e.post_ids + e.user_ids), 0) AS objects,
                  coalesce((SELECT max(m.objects) FROM manual_usage_24h m WHERE m.person = p.person
                            AND m."at" >= ? AND m."at" <= ?), 0) AS peak_24h
           FROM people p LEFT JOIN exports e ON e.person = p.person AND e.basis = 'manual'
                AND e.state = 'committed' AND e."at" >= ? AND e."at" <= ?
           GROUP BY ALL ORDER BY p.person""",
        [utc_naive(since), utc_naive(until)] * 2,
    ):
        now_usage = manual.usage(ledger, p["person"], until)
        persons.append({**p, "used_24h": now_usage["used"], "limit": now_usage["limit"]})
    open_notices = notices.open_notices(ledger, now)
    # Entities told after the deadline, in the period: a late notification stays on the record.
    late = [
        {"notice_id": n["notice_id"], "deadline": n["deadline"], "entity": e["entity"], "told_at": e["told_at"]}
        for n in notices.open_notices(ledger, now, everything=True)
        for e in n["entities"]
        if e["late"] and utc_naive(since) <= e["told_at"] <= utc_naive(until)
    ]

    distributions = [
        {
            **{k: r[k] for k in (*reports.EXPORT_COLUMNS, "exemption")},
            "sources": reports.sources(r),
        }
        for r in reports.exports(ledger, None, since, until)
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
            "checked": CHECKED,
        },
        "entities": entities,
        "exemptions": exemptions,
        "manual": persons,
        "notices": open_notices,
        "overdue_notices": sum(1 for n in open_notices if n["overdue"]),
        "late_notices": late,
        "distributions": distributions,
    }


def stamp(t: datetime | None) -> str:
    return "" if t is None else iso(t)
