"""The servicing idempotency key of an API request.

Every servicing action over the API (payments, prepayments, draws, reversals, refunds,
charge-off, write-off, recoveries, fee waivers) runs its use case's in-unit form inside the
API's own unit of work (:meth:`thinfile.api.idempotency.IdempotentRequest.in_unit_of_work`):
the posting, the stored response and the audit row (appended last) commit or roll back
together. Close of business audits each date it closes in that date's own transaction
(``services.cob.run_cob(..., actor=...)``). What is left here is the key a posting is stored
under in ``servicing_transactions``, derived from the request's key.
"""

from __future__ import annotations

import hashlib

from thinfile.api.idempotency import IdempotentRequest

__all__ = ["posting_key"]


def posting_key(idem: IdempotentRequest) -> str:
    """The servicing idempotency key for an API request's key (unique per caller and route)."""
    return "api:" + hashlib.sha256(f"{idem.scope}\n{idem.key}".encode()).hexdigest()
