"""The adapters the settings choose (``THINFILE_SMS_PROVIDER``, ``THINFILE_REAL_NAME_PROVIDER``)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from thinfile.adapters.sandbox_real_name import SandboxRealNameVerifier
from thinfile.adapters.sandbox_sms import SandboxSmsSender
from thinfile.security.crypto import PiiCipher
from thinfile.services.ports import RealNameVerifier, SmsSender
from thinfile.settings import Settings

__all__ = ["real_name_verifier", "sms_sender"]


def sms_sender(settings: Settings, engine: Engine, cipher: PiiCipher) -> SmsSender:
    """The SMS adapter of ``settings.sms_provider`` (only ``sandbox`` so far)."""
    assert settings.sms_provider == "sandbox"
    return SandboxSmsSender(engine, cipher)


def real_name_verifier(settings: Settings) -> RealNameVerifier:
    """The identity provider of ``settings.real_name_provider`` (only ``sandbox`` so far)."""
    assert settings.real_name_provider == "sandbox"
    return SandboxRealNameVerifier()
