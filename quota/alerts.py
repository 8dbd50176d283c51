"""`quota alerts`: what needs attention now, before a limit or a deadline is reached.

Each alert has a kind, a level, its subject (a holder, a notice, an exemption...), the numbers,
a deadline where there is one, and one sentence. Kinds:

- `cap`: a holder at or above a share of its cap in the trailing window (80 %, 95 %, 100 %),
  with when room returns;
- `notice`: a deletion notice not yet told to every recipient, 12 and 2 hours before its
  deadline, and when overdue;
- `exemption`, `permission`: ending within 30, 7 or 1 days; drawn above 90 % of what X approved;
- `reservation`: an export open (or committed and unpublished) for longer than an hour;
- `request`: submitted and undecided, or approved and undelivered, for 3 days;
- `verify`: no checkpoint in the checkpoint log for 7 days (or no log kept);
- `compliance`: deliveries older than 30 days and no compliance result of X's recorded since;
- `notify-failed`: a message of the outbox that keeps failing (3 attempts), was given up after
  24 hours, or was interrupted twice; and a recipient of an open deletion notice with no address
  to send its deletion request to.

The thresholds are read from quota/alerts.toml (the policy profile's table, else the default),
or from the operator's file named by $QUOTA_ALERT_SETTINGS; never from code.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from quota import exemptions, notices, outbox, recovery, registry, requests, settingsfile, usage
from quota.errors import UsageError
from quota.store.session import Session, read_checkpoint_log
from quota.times import iso, parse_iso, utc_naive

KINDS = ("cap", "notice", "exemption", "permission", "reservation", "request", "verify", "compliance", "notify-failed")
COLUMNS = ["kind", "level", "subject", "deadline", "message"]


@dataclass(frozen=True)
class Settings:
    cap_levels: tuple[float, ...]
    notice_hours_before: tuple[float, ...]
    ending_days: tuple[float, ...]
    drawn_above: float
    reservation_hours: float
    request_days: float
    checkpoint_days: float
    compliance_days: float

    @classmethod
    def load(cls, profile: str, path: Path | None = None) -> Settings:
        """The default table, the profile's own, then the operator's file (its default table and
        the profile's), each overriding the one before."""
        shipped = tomllib.loads(resources.files("quota").joinpath("alerts.toml").read_text())
        values = dict(shipped["default"]) | dict(shipped.get("profile", {}).get(profile, {}))
        path = path or (Path(p) if (p := os.environ.get("QUOTA_ALERT_SETTINGS")) else None)
        if path is not None:
            own = settingsfile.read(path, "the alert settings")
            values |= dict(own.get("default", {})) | dict(own.get("profile", {}).get(profile, {}))
        known = {f.name for f in fields(cls)}
        if unknown := sorted(set(values) - known):
            raise UsageError(
                f"the alert settings name {unknown[0]!r}, which is not a setting ({', '.join(sorted(known))})"
            )
        out: dict[str, Any] = {}
        for name in known:
            value = values.get(name)
            many = isinstance(value, list)
            numbers: list[Any] = value if isinstance(value, list) else [value]
            # bool is an int to Python, never a threshold
            if not numbers or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in numbers
            ):
                raise UsageError(f"the alert setting {name} must be {'numbers' if many else 'a number'} above 0")
            sure = [float(v) for v in numbers]
            out[name] = tuple(sorted(sure)) if many else sure[0]
        return cls(**out)


@dataclass
class Alert:
    kind: str
    level: str
    subject: str
    message: str
    deadline: datetime | None = None
    numbers: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "level": self.level, "subject": self.subject, "deadline": self.deadline,
                "message": self.message, "numbers": self.numbers}  # fmt: skip


def _pct(share: float) -> str:
    return f"{share * 100:g} %"


