"""How messages leave: e-mail over SMTP (STARTTLS, authentication) or into a directory of .eml
files, and webhooks (an HTTPS POST of JSON signed with HMAC-SHA256). Settings come from a TOML
file ($QUOTA_NOTIFY_CONFIG) and environment variables, never from the command line, so that no
password shows in a process list or a shell history.

Each transport sends in two steps around `mark`, a callback that records the attempt in the
ledger: everything but the message's last bytes, then `mark()`, then the last bytes, then the
function `mark` returned (which lets go of the ledger: between the mark's commit and the last
bytes nothing else happens). A crash before `mark` returns cannot have delivered the message (the
receiver waits for its end); a crash after it may have. So an attempt recorded without a result
was delivered at most once.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import smtplib
import ssl
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from quota import settingsfile
from quota.errors import UsageError

Mark = Callable[[], Callable[[], None]]
TIMEOUT = 30.0
SIGNATURE_HEADER = "X-Quota-Signature"
KEY_HEADER = "Idempotency-Key"


class SendError(Exception):
    """The receiver refused or could not be reached: the message is tried again later."""


@dataclass(frozen=True)
class Mail:
    sender: str
    host: str | None = None
    port: int = 587
    starttls: bool = True
    smtps: bool = False  # SMTPS (port 465) instead of STARTTLS
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    directory: Path | None = None  # instead of SMTP: each message a file NAME.eml
    cafile: Path | None = None  # the authorities that vouch for the server's certificate (else the system's)

    def tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)


@dataclass(frozen=True)
class Webhook:
    url: str
    secret: str = field(repr=False)
    topics: frozenset[str] | None = None  # None: every topic

    def wants(self, topic: str) -> bool:
        return self.topics is None or topic in self.topics


@dataclass(frozen=True)
class Settings:
    mail: Mail | None
    webhooks: tuple[Webhook, ...]
    checkpoint_to: tuple[str, ...]  # addresses the daily checkpoint is mailed to
    portal_url: str

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """$QUOTA_NOTIFY_CONFIG's file (or `path`), then the environment: QUOTA_SMTP_HOST,
        QUOTA_SMTP_PORT, QUOTA_SMTP_USER, QUOTA_SMTP_PASSWORD, QUOTA_SMTP_STARTTLS (1/0),
        QUOTA_SMTP_CAFILE, QUOTA_MAIL_FROM, QUOTA_MAIL_DIR, QUOTA_PORTAL_URL."""
        env = os.environ
        doc: dict[str, Any] = {}
        path = path or (Path(p) if (p := env.get("QUOTA_NOTIFY_CONFIG")) else None)
        if path is not None:
            doc = settingsfile.read(path, "the notification settings")
        m = dict(doc.get("mail", {}))

        def secret(table: dict[str, Any], key: str, env_name: str | None = None) -> str | None:
            if (name := table.get(f"{key}_env")) is not None:
                return env.get(str(name))
            return env.get(env_name) if env_name and env.get(env_name) else table.get(key)

        host = env.get("QUOTA_SMTP_HOST") or m.get("host")
        directory = env.get("QUOTA_MAIL_DIR") or m.get("directory")
        sender = env.get("QUOTA_MAIL_FROM") or m.get("from")
        mail = None
        if host or directory:
            if not sender:
                raise UsageError("mail needs a sender: from in [mail] of the settings, or QUOTA_MAIL_FROM")
            try:
                port = int(env.get("QUOTA_SMTP_PORT") or m.get("port") or 587)
            except ValueError:
                raise UsageError("the SMTP port is a number") from None
            starttls = env.get("QUOTA_SMTP_STARTTLS", str(m.get("starttls", True))).lower() not in ("0", "false", "no")
            mail = Mail(
                sender=str(sender), host=host, port=port, starttls=starttls, smtps=bool(m.get("smtps", False)),
                username=env.get("QUOTA_SMTP_USER") or m.get("username"),
                password=secret(m, "password", "QUOTA_SMTP_PASSWORD"),
                directory=Path(directory) if directory and not host else None,
                cafile=Path(c) if (c := env.get("QUOTA_SMTP_CAFILE") or m.get("cafile")) else None,
            )  # fmt: skip
        hooks = []
        for w in doc.get("webhook", []):
            url = str(w.get("url", ""))
            check_url(url)
            key = secret(w, "secret")
            if not key:
                raise UsageError(f"the webhook {url} has no secret (secret_env names the variable that holds it)")
            topics = w.get("topics")
            hooks.append(Webhook(url, key, frozenset(topics) if topics else None))
        checkpoint = tuple(str(a) for a in doc.get("checkpoint", {}).get("to", []))
        portal = env.get("QUOTA_PORTAL_URL") or doc.get("portal", {}).get("url") or "http://127.0.0.1:8000"
        return cls(mail, tuple(hooks), checkpoint, str(portal).rstrip("/"))


def check_url(url: str) -> None:
    """HTTPS, or plain HTTP to this machine only (a receiver beside quota, and the tests')."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return
        except ValueError:
            if parts.hostname == "localhost":
                return
    raise UsageError(f"a webhook is an https:// URL (http:// only to this machine), not {url[:80]!r}")


def signature(secret: str, body: bytes) -> str:
    """The value of X-Quota-Signature: `sha256=` and the HMAC-SHA256 of the body in hex."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- e-mail


def email(mail: Mail, message_id: str, to: str, subject: str, text: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = mail.sender, to, subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=message_id, domain="quota.invalid")
    msg[KEY_HEADER] = message_id
    msg.set_content(text, cte="8bit" if max(map(len, text.splitlines()), default=0) < 990 else "quoted-printable")
    return msg


def send_mail(mail: Mail, msg: EmailMessage, mark: Mark) -> str:
    """Deliver `msg`; returns the server's answer."""
    if mail.directory is not None:
        return _to_directory(mail.directory, msg, mark)
    assert mail.host is not None
    data = msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    # Dot-stuffing (RFC 5321 4.5.2), then everything but the terminating line before the mark.
    data = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in data.split(b"\r\n"))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    try:
        server: smtplib.SMTP
        if mail.smtps:
            server = smtplib.SMTP_SSL(mail.host, mail.port, timeout=TIMEOUT, context=mail.tls())
        else:
            server = smtplib.SMTP(mail.host, mail.port, timeout=TIMEOUT)
        with server:
            server.ehlo()
            if mail.starttls and not mail.smtps:
                server.starttls(context=mail.tls())
                server.ehlo()
            if mail.username:
                server.login(mail.username, mail.password or "")
            code, answer = server.mail(mail.sender)
            if code != 250:
                raise SendError(f"the mail server refused the sender: {code} {answer.decode(errors='replace')}")
            code, answer = server.rcpt(str(msg["To"]))
            if code not in (250, 251):
                raise SendError(f"the mail server refused {msg['To']}: {code} {answer.decode(errors='replace')}")
            code, answer = server.docmd("DATA")
            if code != 354:
                raise SendError(f"the mail server refused the message: {code} {answer.decode(errors='replace')}")
            server.send(data)
            marked = mark()
            try:
                server.send(b".\r\n")
            finally:
                marked()
            code, answer = server.getreply()
            if code != 250:
                raise SendError(f"the mail server refused the message: {code} {answer.decode(errors='replace')}")
            return f"{code} {answer.decode(errors='replace')}"[:300]
    except (OSError, smtplib.SMTPException) as e:
        raise SendError(f"mail to {msg['To']} via {mail.host}:{mail.port} failed: {e}") from None


