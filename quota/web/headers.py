"""The security headers of every response, and the CSP of the one page with an inline style."""

from __future__ import annotations

import base64
import hashlib

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}


def style_csp(css: str) -> str:
    """The CSP of a page whose one inline stylesheet is `css` (the report, self-contained)."""
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return CSP.replace("style-src 'self'", f"style-src 'sha256-{digest}'")
