"""What the pages need beyond the shared :class:`~thinfile.http.AppContext`.

Built once by :func:`thinfile.web.install_web` and kept at ``app.state.web``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from starlette.requests import HTTPConnection

from thinfile.services.policies import ModelLoader
from thinfile.web.security import CookiePolicy, ReadingReceipts

__all__ = ["WebConfig", "get_web"]


SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True, slots=True)
class WebConfig:
    cookies: CookiePolicy
    csrf_key: bytes
    receipts: ReadingReceipts
    load_model: ModelLoader
    display_zone: ZoneInfo = SHANGHAI
    """The zone pages show times in (``Settings.display_timezone``)."""


def derive_key(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(f"thinfile.web.{purpose}\x00{secret}".encode()).digest()


def get_web(connection: HTTPConnection) -> WebConfig:
    config: WebConfig = connection.app.state.web
    return config
