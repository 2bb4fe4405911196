"""The servicing idempotency key of an API request.

Every servicing action over the API (payments, prepayments, draws, reversals, refunds,
charge-off, write-off, recoveries, fee waivers) runs its use case's in-unit form inside the
API's own unit of work (:meth:`thinfile.api.idempotency.IdempotentRequest.in_unit_of_work`):
the posting, the stored response and the audit row (appended last) commit or roll back
together. Close of business audits each date it closes in that date's own transaction
(``services.cob.run_cob(..., actor=...)``). Here: :func:`posted`, which runs a posting that
answers with a receipt that way, and :func:`posting_key`, the key a posting is stored under in
``servicing_transactions``, derived from the request's key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

from starlette.responses import Response

from thinfile.api.idempotency import Done, IdempotentRequest
from thinfile.api.mappers import receipt_public
from thinfile.services.business_date import business_date_in
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import Receipt, receipt_audit
from thinfile.services.uow import UnitOfWork

__all__ = ["Post", "posted", "posting_key"]

Post = Callable[[UnitOfWork, date], Receipt]
"""A posting's in-unit use case on the current business date."""


def posted(idem: IdempotentRequest, actor: Actor, post: Post) -> Response:
    """Run ``post`` on the current business date in one unit of work with the key, the
    stored response (the receipt) and the audit row (appended last): 201 Created."""
    def work(uow: UnitOfWork) -> Done:
        receipt = post(uow, business_date_in(uow.conn))
        return receipt_public(receipt), receipt_audit(actor.label, receipt)

    return idem.in_unit_of_work(work, status_code=201)


def posting_key(idem: IdempotentRequest) -> str:
    """The servicing idempotency key for an API request's key (unique per caller and route)."""
    return "api:" + hashlib.sha256(f"{idem.scope}\n{idem.key}".encode()).hexdigest()
