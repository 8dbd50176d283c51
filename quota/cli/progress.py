"""A byte-based progress bar on stderr, only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from quota.progress import ByteCount


class ByteProgress(ByteCount):
    """Shows bytes done over all inputs; inside an input read by DuckDB it asks the query."""

    def __init__(self, total_bytes: int, stream: TextIO | None = None, drawing: bool = True) -> None:
        super().__init__(total_bytes)
        self.stream = stream or sys.stderr
        self.shown = 0.0  # what the bar last showed: it never goes back
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if drawing:
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.draw()

    def draw(self) -> None:
        """One frame of the bar."""
        name, frac = self.where()
        # One input's queries each report from 0 %, and an input's share is its bytes:
        # the bar shows the most done so far.
        frac = self.shown = max(self.shown, frac)
        filled = int(frac * 30)
        mb = self.total * frac / 1e6
        self.stream.write(
            f"\r[{'#' * filled}{' ' * (30 - filled)}] {frac:5.1%} {mb:,.0f}/{self.total / 1e6:,.0f} MB {name[-30:]:30}"
        )
        self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.stream.write("\r" + " " * 100 + "\r")
        self.stream.flush()
