"""The ledger's outbox as it stands: each message recorded by `quota notify run` and what became of
its attempts (quota.notify sends; quota.alerts shows the ones that keep failing)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from quota.store.session import Session
from quota.times import parse_iso, utc_naive

GIVE_UP = timedelta(hours=24)
FIRST_RETRY, LONGEST_WAIT = timedelta(minutes=1), timedelta(hours=1)
INTERRUPTED_TWICE = "interrupted twice"


@dataclass
class Message:
    """A recorded message and what became of it."""

    message_id: str
    channel: str
    recipient: str
    topic: str
    dedupe: str
    subject: str
    text: str
    data: dict[str, Any]
    held: str | None
    due_at: datetime
    attempts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(a["phase"] == "result" and a["ok"] for a in self.attempts)

    @property
    def interrupted(self) -> list[int]:
        """Attempts marked as sending that have no result: a crash came between."""
        done = {a["attempt"] for a in self.attempts if a["phase"] == "result"}
        return [a["attempt"] for a in self.attempts if a["phase"] == "sending" and a["attempt"] not in done]

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [a for a in self.attempts if a["phase"] == "result" and not a["ok"]]

    def state(self, now: datetime) -> str:
        """delivered | due | waiting (a retry later) | held (for a digest) | in-doubt | given-up."""
        now = utc_naive(now)
        if self.delivered:
            return "delivered"
        if len(self.interrupted) >= 2 or any(
            str(a["detail"] or "").startswith(INTERRUPTED_TWICE) for a in self.failures
        ):
            return "in-doubt"
        latest = max((a["attempt"] for a in self.attempts), default=None)
        if latest is not None and latest in self.interrupted:
            return "due"  # the last attempt was cut short: delivered at most once, so once more, now
        if self.held and not self.failures:
            return "held"
        if self.failures and now - self.due_at > GIVE_UP:
            return "given-up"
        if self.failures and now < self.next_try():
            return "waiting"
        return "due"

    def next_try(self) -> datetime:
        last: datetime = max(utc_naive(parse_iso(str(a["attempted_at"]))) for a in self.failures)
        wait: timedelta = min(FIRST_RETRY * 2 ** (len(self.failures) - 1), LONGEST_WAIT)
        return last + wait

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "message_id": self.message_id, "channel": self.channel, "recipient": self.recipient, "topic": self.topic,
            "subject": self.subject, "due_at": self.due_at, "state": self.state(now),
            "attempts": len({a["attempt"] for a in self.attempts}),
            "last_result": next((a["detail"] for a in reversed(self.attempts) if a["phase"] == "result"), None),
        }  # fmt: skip


COLUMNS = ["message_id", "topic", "channel", "recipient", "state", "attempts", "due_at", "subject", "last_result"]


def outbox(ledger: Session) -> list[Message]:
    found: dict[str, Message] = {}
    for r in ledger.query("notify_outbox"):
        m = found.get(r["message_id"])
        if m is None:
            m = found[r["message_id"]] = Message(
                r["message_id"], r["channel"], r["recipient"], r["topic"], r["dedupe"], r["subject"], r["body"],
                json.loads(r["data"]), r["held"], utc_naive(parse_iso(r["due_at"])),
            )  # fmt: skip
        if r["attempt"] is not None:
            m.attempts.append({k: r[k] for k in ("attempt", "phase", "ok", "detail", "attempted_at")})
    return list(found.values())


def failed(ledger: Session, now: datetime) -> list[Message]:
    """Messages that keep failing, were given up, or were interrupted twice."""
    return [m for m in outbox(ledger) if m.state(now) in ("in-doubt", "given-up") or (len(m.failures) >= 3
            and not m.delivered)]  # fmt: skip
