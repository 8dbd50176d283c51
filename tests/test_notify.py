"""`quota notify run`: what arrives at a real SMTP server and a real webhook receiver (headers, body,
signature, idempotency key), deletion requests passed on and acknowledged, retries with back-off,
messages that keep failing in `quota alerts`, the daily checkpoint, digests; and kill -9 at random
moments never loses a message nor sends one more than twice."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CLOCK, SAMPLES, TERMS, quota
from notify_peers import Receiver, SmtpServer
from portal_world import csrf_of

pytestmark = pytest.mark.backends

PAGES = SAMPLES / "v2_pages.jsonl"
FLAT = SAMPLES / "v2_flat.jsonl"
SECRET = "webhook secret 7"


def ok(*args: object) -> str:
    r = quota(*[str(a) for a in args])
    assert r.exit_code == 0, (args, r.stderr)
    return r.stdout


def run_notify() -> dict:
    return json.loads(ok("notify", "run", "--json", "-q"))


def outbox() -> list[dict]:
    return json.loads(ok("notify", "list", "--json"))


def settings(tmp: Path, monkeypatch: pytest.MonkeyPatch, url: str, topics: list[str] | None = None,
             checkpoint_to: list[str] | None = None) -> None:  # fmt: skip
    hook = f'[[webhook]]\nurl = "{url}"\nsecret_env = "HOOK_SECRET"\n'
    if topics is not None:
        hook += f"topics = {json.dumps(topics)}\n"
    text = hook + (f"[checkpoint]\nto = {json.dumps(checkpoint_to)}\n" if checkpoint_to else "")
    text += '[portal]\nurl = "https://quota.example.org"\n'
    (tmp / "notify.toml").write_text(text)
    monkeypatch.setenv("QUOTA_NOTIFY_CONFIG", str(tmp / "notify.toml"))
    monkeypatch.setenv("HOOK_SECRET", SECRET)


@pytest.fixture
def world(tmp_path: Path, backend: object) -> Path:
    """acme (contact ops@acme.example) and beta (contact beta@beta.example) received the sample
    posts; ana of acme (ana@acme.example) received some as a spreadsheet; one notice names a post
    each holds."""
    CLOCK.set("2026-10-01T00:00:00Z")
    ok("init")
    ok("entity", "add", "acme", "--name", "Acme", "--email", "ops@acme.example")
    ok("entity", "add", "beta", "--name", "Beta")
    ok("entity", "contact", "beta", "--email", "Beta@Beta.example")
    for e in ("acme", "beta"):
        ok("entity", "accept-terms", *TERMS, e, "--by", "J", "--at", "2026-01-01T00:00:00Z")
    ok("person", "add", "ana", "--entity", "acme", "--email", "ana@acme.example")
    ok("export", PAGES, "--to", "acme", "-o", tmp_path / "a1")
    ok("export", PAGES, "--to", "beta", "-o", tmp_path / "b1")
    ok("manual", FLAT, "--person", "ana", "-o", tmp_path / "ana.xlsx", "--no-users")
    manual = json.loads(ok("sql", "SELECT id FROM delivered_ids WHERE basis = 'manual' AND kind = 'post' "
                                  "ORDER BY id LIMIT 1", "--json"))[0]["id"]  # fmt: skip
    first = (tmp_path / "a1" / "post_ids.txt").read_text().split()[0]
    lines = [
        {"id": first, "action": "delete", "reason": "deleted"},
        {"id": manual, "action": "protect", "reason": "protected"},
    ]
    (tmp_path / "n.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    CLOCK.set("2026-10-02T00:00:00Z")
    ok("notice", "add", tmp_path / "n.jsonl", "--kind", "post")
    return tmp_path


def test_deletion_requests_arrive_by_mail_and_webhook_signed_keyed_and_are_acknowledged(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notice = json.loads(ok("notice", "list", "--json"))[0]
    with SmtpServer(world) as smtp, Receiver() as hooks:
        for k, v in smtp.env().items():
            monkeypatch.setenv(k, v)
        settings(world, monkeypatch, hooks.url, topics=["deletion_request"])
        done = run_notify()
        assert (done["recorded"], done["delivered"], done["failed"]) == (5, 5, 0)  # 3 addresses, 2 webhooks
        assert sorted(done["told"]) == [f"{notice['notice_id']}:acme", f"{notice['notice_id']}:beta"]
        mails = {str(m["To"]): m for m in smtp.box.messages}
        assert sorted(mails) == ["ana@acme.example", "beta@beta.example", "ops@acme.example"]
        assert smtp.box.logins == ["quota", "quota", "quota"]  # authenticated, after STARTTLS (required)
        sent = {m["recipient"]: m for m in outbox()}
        for to, m in mails.items():
            assert m["From"] == "quota@data-team.example" and notice["notice_id"] in str(m["Subject"])
            assert m["Idempotency-Key"] == sent[to]["message_id"] and sent[to]["state"] == "delivered"
            text = m.get_payload(decode=True).decode()
            assert "https://quota.example.org/ack/" in text and "by 2026-10-03 00:00 UTC" in text
        acme_text = mails["ops@acme.example"].get_payload(decode=True).decode()
        beta_text = mails["beta@beta.example"].get_payload(decode=True).decode()
        assert "(delete: deleted)" in acme_text and "(protect: protected)" in acme_text
        assert "(delete: deleted)" in beta_text and "(protect:" not in beta_text  # beta holds only the first
        assert len(hooks.delivered()) == 2
        for r in hooks.delivered():
            expected = "sha256=" + hmac.new(SECRET.encode(), r.body, hashlib.sha256).hexdigest()
            assert r.headers["x-quota-signature"] == expected
            payload = r.json()
            assert r.headers["idempotency-key"] == payload["id"] and r.headers["x-quota-topic"] == "deletion_request"
            assert payload["data"]["notice_id"] == notice["notice_id"] and payload["data"]["ids"]
        # Told now; a second run records and sends nothing more.
        assert all(e["told_at"] for e in json.loads(ok("notice", "list", "--all", "--json"))[0]["entities"])
        again = run_notify()
        assert (again["recorded"], again["delivered"]) == (0, 0) and len(smtp.box.messages) == 3
    # The link in the mail acknowledges, for that recipient only.
    from starlette.testclient import TestClient

    from quota.web import PortalConfig, create_app

    link = next(w for w in acme_text.replace("=\n", "").split() if "/ack/" in w).split("quota.example.org", 1)[1]
    c = TestClient(create_app(PortalConfig(None, world / "deliveries")), follow_redirects=False)
    page = c.get(link)
    assert page.status_code == 200 and "acme" in page.text
    assert c.post(link, data={"by": "J. Doe, Acme data office", "csrf": csrf_of(page.text)}).status_code == 303
    entities = {e["entity"]: e for e in json.loads(ok("notice", "list", "--all", "--json"))[0]["entities"]}
    assert entities["acme"]["acked_by"] == "J. Doe, Acme data office" and entities["beta"]["acked_at"] is None
    assert c.get("/ack/not-a-link").status_code == 404
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_a_receiver_failing_five_times_gets_the_message_once_after_back_off(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Receiver(fail=5) as hooks:
        settings(world, monkeypatch, hooks.url, topics=["deletion_request"])
        monkeypatch.setenv("QUOTA_MAIL_DIR", str(world / "mail"))
        monkeypatch.setenv("QUOTA_MAIL_FROM", "quota@data-team.example")
        start = CLOCK.set("2026-10-02T00:00:00Z")
        times = []
        for minute in range(0, 40):
            CLOCK.set(start.replace(minute=minute))
            before = len(hooks.received)
            run_notify()
            times += [minute] * (len(hooks.received) - before)
        # Two webhook messages (acme, beta), each failing until the receiver's 5 failures are spent.
        keys = [r.headers["idempotency-key"] for r in hooks.delivered()]
        assert len(keys) == 2 and len(set(keys)) == 2
        assert [r.status for r in hooks.received].count(500) == 5
        # The back-off: retries 1, 2, 4 ... minutes after each failure, never sooner.
        first = [t for t, r in zip(times, hooks.received, strict=True) if r.headers["idempotency-key"] == keys[0]]
        gaps = [b - a for a, b in itertools.pairwise(first)]
        assert gaps == [2**i for i in range(len(gaps))], (first, gaps)
        assert not json.loads(quota("alerts", "--json").stdout or "[]") or all(
            a["kind"] != "notify-failed" for a in json.loads(quota("alerts", "--json").stdout))  # fmt: skip


def test_a_receiver_that_always_fails_shows_in_alerts_and_is_given_up_after_a_day(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTA_MAIL_DIR", str(world / "mail"))
    monkeypatch.setenv("QUOTA_MAIL_FROM", "quota@data-team.example")
    with Receiver(fail=10**9) as hooks:
        settings(world, monkeypatch, hooks.url, topics=["deletion_request"])
        CLOCK.set("2026-10-02T00:00:00Z")
        run_notify()
        assert [a["kind"] for a in json.loads(quota("alerts", "--json").stdout)].count("notify-failed") == 0
        for minutes in (1, 3, 7):
            CLOCK.set(f"2026-10-02T00:{minutes:02d}:00Z")
            run_notify()
        failing = [a for a in json.loads(quota("alerts", "--json").stdout) if a["kind"] == "notify-failed"]
        assert {a["level"] for a in failing} == {"failing"} and len(failing) == 2
        assert "answered 500" in failing[0]["message"]
        CLOCK.set("2026-10-03T00:00:01Z")
        run_notify()
        tried = len(hooks.received)
        CLOCK.set("2026-10-03T06:00:00Z")
        run_notify()
        assert len(hooks.received) == tried  # given up: never tried again
        failing = [a for a in json.loads(quota("alerts", "--json").stdout) if a["kind"] == "notify-failed"]
        assert {a["level"] for a in failing} == {"given-up"}
        assert {m["state"] for m in outbox() if m["channel"] == "webhook"} == {"given-up"}


def test_without_mail_settings_a_deletion_request_is_not_dropped(world: Path) -> None:
    done = run_notify()
    assert (done["recorded"], done["delivered"], done["failed"]) == (3, 0, 3)
    assert {m["last_result"] for m in outbox()} == {
        "no mail is configured (QUOTA_SMTP_HOST or QUOTA_MAIL_DIR, or [mail] in the settings)"
    }
    # A recipient with no address at all is said too: its deletion request has nowhere to go.
    ok("entity", "add", "gamma", "--name", "Gamma")
    ok("entity", "accept-terms", *TERMS, "gamma", "--by", "G", "--at", "2026-01-01T00:00:00Z")
    ok("export", PAGES, "--to", "gamma", "-o", world / "g1")
    last = (world / "g1" / "post_ids.txt").read_text().split()[-1]
    (world / "g.jsonl").write_text(json.dumps({"id": last, "action": "delete", "reason": "deleted"}) + "\n")
    notice = json.loads(ok("notice", "add", world / "g.jsonl", "--kind", "post", "--json"))[0]["notice_id"]
    found = [a for a in json.loads(quota("alerts", "--json").stdout) if a["level"] == "no-contact"]
    assert [(a["kind"], a["subject"]) for a in found] == [("notify-failed", f"{notice}:gamma")]
    assert "quota entity contact gamma --email" in found[0]["message"]


def test_requests_steps_alerts_digests_and_the_daily_checkpoint_reach_who_asked(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTA_MAIL_DIR", str(world / "mail"))
    monkeypatch.setenv("QUOTA_MAIL_FROM", "quota@data-team.example")
    monkeypatch.setenv("QUOTA_CHECKPOINTS", str(world / "checkpoints"))
    with Receiver() as hooks:
        settings(world, monkeypatch, hooks.url, topics=["checkpoint"], checkpoint_to=["vault@audit.example"])
        ok("person", "add", "rsmith", "--entity", "beta", "--email", "rs@beta.example")
        ok("dataset", "add", "demo", PAGES, "--title", "Demo", "--description", "d", "--citation", "c")
        ok("account", "add", "officer@acme.example", "--role", "compliance")
        ok("account", "add", "team@acme.example", "--role", "data-team")
        ok("account", "add", "rs@beta.example", "--role", "researcher", "--person", "rsmith")
        ok("account", "notify", "officer@acme.example", "--mode", "immediate", "--alerts")
        ok("account", "notify", "team@acme.example", "--mode", "off")
        ok("account", "notify", "rs@beta.example", "--mode", "daily")
        asked = json.loads(ok("request", "submit", "--dataset", "demo", "--person", "rsmith", "--newest", "3",
                              "--purpose", "p", "--json"))["request_id"]  # fmt: skip
        run_notify()
        CLOCK.set("2026-10-02T01:00:00Z")
        ok("request", "approve", asked, "--by", "C Officer")
        run_notify()
        by_to: dict[str, list[str]] = {}
        for m in outbox():
            by_to.setdefault(m["recipient"], []).append(m["topic"])
        assert "request_submitted" in by_to["officer@acme.example"] and "alert" in by_to["officer@acme.example"]
        assert "team@acme.example" not in by_to  # off
        assert by_to["rs@beta.example"] == ["request_decided"]
        held = [m for m in outbox() if m["recipient"] == "rs@beta.example"]
        assert [m["state"] for m in held] == ["held"]
        # One checkpoint a day, mailed, sent to the webhook and appended to the log.
        days = [m for m in outbox() if m["topic"] == "checkpoint"]
        assert sorted(m["recipient"] for m in days) == sorted(["vault@audit.example", hooks.url])
        log = next((world / "checkpoints").glob("checkpoints-*.log")).read_text().splitlines()
        assert len(log) == 1 and hooks.delivered()[0].json()["data"]["checkpoint"] == log[0]
        # The next day: the digest goes, holding the decision; another checkpoint.
        CLOCK.set("2026-10-03T00:10:00Z")
        run_notify()
        states = {m["topic"]: m["state"] for m in outbox() if m["recipient"] == "rs@beta.example"}
        assert states == {"request_decided": "delivered", "digest": "delivered"}
        digest = next((world / "mail").glob("*.eml"))
        texts = [p.read_text() for p in (world / "mail").glob("*.eml")]
        assert any("was approved" in t and "rs@beta.example" in t for t in texts), digest
        assert len(next((world / "checkpoints").glob("checkpoints-*.log")).read_text().splitlines()) == 2
        # Alerts are sent once each, not at every run.
        alerts_sent = [m for m in outbox() if m["topic"] == "alert"]
        run_notify()
        assert len([m for m in outbox() if m["topic"] == "alert"]) == len(alerts_sent)
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_settings_that_cannot_work_are_refused(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for text, said in (
        ('[[webhook]]\nurl = "http://hooks.example.org/x"\nsecret_env = "S"\n', "an https:// URL"),
        ('[[webhook]]\nurl = "https://hooks.example.org/x"\nsecret_env = "UNSET_VARIABLE"\n', "has no secret"),
        ("[mail]\nhost = 'smtp.example.org'\n", "mail needs a sender"),
        ("[mail\n", "are not TOML"),
    ):
        (world / "bad.toml").write_text(text)
        monkeypatch.setenv("QUOTA_NOTIFY_CONFIG", str(world / "bad.toml"))
        r = quota("notify", "run")
        assert r.exit_code == 2 and said in r.stderr, (text, r.stderr)
    assert outbox() == []  # nothing was recorded by a run that could not start


@pytest.mark.slow
@pytest.mark.duckdb_only
def test_kill_9_at_random_moments_loses_nothing_and_sends_nothing_more_than_twice(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each round records a new deletion notice (6 messages: 2 addresses of each recipient and a
    webhook call each) and starts `notify run`, killed with SIGKILL at a random moment; 50 rounds,
    then runs without interruption until nothing is due."""
    CLOCK.real()  # notify run is a process of its own here: the real clock
    for i in range(2):
        ok("entity", "contact", "acme" if i % 2 else "beta", "--email", f"extra{i}@example.org")
    posts = (world / "a1" / "post_ids.txt").read_text().split()
    rng = random.Random(20261206)
    with SmtpServer(world) as smtp, Receiver() as hooks:
        settings(world, monkeypatch, hooks.url)
        env = os.environ | smtp.env()
        cmd = [sys.executable, "-m", "quota", "notify", "run", "-q"]
        kills, rounds = 0, 0
        while kills < 50:
            rounds += 1
            (world / f"n{rounds}.jsonl").write_text(json.dumps({"id": posts[rounds], "action": "delete",
                                                                "reason": "deleted"}) + "\n")  # fmt: skip
            ok("notice", "add", world / f"n{rounds}.jsonl", "--kind", "post")
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.4, 2.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait()
        for _ in range(3):
            subprocess.run(cmd, env=env, check=True)
        messages = outbox()
        assert {m["state"] for m in messages} <= {"delivered", "in-doubt"}
        received: dict[str, int] = {}
        for key in smtp.box.keys() + [r.headers["idempotency-key"] for r in hooks.delivered()]:
            received[key] = received.get(key, 0) + 1
        counts = [received.get(m["message_id"], 0) for m in messages]
        assert len(messages) >= 6 * rounds  # the first notice's requests went to ana too
        assert min(counts) >= 1 and max(counts) <= 2, [(m["message_id"], m["state"], n) for m, n in
                                                       zip(messages, counts, strict=True) if not 1 <= n <= 2]  # fmt: skip
        print(f"{kills} kills in {rounds} rounds; {len(messages)} messages; {counts.count(2)} delivered twice")
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]


