"""An input: a path or stdin, maybe gzip-compressed, with its size and sha256."""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import sys
import tempfile
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from quota.errors import BadInput

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
# One line of X data is one API page at most: a few MB. A longer "line" is a binary file, a
# device or a gzip bomb, and reading it whole would take all memory.
LINE_LIMIT = 64 << 20
# A whole-file document (a JSON array, an archive part) is read into memory at once.
DOC_LIMIT = 512 << 20


def mib(n: int) -> str:
    return f"{n >> 20} MiB"


def too_long(name: str, line: int, limit: int = LINE_LIMIT) -> BadInput:
    return BadInput(
        name, f"the line is longer than {mib(limit)}, so this is not X data (a binary or damaged file?)", line
    )


def bounded_lines(f: IO[bytes], name: str, limit: int = LINE_LIMIT) -> Iterator[bytes]:
    """The lines of `f` (with their line ends); BadInput at the first one longer than `limit`."""
    n = 0
    while raw := f.readline(limit + 1):
        n += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            raise too_long(name, n, limit)
        yield raw


def too_big(name: str) -> BadInput:
    return BadInput(
        name,
        f"is a JSON document larger than {mib(DOC_LIMIT)} once decompressed, the most quota reads as one document: "
        "write it as JSON lines (one response or object per line)",
    )


def read_bounded(f: IO[bytes], name: str, limit: int | None = None) -> bytes:
    """All of `f`, or BadInput when it holds more than `limit` bytes (DOC_LIMIT)."""
    limit = DOC_LIMIT if limit is None else limit
    data = f.read(limit + 1)
    if len(data) > limit:
        raise too_big(name) if limit == DOC_LIMIT else BadInput(name, f"is larger than {mib(limit)}")
    return data


def regular_file(path: Path, name: str) -> os.stat_result:
    """The stat of `path` when it is a regular file; BadInput for anything else that cannot be
    read twice or has no end (a directory, a device such as /dev/zero, a socket)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise BadInput(name, "no such file") from None
    except OSError as e:
        raise BadInput(name, f"cannot be read ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise BadInput(name, "is a directory, not a file")
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISFIFO(st.st_mode):
        raise BadInput(name, "is not a regular file (a device or socket): give a file, a pipe or - for standard input")
    return st


def document_file(path: Path, name: str) -> os.stat_result:
    """The stat of `path` when it is a regular file: a document (evidence, a letter, a job's
    JSON, a checkpoint, a notice) is hashed and read again, which a pipe or device cannot be;
    refused at once, never waited on."""
    st = regular_file(path, name)
    if not stat.S_ISREG(st.st_mode):
        raise BadInput(name, "is a pipe, not a file: give the document as a regular file")
    return st


@dataclass
class Source:
    name: str  # as the user gave it ("-" for stdin)
    path: Path  # a real file; stdin is spooled to a temporary file first
    size: int
    gzip: bool
    _spool: Path | None = None
    _sha: str | None = field(default=None, repr=False)

    @classmethod
    def open_path(cls, name: str, spool_dir: Path | None = None) -> Source:
        """A named input. A pipe (stdin, a FIFO) is copied to a file in `spool_dir` first:
        detection peeks and a bad line means reading again, which a pipe cannot do."""
        if name == "-":
            return cls._spooled("-", sys.stdin.buffer, spool_dir)
        path = Path(name)
        st = regular_file(path, name)
        try:
            if stat.S_ISFIFO(st.st_mode):
                with open(path, "rb") as pipe:
                    return cls._spooled(name, pipe, spool_dir)
            with open(path, "rb") as f:
                head = f.read(2)
        except OSError as e:
            raise BadInput(name, f"cannot be read ({e.strerror})") from e
        return cls(name=name, path=path, size=st.st_size, gzip=head == GZIP_MAGIC)

    @classmethod
    def _spooled(cls, name: str, stream: IO[bytes], spool_dir: Path | None) -> Source:
        fd, tmp = tempfile.mkstemp(prefix="stdin-" if name == "-" else "pipe-", dir=spool_dir)
        path = Path(tmp)
        digest = hashlib.sha256()
        size = 0
        since_newline = 0
        head = b""
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                    if len(head) < 2:  # a pipe may hand over the first bytes one at a time
                        head = (head + chunk)[:2]
                    # Plain text without a line end for longer than any document: an endless
                    # stream such as /dev/zero; stop before it fills the disk.
                    if head != GZIP_MAGIC:
                        cut = chunk.rfind(b"\n")
                        since_newline = len(chunk) - cut - 1 if cut >= 0 else since_newline + len(chunk)
                        if since_newline > DOC_LIMIT:
                            raise BadInput(name, f"has more than {mib(DOC_LIMIT)} without a line end: not X data")
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return cls(name=name, path=path, size=size, gzip=head == GZIP_MAGIC, _spool=path, _sha=digest.hexdigest())

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
