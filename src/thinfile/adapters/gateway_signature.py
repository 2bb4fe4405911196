"""The signature on gateway requests and notifications: HMAC-SHA256 over timestamp and body.

Header (on every request to the gateway and every notification from it)::

    Thinfile-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256(key, "<t>." + body)>

The key is the shared gateway key (``THINFILE_PAYMENT_GATEWAY_KEY``). The functions live in
:mod:`thinfile.security.signatures`, shared with the webhooks thinfile sends to merchants;
this module names them for the gateway's adapters.
"""

from __future__ import annotations

from thinfile.security.signatures import SIGNATURE_HEADER, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "sign", "verify_signature"]
