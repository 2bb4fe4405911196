"""Rate-limit dependencies over the shared limits (:mod:`thinfile.http.limits`).

* ``sign_up``: per client address (sign-up and applicant registration).
* ``applications``: per account and per applicant, with a generous per-address ceiling. An
  applicant's application routes take their caller as ``ApplyingOwner`` (it checks that the
  caller owns the applicant first, then counts the call).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from thinfile.api.deps import admits_as, authenticating, require_owner_or_role
from thinfile.http import get_context
from thinfile.http import limit_applications as _limit_applications
from thinfile.http import limit_sign_up as _limit_sign_up
from thinfile.services.identity_records import Actor

__all__ = [
    "ApplyingOwner",
    "LimitApplications",
    "LimitSignUp",
    "limit_applications",
    "limit_sign_up",
]


async def limit_sign_up(request: Request) -> None:
    _limit_sign_up(get_context(request), request)


_OWNER = require_owner_or_role()


@authenticating
async def limit_applications(request: Request) -> Actor:
    """The owner of the path's applicant, within the applications' rate limits: one
    dependency for both (FastAPI solves each dependency of each request anew)."""
    principal = await _OWNER(request)  # a stranger's calls never spend an applicant's budget
    _limit_applications(
        get_context(request),
        request,
        user_id=principal.user_id,
        applicant_id=request.path_params.get("applicant_id"),
    )
    return principal


admits_as(limit_applications, _OWNER)
LimitSignUp = Depends(limit_sign_up)
LimitApplications = Depends(limit_applications)
ApplyingOwner = Annotated[Actor, LimitApplications]
"""The applicant's owner, admitted and counted against the applications' rate limits."""
