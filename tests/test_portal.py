"""The portal (`quota serve`): who may use which route, the attacks it must refuse, and the
whole story through its pages on every backend (the same story in a real browser is in
test_portal_browser.py)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from conftest import CLOCK, quota
from portal_world import EMAIL, PASSWORD, ROLES, World, build, csrf_of, ok

from quota.web.rules import RULES

pytestmark = pytest.mark.backends

ANON = "signed out"
R, C, D, A, M = "researcher", "compliance", "data-team", "auditor", "admin"
EVERYONE = {R, C, D, A, M}

# The authorisation matrix, written out here apart from quota.web.rules: route → who may use it.
# A route the portal serves that is missing here fails the test, and so does one listed here
# that it does not serve.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("GET", "/signin"): EVERYONE | {ANON},
    ("POST", "/signin"): EVERYONE | {ANON},
    ("GET", "/welcome/{secret}"): EVERYONE | {ANON},
    ("POST", "/welcome/{secret}"): EVERYONE | {ANON},
    ("GET", "/ack/{secret}"): EVERYONE | {ANON},
    ("POST", "/ack/{secret}"): EVERYONE | {ANON},
    ("GET", "/"): EVERYONE,
    ("POST", "/signout"): EVERYONE,
    ("GET", "/jobs/{job_id}"): EVERYONE,
    ("GET", "/jobs/{job_id}/file"): EVERYONE,
    ("GET", "/datasets"): {R, C, A, D},
    ("GET", "/requests/new"): {R},
    ("POST", "/requests/preview"): {R},
    ("POST", "/requests"): {R},
    ("GET", "/requests"): {R, C, A, D},
    ("GET", "/requests/{request_id}"): {R, C, A, D},
    ("GET", "/terms"): {R},
    ("POST", "/terms"): {R},
    ("GET", "/terms/document"): {R},
    ("GET", "/deliveries/{export_id}.zip"): {R},
    ("GET", "/queue"): {C, A},
    ("POST", "/requests/{request_id}/approve"): {C},
    ("POST", "/requests/{request_id}/reject"): {C},
    ("GET", "/usage"): {C, A, D},
    ("GET", "/notices"): {C, A, D},
    ("GET", "/who-received"): {C, A},
    ("POST", "/who-received"): {C, A},
    ("GET", "/related"): {C, A},
    ("GET", "/verify"): {C, A, D},
    ("POST", "/verify"): {C, A, D},
    ("POST", "/report"): {C, A},
    ("GET", "/deliver"): {D, A},
    ("POST", "/requests/{request_id}/deliver"): {D},
    ("GET", "/exports"): {D, C, A},
    ("GET", "/recover"): {D, C, A},
    ("GET", "/accounts"): {M},
    ("POST", "/accounts"): {M},
    ("POST", "/accounts/role"): {M},
    ("POST", "/accounts/disable"): {M},
    ("POST", "/accounts/reset"): {M},
}

# Values that reach each handler without changing anything (unknown objects, blank forms).
FILL = {"secret": "not-a-link", "job_id": "no-such-job", "request_id": "req-none", "export_id": "exp-none"}


@pytest.fixture
def world(tmp_path: Path, backend: object) -> World:
    return build(tmp_path)


def _submitted(world: World, purpose: str = "a study of turnout", **filters: str) -> str:
    if "On record" not in world.me(R).get("/terms").text:  # nothing goes to an entity before it accepts
        assert world.post(R, "/terms", {"accept": "yes"}).status_code == 303
    r = world.post(R, "/requests", {"dataset": "demo", "purpose": purpose, **filters})
    row = world.wait(R, r)
    assert row["state"] == "done", row["message"]
    return str(row["result"]["request_id"])


def test_every_route_has_a_rule_and_every_role_gets_exactly_what_the_matrix_says(world: World) -> None:
    served = {(r.method, r.path) for r in RULES}
    assert served == set(MATRIX), (served - set(MATRIX), set(MATRIX) - served)
    clients = {role: world.client(role) for role in ROLES}
    anonymous = world.client()
    anonymous_token = csrf_of(anonymous.get("/signin").text)
    outcomes = {}
    # /signout last: it ends the session the other rows use.
    for method, path in sorted(MATRIX, key=lambda k: k[1] == "/signout"):
        url = path.format(**FILL)
        for who in (*ROLES, ANON):
            c = anonymous if who == ANON else clients[who]
            if method == "GET":
                r = c.get(url)
            else:
                token = anonymous_token if who == ANON else world_token(c)
                r = c.post(url, data={"csrf": token})
            # A failed sign-in is the sign-in page's answer (401 with its form), not a refusal.
            refused = r.status_code == 403 or (r.status_code == 401 and "Sign in first" in r.text)
            refused |= who == ANON and r.headers.get("location") == "/signin"
            outcomes[(method, path, who)] = not refused
            assert r.status_code < 500, (method, path, who, r.status_code, r.text[:300])
    wrong = [(m, p, w, got) for (m, p, w), got in outcomes.items() if got != (w in MATRIX[(m, p)])]
    assert not wrong, wrong


def world_token(c: object) -> str:
    return csrf_of(c.get("/", follow_redirects=True).text)  # type: ignore[attr-defined]


def test_a_form_without_its_csrf_token_or_with_anothers_is_refused(world: World) -> None:
    request_id = _submitted(world)
    officer = world.me(C)
    assert officer.post(f"/requests/{request_id}/approve", data={}).status_code == 403
    other_session = world.client(A)  # a token valid for another session is not this one's
    forged = officer.post(f"/requests/{request_id}/approve", data={"csrf": world_token(other_session)})
    assert forged.status_code == 403
    # htmx sends it as a header: accepted there too, and only when it is this session's.
    assert officer.post(f"/requests/{request_id}/approve", headers={"X-CSRF-Token": "x" * 43}).status_code == 403
    assert json.loads(ok("request", "show", request_id, "--json"))["state"] == "submitted"
    done = officer.post(f"/requests/{request_id}/approve", headers={"X-CSRF-Token": world_token(officer)})
    assert done.status_code == 303
    assert json.loads(ok("request", "show", request_id, "--json"))["state"] == "approved"
    # A form larger than any of the portal's is refused before it is read.
    huge = officer.post("/who-received", content=b"ids=" + b"1%0A" * (1 << 20), headers={
        "content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert huge.status_code == 413
    # Signing in needs the sign-in page's own token too.
    assert world.client().post("/signin", data={"email": EMAIL[C], "password": PASSWORD}).status_code == 403


def test_a_researcher_reaches_only_their_own_requests_deliveries_and_jobs(world: World) -> None:
    assert world.post(R, "/terms", {"accept": "yes"}).status_code == 303
    request_id = _submitted(world)
    assert world.post(C, f"/requests/{request_id}/approve").status_code == 303
    delivered = world.wait(D, world.post(D, f"/requests/{request_id}/deliver"))
    assert delivered["state"] == "done", delivered
    export_id = delivered["result"]["export_id"]
    mine = world.me(R)
    assert mine.get(f"/deliveries/{export_id}.zip").status_code == 200
    olga = world.me("other")
    for path in (f"/deliveries/{export_id}.zip", f"/requests/{request_id}"):
        r = olga.get(path)
        assert r.status_code == 404 and request_id not in r.text, path
    assert request_id not in olga.get("/requests").text
    # A job's id in a URL is no key: another account's job is not found.
    job_id = world.post(R, "/requests/preview", {"dataset": "demo"}).headers["location"].rsplit("/", 1)[-1]
    assert olga.get(f"/jobs/{job_id}").status_code == 404
    assert world.me(C).get(f"/jobs/{job_id}").status_code == 404
    assert mine.get(f"/jobs/{job_id}").status_code == 200


def test_script_typed_anywhere_is_shown_as_text(world: World) -> None:
    evil = "<script>alert('x')</script>"
    ok("entity", "add", "evil", "--name", f"Evil {evil}", "--kind", "academic")
    ok("person", "add", "eve", "--entity", "evil", "--name", f"Eve {evil}")
    eve = world.signed_up(ok("account", "add", "eve@evil.example", "--role", "researcher", "--person", "eve").strip())
    assert eve.post("/terms", data={"accept": "yes", "csrf": world_token(eve)}).status_code == 303
    job = eve.post("/requests", data={"dataset": "demo", "purpose": f"turnout {evil}", "csrf": world_token(eve)})
    row = world.wait("eve", job)
    assert row["state"] == "done", row["message"]
    request_id = row["result"]["request_id"]
    officer = world.me(C)
    pages = [officer.get(p).text for p in (f"/requests/{request_id}", "/queue", "/requests", "/usage", "/related")]
    r = world.post(C, f"/requests/{request_id}/reject", {"reason": f"no {evil}"})
    assert r.status_code == 303
    pages += [eve.get(f"/requests/{request_id}").text, world.me(M).get("/accounts").text]
    joined = "\n".join(pages)
    assert "<script>alert" not in joined
    assert joined.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 5
    assert "Evil &lt;script&gt;" in pages[1] and "no &lt;script&gt;" in pages[-2]
    for page in pages:  # the only scripts are the portal's own file
        assert page.count("<script") == page.count('<script src="/static/htmx.min.js"></script>')


def test_fifty_wrong_passwords_lock_the_account_and_the_address_with_one_message(world: World) -> None:
    now = [1_000_000.0]
    world.app.state.portal.config = world.config  # the clock below is the portal's
    object.__setattr__(world.config, "clock", lambda: now[0])
    c = world.client()
    token = csrf_of(c.get("/signin").text)
    said = set()
    for _ in range(50):
        r = c.post("/signin", data={"email": EMAIL[C], "password": "wrong password!", "csrf": token})
        assert r.status_code == 401
        said.add(r.text.split('role="alert">', 1)[1].split("<", 1)[0])
    # Now even the right password fails, with the same message an unknown account gets.
    right = c.post("/signin", data={"email": EMAIL[C], "password": PASSWORD, "csrf": token})
    unknown = c.post("/signin", data={"email": "nobody@acme.example", "password": PASSWORD, "csrf": token})
    for r in (right, unknown):
        assert r.status_code == 401
        said.add(r.text.split('role="alert">', 1)[1].split("<", 1)[0])
    assert len(said) == 1, said
    # The address is throttled too: another account from it fails; from another address it signs in.
    assert c.post("/signin", data={"email": EMAIL[A], "password": PASSWORD, "csrf": token}).status_code == 401
    elsewhere = world.client(client=("192.0.2.7", 4000))
    page = elsewhere.get("/signin")
    assert elsewhere.post("/signin", data={"email": EMAIL[A], "password": PASSWORD,
                                           "csrf": csrf_of(page.text)}).status_code == 303  # fmt: skip
    # Fifteen minutes after the last failure the account signs in again.
    now[0] += 16 * 60
    assert c.post("/signin", data={"email": EMAIL[C], "password": PASSWORD, "csrf": token}).status_code == 303


def test_a_sign_on_header_is_believed_only_from_the_trusted_proxy(tmp_path: Path, backend: object) -> None:
    world = build(tmp_path, trusted_header="X-Forwarded-Email", trusted_proxies=("10.0.0.2",))
    forged = world.client(client=("10.0.0.9", 5555)).get("/queue", headers={"X-Forwarded-Email": EMAIL[C]})
    assert forged.status_code == 403 and "trusted proxy" in forged.text
    proxy = world.client(client=("10.0.0.2", 5555))
    r = proxy.get("/queue", headers={"X-Forwarded-Email": EMAIL[C], "X-Forwarded-For": "198.51.100.4"})
    assert r.status_code == 200 and "Submitted requests" in r.text
    # Its forms carry a token of the signed-in email: a decision goes through, recorded as that account.
    request_id = _submitted(world)
    signed = {"X-Forwarded-Email": EMAIL[C]}
    page = proxy.get(f"/requests/{request_id}", headers=signed)
    assert proxy.post(f"/requests/{request_id}/approve", headers=signed, data={}).status_code == 403
    done = proxy.post(f"/requests/{request_id}/approve", headers=signed, data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303
    decided = json.loads(ok("sql", "SELECT body FROM events WHERE kind = 'request_decision'", "--json"))
    assert json.loads(decided[0]["body"])["account"] == EMAIL[C]
    # An email with no account, or a disabled one, is signed out.
    assert proxy.get("/queue", headers={"X-Forwarded-Email": "x@nowhere.example"}).status_code == 303
    ok("account", "disable", EMAIL[C], "--reason", "left")
    assert proxy.get("/queue", headers={"X-Forwarded-Email": EMAIL[C]}).status_code == 303


def test_sessions_end_at_sign_out_expiry_and_disabling(world: World) -> None:
    now = [2_000_000.0]
    object.__setattr__(world.config, "clock", lambda: now[0])
    c = world.client(A)
    cookie = c.cookies["quota_session"]
    assert c.get("/queue").status_code == 200
    c.post("/signout", data={"csrf": world_token(c)})
    replay = world.client()
    replay.cookies.set("quota_session", cookie)
    assert replay.get("/queue").status_code == 303  # the old cookie is nothing now
    c = world.client(A)
    now[0] += world.config.session_life + 1
    assert c.get("/queue").status_code == 303
    c = world.client(D)
    ok("account", "disable", EMAIL[D], "--reason", "left")
    assert c.get("/deliver").status_code == 303


def test_cookies_and_headers_are_those_of_a_careful_site(world: World) -> None:
    c = world.client(base_url="https://portal.example")
    page = c.get("/signin")
    r = c.post("/signin", data={"email": EMAIL[A], "password": PASSWORD, "csrf": csrf_of(page.text)})
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("quota_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    plain = world.client()
    page = plain.get("/signin")
    r = plain.post("/signin", data={"email": EMAIL[A], "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert "Secure" not in r.headers["set-cookie"]  # a cookie marked Secure would never come back over http
    for path in ("/signin", "/static/htmx.min.js", "/queue"):
        h = world.me(A).get(path).headers
        assert (
            "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h["content-security-policy"]
        )
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert (h["x-frame-options"], h["x-content-type-options"]) == ("DENY", "nosniff")


def test_nobody_decides_a_request_they_asked_for(world: World) -> None:
    # A compliance account that is the researcher's own person may not approve their request.
    link = ok("account", "add", "rs-officer@uni.example", "--role", "compliance", "--person", "rsmith").strip()
    c = world.client()
    path = link.split("8000", 1)[1]
    r = c.post(path, data={"password": PASSWORD, "again": PASSWORD, "csrf": csrf_of(c.get(path).text)})
    assert r.status_code == 303
    request_id = _submitted(world)
    refused = c.post(f"/requests/{request_id}/approve", data={"csrf": world_token(c)})
    assert refused.status_code == 409 and "someone else decides it" in refused.text
    # Nor one whose person is another handle of the same human.
    ok("person", "add", "r-smith", "--entity", "uni", "--name", "Dr R. Smith (lab handle)")
    ok("person", "same", "rsmith", "r-smith", "--reason", "one researcher, two handles")
    twin = world.signed_up(
        ok("account", "add", "lab@uni.example", "--role", "compliance", "--person", "r-smith").strip()
    )
    refused = twin.post(f"/requests/{request_id}/approve", data={"csrf": world_token(twin)})
    assert refused.status_code == 409 and "someone else decides it" in refused.text
    assert world.post(C, f"/requests/{request_id}/approve").status_code == 303
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_verify_finds_an_act_no_role_allows_whoever_wrote_it(world: World) -> None:
    """verify's rule of who may record what is its own: an event recorded as a researcher's
    account deciding a request (past the portal's pages) fails verify."""
    from quota import requests
    from quota.accounts import acting_as
    from quota.store.session import Session

    request_id = _submitted(world)
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]
    with acting_as(EMAIL["other"]), Session.open(None, write=True) as ledger:
        requests.decide(ledger, request_id, True, "O Other", None)
    report = json.loads(quota("ledger", "verify", "--json").stdout)
    assert not report["ok"] and f"account {EMAIL['other']}, whose role researcher may not" in report["problem"]


