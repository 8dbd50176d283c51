"""A ledger with one account of each role (and a second researcher of another entity), for the
portal's tests: the accounts are made as an operator makes them (`quota account add`), and
each sets its password through its one-time link, as a person does."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conftest import SAMPLES, quota
from starlette.testclient import TestClient

from quota.web import PortalConfig, create_app

PAGES = SAMPLES / "v2_pages.jsonl"
FLAT = SAMPLES / "v2_flat.jsonl"
PASSWORD = "correct horse battery staple"
ROLES = ("researcher", "compliance", "data-team", "auditor", "admin")
EMAIL = {
    "researcher": "rsmith@uni.example", "other": "olga@other.example", "compliance": "officer@acme.example",
    "data-team": "data@acme.example", "auditor": "audit@acme.example", "admin": "admin@acme.example",
}  # fmt: skip


def ok(*args: object) -> str:
    r = quota(*[str(a) for a in args])
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@dataclass
class World:
    root: Path
    app: Any
    config: PortalConfig
    links: dict[str, str] = field(default_factory=dict)
    clients: dict[str, TestClient] = field(default_factory=dict)

    def client(self, who: str | None = None, **kw: Any) -> TestClient:
        """A browser of its own: signed in as `who`'s account (a role, or "other"), or nobody."""
        c = TestClient(self.app, follow_redirects=False, **kw)
        if who is not None:
            page = c.get("/signin")
            r = c.post("/signin", data={"email": EMAIL[who], "password": PASSWORD, "csrf": csrf_of(page.text)})
            assert r.status_code == 303, r.text
        return c

    def signed_up(self, link: str) -> TestClient:
        """A browser that used a one-time link to set its password (and so is signed in)."""
        c = TestClient(self.app, follow_redirects=False)
        path = link.split("8000", 1)[1]
        page = c.get(path)
        assert page.status_code == 200, page.text
        r = c.post(path, data={"password": PASSWORD, "again": PASSWORD, "csrf": csrf_of(page.text)})
        assert r.status_code == 303, r.text
        return c

    def me(self, who: str) -> TestClient:
        if who not in self.clients:
            self.clients[who] = self.client(who)
        return self.clients[who]

    def post(self, who: str, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
        c = self.me(who)
        return c.post(path, data={**(data or {}), "csrf": self.token(who)}, **kw)

    def token(self, who: str) -> str:
        c = self.me(who)
        home = c.get("/", follow_redirects=True)
        return csrf_of(home.text)

    def wait(self, who: str, response: Any, timeout: float = 120.0) -> dict[str, Any]:
        """Follow a job a page started to its end: its row."""
        assert response.status_code == 303, response.text
        job_id = response.headers["location"].rsplit("/", 1)[-1]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.config_state().job(job_id)
            assert row is not None
            if row["state"] != "running":
                return row
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} still running after {timeout} s")

    def config_state(self) -> Any:
        return self.app.state.portal.state


def build(root: Path, *, terms: bool = True, exemption_posts: int | None = None, **config: Any) -> World:
    """The ledger (QUOTA_DB, set by the backend fixture) and the portal over it."""
    for args in (
        ("init",),
        ("entity", "add", "uni", "--name", "A University", "--kind", "academic"),
        ("entity", "add", "other", "--name", "Other Institute", "--kind", "academic"),
        ("person", "add", "rsmith", "--entity", "uni", "--name", "R Smith"),
        ("person", "add", "olga", "--entity", "other", "--name", "O Other"),
        ("dataset", "add", "demo", PAGES, FLAT, "--title", "Demo posts", "--description", "Two sample files",
         "--collected-with", "twarc2 search", "--citation", "Data Team (2026). Demo posts."),
    ):  # fmt: skip
        ok(*args)
    if exemption_posts is not None:
        ok("exemption", "add", "ACAD", "--entity", "uni", "--kind", "academic", "--approved-on", "2026-09-01",
           "--from", "2026-09-01", "--until", "2027-09-01", "--post-ids", exemption_posts, "--user-ids", 1000)  # fmt: skip
    links = {}
    for who, email in EMAIL.items():
        role = "researcher" if who == "other" else who
        person = {"researcher": ["--person", "rsmith"], "other": ["--person", "olga"]}.get(who, [])
        links[who] = ok("account", "add", email, "--role", role, *person).strip()
    document = root / "x-terms.txt"
    document.write_text("X Developer Agreement and Policy (a synthetic stand-in for the tests)\n")
    cfg = PortalConfig(None, root / "deliveries", document if terms else None, **config)
    world = World(root, create_app(cfg), cfg, links)
    for link in links.values():
        world.signed_up(link)
    return world
