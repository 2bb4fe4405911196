"""The servicing idempotency key of an API request.

Every servicing action over the API (payments, prepayments, draws, reversals, refunds,
charge-off, write-off, recoveries, fee waivers) runs its use case's in-unit form inside the
unit of work the service opens for the request's key
(:func:`thinfile.services.idempotency.run_once`): the posting, the stored response and the
audit row (appended last) commit or roll back together. Close of business audits each date it
closes in that date's own transaction (``services.cob.run_cob(..., actor=...)``). Here:
:func:`posted`, which runs a posting that answers with a receipt that way, and
:func:`posting_key`, the key a posting is stored under in ``servicing_transactions``, derived
from the request's key.
"""

from __future__ import annotations

import hashlib

from starlette.responses import Response

from thinfile.api.idempotency import IdempotentRequest
from thinfile.api.mappers import receipt_public
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import Post, post_today

__all__ = ["Post", "posted", "posting_key"]


def posted(idem: IdempotentRequest, actor: Actor, post: Post) -> Response:
    """Run ``post`` on the current business date in one unit of work with the key, the
    stored response (the receipt) and the audit row (appended last): 201 Created."""
    return idem.once(
        lambda uow: post_today(uow, actor.label, post), render=receipt_public, status_code=201
    )


def posting_key(idem: IdempotentRequest) -> str:
    """The servicing idempotency key for an API request's key (unique per caller and route)."""
    return "api:" + hashlib.sha256(f"{idem.scope}\n{idem.key}".encode()).hexdigest()
