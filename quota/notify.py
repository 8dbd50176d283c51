"""`quota notify run`: the messages that are due, recorded in the ledger's outbox, then sent.

What is due, derived from the ledger each run (a message is recorded once per recipient and
subject, so running again records nothing twice):

- `deletion_request`: each recipient entity of a deletion notice not yet told gets the IDs it
  holds that X says were deleted or made protected, the deadline, and a link to acknowledge;
  to the entity's contacts and the people who received those objects by hand. It cannot be
  switched off. Once sent, the entity counts as told (a `notice_sent` event).
- `request_submitted` to compliance accounts; `request_approved` to the data team;
  `request_decided` and `request_delivered` (with the portal's link) to the researcher: for
  what happened in the last 3 days (a first run does not tell of the past).
- `alert`: each alert of `quota alerts`, once, to the accounts that asked for alerts.
- `checkpoint`: once a (UTC) day, the ledger's checkpoint, to the addresses configured for it
  (and appended to $QUOTA_CHECKPOINTS' log), so that anyone holding an older one can show that
  history was not rewritten.
- `digest`: once a day, one message for each account that asked for a daily digest, listing
  what was held for it.

Every message goes to webhooks too (those whose topics include it). Sending: each attempt is
marked in the ledger before its last byte leaves and its result recorded after (see
quota.sending). An attempt a crash interrupted is sent once more, never again: a message is
delivered at most twice, and the receiver tells by the idempotency key (the message's id). A
failure is retried after 1, 2, 4 ... minutes (at most an hour apart) for 24 hours; a message
that keeps failing, or was interrupted twice, shows in `quota alerts` as `notify-failed`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from quota import accounts, notices, requests
from quota.errors import UsageError
from quota.outbox import INTERRUPTED_TWICE, Message, outbox
from quota.report.page import readable
from quota.sending import Mail, SendError, Settings, email, send_mail, send_webhook
from quota.store.session import Session, append_checkpoint
from quota.times import iso

RECENT = timedelta(days=3)
MODES = ("immediate", "daily", "off")
Say = Callable[[str], None]


@dataclass
class Due:
    channel: str  # email | webhook
    recipient: str
    topic: str
    dedupe: str
    subject: str
    text: str
    data: dict[str, Any]
    held: str | None = None
    link_sha256: str | None = None

    def body(self) -> dict[str, Any]:
        return {
            "message_id": f"msg-{secrets.token_hex(10)}", "channel": self.channel, "recipient": self.recipient,
            "topic": self.topic, "dedupe": self.dedupe, "subject": self.subject, "text": self.text,
            "data": self.data, "held": self.held, "link_sha256": self.link_sha256,
        }  # fmt: skip


def set_mode(ledger: Session, email_: str, mode: str, alerts: bool) -> int:
    """How an account receives its messages (deletion duties go to entities, whatever this says)."""
    if mode not in MODES:
        raise UsageError(f"a notification mode is one of {', '.join(MODES)}, not {mode!r}")
    account = accounts.get(ledger, accounts.email_of(email_))
    if account is None:
        raise UsageError(f"no account {email_.strip()[:80]!r} in the ledger (quota account add makes one)")
    return ledger.append("account_notify", {"email": account.email, "mode": mode, "alerts": alerts})


# ---------------------------------------------------------------- what is due


def _link(portal: str, secret: str) -> str:
    return f"{portal}/ack/{secret}"


def due(ledger: Session, now: datetime, settings: Settings, checkpoints: Path | None = None) -> list[Due]:
    """Every message that should be in the outbox now and is not yet."""
    recorded = outbox(ledger)
    have = {(m.recipient, m.dedupe) for m in recorded}
    wanted: list[Due] = []
    wanted += _deletion_requests(ledger, now, settings)
    wanted += _request_messages(ledger, now, settings)
    wanted += _alert_messages(ledger, now, settings, checkpoints)
    wanted += _checkpoint_messages(ledger, now, settings)
    wanted += _digests(recorded, now)
    out, seen = [], set(have)
    for d in wanted:
        if (d.recipient, d.dedupe) not in seen:
            seen.add((d.recipient, d.dedupe))
            out.append(d)
    return out


def _with_webhooks(settings: Settings, messages: list[Due], topic: str, dedupe: str, subject: str, text: str,
                   data: dict[str, Any]) -> list[Due]:  # fmt: skip
    hooks = [Due("webhook", h.url, topic, dedupe, subject, text, data) for h in settings.webhooks if h.wants(topic)]
    return messages + hooks


def _account_modes(ledger: Session) -> dict[str, tuple[str, bool]]:
    return {r["email"]: (r["mode"], bool(r["alerts"])) for r in ledger.query("account_settings_now")}


def _to_accounts(ledger: Session, emails: list[str], topic: str, dedupe: str, subject: str, text: str,
                 data: dict[str, Any]) -> list[Due]:  # fmt: skip
    modes = _account_modes(ledger)
    out = []
    for e in sorted(set(emails)):
        mode = modes.get(e, ("immediate", False))[0]
        if mode != "off":
            out.append(Due("email", e, topic, dedupe, subject, text, data, "digest" if mode == "daily" else None))
    return out


def _deletion_requests(ledger: Session, now: datetime, settings: Settings) -> list[Due]:
    out: list[Due] = []
    contacts: dict[str, list[str]] = {}
    for r in ledger.query("entity_contacts_all"):
        contacts.setdefault(r["entity"], []).append(r["email"])
    acked = {(r["notice_id"], r["entity"]) for r in ledger.query("notice_acked")}
    for n in notices.open_notices(ledger, now):
        untold = {e["entity"] for e in n["entities"] if e["told_at"] is None}
        if not untold:
            continue
        rows = notices.detail(ledger, n["notice_id"])
        people: dict[str, list[str]] = {}
        for r in ledger.query("notice_person_contacts", [n["notice_id"]]):
            people.setdefault(r["entity"], []).append(r["email"])
        for entity in sorted(untold):
            if (n["notice_id"], entity) in acked:
                continue
            to = sorted(set(contacts.get(entity, []) + people.get(entity, [])))
            ids = [r for r in rows if r["entity"] == entity]
            secret = secrets.token_urlsafe(24)
            dedupe = f"deletion:{n['notice_id']}:{entity}"
            by = readable(n["deadline"])
            subject = f"Deletion request {n['notice_id']}: remove {len(ids):,} X IDs by {by}"
            lines = "\n".join(f"{r['kind']} {r['id']} ({r['action']}: {r['reason']})" for r in ids)
            text = (
                f"X says that content you received from us was deleted, made protected or otherwise changed. X's "
                f"Developer Policy requires that it be acted on within 24 hours: delete it from what you hold by "
                f"{by}.\n\n"
                f"Notice: {n['notice_id']}\nRecipient: {entity}\nIDs ({len(ids):,}):\n{lines}\n\n"
                f"When you have removed them, confirm it here: {_link(settings.portal_url, secret)}\n"
            )
            data = {"notice_id": n["notice_id"], "entity": entity, "deadline": iso(n["deadline"]),
                    "ids": [{"id": r["id"], "kind": r["kind"], "action": r["action"]} for r in ids]}  # fmt: skip
            digest = hashlib.sha256(secret.encode()).hexdigest()
            msgs = [Due("email", a, "deletion_request", dedupe, subject, text, data, None, digest) for a in to]
            hooks = [Due("webhook", h.url, "deletion_request", dedupe, subject, text, data, None, digest)
                     for h in settings.webhooks if h.wants("deletion_request")]  # fmt: skip
            out += msgs + hooks
    return out


def _request_messages(ledger: Session, now: datetime, settings: Settings) -> list[Due]:
    since = iso(now - RECENT)
    happened = ledger.query("recent_request_events", [since, since, since])
    if not happened:
        return []
    listed = {r["request_id"]: r for r in requests.listing(ledger)}
    everyone = accounts.listing(ledger)
    by_role = {
        role: [a["email"] for a in everyone if a["role"] == role and not a["disabled"]] for role in accounts.ROLES
    }
    out: list[Due] = []
    for h in happened:
        r = listed[h["request_id"]]
        link = f"{settings.portal_url}/requests/{r['request_id']}"
        theirs = [a["email"] for a in everyone if a["person"] == r["person"] and not a["disabled"]]
        what = f"request {r['request_id']} of {r['person']} ({r['entity']}): {r['requested_post_ids']:,} Post IDs of {r['dataset']}"
        data = {"request_id": r["request_id"], "state": r["state"], "link": link}
        if h["what"] == "submitted":
            topic, to, subject = "request_submitted", by_role["compliance"], f"To decide: {what}"
            text = f"A request waits for a decision: {what}.\nPurpose: {r['purpose']}\n\n{link}\n"
            dedupe = f"request-submitted:{r['request_id']}"
        elif h["what"] in ("approved", "rejected"):
            out += _request_decided(ledger, r, h["what"], theirs, link, what, data, settings)
            if h["what"] != "approved":
                continue
            topic, to, subject = "request_approved", by_role["data-team"], f"To deliver: {what}"
            text = f"Approved by {r['decided_by']}: {what}. It waits for its delivery.\n\n{link}\n"
            dedupe = f"request-approved:{r['request_id']}"
        else:
            topic, to = "request_delivered", theirs
            subject = f"Delivered: {h['export_id']} of your request {r['request_id']}"
            text = (f"Export {h['export_id']} of your request ({what}) is ready to download in the portal; the "
                    f"request is {r['state']}.\n\n{link}\n")  # fmt: skip
            dedupe = f"request-delivered:{h['export_id']}"
            data = data | {"export_id": h["export_id"]}
        out += _with_webhooks(settings, _to_accounts(ledger, to, topic, dedupe, subject, text, data), topic, dedupe,
                              subject, text, data)  # fmt: skip
    return out


def _request_decided(
    ledger: Session,
    r: dict[str, Any],
    decision: str,
    theirs: list[str],
    link: str,
    what: str,
    data: dict[str, Any],
    settings: Settings,
) -> list[Due]:
    subject = f"Your request {r['request_id']} was {decision}"
    why = f"\nReason: {r['note']}" if r["note"] else ""
    text = f"Your {what} was {decision} by compliance.{why}\n\n{link}\n"
    dedupe = f"request-decided:{r['request_id']}"
    msgs = _to_accounts(ledger, theirs, "request_decided", dedupe, subject, text, data | {"decision": decision})
    return _with_webhooks(settings, msgs, "request_decided", dedupe, subject, text, data | {"decision": decision})


def _alert_messages(ledger: Session, now: datetime, settings: Settings, checkpoints: Path | None) -> list[Due]:
    from quota import alerts as alerts_mod

    modes = _account_modes(ledger)
    wanting = [e for e, (mode, wants) in modes.items() if wants and mode != "off"]
    hooks = [h for h in settings.webhooks if h.wants("alert")]
    if not wanting and not hooks:
        return []
    out: list[Due] = []
    for a in alerts_mod.alerts(ledger, now, checkpoints):
        dedupe = f"alert:{a.kind}:{a.subject}:{a.level}"
        subject = f"quota alert: {a.kind} {a.level}: {a.subject}"
        data = {
            "kind": a.kind,
            "level": a.level,
            "subject": a.subject,
            "deadline": iso(a.deadline) if a.deadline else None,
        }
        out += _with_webhooks(settings, _to_accounts(ledger, wanting, "alert", dedupe, subject, a.message + "\n", data),
                              "alert", dedupe, subject, a.message + "\n", data)  # fmt: skip
    return out


def _checkpoint_messages(ledger: Session, now: datetime, settings: Settings) -> list[Due]:
    if not settings.checkpoint_to and not any(h.wants("checkpoint") for h in settings.webhooks):
        return []
    line = ledger.checkpoint()
    dedupe = f"checkpoint:{now:%Y-%m-%d}"
    subject = f"quota checkpoint of {now:%Y-%m-%d}"
    text = (f"{line}\n\nKeep this line. Anyone holding it can show later that the ledger's history up to it was "
            f"not rewritten (quota ledger verify --checkpoint FILE).\n")  # fmt: skip
    data = {"checkpoint": line}
    msgs = [Due("email", a, "checkpoint", dedupe, subject, text, data) for a in settings.checkpoint_to]
    return _with_webhooks(settings, msgs, "checkpoint", dedupe, subject, text, data)


def _digests(recorded: list[Message], now: datetime) -> list[Due]:
    held: dict[str, list[Message]] = {}
    for m in recorded:
        if m.held and m.state(now) == "held":
            held.setdefault(m.recipient, []).append(m)
    out = []
    for recipient, items in sorted(held.items()):
        # One a day: held messages wait until the first run of the next UTC day after the oldest.
        if now.date() <= min(m.due_at for m in items).date():
            continue
        dedupe = f"digest:{now:%Y-%m-%d}"
        subject = f"quota: {len(items)} message(s) of the day"
        text = "\n\n".join(f"* {m.subject}\n{m.text}" for m in items)
        data = {"messages": [m.message_id for m in items]}
        out.append(Due("email", recipient, "digest", dedupe, subject, text, data))
    return out


# ---------------------------------------------------------------- sending


@dataclass
class RunReport:
    recorded: int = 0
    delivered: int = 0
    failed: int = 0
    told: list[str] = field(default_factory=list)
    checkpoint: str | None = None
    busy: bool = False

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run(db: str | Path | None, settings: Settings, wait: float = 60.0, checkpoints: Path | None = None,
        say: Say | None = None) -> RunReport:  # fmt: skip
    """Record what is due, then send everything due now; one run at a time per ledger (another
    that is under way makes this one do nothing: `busy`)."""
    from quota.store import resolve
    from quota.store.locks import exclusive

    with exclusive(resolve(db), "notify") as mine:
        if not mine:
            return RunReport(busy=True)
        return _run(db, settings, wait, checkpoints, say)


def _run(db: str | Path | None, settings: Settings, wait: float, checkpoints: Path | None,
         say: Say | None) -> RunReport:  # fmt: skip
    report = RunReport()
    with Session.open(db, write=True, wait=wait) as ledger:
        now = ledger.now()
        wanted = due(ledger, now, settings, checkpoints)
        if wanted:
            ledger.append_many([("notify", d.body()) for d in wanted])
        report.recorded = len(wanted)
        line = next((d.data["checkpoint"] for d in wanted if d.topic == "checkpoint"), None)
    if line is not None and checkpoints is not None:
        append_checkpoint(checkpoints, line.split()[1], line)
        report.checkpoint = line
    with Session.open(db, wait=wait) as ledger:
        now = ledger.now()
        todo = [m for m in outbox(ledger) if m.state(now) in ("due", "in-doubt") and not _given(m)]
    for m in todo:
        _send_one(db, settings, m, wait, report, say)
    return report


def _given(m: Message) -> bool:
    """Whether an in-doubt message was already resolved as such (its final result recorded)."""
    return any(str(a["detail"] or "").startswith(INTERRUPTED_TWICE) for a in m.failures)


def _append(db: str | Path | None, wait: float, kind: str, body: dict[str, Any]) -> None:
    with Session.open(db, write=True, wait=wait) as ledger:
        ledger.append(kind, body)


def _send_one(db: str | Path | None, settings: Settings, m: Message, wait: float, report: RunReport,
              say: Say | None) -> None:  # fmt: skip
    if len(m.interrupted) >= 2:
        # Interrupted twice: delivered at most twice already. Never a third time: a person looks.
        _append(db, wait, "notify_result", {"message_id": m.message_id, "attempt": max(m.interrupted), "ok": False,
                                            "detail": f"{INTERRUPTED_TWICE}: delivered at most twice, perhaps not at all"})  # fmt: skip
        report.failed += 1
        return
    attempt = max((a["attempt"] for a in m.attempts), default=0) + 1
    marked = []

    def mark() -> Callable[[], None]:
        """Record the attempt, and hold the ledger until the message's last bytes are out: the
        function returned lets go (so that nothing slow comes between the commit and them)."""
        held = Session.open(db, write=True, wait=wait)
        ledger = held.__enter__()
        try:
            ledger.append("notify_attempt", {"message_id": m.message_id, "attempt": attempt})
        except BaseException:
            held.__exit__(None, None, None)
            raise
        marked.append(attempt)

        def let_go() -> None:
            held.__exit__(None, None, None)

        return let_go

    try:
        detail = _deliver(settings, m, mark)
        ok = True
    except SendError as e:
        detail, ok = str(e)[:500], False
    # A failure before the mark leaves no attempt recorded: record it now, as one.
    if not marked:
        mark()()
    _append(db, wait, "notify_result", {"message_id": m.message_id, "attempt": attempt, "ok": ok, "detail": detail})
    if ok:
        report.delivered += 1
        if m.topic == "deletion_request":
            _told(db, wait, m, report)
        elif m.topic == "digest":
            for held in m.data.get("messages", []):
                _append(db, wait, "notify_result", {"message_id": held, "attempt": 0, "ok": True,
                                                    "detail": f"in digest {m.message_id}"})  # fmt: skip
    else:
        report.failed += 1
    if say is not None:
        say(f"{m.topic} to {m.recipient}: {'delivered' if ok else 'failed'} ({detail[:120]})")


def _deliver(settings: Settings, m: Message, mark: Callable[[], Callable[[], None]]) -> str:
    if m.channel == "webhook":
        hook = next((h for h in settings.webhooks if h.url == m.recipient), None)
        if hook is None:
            raise SendError(f"the webhook {m.recipient} is no longer in the notification settings")
        payload = {"id": m.message_id, "topic": m.topic, "subject": m.subject, "text": m.text, "data": m.data,
                   "due_at": iso(m.due_at)}  # fmt: skip
        return send_webhook(hook, m.message_id, m.topic, payload, mark)
    mail: Mail | None = settings.mail
    if mail is None:
        raise SendError("no mail is configured (QUOTA_SMTP_HOST or QUOTA_MAIL_DIR, or [mail] in the settings)")
    return send_mail(mail, email(mail, m.message_id, m.recipient, m.subject, m.text), mark)


def _told(db: str | Path | None, wait: float, m: Message, report: RunReport) -> None:
    """A deletion request delivered to one of the entity's addresses: the entity was told."""
    with Session.open(db, write=True, wait=wait) as ledger:
        if notices.sent(ledger, m.data["notice_id"], m.data["entity"]) is not None:
            report.told.append(f"{m.data['notice_id']}:{m.data['entity']}")


# ---------------------------------------------------------------- acknowledgements


def ack(ledger: Session, notice_id: str, entity: str, by: str, method: str = "command") -> int:
    """Record that `entity` confirmed it removed what the notice names."""
    if not by.strip():
        raise UsageError("an acknowledgement names who gave it")
    if not any(r["entity"] == entity for r in notices.affected(ledger, notice_id)):
        raise UsageError(f"{entity} received none of the IDs of notice {notice_id}")
    if any(r["notice_id"] == notice_id and r["entity"] == entity for r in ledger.query("notice_acked")):
        raise UsageError(f"{entity} already acknowledged notice {notice_id}")
    return ledger.append("notice_ack", {"notice_id": notice_id, "entity": entity, "by": by.strip(), "method": method})


def ack_link(ledger: Session, secret: str) -> dict[str, Any] | None:
    """The deletion request a link belongs to (its notice, entity, deadline and IDs), if any."""
    rows = ledger.query("deletion_request_by_link", [hashlib.sha256(secret.encode()).hexdigest()])
    return json.loads(rows[0]["data"]) if rows else None