def _days(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


def alerts(
    ledger: Session, at: datetime, checkpoints: Path | None = None, settings: Settings | None = None
) -> list[Alert]:
    """Everything due at `at`, most urgent kinds first (in the order of KINDS)."""
    s = settings or Settings.load(registry.current_profile(ledger).name)
    now = utc_naive(at)
    found: list[Alert] = []
    rows = usage.usage(ledger, None, at, None)
    every = notices.open_notices(ledger, at, everything=True)  # read once: three kinds look at them
    found += _caps(rows, s)
    found += _notices(every, at, now, s)
    found += _exemptions(ledger, now, s)
    found += _permissions(ledger, rows, now, s)
    found += _reservations(ledger, now, s)
    found += _requests(ledger, now, s)
    found += _checkpoints(ledger, now, checkpoints, s)
    found += _compliance(ledger, now, s)
    found += _notify_failed(ledger, every, at)
    return found


def _caps(rows: list[dict[str, Any]], s: Settings) -> list[Alert]:
    out = []
    for r in rows:
        if r["cap"] is None or r["cap"] <= 0:
            continue
        share = r["used"] / r["cap"]
        crossed = [level for level in s.cap_levels if share >= level]
        if not crossed:
            continue
        holder = r["group"] or r["entity"]
        back = f"; room returns at {iso(r['next_free_at'])}" if r["next_free_at"] else ""
        out.append(Alert(
            "cap", _pct(crossed[-1]), holder,
            f"{holder} has used {r['used']:,} of its cap of {r['cap']:,} Post IDs in the 30 days to now "
            f"({share:.1%}; {max(r['headroom'], 0):,} left){back}",
            None, {"used": r["used"], "cap": r["cap"], "headroom": r["headroom"], "next_free_at": r["next_free_at"]},
        ))  # fmt: skip
    return out


def _notices(every: list[dict[str, Any]], at: datetime, now: datetime, s: Settings) -> list[Alert]:
    out = _unacknowledged(every, now)
    for n in notices.untold(every):
        untold = [e for e in n["entities"] if e["told_at"] is None]
        left = n["deadline"] - now
        if n["overdue"]:
            level = "overdue"
        else:
            near = [h for h in s.notice_hours_before if left <= timedelta(hours=h)]
            if not near:
                continue
            level = f"{near[0]:g}h"
        names = ", ".join(e["entity"] for e in untold)
        when = f"overdue since {iso(n['deadline'])}" if n["overdue"] else f"deadline {iso(n['deadline'])}"
        out.append(Alert(
            "notice", level, n["notice_id"],
            f"deletion notice {n['notice_id']}: {len(untold)} recipient(s) not yet told ({names}); {when} "
            f"({notices.time_left(n['deadline'], at)} left)",
            n["deadline"], {"untold": [e["entity"] for e in untold], "ids": sum(e["ids"] for e in untold)},
        ))  # fmt: skip
    return out


def _unacknowledged(every: list[dict[str, Any]], now: datetime) -> list[Alert]:
    """Recipients told of a notice that have not confirmed the deletion by its deadline."""
    out = []
    for n in every:
        if n["void"] or now <= n["deadline"]:
            continue
        waiting = [e["entity"] for e in n["entities"] if e["told_at"] is not None and e["acked_at"] is None]
        if waiting:
            out.append(Alert(
                "notice", "unacknowledged", n["notice_id"],
                f"deletion notice {n['notice_id']}: {', '.join(waiting)} did not confirm the deletion by its deadline "
                f"{iso(n['deadline'])} (quota notice ack records it)",
                n["deadline"], {"unacknowledged": waiting},
            ))  # fmt: skip
    return out


def _ending(kind: str, subject: str, until: datetime | None, now: datetime, s: Settings, what: str) -> Alert | None:
    if until is None or until <= now:
        return None
    left = until - now
    near = [d for d in s.ending_days if left <= timedelta(days=d)]
    if not near:
        return None
    return Alert(kind, f"{near[0]:g}d", subject, f"{what} ends at {iso(until)}, in {_days(left)}", until,
                 {"ends_at": until})  # fmt: skip


def _exemptions(ledger: Session, now: datetime, s: Settings) -> list[Alert]:
    out = []
    for e in exemptions.listing(ledger):
        if e["revoked"] or e["valid_from"] > now or e["valid_until"] <= now:
            continue
        what = f"exemption {e['ref']} ({e['kind']}, {e['entity']})"
        if (a := _ending("exemption", e["ref"], e["valid_until"], now, s, what)) is not None:
            out.append(a)
        approved, used = e["approved_post_ids"], e["used_post_ids"]
        if approved and used / approved > s.drawn_above:
            out.append(Alert(
                "exemption", "drawn", e["ref"],
                f"{what} has drawn {used:,} of the {approved:,} Post IDs X approved ({used / approved:.1%}; "
                f"{approved - used:,} left)",
                e["valid_until"], {"approved": approved, "used": used},
            ))  # fmt: skip
    return out


def _permissions(ledger: Session, rows: list[dict[str, Any]], now: datetime, s: Settings) -> list[Alert]:
    used_by = {r["group"] or r["entity"]: r["used"] for r in rows}
    found = registry.holders(ledger)
    out = []
    for p in registry.permissions(ledger):
        start, until = p["valid_from"], p["valid_until"]
        if start > now or until <= now:
            continue
        what = f"X's permission {p['ref']} for {p['entity']} (cap {int(p['cap']):,})"
        if (a := _ending("permission", p["ref"], until, now, s, what)) is not None:
            out.append(a)
        used = used_by.get(found.holder(p["entity"]), 0)
        if p["cap"] and used / int(p["cap"]) > s.drawn_above:
            out.append(Alert(
                "permission", "drawn", p["ref"],
                f"{what}: {used:,} Post IDs used in the 30 days to now ({used / int(p['cap']):.1%} of it)",
                until, {"cap": int(p["cap"]), "used": used},
            ))  # fmt: skip
    return out


def _reservations(ledger: Session, now: datetime, s: Settings) -> list[Alert]:
    out = []
    for r in recovery.unresolved(ledger):
        age = now - r["at"]
        if age <= timedelta(hours=s.reservation_hours):
            continue
        state = "open (reserved, never committed)" if r["state"] == "open" else "committed, its files never published"
        out.append(Alert(
            "reservation", r["state"], r["export_id"],
            f"export {r['export_id']} to {r['entity']} ({r['post_ids']:,} Post IDs) has been {state} for "
            f"{_days(age)}: quota ledger recover resolves it",
            None, {"entity": r["entity"], "post_ids": r["post_ids"], "since": r["at"]},
        ))  # fmt: skip
    return out


def _requests(ledger: Session, now: datetime, s: Settings) -> list[Alert]:
    out = []
    wait = timedelta(days=s.request_days)
    for r in requests.listing(ledger, ("submitted", "approved")):
        since = parse_iso(r["submitted_at"] if r["state"] == "submitted" else r["decided_at"])
        since = utc_naive(since)
        if now - since <= wait:
            continue
        what = "submitted and not decided" if r["state"] == "submitted" else "approved and not delivered"
        out.append(Alert(
            "request", "undecided" if r["state"] == "submitted" else "undelivered", r["request_id"],
            f"request {r['request_id']} of {r['person']} ({r['requested_post_ids']:,} Post IDs of {r['dataset']}) "
            f"has been {what} for {_days(now - since)}",
            None, {"state": r["state"], "since": since},
        ))  # fmt: skip
    return out


def _checkpoints(ledger: Session, now: datetime, directory: Path | None, s: Settings) -> list[Alert]:
    span = timedelta(days=s.checkpoint_days)
    if directory is None:
        return [Alert("verify", "no-log", ledger.ledger_id,
                      "no checkpoint log is kept (quota ledger checkpoint --to DIR, and QUOTA_CHECKPOINTS=DIR "
                      "for alerts): nobody outside the ledger could show it was not rewritten")]  # fmt: skip
    log, lines = read_checkpoint_log(directory, ledger.ledger_id)
    last = max((parse_iso(line.split()[-1]) for line in lines), default=None)
    if last is not None and now - utc_naive(last) <= span:
        return []
    said = f"the newest checkpoint in {log} is from {iso(last)}" if last else f"{log} holds no checkpoint"
    return [Alert("verify", "stale" if last else "none", ledger.ledger_id,
                  f"no checkpoint for {_days(span)}: {said} (quota ledger verify, then quota ledger checkpoint "
                  f"--to {directory})", utc_naive(last) + span if last else None, {"last": last})]  # fmt: skip


def _compliance(ledger: Session, now: datetime, s: Settings) -> list[Alert]:
    span = timedelta(days=s.compliance_days)
    rows = ledger.query("compliance_last")
    first, last = rows[0]["first_delivery"], rows[0]["last_result"]
    if first is None or now - first <= span or (last is not None and now - last <= span):
        return []
    said = f"the newest was received at {iso(last)}" if last else "none was ever recorded"
    return [Alert(
        "compliance", "stale" if last else "none", "compliance",
        f"no compliance result of X's recorded for {_days(span)} ({said}): quota notice upload-file writes what "
        "to send to X's batch compliance, quota notice add records its result",
        (last + span) if last else None, {"last_result": last},
    )]  # fmt: skip


def _notify_failed(ledger: Session, every: list[dict[str, Any]], at: datetime) -> list[Alert]:
    out = []
    for m in outbox.failed(ledger, at):
        state = m.state(at)
        last = next((a["detail"] for a in reversed(m.failures)), "")
        out.append(Alert(
            "notify-failed", state if state in ("in-doubt", "given-up") else "failing", m.message_id,
            f"{m.topic} to {m.recipient} ({m.subject}) is {state} after {len(m.failures)} failed attempt(s): {last}",
            None, {"topic": m.topic, "recipient": m.recipient, "failures": len(m.failures)},
        ))  # fmt: skip
    contacts = {r["entity"] for r in ledger.query("entity_contacts_all")}
    for n in notices.untold(every):
        people = {r["entity"] for r in ledger.query("notice_person_contacts", [n["notice_id"]])}
        for e in n["entities"]:
            if e["told_at"] is None and e["entity"] not in contacts | people:
                out.append(Alert(
                    "notify-failed", "no-contact", f"{n['notice_id']}:{e['entity']}",
                    f"deletion notice {n['notice_id']}: {e['entity']} has no address for its deletion request "
                    f"(quota entity contact {e['entity']} --email ADDRESS)",
                    n["deadline"], {"notice_id": n["notice_id"], "entity": e["entity"]},
                ))  # fmt: skip
    return out
