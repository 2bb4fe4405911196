"""What the pages need beyond the shared :class:`~thinfile.http.AppContext`.

Built once by :func:`thinfile.web.install_web` and kept at ``app.state.web``.
"""

from __future__ import annotations

import hashlib
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from starlette.requests import HTTPConnection

from thinfile.decisioning import Scorer
from thinfile.errors import NotFoundError
from thinfile.services.policies import ModelLoader
from thinfile.web.security import CookiePolicy, ReadingReceipts

__all__ = ["WebConfig", "default_model_loader", "get_web"]


SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class WebConfig:
    cookies: CookiePolicy
    csrf_key: bytes
    receipts: ReadingReceipts
    load_model: ModelLoader
    display_zone: ZoneInfo = SHANGHAI
    """The zone pages show times in (``Settings.display_timezone``)."""


def default_model_loader(path: Path) -> Scorer:
    """Load a scoring model artifact with :mod:`thinfile.scoring` (imported on first use)."""
    try:
        scoring = importlib.import_module("thinfile.scoring")
    except ImportError:  # pragma: no cover - scoring ships with thinfile
        raise NotFoundError(
            "no scoring package is installed to load the active model", field="model"
        ) from None
    return cast(Scorer, scoring.load_model(path))


def derive_key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"thinfile.web.{purpose}\x00{secret}".encode()).digest()


def get_web(connection: HTTPConnection) -> WebConfig:
    config: WebConfig = connection.app.state.web
    return config
