"""An input: a path or stdin, maybe gzip-compressed, with its size and sha256."""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from quota.errors import BadInput

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20


@dataclass
class Source:
    name: str  # as the user gave it ("-" for stdin)
    path: Path  # a real file; stdin is spooled to a temporary file first
    size: int
    gzip: bool
    _spool: Path | None = None
    _sha: str | None = field(default=None, repr=False)

    @classmethod
    def open_path(cls, name: str) -> Source:
        if name == "-":
            return cls._from_stdin()
        path = Path(name)
        if not path.exists():
            raise BadInput(name, "no such file")
        if path.is_dir():
            raise BadInput(name, "is a directory, not a file")
        try:
            with open(path, "rb") as f:
                head = f.read(2)
        except OSError as e:
            raise BadInput(name, f"cannot be read ({e.strerror})") from e
        return cls(name=name, path=path, size=path.stat().st_size, gzip=head == GZIP_MAGIC)

    @classmethod
    def _from_stdin(cls) -> Source:
        # Detection peeks and a bad line means reading again, so stdin lands in a file first.
        fd, tmp = tempfile.mkstemp(prefix="quota-stdin-")
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            stream = sys.stdin.buffer
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        path = Path(tmp)
        with open(path, "rb") as f:
            head = f.read(2)
        return cls(name="-", path=path, size=size, gzip=head == GZIP_MAGIC, _spool=path, _sha=digest.hexdigest())

    def hash_now(self, stop: threading.Event | None = None) -> str | None:
        """The file's sha256; None if `stop` was set first (a failed run need not wait)."""
        if self._sha is None:
            digest = hashlib.sha256()
            buf = bytearray(_CHUNK)
            view = memoryview(buf)
            with open(self.path, "rb", buffering=0) as f:
                while n := f.readinto(buf):
                    if stop is not None and stop.is_set():
                        return None
                    digest.update(view[:n])
            self._sha = digest.hexdigest()
        return self._sha

    def open(self) -> IO[bytes]:
        """The decompressed bytes."""
        if self.gzip:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return open(self.path, "rb")

    def head(self, n: int = 1 << 16) -> bytes:
        try:
            with self.open() as f:
                return f.read(n)
        except (EOFError, OSError, zlib.error) as e:
            raise BadInput(self.name, f"the gzip data is damaged or truncated ({e})") from e

    def close(self) -> None:
        if self._spool is not None:
            self._spool.unlink(missing_ok=True)
            self._spool = None
