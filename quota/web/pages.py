"""The portal's pages: one function per route of quota.web.rules, each a thin call of the same
library function the CLI calls. The guard (quota.web.app) has already checked the role and the
CSRF token; what a handler checks is the object: a researcher's own request, delivery, job.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.responses import FileResponse, Response

from quota import accounts, datasets, notices, received, registry, requests, usage
from quota.choosing import Filters
from quota.errors import UsageError
from quota.ids import id_problem
from quota.report.page import readable
from quota.times import parse_iso
from quota.web import auth, jobs
from quota.web.rules import RESEARCHER

if TYPE_CHECKING:
    from quota.web.app import Ctx

MAX_PASTED_IDS = 10_000


def when(t: Any) -> str:
    """A time as pages show it: UTC to the minute."""
    if t is None:
        return ""
    if isinstance(t, str):
        t = parse_iso(t)
    elif isinstance(t, int | float):  # the portal's own times: seconds since the epoch
        t = datetime.fromtimestamp(t, UTC)
    return readable(t) if isinstance(t, datetime) else str(t)


class NotFound(UsageError):
    """What a page refuses to say exists: not there, or not this account's."""


def _not_found(what: str) -> NotFound:
    return NotFound(f"No {what} of yours by that name.")


# ---------------------------------------------------------------- signing in


def signin_form(ctx: Ctx) -> Response:
    return ctx.page("signin.html")


def signin(ctx: Ctx) -> Response:
    portal, now = ctx.portal, ctx.portal.config.clock()
    email = ctx.form.get("email", "").strip().lower()[:254]
    with portal.ledger() as ledger:
        account = accounts.get(ledger, email) if email else None
    if not auth.check_password(portal.state, account, email, ctx.form.get("password", ""), ctx.address, now):
        return ctx.page("signin.html", 401, error=auth.SIGN_IN_FAILED, email=email)
    assert account is not None
    return _signed_in(ctx, account.email)


def _signed_in(ctx: Ctx, email: str) -> Response:
    config = ctx.portal.config
    session = auth.new_session(ctx.portal.state, email, config.clock(), config.session_life)
    response = ctx.go("/")
    response.set_cookie(
        "quota_session", session.token, max_age=int(config.session_life), httponly=True, samesite="lax",
        secure=ctx.secure,
    )  # fmt: skip
    return response


