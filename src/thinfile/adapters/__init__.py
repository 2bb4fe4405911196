"""Adapters of the outside providers the services' ports describe (:mod:`thinfile.services.ports`).

Settings choose them (:func:`sms_sender`, :func:`real_name_verifier`, :func:`payment_gateway`);
the sandboxes are real adapters with documented, deterministic rules, used by the demo and the
tests. See ``docs.md``.
"""

from thinfile.adapters.providers import payment_gateway, real_name_verifier, sms_sender
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.adapters.sandbox_real_name import MISMATCH_MARKERS, SandboxRealNameVerifier
from thinfile.adapters.sandbox_sms import SandboxMessage, SandboxSmsSender

__all__ = [
    "MISMATCH_MARKERS",
    "SandboxGatewayClient",
    "SandboxMessage",
    "SandboxRealNameVerifier",
    "SandboxSmsSender",
    "payment_gateway",
    "real_name_verifier",
    "sms_sender",
]
