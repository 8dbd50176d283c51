"""The portal's whole story in a real browser: Playwright driving Debian's Chromium (never a
downloaded one) against `quota serve`'s app on a loopback port, on every backend. A screenshot
of each page goes to .artefacts/portal/<backend>/ (not committed). `.ci/run` installs Chromium
so that CI always runs this."""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CLOCK, ROOT
from portal_world import EMAIL, PASSWORD, World, build, ok

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser") if shutil.which(b)), None)
pytestmark = [
    pytest.mark.backends,
    pytest.mark.skipif(BROWSER is None, reason="no Chromium found (install Debian's chromium package; .ci/run does)"),
]


@pytest.fixture
def served(tmp_path: Path, backend: Any) -> Iterator[tuple[World, str]]:
    import uvicorn

    world = build(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(world.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the portal did not start"
        time.sleep(0.02)
    try:
        yield world, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_the_whole_story_in_a_real_browser(served: tuple[World, str], backend: Any) -> None:
    from playwright.sync_api import expect, sync_playwright

    world, base = served
    shots = ROOT / ".artefacts" / "portal" / backend.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)
    past = world.root / "past.csv"
    problems: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox", "--disable-gpu"])

        def person(who: str) -> Any:
            context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            # A CSP violation or a script error is a failure of the page.
            page.on("console", lambda m: problems.append(f"{who}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"{who}: {e}"))
            page.goto(f"{base}/")
            expect(page).to_have_url(f"{base}/signin")
            page.fill("input[name=email]", EMAIL[who])
            page.fill("input[name=password]", PASSWORD)
            page.click("button:text('Sign in')")
            return page

        def shot(page: Any, name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

        # The researcher signs in, accepts X's terms, previews a request and submits two.
        researcher = person("researcher")
        expect(researcher.locator("h1")).to_have_text("Your requests")
        shot(researcher, "01-researcher-requests")
        researcher.click("nav >> text=X's terms")
        researcher.check("input[name=accept]")
        shot(researcher, "02-terms")
        researcher.click("button:text('Accept X')")
        expect(researcher.locator("table")).to_contain_text("web form")
        # Past distributions leave room for 40 Post IDs now (recorded after the acceptance).
        past.write_text(f"at,entity,post_ids\n2026-12-01T00:00:00Z,uni,{1_500_000 - 40}\n")
        ok("ledger", "import", past)
        researcher.click("nav >> text=Datasets")
        expect(researcher.locator("article")).to_contain_text("Data Team (2026). Demo posts.")
        shot(researcher, "03-datasets")
        researcher.click("text=Request IDs from it")
        researcher.fill("input[name=hashtag]", "#data")
        researcher.select_option("select[name=ids]", "post,user")
        researcher.fill("textarea[name=purpose]", "Hashtag study <b>not bold</b>")
        researcher.click("button:text('Preview the counts')")
        preview = researcher.locator("#preview .job[data-state=done]")
        expect(preview).to_contain_text("fits from 2026-12-31", timeout=60_000)
        shot(researcher, "04-preview")
        researcher.click("button:text('Submit the request')")
        expect(researcher.locator("#job[data-state=done]")).to_contain_text("Submitted request", timeout=60_000)
        shot(researcher, "05-submitted")
        wanted = re.search(r"req-\d{8}-[0-9a-f]{8}", researcher.locator("#job").inner_text()).group(0)
        researcher.click("nav >> text=New request")
        researcher.fill("input[name=lang]", "en")
        researcher.fill("textarea[name=purpose]", "Everything in English")
        researcher.click("button:text('Submit the request')")
        expect(researcher.locator("#job[data-state=done]")).to_contain_text("Submitted request", timeout=60_000)
        other = re.search(r"req-\d{8}-[0-9a-f]{8}", researcher.locator("#job").inner_text()).group(0)

        # Compliance rejects one and approves the other.
        officer = person("compliance")
        expect(officer.locator("h1")).to_have_text("Submitted requests")
        expect(officer.locator("article")).to_have_count(2)
        expect(officer.locator("article").first).to_contain_text("A University")
        shot(officer, "06-queue")
        officer.click(f"text={other}")
        officer.fill("input[name=reason]", "Too broad for the stated purpose")
        officer.click("button:text('Reject')")
        expect(officer.locator("h1 .state")).to_have_text("rejected")
        officer.goto(f"{base}/requests/{wanted}")
        expect(officer.locator(".purpose")).to_have_text("Hashtag study <b>not bold</b>")
        officer.fill("input[name=note]", "Within the cap in two parts")
        officer.click("button:text('Approve')")
        expect(officer.locator("h1 .state")).to_have_text("approved")
        shot(officer, "07-approved")
        for name in ("Usage", "Deletion notices", "Who received", "Related", "Verify and report"):
            officer.click(f"nav >> text={name}")
            shot(officer, f"08-compliance-{name.lower().replace(' ', '-')}")

        # The data team delivers what fits now, then the rest once the window frees.
        team = person("data-team")
        expect(team.locator("h1")).to_have_text("Approved requests to deliver")
        shot(team, "09-deliver")
        team.click("button:text('Deliver what fits now')")
        expect(team.locator("#job[data-state=done]")).to_contain_text("partly-delivered", timeout=60_000)
        shot(team, "10-delivered-part")
        CLOCK.set("2026-12-31T00:00:01Z")
        team.click("nav >> text=Deliver")
        team.click("button:text('Deliver the rest')")
        expect(team.locator("#job[data-state=done]")).to_contain_text("request delivered", timeout=60_000)
        for name in ("Exports", "Recover"):
            team.click(f"nav >> text={name}")
            shot(team, f"11-data-team-{name.lower()}")

        # The researcher downloads both deliveries: their IDs are the ledger's lineage.
        researcher.goto(f"{base}/requests/{wanted}")
        expect(researcher.locator("h1 .state")).to_have_text("delivered")
        shot(researcher, "12-delivered")
        got: list[str] = []
        links = researcher.locator("a:text('Download (zip)')")
        expect(links).to_have_count(2)
        for i in range(2):
            with researcher.expect_download() as d:
                links.nth(i).click()
            z = zipfile.ZipFile(io.BytesIO(Path(d.value.path()).read_bytes()))
            got += z.read(next(n for n in z.namelist() if n.endswith("/post_ids.txt"))).decode().split()
            assert any(n.endswith("/CITATION.cff") for n in z.namelist())

        # The admin's page, and an auditor who reads but cannot decide.
        admin = person("admin")
        expect(admin.locator("table")).to_contain_text(EMAIL["researcher"])
        shot(admin, "13-accounts")
        auditor = person("auditor")
        auditor.goto(f"{base}/requests/{wanted}")
        expect(auditor.locator("button:text('Approve')")).to_have_count(0)
        shot(auditor, "14-auditor")
        browser.close()

    shown = json.loads(ok("request", "show", wanted, "--json"))
    exports = "', '".join(shown["export_ids"])
    lineage = json.loads(ok("sql", f"SELECT id FROM delivered_ids WHERE kind = 'post' AND export_id IN ('{exports}')",
                            "--json"))  # fmt: skip
    assert sorted(got, key=int) == sorted((str(r["id"]) for r in lineage), key=int)
    assert len(got) == shown["requested_post_ids"] and shown["state"] == "delivered"
    assert json.loads(ok("request", "show", other, "--json"))["state"] == "rejected"
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]
    assert not problems, problems
    assert len(list(shots.glob("*.png"))) >= 18
