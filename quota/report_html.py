"""The report document as one self-contained HTML file: inline CSS and SVG charts, no script,
no font or image fetched from anywhere. Every number carries its raw value in `data-value`
so that a test (or a script) can read the page back exactly."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from quota.ledger import iso

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24;max-width:72rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #e4e6ea;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#5b6470}
.ok{color:#0a7a2f;font-weight:600}.bad{color:#b00020;font-weight:600}
.chart{margin:.25rem 0 1rem}.legend span{margin-right:1rem}
code{font-size:12px;word-break:break-all}
"""
USED = "#1f5fbf"  # the usage line; the test looks for this colour in a screenshot
CAP = "#c0392b"


def _num(value: Any, key: str, row: str) -> str:
    if value is None:
        return f'<td class="n" data-row="{escape(row)}" data-key="{key}" data-value="">none</td>'
    return f'<td class="n" data-row="{escape(row)}" data-key="{key}" data-value="{int(value)}">{int(value):,}</td>'


def _time(t: datetime | None) -> str:
    return "" if t is None else escape(iso(t))


def chart(series: list[dict[str, Any]], since: datetime, until: datetime, cap: int | None, entity: str) -> str:
    """Rolling 30-day Post IDs (each day's peak) against the cap, as an inline SVG."""
    width, height, pad = 640, 150, 36
    if not series:
        return '<p class="muted">No ID exports counted in this period.</p>'
    top = max([p["used"] for p in series] + [p["cap"] or 0 for p in series] + [cap or 0, 1]) * 1.08
    span = max((until - since).total_seconds(), 1.0)

    start = since.replace(tzinfo=None)
    scale = (width - 2 * pad) / span

    def x(t: datetime) -> float:
        return pad + scale * min(max((t - start).total_seconds(), 0.0), span)

    def y(v: float) -> float:
        return height - pad / 2 - (height - pad) * v / top

    day_width = max((width - 2 * pad) * 86400 / span, 2.0)
    # Each day's peak as a bar: usage only rises at exports, so bars show it whatever the density.
    bars = "".join(
        f'<rect class="used" x="{x(p["day"]):.1f}" y="{y(p["used"]):.1f}" width="{day_width:.1f}" '
        f'height="{max(y(0) - y(p["used"]), 1.5):.1f}" fill="{USED}"/>'
        for p in series
    )
    steps = [(since.replace(tzinfo=None), series[0]["cap"] or 0)]
    steps += [(p["day"], p["cap"] or 0) for p in series]
    steps.append((until.replace(tzinfo=None), series[-1]["cap"] or 0))
    caps = " ".join(f"{x(t):.1f},{y(c):.1f}" for t, c in steps)
    label = f"{escape(entity)}: rolling 30-day Post IDs against the cap"
    return (
        f'<svg class="chart" role="img" aria-label="{label}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" data-entity="{escape(entity)}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafbfc"/>'
        f'<line x1="{pad}" y1="{y(0):.1f}" x2="{width - pad}" y2="{y(0):.1f}" stroke="#99a"/>'
        f'<polyline points="{caps}" fill="none" stroke="{CAP}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        f"{bars}"
        f'<text x="{pad}" y="12" font-size="11" fill="#5b6470">max {int(top / 1.08):,}</text>'
        f'<text x="{pad}" y="{height - 2}" font-size="11" fill="#5b6470">{escape(since.date().isoformat())}</text>'
        f'<text x="{width - pad}" y="{height - 2}" font-size="11" fill="#5b6470" text-anchor="end">'
        f"{escape(until.date().isoformat())}</text></svg>"
    )


