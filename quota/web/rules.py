"""Every route of the portal and who may use it: the one table the server checks before any
handler runs (a route missing here is not served), and that the tests' matrix is held against.

`roles` None: anyone, signed in or not. An empty set would be nobody; `SIGNED_IN`: every role.
Which objects a role reaches (a researcher's own requests and deliveries, one's own jobs) is
checked again by the handler, on the object.
"""

from __future__ import annotations

from dataclasses import dataclass

RESEARCHER, COMPLIANCE, DATA_TEAM, AUDITOR, ADMIN = "researcher", "compliance", "data-team", "auditor", "admin"
SIGNED_IN = frozenset({RESEARCHER, COMPLIANCE, DATA_TEAM, AUDITOR, ADMIN})
READERS = frozenset({COMPLIANCE, AUDITOR})


@dataclass(frozen=True)
class Rule:
    name: str  # the handler in quota.web.pages
    method: str
    path: str
    roles: frozenset[str] | None


def _r(name: str, method: str, path: str, *roles: str | frozenset[str]) -> Rule:
    who: set[str] = set()
    for r in roles:
        who |= {r} if isinstance(r, str) else set(r)
    return Rule(name, method, path, frozenset(who) if roles else None)


RULES = (
    # signing in
    _r("signin_form", "GET", "/signin"),
    _r("signin", "POST", "/signin"),
    _r("welcome_form", "GET", "/welcome/{secret}"),
    _r("welcome", "POST", "/welcome/{secret}"),
    # a recipient confirms a deletion (the link in its deletion request is the key; no account)
    _r("ack_form", "GET", "/ack/{secret}"),
    _r("ack", "POST", "/ack/{secret}"),
    _r("home", "GET", "/", SIGNED_IN),
    _r("signout", "POST", "/signout", SIGNED_IN),
    _r("job", "GET", "/jobs/{job_id}", SIGNED_IN),
    _r("job_file", "GET", "/jobs/{job_id}/file", SIGNED_IN),
    # researchers
    _r("datasets", "GET", "/datasets", RESEARCHER, READERS, DATA_TEAM),
    _r("request_form", "GET", "/requests/new", RESEARCHER),
    _r("preview", "POST", "/requests/preview", RESEARCHER),
    _r("submit", "POST", "/requests", RESEARCHER),
    _r("requests", "GET", "/requests", RESEARCHER, READERS, DATA_TEAM),
    _r("request", "GET", "/requests/{request_id}", RESEARCHER, READERS, DATA_TEAM),
    _r("terms_form", "GET", "/terms", RESEARCHER),
    _r("terms", "POST", "/terms", RESEARCHER),
    _r("terms_document", "GET", "/terms/document", RESEARCHER),
    _r("download", "GET", "/deliveries/{export_id}.zip", RESEARCHER),
    # compliance (and auditors, who read)
    _r("queue", "GET", "/queue", READERS),
    _r("approve", "POST", "/requests/{request_id}/approve", COMPLIANCE),
    _r("reject", "POST", "/requests/{request_id}/reject", COMPLIANCE),
    _r("usage", "GET", "/usage", READERS, DATA_TEAM),
    _r("notices", "GET", "/notices", READERS, DATA_TEAM),
    _r("who_received_form", "GET", "/who-received", READERS),
    _r("who_received", "POST", "/who-received", READERS),
    _r("related", "GET", "/related", READERS),
    _r("verify_page", "GET", "/verify", READERS, DATA_TEAM),
    _r("verify", "POST", "/verify", READERS, DATA_TEAM),
    _r("report", "POST", "/report", READERS),
    # the data team
    _r("deliver_queue", "GET", "/deliver", DATA_TEAM, AUDITOR),
    _r("deliver", "POST", "/requests/{request_id}/deliver", DATA_TEAM),
    _r("exports", "GET", "/exports", DATA_TEAM, READERS),
    _r("recover", "GET", "/recover", DATA_TEAM, READERS),
    # accounts
    _r("accounts", "GET", "/accounts", ADMIN),
    _r("account_add", "POST", "/accounts", ADMIN),
    _r("account_role", "POST", "/accounts/role", ADMIN),
    _r("account_disable", "POST", "/accounts/disable", ADMIN),
    _r("account_reset", "POST", "/accounts/reset", ADMIN),
)

# The menu: the pages without a parameter, in this order, each shown to the roles its rule lets in.
NAV = (
    ("queue", "Queue"), ("deliver_queue", "Deliver"), ("accounts", "Accounts"), ("datasets", "Datasets"),
    ("request_form", "New request"), ("requests", "Requests"), ("terms_form", "X's terms"), ("usage", "Usage"),
    ("notices", "Deletion notices"), ("who_received_form", "Who received"), ("related", "Related"),
    ("exports", "Exports"), ("recover", "Recover"), ("verify_page", "Verify and report"),
)  # fmt: skip


def menu(role: str) -> list[tuple[str, str]]:
    by_name = {r.name: r for r in RULES}
    return [(by_name[n].path, label) for n, label in NAV if role in (by_name[n].roles or ())]
