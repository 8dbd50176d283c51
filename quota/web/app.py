"""The portal's ASGI app: every route of quota.web.rules behind one guard (who is asking, may
their role use this route, is the form's CSRF token theirs), security headers on every
response, and errors said as one sentence on a page. Handlers (quota.web.pages) are plain
functions run in a worker thread as the signed-in account.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quota import accounts
from quota.accounts import Account
from quota.errors import QuotaError
from quota.store.session import Session
from quota.web import auth, pages
from quota.web.config import PortalConfig
from quota.web.headers import HEADERS
from quota.web.rules import RULES, Rule, menu
from quota.web.state import PortalState

log = logging.getLogger("quota.web")

SESSION_COOKIE, CSRF_COOKIE = "quota_session", "quota_csrf"
STATUS = {2: 400, 3: 409, 4: 400, 5: 503}
MAX_FORM = 2 << 20  # the largest form: 10,000 pasted IDs are a tenth of it


@dataclass
class Portal:
    config: PortalConfig
    state: PortalState
    env: Environment
    secret: str  # shared by every server process (_shared_secret)

    def ledger(self, write: bool = False) -> Any:
        return Session.open(self.config.db, write=write, wait=self.config.wait)


@dataclass
class Ctx:
    """One request as a handler sees it."""

    portal: Portal
    request: Request
    rule: Rule
    form: dict[str, str]
    account: Account | None
    csrf: str
    address: str
    secure: bool
    params: dict[str, str]

    def page(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("partial", self.request.headers.get("hx-request") == "true")
        html = self.portal.env.get_template(template).render(
            me=self.account, csrf=self.csrf, rule=self.rule, menu=menu(self.account.role) if self.account else [],
            **values,
        )  # fmt: skip
        return HTMLResponse(html, status_code=status)

    def go(self, url: str) -> Response:
        return RedirectResponse(url, status_code=303)

    @property
    def me(self) -> Account:
        assert self.account is not None  # the guard let only a signed-in account through
        return self.account


def _address(request: Request, proxies: tuple[str, ...]) -> tuple[str, bool, bool]:
    """The client's address, whether the connection is TLS, whether the peer is a trusted proxy
    (whose X-Forwarded-For and X-Forwarded-Proto are then believed)."""
    peer = request.client.host if request.client else ""
    trusted = _is_one_of(peer, proxies)
    if trusted:
        hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
        proto = request.headers.get("x-forwarded-proto", request.url.scheme)
        return (hops[-1] if hops else peer), proto == "https", True
    return peer, request.url.scheme == "https", False


def _is_one_of(address: str, proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip == ipaddress.ip_address(p) for p in proxies)


def _signed_in(portal: Portal, request: Request, trusted: bool) -> tuple[Account | None, str | None, str | None]:
    """The account, the session's CSRF token, and a refusal (single sign-on from elsewhere)."""
    config = portal.config
    header = config.trusted_header
    if header is not None and request.headers.get(header) is not None:
        if not trusted:
            return None, None, f"a {header} header is believed only from the trusted proxy"
        email = request.headers[header].strip().lower()
        with portal.ledger() as ledger:
            account = accounts.get(ledger, email)
        if account is None or account.disabled:
            return None, None, None
        csrf = base64.urlsafe_b64encode(hashlib.sha256(f"{portal.secret}|{email}".encode()).digest()).decode()
        return account, csrf, None
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None, None, None
    row = portal.state.session(auth.sha256(token), config.clock())
    if row is None:
        return None, None, None
    with portal.ledger() as ledger:
        account = accounts.get(ledger, row["email"])
    if account is None or account.disabled:
        portal.state.end_session(auth.sha256(token))
        return None, None, None
    return account, str(row["csrf"]), None