def render(doc: dict[str, Any]) -> str:
    led = doc["ledger"]
    status = (
        '<span class="ok" id="verified" data-value="1">verified</span>'
        if led["verified"]
        else f'<span class="bad" id="verified" data-value="0">FAILED: {escape(led["problem"] or "")}</span>'
    )
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No fetch of any kind: the file must open the same offline, years later, in an audit.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        f"<title>quota report {escape(iso(doc['until']))}</title><style>{CSS}</style></head><body>",
        "<h1>quota: redistribution report</h1>",
        f'<p class="muted">Period {_time(doc["since"])} to {_time(doc["until"])}; generated '
        f"{_time(doc['generated_at'])}; profile {escape(doc['profile']['name'])} {escape(doc['profile']['version'])}."
        "</p>",
        "<h2>Ledger</h2>",
        f"<p>{status}: {led['events']:,} events, ledger <code>{escape(led['ledger_id'])}</code>, head hash "
        f'<code id="head">{escape(led["head"])}</code>.</p>',
        f'<p class="muted">Checked for this report: {escape(led["checked"])}.</p>',
        "<h2>Entities: rolling 30-day Post IDs</h2>",
        f'<p class="legend"><span style="color:{USED}">&#9644; used in the 30 days to each day (peak)</span>'
        f'<span style="color:{CAP}">&#9476; cap</span></p>',
        "<table><tr><th>entity</th><th>used now</th><th>cap</th><th>headroom</th><th>peak in period</th>"
        "<th>next frees up</th></tr>",
    ]
    for e in doc["entities"]:
        name = e["entity"]
        out.append(
            f'<tr class="entity" data-entity="{escape(name)}"><td>{escape(name)}</td>'
            + _num(e["used"], "used", name)
            + _num(e["cap"], "cap", name)
            + _num(e["headroom"], "headroom", name)
            + _num(e["peak"], "peak", name)
            + f"<td>{_time(e['next_free_at'])}</td></tr>"
        )
    out.append("</table>")
    for e in doc["entities"]:
        out.append(f"<h3>{escape(e['entity'])} <span class='muted'>{escape(e['name'] or '')}</span></h3>")
        out.append(chart(e["series"], doc["since"], doc["until"], e["cap"], e["entity"]))

    out.append(f'<h2>Distributions <span id="distributions" data-value="{len(doc["distributions"])}">')
    out.append(f"({len(doc['distributions'])})</span></h2>")
    if doc["distributions"]:
        out.append(
            "<table><tr><th>entry</th><th>entity</th><th>person</th><th>at</th><th>Post IDs</th><th>User IDs</th>"
            "<th>DM IDs</th><th>basis</th><th>state</th><th>kinds</th></tr>"
        )
        for d in doc["distributions"]:
            ref = d["export_id"]
            basis = d["basis"] + (f" ({d['exemption']})" if d["exemption"] else "")
            # A declared kind is the operator's word: flagged, since it cannot be checked.
            kinds = ", ".join(
                f'<span class="bad">{k} declared</span>' if v == "declared" else f"{k} typed"
                for k, v in d["sources"].items()
            )
            out.append(
                f'<tr class="distribution" data-export="{escape(ref)}" data-state="{escape(d["state"])}">'
                f"<td>{escape(ref)}</td><td>{escape(d['entity'])}</td><td>{escape(d['person'] or '')}</td>"
                f"<td>{_time(d['at'])}</td>"
                + _num(d["post_ids"], "post_ids", ref)
                + _num(d["user_ids"], "user_ids", ref)
                + _num(d["dm_ids"], "dm_ids", ref)
                + f"<td>{escape(basis)}</td><td>{escape(d['state'])}</td><td>{kinds}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append('<p class="muted">None in this period.</p>')

    out.append("<h2>Research exemptions</h2>")
    if doc["exemptions"]:
        out.append(
            "<table><tr><th>ref</th><th>kind</th><th>entity</th><th>Post IDs used</th><th>of approved</th>"
            "<th>User IDs used</th><th>of approved</th><th>valid</th><th>revoked</th></tr>"
        )
        for x in doc["exemptions"]:
            ref = x["ref"]
            out.append(
                f'<tr class="exemption"><td>{escape(ref)}</td><td>{escape(x["kind"])}</td><td>{escape(x["entity"])}</td>'
                + _num(x["used_post_ids"], "used_post_ids", ref)
                + _num(x["approved_post_ids"], "approved_post_ids", ref)
                + _num(x["used_user_ids"], "used_user_ids", ref)
                + _num(x["approved_user_ids"], "approved_user_ids", ref)
                + f"<td>{_time(x['valid_from'])} to {_time(x['valid_until'])}</td>"
                f"<td>{'revoked' if x['revoked'] else ''}</td></tr>"
            )
        out.append("</table>")
    else:
        out.append('<p class="muted">None recorded.</p>')

    out.append("<h2>Manual exports per person</h2>")
    out.append(
        "<table><tr><th>person</th><th>entity</th><th>manual exports in period</th><th>objects</th>"
        "<th>peak 24 h</th><th>last 24 h</th><th>limit</th></tr>"
    )
    for p in doc["manual"]:
        who = p["person"]
        out.append(
            f'<tr class="person"><td>{escape(who)}</td><td>{escape(p["entity"])}</td>'
            + _num(p["exports"], "exports", who)
            + _num(p["objects"], "objects", who)
            + _num(p["peak_24h"], "peak_24h", who)
            + _num(p["used_24h"], "used_24h", who)
            + _num(p["limit"], "limit", who)
            + "</tr>"
        )
    out.append("</table>")

    out.append(f'<h2>Deletion notices <span id="overdue" data-value="{doc["overdue_notices"]}">')
    out.append(f"({doc['overdue_notices']} overdue)</span></h2>" if doc["overdue_notices"] else "</span></h2>")
    if doc["notices"]:
        out.append(
            "<table><tr><th>notice</th><th>deadline</th><th>state</th><th>entity</th><th>IDs</th><th>told</th></tr>"
        )
        for n in doc["notices"]:
            state = '<span class="bad">OVERDUE</span>' if n["overdue"] else "open"
            for e in n["entities"] or [{"entity": "", "ids": 0, "told_at": None}]:
                out.append(
                    f'<tr class="notice"><td>{escape(n["notice_id"])}</td><td>{_time(n["deadline"])}</td>'
                    f"<td>{state}</td><td>{escape(e['entity'])}</td>"
                    + _num(e["ids"], "ids", f"{n['notice_id']}/{e['entity']}")
                    + f"<td>{_time(e['told_at'])}</td></tr>"
                )
        out.append("</table>")
    else:
        out.append('<p class="muted">No open notices.</p>')
    late = doc["late_notices"]
    out.append(f'<h3>Late notifications <span id="late" data-value="{len(late)}">({len(late)})</span></h3>')
    if late:
        out.append("<table><tr><th>notice</th><th>entity</th><th>deadline</th><th>told</th></tr>")
        for n in late:
            out.append(
                f'<tr class="late"><td>{escape(n["notice_id"])}</td><td>{escape(n["entity"])}</td>'
                f'<td>{_time(n["deadline"])}</td><td class="bad">{_time(n["told_at"])}</td></tr>'
            )
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
