"""Long work of the portal (choosing from a dataset, a delivery, verify, the report) runs in a
thread of the server, as the signed-in account, with its progress kept in the portal's state
(so any server process shows it). A page starts a job and returns at once; the job's page
polls it. A job that dies with its server leaves what an interrupted CLI export leaves: an
open reservation or a pending publication, which `quota ledger recover` and the portal's
Recover page see; its row says "interrupted".
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quota.accounts import acting_as
from quota.errors import QuotaError
from quota.progress import ByteCount
from quota.recovery import process_alive
from quota.web.config import PortalConfig
from quota.web.state import PortalState


class JobProgress(ByteCount):
    """The Progress of quota.stripping, kept in the job's row every half second."""

    def __init__(self, state: PortalState, job_id: str) -> None:
        super().__init__()
        self.state, self.job_id = state, job_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def fraction(self) -> float:
        return min(self.where()[1], 0.99)  # done is the job's end, not its last byte

    def _run(self) -> None:
        shown = 0.0
        while not self._stop.wait(0.5):
            if (f := self.fraction()) > shown:
                shown = f
                self.state.progress(self.job_id, f)

    def close(self) -> None:
        self._stop.set()


@dataclass(frozen=True)
class Done:
    message: str
    result: dict[str, Any]


Work = Callable[[JobProgress], Done]


def start(config: PortalConfig, state: PortalState, email: str, kind: str, title: str, work: Work) -> str:
    """Run `work` in the background as `email`; returns the job's id."""
    job_id = secrets.token_urlsafe(12)
    state.add_job(job_id, kind, email, title, this_process(), config.clock())

    def run() -> None:
        progress = JobProgress(state, job_id)
        try:
            with acting_as(email):
                done = work(progress)
            state.finish(job_id, "done", done.message, done.result, config.clock())
        except QuotaError as e:
            state.finish(job_id, "failed", str(e), {"exit_code": e.exit_code}, config.clock())
        except Exception as e:  # a bug: said as one, never lost in a thread
            state.finish(job_id, "failed", f"unexpected error: {type(e).__name__}: {e}", None, config.clock())
        finally:
            progress.close()

    threading.Thread(target=run, name=f"quota-job-{job_id}", daemon=True).start()
    return job_id


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A job's row as a page shows it: a running job whose server process is gone is interrupted."""
    if row["state"] == "running" and not _running(str(row["process"])):
        return row | {"state": "interrupted", "message": "the server stopped while it ran: see Recover"}
    return row


def this_process() -> str:
    return _process(os.getpid())


def _process(pid: int) -> str:
    """A process as `pid:start`: its pid and when it started (Linux's /proc), so that a pid the
    system gave again to another process after a crash is not taken for the server."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"
    except (OSError, IndexError):
        return f"{pid}:"


def _running(process: str) -> bool:
    pid = int(process.split(":", 1)[0])
    return pid == os.getpid() or (process_alive(pid) and _process(pid) == process)
