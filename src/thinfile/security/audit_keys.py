"""Keys that seal the audit log's rows (HMAC-SHA256), kept outside the database.

Anyone who can write the database can recompute an unkeyed hash chain after editing a row;
nobody without the key can recompute an HMAC. The audit keys are derived from the
personal-data keys the service already keeps (``THINFILE_PII_KEYS``), one per key id, so they
rotate with them: a row records the id of the key that sealed it, new rows are sealed with the
active key (``THINFILE_PII_ACTIVE_KEY_ID``), and a retired key stays configured for as long as
rows it sealed must be verified (as it does for the personal data it sealed).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from thinfile.settings import Settings

__all__ = ["AuditKeys", "audit_keys"]

_LABEL = b"thinfile audit chain v2"
"""Separates the audit key from the encryption key it is derived from."""


class AuditKeys:
    """The audit keys by key id, and which one seals new rows."""

    def __init__(self, keys: Mapping[str, bytes], *, active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError(f"active key {active_key_id!r} is not among the keys")
        self._keys = {
            kid: hmac.new(key, _LABEL, hashlib.sha256).digest() for kid, key in keys.items()
        }
        self.active_key_id = active_key_id

    def has(self, key_id: str) -> bool:
        return key_id in self._keys

    def seal(self, key_id: str, message: str) -> str:
        """HMAC-SHA256 of ``message`` under key ``key_id``, as hex (``KeyError`` if unknown)."""
        return hmac.new(self._keys[key_id], message.encode(), hashlib.sha256).hexdigest()


def audit_keys(settings: Settings) -> AuditKeys:
    """The audit keys derived from ``THINFILE_PII_KEYS`` (active: ``_PII_ACTIVE_KEY_ID``)."""
    return AuditKeys(settings.pii_key_bytes(), active_key_id=settings.pii_active_key_id)
