"""The web portal (`quota serve`): a thin layer over the library, with accounts and roles."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from quota.web.config import PortalConfig

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["PortalConfig", "app_from_environment", "create_app"]


def create_app(config: PortalConfig) -> Starlette:
    from quota.web.app import create_app as make

    return make(config)


def app_from_environment() -> Starlette:
    """The app of `quota serve`, in each server process (uvicorn's workers start afresh)."""
    values = json.loads(os.environ["QUOTA_SERVE_CONFIG"])
    for key in ("deliveries", "terms"):
        if values.get(key) is not None:
            values[key] = Path(values[key])
    if not (isinstance(values["db"], str) and "://" in values["db"]) and values["db"] is not None:
        values["db"] = Path(values["db"])
    values["trusted_proxies"] = tuple(values["trusted_proxies"])
    return create_app(PortalConfig(**values))
