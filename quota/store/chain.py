"""The hash chain and the event → state map: the parts of the ledger every backend shares.

An event's hash covers its sequence number, time, kind, canonical body and the previous hash;
the first event's previous hash is derived from the ledger's random id. Backends only store
and read these values, so a chain copied from one backend to another verifies unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Every state table, in the order verify compares them with their rebuild from the events.
STATE_TABLES = (
    "entities", "terms_acceptances", "persons", "permissions", "policy_changes", "reservations",
    "commits", "releases", "voids", "exemptions", "exemption_persons", "exemption_revocations",
    "exemption_uses", "manual_exports", "deletion_notices", "deletion_notice_sent", "output_places",
    "publications", "deletion_notice_voids", "id_sources", "breaches", "group_links",
    "entity_domains", "person_moves", "recipient_warnings", "datasets", "requests", "request_decisions",
    "request_deliveries", "person_same", "accounts", "account_changes", "account_links", "account_passwords",
    "entity_contacts", "account_settings", "notifications", "notification_attempts", "notice_acks",
)  # fmt: skip

# The state tables each kind of event writes (through its replay query, sql/*/queries/replay.sql).
# A test checks this against the WHERE clauses of both dialects' replay queries.
STATE_OF: dict[str, tuple[str, ...]] = {
    "entity": ("entities", "group_links", "entity_domains", "recipient_warnings"),
    "terms": ("terms_acceptances",),
    "person": ("persons", "recipient_warnings"),
    "permission": ("permissions",),
    "policy": ("policy_changes",),
    "reserve": ("reservations", "exemption_uses", "output_places", "id_sources", "request_deliveries"),
    "commit": ("commits",),
    "release": ("releases",),
    "void": ("voids",),
    "import": ("reservations", "commits", "id_sources", "breaches"),
    "exemption": ("exemptions", "exemption_persons"),
    "exemption_revoke": ("exemption_revocations",),
    "manual": ("manual_exports",),
    "notice": ("deletion_notices",),
    "notice_sent": ("deletion_notice_sent",),
    "publish": ("publications",),
    "notice_void": ("deletion_notice_voids",),
    "entity_link": ("group_links",),
    "person_move": ("person_moves",),
    "dataset": ("datasets",),
    "request": ("requests",),
    "request_decision": ("request_decisions",),
    "person_same": ("person_same",),
    "account": ("accounts", "account_links"),
    "account_role": ("account_changes",),
    "account_disable": ("account_changes",),
    "account_link": ("account_links",),
    "account_password": ("account_passwords",),
    "entity_contact": ("entity_contacts",),
    "account_notify": ("account_settings",),
    "notify": ("notifications",),
    "notify_attempt": ("notification_attempts",),
    "notify_result": ("notification_attempts",),
    "notice_ack": ("notice_acks",),
    # `quota init` applied migrations to a ledger that already held events (verify applies the
    # rules a migration brought from then on).
    "upgrade": (),
}
EVENT_KINDS = tuple(STATE_OF)

# Kinds of delivered IDs as stored in lineage and deletion_notice_ids.
LINEAGE_KINDS = {"post": 1, "user": 2, "dm": 3}


def canonical(value: Any) -> str:
    """The one JSON text of `value`: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(prev: str, seq: int, recorded_at: str, kind: str, body: str) -> str:
    return hashlib.sha256("\n".join((prev, str(seq), recorded_at, kind, body)).encode()).hexdigest()


def genesis(ledger_id: str) -> str:
    return hashlib.sha256(f"quota-ledger:{ledger_id}".encode()).hexdigest()
