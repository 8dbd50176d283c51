"""How far a long read has come: bytes done over all inputs, and inside an input DuckDB reads,
the query's own progress. The command line draws it (quota.cli.progress); the portal keeps it in
a job's row (quota.web.jobs). Implements quota.stripping.Progress."""

from __future__ import annotations

from typing import Any


class ByteCount:
    def __init__(self, total_bytes: int = 0) -> None:
        self.total = max(total_bytes, 1)
        self.done = 0
        self.current: tuple[str, int, Any] | None = None

    def begin(self, name: str, size: int, con: Any = None) -> None:
        self.current = (name, size, con)

    def end(self) -> None:
        if self.current:
            self.done += self.current[1]
        self.current = None

    def where(self) -> tuple[str, float]:
        """The input being read, and the share of all bytes done (0 to 1)."""
        cur = self.current
        within = 0.0
        name = ""
        if cur is not None:
            name, size, con = cur
            if con is not None:
                try:
                    pct = con.query_progress()
                except Exception:  # the query ended under us: the next begin() says where we are
                    pct = -1
                if pct and pct > 0:
                    within = size * min(pct, 100.0) / 100.0
        return name, min((self.done + within) / max(self.total, 1), 1.0)
