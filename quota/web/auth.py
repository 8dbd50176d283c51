"""Who is asking: passwords (argon2id), sessions, CSRF tokens, sign-in throttling and the
single sign-on header of a trusted proxy.

A session is a random token in an HttpOnly, SameSite=Lax cookie (Secure when the portal is
reached over TLS); only its sha256 is stored, with an absolute expiry and its CSRF token.
Sign-in failures count per account and per address over 15 minutes; past the limit every
attempt fails with the same one message, without a password being checked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from quota.accounts import Account
from quota.web.state import PortalState

HASHER = PasswordHasher()  # argon2id, RFC 9106's second recommended parameters
_DUMMY = HASHER.hash("no account has this password")
FAILURE_SPAN = 15 * 60.0
PER_ACCOUNT = 5
PER_ADDRESS = 20
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
SIGN_IN_FAILED = "Sign-in failed: check the email and password, or wait a few minutes and try again."


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def password_problem(password: str, again: str) -> str | None:
    if password != again:
        return "The two passwords differ."
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters."
    return None


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def _matches(stored: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def throttled(state: PortalState, email: str, address: str, now: float) -> bool:
    keys = [f"account:{email}", f"address:{address}"]
    counts = state.failures(keys, now - FAILURE_SPAN)
    return counts[keys[0]] >= PER_ACCOUNT or counts[keys[1]] >= PER_ADDRESS


def check_password(
    state: PortalState, account: Account | None, email: str, password: str, address: str, now: float
) -> bool:
    """Whether this sign-in succeeds; a failure is counted against the account and the address.
    Unknown, disabled and throttled accounts cost the same hash as a wrong password."""
    if throttled(state, email, address, now):
        state.fail([f"account:{email}", f"address:{address}"], now, now - FAILURE_SPAN)
        return False
    stored = state.password_hash(email) if account is not None else None
    ok = _matches(stored, password) and account is not None and not account.disabled
    if not ok:
        state.fail([f"account:{email}", f"address:{address}"], now, now - FAILURE_SPAN)
    return ok


@dataclass(frozen=True)
class Session:
    token: str  # the cookie's value
    csrf: str


def new_session(state: PortalState, email: str, now: float, life: float) -> Session:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    state.add_session(sha256(token), email, csrf, now, now + life)
    return Session(token, csrf)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
