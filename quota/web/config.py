"""How a portal runs: its ledger, where deliveries go, the terms document, who may vouch for a
signed-in email (single sign-on), and its clock."""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from quota.errors import UsageError
from quota.registry import file_sha256


@dataclass(frozen=True)
class PortalConfig:
    db: str | Path | None
    deliveries: Path
    terms: Path | None = None  # the terms document researchers accept (its sha256 is recorded)
    trusted_header: str | None = None  # the header a reverse proxy puts the signed-in email in
    trusted_proxies: tuple[str, ...] = ()  # the proxies' addresses: only they are believed
    session_life: float = 8 * 3600.0
    wait: float = 10.0  # how long a page waits for the ledger's lock
    contact: str | None = None  # whom recipients contact about deletion notices (deliveries' README)
    notify_every: float = 0.0  # seconds between runs of the notification loop (quota notify run); 0: none
    clock: Callable[[], float] = field(default=time.time)  # sessions and throttling; tests inject it

    def check(self) -> PortalConfig:
        if self.trusted_header is not None and not self.trusted_proxies:
            raise UsageError("a trusted header is believed only from a trusted proxy: name its address")
        for ip in self.trusted_proxies:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise UsageError(f"{ip[:60]!r} is not an IP address (the trusted proxy's)") from None
        if self.terms is not None:
            file_sha256(self.terms, "terms document")  # it must be readable now, not at the first acceptance
        return self

    @property
    def state_path(self) -> Path:
        return self.deliveries / ".portal" / "portal.sqlite3"


def default_deliveries() -> Path:
    return Path(os.environ.get("QUOTA_DELIVERIES") or "deliveries").resolve()
