"""The sandbox payment gateway: a local HTTP service behaving like a payment provider.

``thinfile gateway serve --port N`` runs :func:`create_gateway_app`; the lender talks to it
through :class:`thinfile.adapters.sandbox_gateway_client.SandboxGatewayClient`. Its rules
(which cards verify, which debits fail and why) are in
:mod:`thinfile.adapters.sandbox_gateway.rules`; the misbehaviour of its notifications in
:mod:`thinfile.adapters.sandbox_gateway.notifier`.
"""

from thinfile.adapters.sandbox_gateway.app import GatewayConfig, create_gateway_app
from thinfile.adapters.sandbox_gateway.notifier import Delivery

__all__ = ["Delivery", "GatewayConfig", "create_gateway_app"]
