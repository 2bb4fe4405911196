"""The electronic signature a request carries when a borrower accepts an offer: the client's
address (as rate limits see it), the device (user agent) and the contract's language, with the
keys that seal the signed text and the lender named in it. The API and the pages build it the
same way, here."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from thinfile.documents import Language
from thinfile.http.principal import client_address
from thinfile.services.documents import MAX_DEVICE_CHARS, Signing

__all__ = ["signing_of"]


def _printable(text: str | None) -> str | None:
    if not text:
        return None
    return "".join(c if c.isprintable() else "?" for c in text)[:MAX_DEVICE_CHARS]


def signing_of(connection: HTTPConnection, *, language: Language) -> Signing:
    """How the borrower on ``connection`` signs a contract in ``language``."""
    context = connection.app.state.context
    return Signing(
        cipher=context.cipher,
        lender=context.settings.lender_name,
        language=language,
        ip=client_address(connection),
        device=_printable(connection.headers.get("user-agent")),
    )
