"""An operator's settings file (TOML): the alert thresholds' and the notifications'."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from quota.errors import UsageError


def read(path: Path, what: str) -> dict[str, Any]:
    """The tables of `path`; `what` names the file in a message ("the alert settings")."""
    try:
        return tomllib.loads(path.read_text())
    except OSError as e:
        raise UsageError(f"cannot read {what} {path} ({e.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{what} {path} are not TOML: {e}") from None
