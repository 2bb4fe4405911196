"""Personal data encrypted at rest: AES-256-GCM with key rotation, plus keyed lookup hashes.

A ciphertext is stored as text ``"<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>"``. The key id
says which key sealed it, so old keys keep decrypting after a rotation; new data is always
sealed with the active key. Each ciphertext is bound to where it lives (associated data such as
``"applicant:<id>:phone"``): a ciphertext copied to another row or column fails to open.

Lookup hashes (HMAC-SHA256 with a separate key) let the service find a person by ID number or
phone, or check a deny list, without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from thinfile.errors import DecryptionError

if TYPE_CHECKING:
    from thinfile.settings import Settings

__all__ = ["DecryptionError", "PiiCipher", "pii_cipher"]

_NONCE_BYTES = 12


class PiiCipher:
    """Seal and open personal data; compute lookup hashes."""

    def __init__(self, keys: Mapping[str, bytes], *, active_key_id: str, lookup_key: bytes) -> None:
        if active_key_id not in keys:
            raise ValueError(f"active key {active_key_id!r} is not among the keys")
        self._aeads = {kid: AESGCM(key) for kid, key in keys.items()}
        self.active_key_id = active_key_id
        self._lookup_key = lookup_key

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        aead = self._aeads[self.active_key_id]
        sealed = aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self.active_key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, *, context: str) -> str:
        key_id, _, body = stored.partition(":")
        aead = self._aeads.get(key_id)
        if aead is None:
            raise DecryptionError(
                f"no key with id {key_id!r} is configured",
                remedy="add the retired key to THINFILE_PII_KEYS",
            )
        try:
            raw = base64.urlsafe_b64decode(body.encode())
            opened = aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError):
            raise DecryptionError("stored personal data failed its integrity check") from None
        return opened.decode()

    def needs_rotation(self, stored: str) -> bool:
        """True when ``stored`` was sealed with a key other than the active one."""
        return stored.partition(":")[0] != self.active_key_id

    def rotate(self, stored: str, *, context: str) -> str:
        """``stored`` re-sealed under the active key (unchanged if it already is)."""
        if not self.needs_rotation(stored):
            return stored
        return self.encrypt(self.decrypt(stored, context=context), context=context)

    def lookup_hash(self, kind: str, normalized_value: str) -> str:
        """HMAC-SHA256 of a normalized value, separated by ``kind`` (``id_number``, ``phone``)."""
        message = f"{kind}:{normalized_value}".encode()
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()


def pii_cipher(settings: Settings) -> PiiCipher:
    """The cipher configured by ``THINFILE_PII_KEYS``, ``_PII_ACTIVE_KEY_ID``, ``_LOOKUP_KEY``."""
    return PiiCipher(
        settings.pii_key_bytes(),
        active_key_id=settings.pii_active_key_id,
        lookup_key=settings.lookup_key.get_secret_value().encode(),
    )
