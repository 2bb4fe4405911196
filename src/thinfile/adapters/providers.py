"""The adapters the settings choose (``THINFILE_SMS_PROVIDER``, ``THINFILE_REAL_NAME_PROVIDER``,
``THINFILE_PAYMENT_GATEWAY_PROVIDER``)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.adapters.sandbox_real_name import SandboxRealNameVerifier
from thinfile.adapters.sandbox_sms import SandboxSmsSender
from thinfile.security.crypto import PiiCipher
from thinfile.services.ports import PaymentGateway, RealNameVerifier, SmsSender
from thinfile.settings import Settings

__all__ = ["payment_gateway", "real_name_verifier", "sms_sender"]


def sms_sender(settings: Settings, engine: Engine, cipher: PiiCipher) -> SmsSender:
    """The SMS adapter of ``settings.sms_provider`` (only ``sandbox`` so far)."""
    assert settings.sms_provider == "sandbox"
    return SandboxSmsSender(engine, cipher)


def real_name_verifier(settings: Settings) -> RealNameVerifier:
    """The identity provider of ``settings.real_name_provider`` (only ``sandbox`` so far)."""
    assert settings.real_name_provider == "sandbox"
    return SandboxRealNameVerifier()


def payment_gateway(settings: Settings) -> PaymentGateway:
    """The payment gateway of ``settings.payment_gateway_provider`` (only ``sandbox`` so far)."""
    assert settings.payment_gateway_provider == "sandbox"
    return SandboxGatewayClient(
        settings.payment_gateway_url,
        settings.payment_gateway_key.get_secret_value().encode(),
        tolerance_seconds=settings.payment_notification_tolerance_seconds,
    )
