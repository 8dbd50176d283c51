"""What the portal keeps outside the ledger: password hashes, sessions, sign-in failures and
background jobs, in one SQLite file of its own (in the deliveries directory, owner-only).

None of it is a fact about data handed out: the ledger records who has an account, in which
role, that a one-time link was used, and every act. Losing this file signs everyone out and
asks them for a new link (`quota account reset`); it never changes what the ledger says.
SQLite serialises the writes of several server processes on one machine.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from quota.jsontext import plain

_SCHEMA = """
CREATE TABLE IF NOT EXISTS passwords (email TEXT PRIMARY KEY, hash TEXT NOT NULL, set_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY, email TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at REAL NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, email TEXT NOT NULL, title TEXT NOT NULL,
    state TEXT NOT NULL, done REAL NOT NULL, message TEXT, result TEXT, process TEXT NOT NULL,
    started_at REAL NOT NULL, ended_at REAL
);
"""


class PortalState:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._db() as db:
            db.executescript(_SCHEMA)
        os.chmod(path, 0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # One connection per use: the server's threads and processes never share one.
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=10000")
            db.row_factory = sqlite3.Row
            yield db
        finally:
            db.close()

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self._db() as db:
            return [dict(r) for r in db.execute(sql, params).fetchall()]

    def _do(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._db() as db:
            db.execute(sql, params)

    # ------------------------------------------------------------ passwords

    def password_hash(self, email: str) -> str | None:
        rows = self._rows("SELECT hash FROM passwords WHERE email = ?", (email,))
        return str(rows[0]["hash"]) if rows else None

    def set_password(self, email: str, digest: str, now: float) -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT OR REPLACE INTO passwords VALUES (?, ?, ?)", (email, digest, now))
            db.execute("DELETE FROM sessions WHERE email = ?", (email,))  # a new password ends every session
            db.execute("COMMIT")

    # ------------------------------------------------------------ sessions

    def add_session(self, token_sha256: str, email: str, csrf: str, now: float, expires: float) -> None:
        self._do("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", (token_sha256, email, csrf, now, expires))

    def session(self, token_sha256: str, now: float) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM sessions WHERE token_sha256 = ? AND expires_at > ?", (token_sha256, now))
        return rows[0] if rows else None

    def end_session(self, token_sha256: str) -> None:
        self._do("DELETE FROM sessions WHERE token_sha256 = ?", (token_sha256,))

    def end_sessions_of(self, email: str) -> None:
        self._do("DELETE FROM sessions WHERE email = ?", (email,))

    # ------------------------------------------------------------ sign-in failures

    def failures(self, keys: list[str], since: float) -> dict[str, int]:
        out = dict.fromkeys(keys, 0)
        for key in keys:
            out[key] = int(
                self._rows("SELECT count(*) AS n FROM failures WHERE key = ? AND at > ?", (key, since))[0]["n"]
            )
        return out

    def fail(self, keys: list[str], now: float, forget_before: float) -> None:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM failures WHERE at <= ?", (forget_before,))
            db.executemany("INSERT INTO failures VALUES (?, ?)", [(k, now) for k in keys])
            db.execute("COMMIT")

    # ------------------------------------------------------------ jobs

    def add_job(self, job_id: str, kind: str, email: str, title: str, process: str, now: float) -> None:
        """`process`: which server process runs it (quota.web.jobs.this_process)."""
        self._do(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, 'running', 0, NULL, NULL, ?, ?, NULL)",
            (job_id, kind, email, title, process, now),
        )

    def progress(self, job_id: str, done: float, message: str | None = None) -> None:
        self._do("UPDATE jobs SET done = ?, message = coalesce(?, message) WHERE id = ? AND state = 'running'",
                 (done, message, job_id))  # fmt: skip

    def finish(self, job_id: str, state: str, message: str, result: dict[str, Any] | None, now: float) -> None:
        self._do(
            "UPDATE jobs SET state = ?, done = 1, message = ?, result = ?, ended_at = ? WHERE id = ?",
            (state, message, json.dumps(plain(result)) if result is not None else None, now, job_id),
        )

    def job(self, job_id: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if not rows:
            return None
        row = rows[0]
        row["result"] = json.loads(row["result"]) if row["result"] else None
        return row

    def jobs(self, kind: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        rows = self._rows(f"SELECT * FROM jobs {where} ORDER BY started_at DESC LIMIT {int(limit)}", params)
        for row in rows:
            row["result"] = json.loads(row["result"]) if row["result"] else None
        return rows
