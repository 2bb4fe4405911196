"""The outside providers the use cases need, as small protocols (ports).

Adapters live in :mod:`thinfile.adapters` and are chosen by settings
(``THINFILE_SMS_PROVIDER``, ``THINFILE_REAL_NAME_PROVIDER``, ``THINFILE_PAYMENT_GATEWAY_PROVIDER``);
the sandboxes are real adapters with fixed rules, not mocks. Every adapter passes the same
contract tests (``tests/integration/test_provider_ports.py``,
``tests/integration/test_gateway_contract.py``). The payment gateway's types live in
:mod:`thinfile.services.gateway_port`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from thinfile.services.gateway_port import PaymentGateway

__all__ = ["PaymentGateway", "RealNameAnswer", "RealNameVerifier", "SmsSender", "SmsTemplate"]


class SmsTemplate(StrEnum):
    """The messages the lender sends; a provider holds each template's approved text."""

    SIGN_IN_CODE = "sign_in_code"
    """``code`` and ``minutes``: a one-time sign-in code (短信验证码)."""


class SmsSender(Protocol):
    """Sends one SMS to a mainland mobile number (11 digits, normalized)."""

    provider: str

    def send(self, phone: str, template: SmsTemplate, params: Mapping[str, str]) -> str:
        """Hand the message to the provider; its delivery id."""
        ...


@dataclass(frozen=True, slots=True)
class RealNameAnswer:
    """A provider's answer: do the name and the ID number belong together (实名认证)."""

    is_match: bool
    reference: str
    """The provider's id of this check, kept with the verification and in the audit log."""


class RealNameVerifier(Protocol):
    """Checks a name against a resident ID number with an identity provider."""

    provider: str

    def verify(self, name: str, id_number: str) -> RealNameAnswer: ...
