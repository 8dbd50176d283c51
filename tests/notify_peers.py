"""Real peers for the notification tests: an SMTP server (aiosmtpd, STARTTLS and AUTH, on a
loopback port) and an HTTP receiver of webhooks that can be told to fail, both recording
everything that arrives."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

USER, PASSWORD = "quota", "smtp secret 1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def certificate(tmp: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it as its CA file)."""
    cert, key = tmp / "smtp-cert.pem", tmp / "smtp-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK queued"

    def keys(self) -> list[str]:
        return [str(m["Idempotency-Key"]) for m in self.messages]


class SmtpServer:
    """aiosmtpd on 127.0.0.1, STARTTLS required before AUTH, one user."""

    def __init__(self, tmp: Path) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.cert, key = certificate(tmp)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.box = Mailbox()

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
            if ok:
                self.box.logins.append(USER)
            return AuthResult(success=ok)

        self.port = free_port()
        self.controller = Controller(
            self.box, hostname="127.0.0.1", port=self.port, tls_context=context, require_starttls=True,
            authenticator=authenticate, auth_require_tls=True, auth_required=True,
        )  # fmt: skip

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        return {
            "QUOTA_SMTP_HOST": "127.0.0.1", "QUOTA_SMTP_PORT": str(self.port), "QUOTA_SMTP_USER": USER,
            "QUOTA_SMTP_PASSWORD": PASSWORD, "QUOTA_SMTP_CAFILE": str(self.cert),
            "QUOTA_MAIL_FROM": "quota@data-team.example",
        }  # fmt: skip


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


class Receiver:
    """An HTTP server of webhooks: each request recorded; the first `fail` answered 500."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.received: list[Received] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers["Content-Length"])
                body = self.rfile.read(size)
                if len(body) < size:  # the sender died mid-request: nothing was received
                    return
                with lock:
                    status = 500 if outer.fail > 0 else 200
                    outer.fail -= 1
                    outer.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, status))
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok" if status == 200 else b"try later")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died after its last byte: it was received all the same

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]
