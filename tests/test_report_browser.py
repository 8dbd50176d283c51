"""The HTML report in a real headless browser: it renders, the chart shows, the numbers on the
page are the ledger's. `.ci/run` installs Debian's Chromium so that CI always runs this."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import SAMPLES, TERMS, quota

from quota.report_html import USED

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

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-key" in a:
            self.values[(a.get("data-row") or "", a["data-key"] or "")] = a.get("data-value") or ""
        if tag == "svg" and a.get("data-entity"):
            self.charts.append(a["data-entity"] or "")
        if a.get("id") in ("verified", "overdue"):
            self.ids[a["id"] or ""] = a.get("data-value") or ""
        if tag in ("script", "link", "img", "iframe"):
            self.scripts += 1


def test_report_renders_with_the_ledgers_numbers(tmp_path: Path) -> None:
    for args in (
        ("init",),
        ("entity", "add", "acme", "--name", "Acme"),
        ("entity", "accept-terms", *TERMS, "acme", "--by", "Jo", "--at", "2026-01-01T00:00:00Z"),
        ("entity", "add", "beta", "--name", "Beta"),
        ("entity", "accept-terms", *TERMS, "beta", "--by", "Bo", "--at", "2026-01-01T00:00:00Z"),
        ("person", "add", "ana", "--entity", "acme"),
        ("export", SAMPLES / "v2_pages.jsonl", "--to", "acme", "-o", "a1", "--at", "2026-11-01T10:00:00Z"),
        ("export", SAMPLES / "v1_lines.jsonl", "--to", "acme", "-o", "a2", "--at", "2026-11-10T10:00:00Z"),
        ("export", SAMPLES / "post_ids.txt", "--to", "beta", "-o", "b1", "--at", "2026-11-05T10:00:00Z"),
        ("manual", SAMPLES / "v2_flat.jsonl", "--person", "ana", "-o", "ana.xlsx", "--at", "2026-11-11T09:00:00Z"),
    ):
        r = quota(*args)
        assert r.exit_code == 0, (args, r.stderr)
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
    assert sorted(page.charts) == ["acme", "beta"]
    assert page.ids["verified"] == "1" and page.ids["overdue"] == "0"
    assert page.values[("ana", "objects")] == "117"  # 60 posts and their 57 authors
    head = json.loads(quota("ledger", "verify", "--json").stdout)["head"]
    assert head in dom

    shot = tmp_path / "report.png"
    browser(tmp_path, "--window-size=1000,1600", f"--screenshot={shot}", html.as_uri())
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    want = bytes(int(USED[i : i + 2], 16) for i in (1, 3, 5))
    data = image.tobytes()
    chart_pixels = sum(1 for i in range(0, len(data), 3) if data[i : i + 3] == want)
    assert chart_pixels > 200, f"the usage bars are not visible ({chart_pixels} pixels of {USED})"
