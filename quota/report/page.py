"""The report document as one self-contained HTML file: inline CSS and SVG charts, no script,
no font or image fetched from anywhere. Every number carries its raw value in `data-value`
so that a test (or a script) can read the page back exactly."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from quota.times import iso, parse_iso

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1b1f24;max-width:72rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #e4e6ea;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#5b6470}
.ok{color:#0a7a2f;font-weight:600}.bad{color:#b00020;font-weight:600}
.banner{border:2px solid #b00020;padding:.6em;background:#fdecee}
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
    """A time a reader takes in at a glance (2026-11-22 08:00 UTC); the exact instant stays in
    the element for a script."""
    if t is None:
        return ""
    return f'<time datetime="{escape(iso(t))}">{escape(readable(t))}</time>'


def readable(t: datetime) -> str:
    exact = iso(t)
    return f"{exact[:10]} {exact[11:16]} UTC"


def _day(t: datetime) -> str:
    return iso(t)[:10]


def chart(series: list[dict[str, Any]], since: datetime, until: datetime, cap: int | None, holder: str) -> str:
    """Rolling 30-day Post IDs (each day's peak) against the cap, one bar per day of the period,
    as an inline SVG with its axes' values and the cap line labelled."""
    width, height, left, right, top_pad, bottom = 680, 170, 70, 16, 14, 24
    if not series:
        return '<p class="muted">No days in this period.</p>'
    caps = [p["cap"] for p in series if p["cap"] is not None] + ([cap] if cap is not None else [])
    top = float(max([p["used"] for p in series] + caps + [1]) * 1.1)
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    n = len(series)
    slot = plot_w / n

    def x(i: int) -> float:
        return left + slot * i

    def y(v: float) -> float:
        return top_pad + plot_h - plot_h * v / top

    bars = "".join(
        f'<rect class="used" data-day="{_day(p["day"])}" data-value="{p["used"]}" x="{x(i) + slot * 0.1:.1f}" '
        f'y="{min(y(p["used"]), y(0) - 2) if p["used"] else y(0):.1f}" width="{max(slot * 0.8, 1.0):.1f}" '
        f'height="{max(y(0) - y(p["used"]), 2.0) if p["used"] else 0:.1f}" '
        f'fill="{USED}"/>'
        for i, p in enumerate(series)
    )
    # The cap as a step line over the days, labelled with its value where it starts.
    steps = []
    for i, p in enumerate(series):
        c = p["cap"] if p["cap"] is not None else 0
        steps.append(f"{x(i):.1f},{y(c):.1f} {x(i + 1):.1f},{y(c):.1f}")
    first_cap = series[0]["cap"]
    cap_label = (
        f'<text class="cap-label" x="{left + 4}" y="{y(first_cap) - 4:.1f}" font-size="11" fill="{CAP}">'
        f"cap {first_cap:,}</text>"
        if first_cap is not None
        else ""
    )
    ticks = ""
    for v in (0, round(top / 1.1 / 2), round(top / 1.1)):
        ticks += (
            f'<line x1="{left - 4}" y1="{y(v):.1f}" x2="{left}" y2="{y(v):.1f}" stroke="#99a"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" fill="#5b6470" text-anchor="end">'
            f"{int(v):,}</text>"
        )
    dates = ""
    for i in sorted({0, n // 2, n - 1}):
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        where = x(i) if i == 0 else x(i + 1) if i == n - 1 else x(i) + slot / 2
        dates += (
            f'<text x="{where:.1f}" y="{height - 6}" font-size="11" fill="#5b6470" text-anchor="{anchor}">'
            f"{_day(series[i]['day'])}</text>"
        )
    label = f"{escape(holder)}: rolling 30-day Post IDs against the cap, {n} days"
    return (
        f'<svg class="chart" role="img" aria-label="{label}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" data-entity="{escape(holder)}" '
        f'data-days="{n}">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafbfc"/>'
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="#99a"/>'
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{y(0):.1f}" stroke="#99a"/>'
        f"{bars}"
        f'<polyline points="{" ".join(steps)}" fill="none" stroke="{CAP}" stroke-width="1.5" stroke-dasharray="5 3"/>'
        f"{cap_label}{ticks}{dates}</svg>"
    )


def _heading(title: str, key: str | None = None, n: int | None = None) -> str:
    """A section heading; with `key`, its count in an element a script can read."""
    if key is None:
        return f"<h2>{escape(title)}</h2>"
    return f'<h2>{escape(title)} <span id="{key}" data-value="{n}">({n})</span></h2>'


def _table(headers: list[str], rows: list[str], empty: str) -> list[str]:
    if not rows:
        return [f'<p class="muted">{escape(empty)}</p>']
    return ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>", *rows, "</table>"]


def _distributions(items: list[dict[str, Any]]) -> list[str]:
    rows = []
    for d in items:
        ref = d["export_id"]
        basis = d["basis"] + (f" ({d['exemption']})" if d["exemption"] else "")
        if d["breach"]:
            basis += " — BREACH: " + d["breach"]
        state = escape(d["state"])
        if d["state"] == "void":  # a void of a delivery marks it; it keeps counting
            state = f'<span class="bad">void</span>: {escape(d["void_reason"] or "")} ({escape(d["voided_by"] or "")})'
        recorded = "" if d["recorded_at"] is None else _time(parse_iso(d["recorded_at"]))
        when = _time(d["at"]) + (f' <span class="bad">imported, recorded {recorded}</span>' if d["imported"] else "")
        # A declared kind is the operator's word: flagged, since it cannot be checked.
        kinds = ", ".join(
            f'<span class="bad">{k} declared</span>' if v == "declared" else f"{k} typed"
            for k, v in d["sources"].items()
        )
        rows.append(
            f'<tr class="distribution{" bad" if d["breach"] else ""}" data-export="{escape(ref)}" '
            f'data-state="{escape(d["state"])}" data-breach="{1 if d["breach"] else 0}">'
            f"<td>{escape(ref)}</td><td>{escape(d['entity'])}</td><td>{escape(d['person'] or '')}</td>"
            f"<td>{when}</td>"
            + _num(d["post_ids"], "post_ids", ref)
            + _num(d["user_ids"], "user_ids", ref)
            + _num(d["dm_ids"], "dm_ids", ref)
            + f"<td>{escape(basis)}</td><td>{state}</td><td>{kinds}</td></tr>"
        )
    headers = ["entry", "entity", "person", "at", "Post IDs", "User IDs", "DM IDs", "basis", "state", "kinds"]
    return [_heading("Distributions", "distributions", len(items)), *_table(headers, rows, "None in this period.")]


def _terms(items: list[dict[str, Any]]) -> list[str]:
    rows = []
    for t in items:
        late = '<span class="bad">back-dated (evidence kept)</span>' if t["backdated"] else ""
        rows.append(
            f'<tr class="terms" data-entity="{escape(t["entity"])}" data-backdated="{int(bool(t["backdated"]))}">'
            f"<td>{escape(t['entity'])}</td><td>{escape(t['accepted_by'])}</td><td>{_time(t['accepted_at'])}</td>"
            f"<td>{escape(t['version'] or '')}</td><td>{escape(t['method'] or '')}</td>"
            f"<td><code>{escape(t['document_sha256'] or '')}</code></td><td>{late}</td></tr>"
        )
    headers = ["entity", "accepted by", "at", "terms", "method", "document sha256", "back-dated"]
    return [_heading("Terms acceptances", "terms", len(items)), *_table(headers, rows, "None recorded.")]


def _permissions(items: list[dict[str, Any]]) -> list[str]:
    rows = [
        f'<tr class="permission"><td>{escape(x["ref"])}</td><td>{escape(x["holder"])}</td>'
        + _num(x["cap"], "cap", x["ref"])
        + f"<td>{_time(x['valid_from'])} to {_time(x['valid_until'])}</td>"
        f"<td>{escape(str(x['granted_on'] or ''))}</td><td>{escape(x['signed_by'] or '')}</td>"
        f"<td><code>{escape(x['letter_sha256'] or 'no letter (recorded before letters were kept)')}</code></td></tr>"
        for x in items
    ]
    headers = ["ref", "entity or group", "cap", "valid", "granted on", "signed by", "letter sha256"]
    return [_heading("Written permissions", "permissions", len(items)), *_table(headers, rows, "None recorded.")]


SAME = '<span class="bad">the same authenticated user</span>'


def _acts(doc: dict[str, Any]) -> list[str]:
    """Who did what that changes what counts or who is told: voids, moves, one human, decisions."""
    out = []
    for title, key, what, items, empty in (
        ("Voids (a delivery voided keeps counting)", "voids", "export_id", doc["voids"], "None in this period."),
        ("Voided deletion notices", "voided-notices", "notice_id", doc["voided_notices"], "None."),
    ):
        rows = [
            f'<tr class="{key}"><td>{escape(v[what])}</td><td>{_time(v["at"])}</td><td>{escape(v["reason"])}</td>'
            f"<td>{escape(v['by'] or '')}</td><td>{escape(v['actor'] or '')}</td></tr>"
            for v in items
        ]
        out += [_heading(title, key, len(rows))]
        out += _table([what.removesuffix("_id"), "voided", "reason", "by", "authenticated as"], rows, empty)
    rows = [
        f'<tr class="person-move"><td>{escape(m["person"])}</td><td>{escape(m["entity"])}</td>'
        f"<td>{_time(m['valid_from'])}</td><td>{escape(m['reason'])}</td><td>{_time(m['recorded_at'])}</td></tr>"
        for m in doc["person_moves"]
    ] + [
        f'<tr class="person-same"><td>{escape(m["first"])} = {escape(m["second"])}</td><td>one human</td>'
        f"<td>{_time(m['recorded_at'])}</td><td>{escape(m['reason'])}</td><td>{_time(m['recorded_at'])}</td></tr>"
        for m in doc["person_same"]
    ]
    out += [_heading("Persons moved, and handles that are one human", "persons", len(rows))]
    out += _table(["person", "to", "from", "reason", "recorded"], rows, "None.")
    rows = [
        f'<tr class="decision{" bad" if d["same_actor"] else ""}" data-same-actor="{int(d["same_actor"])}">'
        f"<td>{escape(d['request_id'])}</td><td>{escape(d['decision'])}</td><td>{_time(d['at'])}</td>"
        f"<td>{escape(d['by'])} ({escape(d['actor'] or '')})</td>"
        f"<td>{escape(d['submitted_by'])} ({escape(d['submitter_actor'] or '')})</td>"
        f"<td>{SAME if d['same_actor'] else ''}</td></tr>"
        for d in doc["decisions"]
    ]
    out += [_heading("Decisions on requests", "decisions", len(rows))]
    out += _table(["request", "decision", "at", "decided by", "submitted by", ""], rows, "None in this period.")
    return out


def _profile_changes(items: list[dict[str, Any]]) -> list[str]:
    rows = [
        f'<tr class="profile-change"><td>{c["seq"]}</td><td>{_time(c["at"])}</td>'
        f"<td>{escape(c['profile'])} {escape(c['version'])}</td><td>{escape(c['reason'] or '')}</td>"
        f"<td>{escape(c['done_by'] or '')}</td></tr>"
        for c in items
    ]
    headers = ["event", "at", "profile", "reason", "by"]
    return [
        _heading("Policy profile changes", "profile-changes", len(items)),
        *_table(headers, rows, "None in this period."),
    ]


def _related(items: list[dict[str, Any]]) -> list[str]:
    rows = []
    for r in items:
        sharing = "yes" if r["sharing"] else '<span class="bad">no: separate caps or allowances</span>'
        rows.append(
            f'<tr class="related"><td>{escape(r["kind"])}</td><td>{escape(r["first"])}</td>'
            f"<td>{escape(r['second'])}</td><td>{escape(r['why'])}</td><td>{sharing}</td></tr>"
        )
    headers = ["kind", "first", "second", "why", "sharing"]
    return [_heading("Possibly related recipients", "related", len(items)), *_table(headers, rows, "None found.")]


def _group_links(items: list[dict[str, Any]], holders: list[dict[str, Any]]) -> list[str]:
    # One organisation, one cap, over all its entries: who is part of it, since when it is
    # known and why, and which link revealed a breach, are the auditor's to see.
    rows = [
        f'<tr class="holder"><td>{escape(h["holder"])}</td><td>{escape(", ".join(h["members"]))}</td>'
        f"<td>{escape(', '.join(h['groups']))}</td></tr>"
        for h in holders
    ]
    out = [_heading("Organisations (one cap each)", "holders", len(holders))]
    out += _table(["holder", "entities", "groups"], rows, "No organisation of linked entities.")
    rows = [
        f'<tr class="group-link{" bad" if x["breach"] else ""}" data-breach="{1 if x["breach"] else 0}">'
        f"<td>{escape(x['group'])}</td><td>{escape(x['entity'])}</td><td>{_time(x['recorded_at'])}</td>"
        f"<td>{escape(x['reason'] or 'entity add --part-of')}</td>"
        f"<td>{'BREACH: ' + escape(x['breach']) if x['breach'] else ''}</td></tr>"
        for x in items
    ]
    headers = ["group", "entity", "recorded", "reason", "breach"]
    return [*out, _heading("Links", "group-links", len(items)), *_table(headers, rows, "No links.")]


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
        f"<title>quota report {escape(readable(doc['until']))}</title><style>{CSS}</style></head><body>",
        "<h1>quota: redistribution report</h1>",
        # A failed check is the first thing read: the numbers below may not be the ledger's.
        *(
            []
            if led["verified"]
            else [
                f'<p class="bad banner" id="failed">THIS LEDGER FAILED VERIFICATION: {escape(led["problem"] or "")}. '
                "The numbers below are read from it and cannot be relied on.</p>"
            ]
        ),
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
        "<table><tr><th>entity</th><th>group (one cap)</th><th>used now</th><th>cap</th><th>headroom</th>"
        "<th>peak in period</th><th>next frees up</th></tr>",
    ]
    for e in doc["entities"]:
        name = e["entity"]
        out.append(
            f'<tr class="entity" data-entity="{escape(name)}"><td>{escape(name)}</td>'
            f"<td>{escape(e['group'] or '')}</td>"
            + _num(e["used"], "used", name)
            + _num(e["cap"], "cap", name)
            + _num(e["headroom"], "headroom", name)
            + _num(e["peak"], "peak", name)
            + f"<td>{_time(e['next_free_at'])}</td></tr>"
        )
    out.append("</table>")
    names = {e["entity"]: e["name"] for e in doc["entities"]}
    for c in doc["charts"]:
        what = "group: its entities share this one cap" if c["group"] else names.get(c["holder"]) or ""
        out.append(f"<h3>{escape(c['holder'])} <span class='muted'>{escape(what)}</span></h3>")
        cap = c["series"][-1]["cap"] if c["series"] else None
        out.append(chart(c["series"], doc["since"], doc["until"], cap, c["holder"]))

    out += _distributions(doc["distributions"])
    out += _terms(doc["terms"])
    out += _permissions(doc["permissions"])
    out += _profile_changes(doc["profile_changes"])
    out += _related(doc["related"])
    out += _group_links(doc["group_links"], doc["holders"])
    out += _acts(doc)

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
            "<table><tr><th>notice</th><th>deadline</th><th>state</th><th>entity</th><th>IDs</th><th>told</th>"
            "<th>acknowledged</th></tr>"
        )
        for n in doc["notices"]:
            state = '<span class="bad">OVERDUE</span>' if n["overdue"] else "open"
            if n["backdated"]:
                state += ' <span class="bad">receipt back-dated (evidence kept)</span>'
            for e in n["entities"] or [{"entity": "", "ids": 0, "told_at": None}]:
                out.append(
                    f'<tr class="notice"><td>{escape(n["notice_id"])}</td><td>{_time(n["deadline"])}</td>'
                    f"<td>{state}</td><td>{escape(e['entity'])}</td>"
                    + _num(e["ids"], "ids", f"{n['notice_id']}/{e['entity']}")
                    + f"<td>{_time(e['told_at'])}"
                    + (' <span class="bad">back-dated</span>' if e.get("backdated") else "")
                    + f"</td><td>{_time(e.get('acked_at'))}"
                    + (f" by {escape(e['acked_by'])}" if e.get("acked_by") else "")
                    + "</td></tr>"
                )
        out.append("</table>")
    else:
        out.append('<p class="muted">No open notices.</p>')
    stated = doc["backdated_notices"]
    out.append(
        f'<h3>Back-dated times (evidence kept) <span id="backdated" data-value="{len(stated)}">({len(stated)})</span></h3>'
    )
    rows = [
        f'<tr class="backdated"><td>{escape(n["notice_id"])}</td><td>{escape(n["entity"] or "")}</td>'
        f'<td>{escape(n["what"])}</td><td class="bad">{_time(n["at"])}</td></tr>'
        for n in stated
    ]
    out += _table(["notice", "entity", "what", "stated time"], rows, "None.")
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
