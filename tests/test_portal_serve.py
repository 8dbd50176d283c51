"""`quota serve` as a process: it refuses what it cannot serve, serves its pages, and a delivery
killed with it (kill -9) leaves what an interrupted CLI export leaves, which the portal's Recover
page and `quota ledger recover` see."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import CLOCK, quota
from portal_world import EMAIL, PASSWORD, csrf_of, ok

pytestmark = pytest.mark.backends


def test_serve_refuses_what_it_cannot_serve(backend: Any, tmp_path: Path) -> None:
    ok("init")
    r = quota("serve", "--trusted-header", "X-Email")
    assert r.exit_code == 2 and "only from a trusted proxy" in r.stderr
    r = quota("serve", "--trusted-proxy", "not-an-address")
    assert r.exit_code == 2 and "not an IP address" in r.stderr
    if backend.name == "duckdb":
        r = quota("serve", "--workers", "2")
        assert r.exit_code == 2 and "one process" in r.stderr


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp: Path, port: int) -> subprocess.Popen[bytes]:
    log = open(tmp / f"serve-{port}.log", "wb")  # noqa: SIM115  (the process writes it until killed)
    proc = subprocess.Popen(
        [sys.executable, "-m", "quota", "serve", "--port", str(port), "--deliveries", str(tmp / "deliveries")],
        stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"QUOTA_CONTACT": "deletions@acme.example"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/signin").status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
        assert proc.poll() is None, (tmp / f"serve-{port}.log").read_text()
    raise AssertionError("quota serve did not answer")


def _signed_up(base: str, link: str) -> httpx.Client:
    c = httpx.Client(base_url=base, follow_redirects=False)
    path = link.split("8000", 1)[1]
    token = csrf_of(c.get(path).text)
    assert c.post(path, data={"password": PASSWORD, "again": PASSWORD, "csrf": token}).status_code == 303
    return c


@pytest.mark.slow
def test_a_delivery_killed_with_its_server_is_left_for_recover(backend: Any, tmp_path: Path) -> None:
    CLOCK.real()  # the server is a process of its own: it runs on the real clock
    big = tmp_path / "big.jsonl"
    subprocess.run([sys.executable, "-m", "quota.testing.synth", "--bench", "v2", "--size-mb", "200", str(big)],
                   check=True)  # fmt: skip
    for args in (
        ("init",),
        ("entity", "add", "uni", "--name", "A University", "--kind", "academic"),
        ("entity", "accept-terms", "uni", "--by", "R Smith", "--version", "X terms 2026-10", "--method", "web form"),
        ("person", "add", "rsmith", "--entity", "uni"),
        ("dataset", "add", "big", big, "--title", "Big", "--description", "synthetic", "--citation", "Team (2026)."),
    ):
        ok(*args)
    team = ok("account", "add", EMAIL["data-team"], "--role", "data-team").strip()
    port = _port()
    base = f"http://127.0.0.1:{port}"
    server = _serve(tmp_path, port)
    try:
        client = _signed_up(base, team)
        killed: dict[str, Any] = {}
        for _attempt in range(5):  # a run that finished before the kill proves nothing: ask again
            asked = json.loads(ok("request", "submit", "--dataset", "big", "--person", "rsmith", "--purpose", "all",
                                  "--json"))  # fmt: skip
            request_id = asked["request_id"]
            ok("request", "approve", request_id, "--by", "C Officer")
            token = csrf_of(client.get("/deliver").text)
            started = client.post(f"/requests/{request_id}/deliver", data={"csrf": token})
            assert started.status_code == 303
            job = started.headers["location"]
            # Kill it the moment its reservation is in the ledger, before its commit.
            deadline = time.monotonic() + 120
            seen = None
            while time.monotonic() < deadline and seen is None:
                rows = json.loads(ok("sql", "SELECT d.export_id, (SELECT count(*) FROM commits c WHERE c.export_id = "
                                     f"d.export_id) AS committed FROM request_deliveries d WHERE d.request_id = "
                                     f"'{request_id}'", "--json"))  # fmt: skip
                seen = rows[0] if rows else None
            assert seen is not None, "the delivery never reserved"
            server.send_signal(signal.SIGKILL)
            server.wait()
            # What the ledger holds once the server is dead, not what it held before the kill:
            # the commit may have come in between.
            committed = json.loads(ok("sql", "SELECT count(*) AS n FROM commits WHERE export_id = "
                                      f"'{seen['export_id']}'", "--json"))[0]["n"]  # fmt: skip
            if not committed:
                killed = {"export_id": seen["export_id"], "job": job, "request_id": request_id}
                break
            server = _serve(tmp_path, port)
            client = httpx.Client(base_url=base, follow_redirects=False, cookies=client.cookies)
        assert killed, "every delivery committed before it could be killed"

        # What an interrupted CLI export leaves: an open reservation that still counts.
        left = json.loads(ok("ledger", "recover", "--json"))
        assert [r["export_id"] for r in left] == [killed["export_id"]]
        server = _serve(tmp_path, port)
        client = httpx.Client(base_url=base, follow_redirects=False, cookies=client.cookies)
        page = client.get(killed["job"])
        assert page.status_code == 200 and 'data-state="interrupted"' in page.text
        assert killed["export_id"] in client.get("/recover").text
        ok("ledger", "recover", "--release", killed["export_id"])
        assert killed["export_id"] not in client.get("/recover").text
        assert json.loads(ok("request", "show", killed["request_id"], "--json"))["state"] == "approved"
        assert json.loads(ok("ledger", "verify", "--json"))["ok"]
        assert not re.search(r"Traceback", (tmp_path / f"serve-{port}.log").read_text())
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)


def test_a_job_is_running_only_while_the_very_process_that_runs_it_lives() -> None:
    from quota.web import jobs

    row = {"state": "running", "message": None}
    assert jobs.shown(row | {"process": jobs.this_process()})["state"] == "running"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        key = jobs._process(child.pid)
        assert jobs.shown(row | {"process": key})["state"] == "running"
        # The same pid, started at another time: a pid the system reused after a crash.
        assert jobs.shown(row | {"process": f"{child.pid}:1"})["state"] == "interrupted"
    finally:
        child.kill()
        child.wait()
    assert jobs.shown(row | {"process": key})["state"] == "interrupted"
