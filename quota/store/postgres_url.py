"""A PostgreSQL ledger URL checked as text, without the driver: what urlsplit refuses (a port
out of range, a malformed IPv6 host) is the user's to fix, not a crash."""

from __future__ import annotations

from urllib.parse import urlsplit

from quota.errors import UsageError


def check_url(url: str) -> None:
    try:
        urlsplit(url).port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError as e:
        raise UsageError(f"the ledger URL is not a valid postgresql:// URL ({e})") from None