def test_the_story_through_the_pages(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Terms accepted in the portal, a preview, a request submitted, one rejected and one
    approved, delivered in part then the rest, and the researcher's zips hold exactly what the
    ledger says they received."""
    assert "On record" not in world.me(R).get("/terms").text
    assert world.post(R, "/terms", {"accept": "yes"}).status_code == 303
    # Distributions of the past leave room for 40 Post IDs until they leave the window.
    past = world.root / "past.csv"
    past.write_text(f"at,entity,post_ids\n2026-12-01T00:00:00Z,uni,{1_500_000 - 40}\n")
    ok("ledger", "import", past)
    accepted = json.loads(ok("entity", "show", "uni", "--json"))["terms"][-1]
    assert accepted["method"] == "web form" and len(accepted["document_sha256"]) == 64
    preview = world.wait(R, world.post(R, "/requests/preview", {"dataset": "demo", "hashtag": "data"}))
    counts = preview["result"]
    assert counts["post_ids"] > 40 and not counts["fits"] and counts["fits_from"] is not None
    rejected = _submitted(world, purpose="too broad")
    wanted = _submitted(world, hashtag="#data", ids="post,user")
    assert world.post(C, f"/requests/{rejected}/reject", {"reason": "too broad"}).status_code == 303
    assert world.post(C, f"/requests/{wanted}/approve", {"note": "fine"}).status_code == 303
    # In full it does not fit: the job fails with the numbers; what fits goes.
    refused = world.wait(D, world.post(D, f"/requests/{wanted}/deliver"))
    assert refused["state"] == "failed" and "over by" in refused["message"]
    first = world.wait(D, world.post(D, f"/requests/{wanted}/deliver", {"fit": "yes"}))
    assert first["state"] == "done", first
    assert counts["fits_from"].startswith("2026-12-31T00:00:00")
    CLOCK.set("2026-12-31T00:00:01Z")  # the past import leaves the window
    rest = world.wait(D, world.post(D, f"/requests/{wanted}/deliver"))
    assert rest["state"] == "done", rest
    shown = json.loads(ok("request", "show", wanted, "--json"))
    assert shown["state"] == "delivered" and shown["export_ids"] == [first["result"]["export_id"],
                                                                     rest["result"]["export_id"]]  # fmt: skip
    got: list[str] = []
    for export_id in shown["export_ids"]:
        r = world.me(R).get(f"/deliveries/{export_id}.zip")
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        z = zipfile.ZipFile(io.BytesIO(r.content))
        names = set(z.namelist())
        assert {f"{export_id}/{n}" for n in ("post_ids.txt", "manifest.json", "README.md", "CITATION.cff")} <= names
        got += z.read(f"{export_id}/post_ids.txt").decode().split()
    lineage = json.loads(ok("sql", f"SELECT id FROM delivered_ids WHERE kind = 'post' AND export_id IN "
                                   f"('{shown['export_ids'][0]}', '{shown['export_ids'][1]}')", "--json"))  # fmt: skip
    assert sorted(got, key=int) == sorted((str(r["id"]) for r in lineage), key=int)
    assert len(got) == shown["requested_post_ids"]
    events = json.loads(ok("sql", "SELECT kind, body FROM events ORDER BY seq", "--json"))
    by_kind = {}
    for e in events:
        by_kind.setdefault(e["kind"], []).append(json.loads(e["body"]).get("account"))
    assert by_kind["request"] == [EMAIL[R], EMAIL[R]] and by_kind["terms"] == [EMAIL[R]]
    assert by_kind["request_decision"] == [EMAIL[C], EMAIL[C]]
    assert set(by_kind["reserve"]) == {EMAIL[D]}
    # A verify in the portal keeps its checkpoint where $QUOTA_CHECKPOINTS says; the report
    # starts from it and says so.
    monkeypatch.setenv("QUOTA_CHECKPOINTS", str(tmp_path / "kept"))
    verified = world.wait(C, world.post(C, "/verify"))
    assert verified["state"] == "done" and verified["result"]["ok"], verified
    assert verified["result"]["checkpoint"] in world.me(C).get("/verify").text
    assert len(list((tmp_path / "kept").glob("verified-*.txt"))) == 1
    made = world.wait(A, world.post(A, "/report"))
    report = world.me(A).get(f"/jobs/{made['id']}/file")
    assert report.status_code == 200 and "quota report" in report.text
    assert "of a verify kept before" in report.text
    assert "unsafe-inline" not in report.headers["content-security-policy"]