def _to_directory(directory: Path, msg: EmailMessage, mark: Mark) -> str:
    """A message as a file: written under a temporary name, then renamed into place (the rename is
    its last step, after the mark)."""
    key = str(msg[KEY_HEADER])
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{key}.tmp"
        tmp.write_bytes(msg.as_bytes())
        marked = mark()
        try:
            os.replace(tmp, directory / f"{key}.eml")
        finally:
            marked()
    except OSError as e:
        raise SendError(f"cannot write the message into {directory} ({e.strerror})") from None
    return f"written to {directory / f'{key}.eml'}"


# ---------------------------------------------------------------- webhooks


def send_webhook(hook: Webhook, message_id: str, topic: str, payload: dict[str, Any], mark: Mark) -> str:
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    parts = urllib.parse.urlsplit(hook.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=TIMEOUT,
                                           context=ssl.create_default_context())  # fmt: skip
    else:
        conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=TIMEOUT)
    try:
        conn.putrequest("POST", path)
        for name, value in (
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))), (KEY_HEADER, message_id),
            ("X-Quota-Topic", topic), (SIGNATURE_HEADER, signature(hook.secret, body)),
            ("User-Agent", "quota-notify"),
        ):  # fmt: skip
            conn.putheader(name, value)
        conn.endheaders()
        conn.send(body[:-1])
        marked = mark()
        try:
            conn.send(body[-1:])
        finally:
            marked()
        response = conn.getresponse()
        answer = response.read(2000).decode(errors="replace")
        if not 200 <= response.status < 300:
            raise SendError(f"the webhook {hook.url} answered {response.status}: {answer[:200]}")
        return f"{response.status} {answer[:200]}"
    except (OSError, http.client.HTTPException) as e:
        raise SendError(f"the webhook {hook.url} could not be reached: {e}") from None
    finally:
        conn.close()
