"""The HTML report in a real headless browser: it renders, the chart shows, the numbers on the
page are the ledger's. `.ci/run` installs Debian's Chromium so that CI always runs this."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import CLOCK, LETTER, SAMPLES, TERMS, at, quota

from quota.report.page import USED

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium found (install Debian's chromium package; .ci/run does)"
)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def browser(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    cmd = [BROWSER, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


class Cells(HTMLParser):
    """Every element with data-key: {(row, key): value}; and the SVG charts by entity."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}
        self.charts: list[str] = []
        self.ids: dict[str, str] = {}
        self.scripts = 0
        self.days: dict[str, int] = {}  # chart -> days drawn
        self.bars: dict[str, list[int]] = {}  # chart -> each day's value
        self.rows: dict[str, list[dict[str, str | None]]] = {}  # tr class -> attributes
        self._chart = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-key" in a:
            self.values[(a.get("data-row") or "", a["data-key"] or "")] = a.get("data-value") or ""
        if tag == "svg" and a.get("data-entity"):
            self._chart = a["data-entity"] or ""
            self.charts.append(self._chart)
            self.days[self._chart] = int(a.get("data-days") or 0)
        if tag == "rect" and a.get("class") == "used":
            self.bars.setdefault(self._chart, []).append(int(a.get("data-value") or 0))
        if tag == "tr" and a.get("class"):
            self.rows.setdefault((a["class"] or "").split()[0], []).append(a)
        if a.get("id") in ("verified", "overdue", "terms", "related", "profile-changes", "distributions", "late"):
            self.ids[a["id"] or ""] = a.get("data-value") or ""
        if tag in ("script", "link", "img", "iframe"):
            self.scripts += 1


def test_report_renders_with_the_ledgers_numbers(tmp_path: Path) -> None:
    CLOCK.set("2026-10-01T00:00:00Z")
    for when, *args in (
        ("2026-10-01T00:00:00Z", "init"),
        ("2026-10-01T00:00:00Z", "entity", "add", "acme", "--name", "Acme"),
        ("2026-10-01T00:00:00Z", "entity", "accept-terms", *TERMS, "acme", "--by", "Jo", "--at", "2026-01-01T00:00:00Z"),
        ("2026-10-01T00:00:00Z", "entity", "add", "beta", "--name", "Beta"),
        ("2026-10-01T00:00:00Z", "entity", "accept-terms", *TERMS, "beta", "--by", "Bo", "--at", "2026-01-01T00:00:00Z"),
        ("2026-10-01T00:00:00Z", "person", "add", "ana", "--entity", "acme"),
        ("2026-11-01T10:00:00Z", "export", SAMPLES / "v2_pages.jsonl", "--to", "acme", "-o", "a1"),
        ("2026-11-05T10:00:00Z", "export", SAMPLES / "post_ids.txt", "--to", "beta", "-o", "b1"),
        ("2026-11-10T10:00:00Z", "export", SAMPLES / "v1_lines.jsonl", "--to", "acme", "-o", "a2"),
        ("2026-11-11T09:00:00Z", "manual", SAMPLES / "v2_flat.jsonl", "--person", "ana", "-o", "ana.xlsx"),
    ):  # fmt: skip
        r = at(when, *args)
        assert r.exit_code == 0, (args, r.stderr)
    CLOCK.set("2026-11-21T00:00:00Z")  # what follows is recorded after the report's period
    # What an auditor asks first: a back-dated acceptance, a permission, a breach, related names.
    for args in (
        ("entity", "add", "acme2", "--name", "ACME Inc."),
        ("entity", "accept-terms", "acme2", "--by", "Al", "--version", "XDA 2026-10", "--method", "web form",
         "--at", "2026-11-01T00:00:00Z", "--evidence", SAMPLES / "terms-acceptance.txt"),
        ("permission", "add", *LETTER, "X-7", "--entity", "beta", "--cap", "2000000", "--from", "2026-10-25",
         "--until", "2026-11-15"),
        ("policy", "use", "x-developer-policy-utc-day", "--reason", "counsel", "--by", "C Officer"),
    ):  # fmt: skip
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
    (tmp_path / "over.csv").write_text("at,entity,post_ids\n2026-11-12T00:00:00Z,acme2,1600000\n")
    assert quota("ledger", "import", "over.csv", "--breach", "--reason", "two teams").exit_code == 0
    r = quota("report", "-o", "report.html", "--since", "2026-10-20", "--until", "2026-11-20")
    assert r.exit_code == 0, r.stderr
    html = tmp_path / "report.html"

    dom = browser(tmp_path, "--dump-dom", html.as_uri()).stdout
    page = Cells()
    page.feed(dom)
    assert "quota: redistribution report" in dom
    assert page.scripts == 0  # self-contained: nothing to load
    usage = json.loads(quota("usage", "--at", "2026-11-20T00:00:00Z", "--json").stdout)
    for u in usage:
        for key in ("used", "cap", "headroom"):
            assert page.values[(u["entity"], key)] == str(u[key]), (u["entity"], key)
    assert int(page.values[("acme", "peak")]) == usage[0]["used"]  # both exports are in one window
    assert sorted(page.charts) == ["acme", "acme2", "beta"]
    assert page.ids["verified"] == "1" and page.ids["overdue"] == "0"
    assert page.values[("ana", "objects")] == "117"  # 60 posts and their 57 authors
    head = json.loads(quota("ledger", "verify", "--json").stdout)["head"]
    assert head in dom
    # Every day of the period is drawn, the bars are the ledger's, the cap line is labelled.
    assert page.days == {"acme": 32, "acme2": 32, "beta": 32}
    assert max(page.bars["acme"]) == usage[0]["used"] and page.bars["acme"][0] == 0
    assert page.bars["acme2"][-8:] == [1_600_000] * 8  # the breach stays in every window to the end
    assert "cap 1,500,000" in dom and "2026-11-20" in dom
    # Sections against the ledger: terms, permissions, distributions, profile changes, related.
    terms = [json.loads(quota("entity", "show", e, "--json").stdout)["terms"] for e in ("acme", "acme2", "beta")]
    assert page.ids["terms"] == str(sum(len(t) for t in terms))
    backdated = {a["data-entity"]: a["data-backdated"] for a in page.rows["terms"]}
    assert backdated == {"acme": "1", "acme2": "1", "beta": "1"}  # all recorded long after --at
    assert page.values[("X-7", "cap")] == "2000000"
    listed = json.loads(quota("ledger", "list", "--since", "2026-10-20", "--until", "2026-11-20", "--json").stdout)
    assert page.ids["distributions"] == str(len(listed))
    assert [a["data-export"] for a in page.rows["distribution"] if a["data-breach"] == "1"] == [
        r["export_id"] for r in listed if r["entity"] == "acme2"
    ]
    related = json.loads(quota("related", "--json").stdout)
    assert page.ids["related"] == str(len(related)) and len(related) == 1
    assert page.ids["profile-changes"] == "0"  # recorded now: after the period
    assert "UTC</time>" in dom and ".000000Z</" not in dom  # readable times, exact ones in datetime=

    shot = tmp_path / "report.png"
    browser(tmp_path, "--window-size=1000,1600", f"--screenshot={shot}", html.as_uri())
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    want = bytes(int(USED[i : i + 2], 16) for i in (1, 3, 5))
    data = image.tobytes()
    chart_pixels = sum(1 for i in range(0, len(data), 3) if data[i : i + 3] == want)
    assert chart_pixels > 200, f"the usage bars are not visible ({chart_pixels} pixels of {USED})"