def _guarded(portal: Portal, rule: Rule) -> Any:
    handler = pages.HANDLERS.get(rule.name) or getattr(pages, rule.name)

    async def endpoint(request: Request) -> Response:
        address, secure, trusted = _address(request, portal.config.trusted_proxies)
        try:
            account, csrf, refusal = await run_in_threadpool(_signed_in, portal, request, trusted)
        except QuotaError as e:
            return PlainTextResponse(str(e), status_code=STATUS.get(e.exit_code, 500))
        if refusal is not None:
            return PlainTextResponse(f"Refused: {refusal}.", status_code=403)
        anonymous_csrf = request.cookies.get(CSRF_COOKIE) or ""
        form: dict[str, str] = {}
        if request.method == "POST":
            size = request.headers.get("content-length", "")
            if not size.isdigit() or int(size) > MAX_FORM:
                return PlainTextResponse(f"Refused: a form of this portal is at most {MAX_FORM >> 20} MiB.", 413)
            got = await request.form()
            form = {k: v for k, v in got.items() if isinstance(v, str)}
            sent = form.get("csrf") or request.headers.get("x-csrf-token")
            if not auth.same(sent, csrf if account is not None else anonymous_csrf):
                return PlainTextResponse("Refused: this form is stale or not from this portal (CSRF).", 403)
        if rule.roles is not None:
            if account is None:
                if request.method == "GET":
                    return RedirectResponse("/signin", status_code=303)
                return PlainTextResponse("Sign in first.", status_code=401)
            if account.role not in rule.roles:
                return PlainTextResponse(f"Refused: a {account.role} account may not use this page.", 403)
        fresh = None
        if account is None and not anonymous_csrf:
            fresh = anonymous_csrf = secrets.token_urlsafe(32)
        ctx = Ctx(portal, request, rule, form, account, csrf or anonymous_csrf, address, secure,
                  dict(request.path_params))  # fmt: skip
        try:
            response = await run_in_threadpool(_run, handler, ctx)
        except pages.NotFound as e:
            response = ctx.page("error.html", 404, message=str(e))
        except QuotaError as e:
            response = ctx.page("error.html", STATUS.get(e.exit_code, 500), message=str(e))
        except Exception:
            log.exception("quota portal: %s %s", request.method, request.url.path)
            response = ctx.page("error.html", 500, message="Unexpected error: the server's log has the details.")
        if fresh is not None:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", secure=secure)
        return response

    return endpoint


def _run(handler: Any, ctx: Ctx) -> Response:
    if ctx.account is None:
        return handler(ctx)  # type: ignore[no-any-return]
    with accounts.acting_as(ctx.account.email):
        return handler(ctx)  # type: ignore[no-any-return]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in have]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(config: PortalConfig) -> Starlette:
    config.check()
    config.deliveries.mkdir(parents=True, exist_ok=True)
    env = Environment(loader=PackageLoader("quota.web", "templates"), autoescape=select_autoescape(default=True))
    env.filters["n"] = lambda v: "" if v is None else f"{v:,}" if isinstance(v, int) else v
    env.filters["t"] = pages.when
    portal = Portal(config, PortalState(config.state_path), env, _shared_secret(config))
    routes: list[Route | Mount] = [Route(r.path, _guarded(portal, r), methods=[r.method], name=r.name) for r in RULES]
    routes.append(Mount("/static", StaticFiles(packages=[("quota.web", "static")]), name="static"))
    app = Starlette(routes=routes, lifespan=_lifespan(config))
    app.state.portal = portal
    app.add_middleware(SecurityHeaders)
    return app


def _lifespan(config: PortalConfig) -> Any:
    """The notification loop of `quota notify run`, every `notify_every` seconds, in a thread of
    the server (one run at a time per ledger, whichever process or cron job holds it)."""
    import contextlib
    import threading

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        stop = threading.Event()
        loop = None
        if config.notify_every > 0:
            loop = threading.Thread(target=_notify_loop, args=(config, stop), name="quota-notify", daemon=True)
            loop.start()
        try:
            yield
        finally:
            stop.set()
            # A run under way finishes before the server goes: a message it is sending is told
            # as sent or failed, not left in doubt by the process ending under it.
            if loop is not None:
                loop.join(_SHUTDOWN_WAIT)
                if loop.is_alive():
                    log.warning("quota portal: the notification run still under way at shutdown was left")

    return lifespan


# How long a server shutting down waits for a notification run under way (its sends time out
# sooner than this).
_SHUTDOWN_WAIT = 120.0


def _notify_loop(config: PortalConfig, stop: Any) -> None:
    from quota import notify
    from quota.sending import Settings

    while not stop.wait(config.notify_every):
        try:
            checkpoints = os.environ.get("QUOTA_CHECKPOINTS")
            notify.run(config.db, Settings.load(), config.wait, Path(checkpoints) if checkpoints else None)
        except Exception:  # a failing run is retried at the next turn, and its messages show in alerts
            log.exception("quota portal: the notification run failed")


def _shared_secret(config: PortalConfig) -> str:
    """A secret every server process of this portal shares (the single sign-on CSRF token's key):
    made once, by whichever process comes first (a hard link never replaces a file)."""
    path = config.state_path.parent / "secret"
    if not path.exists():
        tmp = path.with_name(f"secret.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_urlsafe(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()