def test_the_portals_server_runs_the_same_loop(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.testclient import TestClient

    from quota.web import PortalConfig, create_app

    monkeypatch.setenv("QUOTA_MAIL_DIR", str(world / "mail"))
    monkeypatch.setenv("QUOTA_MAIL_FROM", "quota@data-team.example")
    app = create_app(PortalConfig(None, world / "deliveries", notify_every=0.1))
    with TestClient(app):  # the server's lifespan: its loop runs while it serves
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list((world / "mail").glob("*.eml"))) < 3:
            time.sleep(0.05)
    assert len(list((world / "mail").glob("*.eml"))) == 3
    assert {m["state"] for m in outbox()} == {"delivered"}


def test_the_server_waits_for_a_notification_run_under_way_before_it_stops(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server shutting down lets the run under way finish (else the schema or file it writes
    could be closed, or the process end, under a message being sent)."""
    import threading

    from starlette.testclient import TestClient

    from quota import notify
    from quota.web import PortalConfig, create_app

    started, finished = threading.Event(), threading.Event()

    def slow_run(*args: object, **kwargs: object) -> None:
        started.set()
        time.sleep(0.5)
        finished.set()

    monkeypatch.setattr(notify, "run", slow_run)
    with TestClient(create_app(PortalConfig(None, world / "deliveries", notify_every=0.01))):
        assert started.wait(30)
        assert not finished.is_set()
    assert finished.is_set()


def test_an_interrupted_attempt_is_sent_once_more_and_never_a_third_time(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quota.store.session import Session

    run_notify()  # no mail configured: recorded, each attempt failed
    first, second, third = (m["message_id"] for m in outbox())
    monkeypatch.setenv("QUOTA_MAIL_DIR", str(world / "mail"))
    monkeypatch.setenv("QUOTA_MAIL_FROM", "quota@data-team.example")
    with Session.open(None, write=True) as ledger:  # crashes after the mark: no result recorded
        ledger.append("notify_attempt", {"message_id": first, "attempt": 2})
        ledger.append("notify_attempt", {"message_id": second, "attempt": 2})
        ledger.append("notify_attempt", {"message_id": second, "attempt": 3})
    CLOCK.set("2026-10-02T00:02:00Z")  # the failures' back-off has passed
    run_notify()
    states = {m["message_id"]: m for m in outbox()}
    sent = {p.stem for p in (world / "mail").glob("*.eml")}
    assert first in sent and states[first]["state"] == "delivered" and states[first]["attempts"] == 3
    assert second not in sent and states[second]["state"] == "in-doubt"  # interrupted twice: a person looks
    assert third in sent  # a plain failure before: retried (its back-off had passed)
    found = [a for a in json.loads(quota("alerts", "--json").stdout) if a["kind"] == "notify-failed"]
    assert [(a["subject"], a["level"]) for a in found] == [(second, "in-doubt")]
    run_notify()
    assert {p.stem for p in (world / "mail").glob("*.eml")} == sent  # never a third time
    # verify holds the rule by itself: a third attempt written past notify run is caught, as is a
    # delivered message sent again.
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]
    with Session.open(None, write=True) as ledger:
        ledger.append("notify_attempt", {"message_id": second, "attempt": 4})
    report = json.loads(quota("ledger", "verify", "--json").stdout)
    assert not report["ok"] and f"sends {second} a third time after two interrupted attempts" in report["problem"]


def test_verify_catches_a_delivered_message_sent_again(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quota.store.session import Session

    monkeypatch.setenv("QUOTA_MAIL_DIR", str(world / "mail"))
    monkeypatch.setenv("QUOTA_MAIL_FROM", "quota@data-team.example")
    run_notify()
    assert json.loads(ok("ledger", "verify", "--json"))["ok"]
    first = outbox()[0]["message_id"]
    with Session.open(None, write=True) as ledger:
        ledger.append("notify_attempt", {"message_id": first, "attempt": 2})
    report = json.loads(quota("ledger", "verify", "--json").stdout)
    assert not report["ok"] and f"sends {first} again after it was delivered" in report["problem"]