def welcome_form(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        account = accounts.linked(ledger, ctx.params["secret"])
    if account is None:
        return ctx.page("error.html", 404, message="This sign-up link is used, expired or replaced: ask for a new one.")
    return ctx.page("welcome.html", account=account)


def welcome(ctx: Ctx) -> Response:
    secret = ctx.params["secret"]
    password = ctx.form.get("password", "")
    with ctx.portal.ledger() as ledger:
        account = accounts.linked(ledger, secret)
    if account is None:
        return ctx.page("error.html", 404, message="This sign-up link is used, expired or replaced: ask for a new one.")
    if problem := auth.password_problem(password, ctx.form.get("again", "")):
        return ctx.page("welcome.html", 400, account=account, error=problem)
    digest = auth.hash_password(password)
    with accounts.acting_as(account.email), ctx.portal.ledger(write=True) as ledger:
        accounts.use_link(ledger, secret)
    ctx.portal.state.set_password(account.email, digest, ctx.portal.config.clock())
    return _signed_in(ctx, account.email)


def ack_form(ctx: Ctx) -> Response:
    from quota import notify

    with ctx.portal.ledger() as ledger:
        request = notify.ack_link(ledger, ctx.params["secret"])
        done = request is not None and _acked(ledger, request)
    if request is None:
        return ctx.page("error.html", 404, message="This link is not one of a deletion request.")
    return ctx.page("ack.html", request=request, done=done)


def _acked(ledger: Any, request: dict[str, Any]) -> dict[str, Any] | None:
    rows = [r for r in ledger.query("notice_acked") if (r["notice_id"], r["entity"]) == (request["notice_id"],
                                                                                    request["entity"])]  # fmt: skip
    return rows[0] if rows else None


def ack(ctx: Ctx) -> Response:
    from quota import notify

    with ctx.portal.ledger() as ledger:  # a link that is none takes no lock
        if notify.ack_link(ledger, ctx.params["secret"]) is None:
            return ctx.page("error.html", 404, message="This link is not one of a deletion request.")
    with ctx.portal.ledger(write=True) as ledger:
        request = notify.ack_link(ledger, ctx.params["secret"])
        if request is not None and not _acked(ledger, request):
            notify.ack(ledger, request["notice_id"], request["entity"], ctx.form.get("by", ""), "link")
    return ctx.go(f"/ack/{ctx.params['secret']}")


HOME = {"researcher": "/requests", "compliance": "/queue", "data-team": "/deliver", "auditor": "/queue",
        "admin": "/accounts"}  # fmt: skip


def home(ctx: Ctx) -> Response:
    return ctx.go(HOME[ctx.me.role])


def signout(ctx: Ctx) -> Response:
    token = ctx.request.cookies.get("quota_session")
    if token:
        ctx.portal.state.end_session(auth.sha256(token))
    response = ctx.go("/signin")
    response.delete_cookie("quota_session")
    return response


# ---------------------------------------------------------------- jobs


def _own_job(ctx: Ctx) -> dict[str, Any]:
    row = ctx.portal.state.job(ctx.params["job_id"])
    if row is None or row["email"] != ctx.me.email:
        raise _not_found("job")
    return jobs.shown(row)


def job(ctx: Ctx) -> Response:
    return ctx.page("job.html", job=_own_job(ctx))


def job_file(ctx: Ctx) -> Response:
    row = _own_job(ctx)
    name = (row["result"] or {}).get("file")
    if row["state"] != "done" or not name:
        raise _not_found("file")
    path = ctx.portal.config.state_path.parent / "files" / Path(name).name
    response = FileResponse(path, media_type="text/html; charset=utf-8")
    if row["kind"] == "report":
        from quota.report.page import CSS
        from quota.web.headers import style_csp

        response.headers["content-security-policy"] = style_csp(CSS)
    return response


def _start(ctx: Ctx, kind: str, title: str, work: jobs.Work) -> Response:
    job_id = jobs.start(ctx.portal.config, ctx.portal.state, ctx.me.email, kind, title, work)
    if ctx.request.headers.get("hx-request") == "true":
        return ctx.page("job.html", job=jobs.shown(ctx.portal.state.job(job_id) or {}), partial=True)
    return ctx.go(f"/jobs/{job_id}")


# ---------------------------------------------------------------- researchers


def datasets_page(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = datasets.listing(ledger)
        detail = {r["name"]: datasets.find(ledger, r["name"]) or {} for r in rows}
    for r in rows:
        d = detail[r["name"]]
        r["description"], r["citation"] = d.get("description"), d.get("citation")
    return ctx.page("datasets.html", datasets=rows)


def request_form(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = datasets.listing(ledger)
        terms = _terms_of(ledger, ctx.me.entity)
    return ctx.page("request_form.html", datasets=rows, terms=terms, values={})


def _filters(form: dict[str, str]) -> Filters:
    from quota.times import parse_iso as parse

    def many(key: str) -> list[str]:
        return [v for v in re.split(r"[,\s]+", form.get(key, "")) if v]

    def time(key: str) -> datetime | None:
        text = form.get(key, "").strip()
        if not text:
            return None
        try:
            return parse(text if "T" in text else f"{text}T00:00:00Z")
        except ValueError:
            raise UsageError(
                f"{key}: {text[:40]!r} is not a date or time (2026-10-01 or 2026-10-01T12:00:00Z)"
            ) from None

    order = form.get("order", "oldest") or "oldest"
    limit_text = form.get("limit", "").strip()
    if limit_text and not limit_text.isdigit():
        raise UsageError(f"how many Post IDs: {limit_text[:20]!r} is not a whole number")
    seed = form.get("seed", "").strip() or None
    return Filters.make(
        start=time("from"), until=time("until"), langs=many("lang"), hashtags=many("hashtag"),
        keywords=[k.strip() for k in form.get("keyword", "").split(",") if k.strip()], authors=many("author"),
        order=order, limit=int(limit_text) if limit_text else None, seed=seed if order == "sample" else None,
    )  # fmt: skip


def _asked(ctx: Ctx) -> tuple[str, Filters, str, str | None]:
    person = ctx.me.person
    if person is None:
        raise UsageError("this account is not linked to a person: an admin links it")
    dataset = ctx.form.get("dataset", "").strip()
    if not dataset:
        raise UsageError("choose a dataset")
    ids = "post,user" if ctx.form.get("ids") == "post,user" else "post"
    return dataset, _filters(ctx.form), ids, ctx.form.get("exemption", "").strip() or None


def preview(ctx: Ctx) -> Response:
    dataset, filters, ids, exemption = _asked(ctx)
    person, config = ctx.me.person, ctx.portal.config
    assert person is not None

    def work(progress: jobs.JobProgress) -> jobs.Done:
        p = requests.preview(config.db, dataset, person, filters, ids, exemption, config.wait, progress)
        fits = "fits now" if p.fits else f"fits from {when(p.fits_from)}" if p.fits_from else "does not fit"
        return jobs.Done(f"{p.post_ids:,} Post IDs and {p.user_ids:,} User IDs; {fits} ({p.basis})", p.as_json())

    return _start(ctx, "preview", f"Preview of a request of {dataset}", work)


def submit(ctx: Ctx) -> Response:
    dataset, filters, ids, exemption = _asked(ctx)
    purpose = ctx.form.get("purpose", "")
    if not purpose.strip():
        raise UsageError("a request states its purpose: what the IDs are for")
    person, config, email = ctx.me.person, ctx.portal.config, ctx.me.email
    assert person is not None

    def work(progress: jobs.JobProgress) -> jobs.Done:
        done = requests.submit(config.db, dataset, person, filters, purpose, ids, exemption, email, config.wait,
                               progress)  # fmt: skip
        fits = "fits now" if done.fits else "does not fit now"
        return jobs.Done(
            f"Submitted request {done.request_id}: {done.post_ids:,} Post IDs, {done.user_ids:,} User IDs; {fits}",
            done.as_json() | {"link": f"/requests/{done.request_id}"},
        )

    return _start(ctx, "submit", f"Request of {dataset}", work)


def _visible(ctx: Ctx, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if ctx.me.role == RESEARCHER:
        return [r for r in rows if r["person"] == ctx.me.person]
    return rows


def requests_page(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = _visible(ctx, requests.listing(ledger))
    return ctx.page("requests.html", requests=list(reversed(rows)), title="Requests")


def request(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        try:
            row = requests.status(ledger, ctx.params["request_id"])
        except UsageError:
            raise _not_found("request") from None
        if not _visible(ctx, [row]):
            raise _not_found("request")
        published = {r["export_id"] for r in ledger.query("published_exports")}
        terms = _terms_of(ledger, row["entity"])
        row["entity_name"] = registry.entity_detail(ledger, row["entity"])["name"]
    downloads = [e for e in row["export_ids"] if e in published]
    return ctx.page("request.html", r=row, downloads=downloads, terms=terms)


def _terms_of(ledger: Any, entity: str | None) -> list[dict[str, Any]]:
    return registry.entity_detail(ledger, entity)["terms"] if entity else []


def terms_form(ctx: Ctx) -> Response:
    config = ctx.portal.config
    with ctx.portal.ledger() as ledger:
        terms = _terms_of(ledger, ctx.me.entity)
    doc = None
    if config.terms is not None:
        doc = {"name": config.terms.name, "sha256": registry.file_sha256(config.terms, "terms document")}
    return ctx.page("terms.html", terms=terms, doc=doc)


def terms(ctx: Ctx) -> Response:
    config = ctx.portal.config
    if config.terms is None:
        raise UsageError("the portal has no terms document to accept: its operator starts it with one")
    if ctx.form.get("accept") != "yes":
        raise UsageError("tick the box to accept X's terms for your entity")
    entity, person = ctx.me.entity, ctx.me.person
    if entity is None or person is None:
        raise UsageError("this account is not linked to a person of an entity")
    with ctx.portal.ledger(write=True) as ledger:
        registry.accept_terms(ledger, entity, person, ledger.now(), document=config.terms, method="web form")
    return ctx.go("/terms")


def terms_document(ctx: Ctx) -> Response:
    if ctx.portal.config.terms is None:
        raise _not_found("terms document")
    return FileResponse(ctx.portal.config.terms, filename=ctx.portal.config.terms.name,
                        content_disposition_type="attachment")  # fmt: skip


def download(ctx: Ctx) -> Response:
    """A delivery of one of the researcher's own requests, published, as a zip of its directory."""
    export_id = ctx.params["export_id"]
    with ctx.portal.ledger() as ledger:
        rows = ledger.query("request_delivery_place", [export_id])
    if not rows or rows[0]["person"] != ctx.me.person or not rows[0]["published"]:
        raise _not_found("delivery")
    root = ctx.portal.config.deliveries.resolve()
    place = Path(rows[0]["outdir"]).resolve()
    if not place.is_relative_to(root) or not place.is_dir():
        raise _not_found("delivery")
    fd, name = tempfile.mkstemp(prefix="quota-zip-", suffix=".zip", dir=ctx.portal.config.state_path.parent)
    os.close(fd)
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(place.rglob("*")):
            if f.is_file() and not f.is_symlink():
                z.write(f, f"{export_id}/{f.relative_to(place)}")

    from starlette.background import BackgroundTask

    return FileResponse(name, media_type="application/zip", filename=f"{export_id}.zip",
                        background=BackgroundTask(os.unlink, name))  # fmt: skip


# ---------------------------------------------------------------- compliance


def queue(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = requests.listing(ledger, ("submitted",))
        entities = {e["entity"]: e for e in registry.entities(ledger)}
    for r in rows:
        r["terms_accepted_at"] = entities[r["entity"]]["terms_accepted_at"]
        r["entity_name"] = entities[r["entity"]]["name"]
    return ctx.page("queue.html", requests=rows)


def _decide(ctx: Ctx, approve: bool) -> Response:
    request_id = ctx.params["request_id"]
    note = ctx.form.get("note") or ctx.form.get("reason")
    with ctx.portal.ledger(write=True) as ledger:
        requests.decide(ledger, request_id, approve, ctx.me.email, note)
    return ctx.go(f"/requests/{request_id}")


def approve(ctx: Ctx) -> Response:
    return _decide(ctx, True)


def reject(ctx: Ctx) -> Response:
    return _decide(ctx, False)


def usage_page(ctx: Ctx) -> Response:
    from quota.report.numbers import DEFAULT_SPAN, daily_series
    from quota.report.page import chart

    with ctx.portal.ledger() as ledger:
        now = ledger.now()
        rows = usage.usage(ledger, None, now, None)
        series = daily_series(ledger, now - DEFAULT_SPAN, now, registry.current_profile(ledger))
    for r in rows:
        holder = r["group"] or r["entity"]
        r["chart"] = chart(series.get(holder, []), now - DEFAULT_SPAN, now, r["cap"], holder)
    return ctx.page("usage.html", rows=rows, now=now)


def notices_page(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        now = ledger.now()
        found = notices.flat(notices.open_notices(ledger, now, everything=True))
    return ctx.page("notices.html", rows=found, now=now)


def who_received_form(ctx: Ctx) -> Response:
    return ctx.page("who_received.html", rows=None, ids="")


def who_received(ctx: Ctx) -> Response:
    text = ctx.form.get("ids", "")
    asked = []
    for token in re.split(r"[,\s]+", text):
        if not token:
            continue
        if (problem := id_problem(token)) is not None:
            raise UsageError(f"{token[:40]!r} is not an ID: {problem}")
        asked.append(int(token))
        if len(asked) > MAX_PASTED_IDS:
            raise UsageError(f"paste at most {MAX_PASTED_IDS:,} IDs at once (quota who-received takes a file)")
    if not asked:
        raise UsageError("paste at least one ID")
    kind = ctx.form.get("kind") or None
    with ctx.portal.ledger() as ledger:
        rows = received.who_received(ledger, asked, kind if kind in ("post", "user", "dm") else None)
    return ctx.page("who_received.html", rows=rows, ids=text, asked=len(asked))


def related(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = usage.related(ledger)
    return ctx.page("related.html", rows=rows)


def verify_page(ctx: Ctx) -> Response:
    return ctx.page("verify.html", runs=ctx.portal.state.jobs("verify", 10))


def verify(ctx: Ctx) -> Response:
    config = ctx.portal.config

    def work(progress: jobs.JobProgress) -> jobs.Done:
        from quota.store.session import Session

        with Session.open(config.db, wait=config.wait) as ledger:
            report = ledger.verify()
            checkpoint = ledger.checkpoint() if report.ok else None
            if checkpoint is not None and (kept := os.environ.get("QUOTA_CHECKPOINTS")):
                from quota.store.session import keep_verified

                keep_verified(Path(kept), ledger.ledger_id, checkpoint)  # what quota alerts and reports read
        message = f"ok: {report.events:,} events" if report.ok else f"FAILED: {report.problem}"
        return jobs.Done(message, {"ok": report.ok, "events": report.events, "checkpoint": checkpoint,
                                   "problem": report.problem})  # fmt: skip

    return _start(ctx, "verify", "Verify the ledger", work)


def report(ctx: Ctx) -> Response:
    config = ctx.portal.config
    files = config.state_path.parent / "files"

    def work(progress: jobs.JobProgress) -> jobs.Done:
        from quota import report as rep
        from quota.store.session import Session, read_verified

        files.mkdir(exist_ok=True, mode=0o700)
        name = f"report-{secrets.token_hex(8)}.html"
        with Session.open(config.db, wait=config.wait) as ledger:
            # From the checkpoint the last verify kept (here or at a shell), as `quota report
            # --checkpoints` does: the report says what it took as that verify found it.
            kept = os.environ.get("QUOTA_CHECKPOINTS")
            checkpoint = read_verified(Path(kept), ledger.ledger_id) if kept else None
            doc = rep.write(ledger, files / name, "html", None, None, checkpoint, checkpoint is not None)
        verified = "verified" if doc["ledger"]["verified"] else "NOT verified"
        return jobs.Done(f"The report is ready (ledger {verified})", {"file": name, "link": "file"})

    return _start(ctx, "report", "The compliance report", work)


# ---------------------------------------------------------------- the data team


def deliver_queue(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = requests.listing(ledger, ("approved", "partly-delivered"))
    return ctx.page("deliver.html", requests=rows, running=ctx.portal.state.jobs("deliver", 10))


def deliver(ctx: Ctx) -> Response:
    from quota.output import OutputOptions

    request_id = ctx.params["request_id"]
    config, fit = ctx.portal.config, ctx.form.get("fit") == "yes"
    with ctx.portal.ledger() as ledger:
        requests.status(ledger, request_id)  # an unknown request is said now, not in a job
    outdir = config.deliveries / request_id / f"{datetime.now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    contact = config.contact or os.environ.get("QUOTA_CONTACT")

    def work(progress: jobs.JobProgress) -> jobs.Done:
        outdir.parent.mkdir(parents=True, exist_ok=True)
        result, row = requests.deliver(
            config.db, request_id, outdir, out_opts=OutputOptions(), fit=fit, contact=contact, wait=config.wait,
            progress=progress,
        )  # fmt: skip
        return jobs.Done(
            f"Delivered export {result.export_id}: {result.post_ids:,} Post IDs to {result.entity}; "
            f"request {row['state']}, {row['left_post_ids']:,} Post IDs left",
            {"export_id": result.export_id, "link": f"/requests/{request_id}"},
        )

    return _start(ctx, "deliver", f"Delivery of {request_id}" + (" (what fits)" if fit else ""), work)


def exports(ctx: Ctx) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = usage.latest_exports(ledger, 100)
    return ctx.page("exports.html", rows=rows)


def recover(ctx: Ctx) -> Response:
    from quota import recovery

    with ctx.portal.ledger() as ledger:
        rows = recovery.unresolved(ledger)
    return ctx.page("recover.html", rows=rows)


# ---------------------------------------------------------------- accounts


def accounts_page(ctx: Ctx, link: dict[str, str] | None = None) -> Response:
    with ctx.portal.ledger() as ledger:
        rows = accounts.listing(ledger)
        persons = registry.persons(ledger)
    return ctx.page("accounts.html", rows=rows, persons=persons, roles=accounts.ROLES, link=link)


def _portal_link(ctx: Ctx, secret: str) -> str:
    return str(ctx.request.url_for("welcome_form", secret=secret))


def account_add(ctx: Ctx) -> Response:
    f = ctx.form
    with ctx.portal.ledger(write=True) as ledger:
        _, secret = accounts.add(ledger, f.get("email", ""), f.get("role", ""), f.get("person") or None,
                                 f.get("entity") or None)  # fmt: skip
    return accounts_page(ctx, {"email": f.get("email", "").strip().lower(), "url": _portal_link(ctx, secret)})


def account_role(ctx: Ctx) -> Response:
    with ctx.portal.ledger(write=True) as ledger:
        accounts.set_role(ledger, ctx.form.get("email", ""), ctx.form.get("role", ""), ctx.form.get("reason") or None)
    return ctx.go("/accounts")


def account_disable(ctx: Ctx) -> Response:
    email = ctx.form.get("email", "")
    with ctx.portal.ledger(write=True) as ledger:
        accounts.disable(ledger, email, ctx.form.get("reason") or None)
    ctx.portal.state.end_sessions_of(email.strip().lower())
    return ctx.go("/accounts")


def account_reset(ctx: Ctx) -> Response:
    email = ctx.form.get("email", "")
    with ctx.portal.ledger(write=True) as ledger:
        _, secret = accounts.reset(ledger, email)
    return accounts_page(ctx, {"email": email.strip().lower(), "url": _portal_link(ctx, secret)})


# The routes (quota.web.rules) whose natural name is a module of the library's.
HANDLERS = {"datasets": datasets_page, "requests": requests_page, "usage": usage_page, "notices": notices_page,
            "accounts": accounts_page}  # fmt: skip
