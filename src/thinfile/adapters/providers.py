"""The adapters the settings choose (``THINFILE_SMS_PROVIDER``, ``THINFILE_REAL_NAME_PROVIDER``,
``THINFILE_PAYMENT_GATEWAY_PROVIDER``)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from thinfile.adapters.message_centre import StoredMessageCentre
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.adapters.sandbox_notice_sms import SandboxNoticeSms
from thinfile.adapters.sandbox_real_name import SandboxRealNameVerifier
from thinfile.adapters.sandbox_sms import SandboxSmsSender
from thinfile.adapters.smtp_email import SmtpEmailSender
from thinfile.security.crypto import PiiCipher
from thinfile.services.notification_delivery import Channels
from thinfile.services.ports import PaymentGateway, RealNameVerifier, SmsSender
from thinfile.settings import Settings

__all__ = [
    "email_sender",
    "notification_channels",
    "payment_gateway",
    "real_name_verifier",
    "sms_sender",
]


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


def email_sender(settings: Settings) -> SmtpEmailSender:
    """E-mail over SMTP to ``settings.smtp_host``:``smtp_port``."""
    return SmtpEmailSender(
        settings.smtp_host,
        settings.smtp_port,
        sender=settings.mail_from,
        timeout=settings.smtp_timeout_seconds,
    )


def notification_channels(settings: Settings, engine: Engine, cipher: PiiCipher) -> Channels:
    """The channels of borrower notifications: the stored message centre, e-mail over SMTP
    and the SMS provider of ``settings.notice_sms_provider`` (only ``sandbox`` so far)."""
    assert settings.notice_sms_provider == "sandbox"
    return Channels(
        centre=StoredMessageCentre(),
        email=email_sender(settings),
        sms=SandboxNoticeSms(engine, cipher),
        sender_name=settings.lender_name,
    )
