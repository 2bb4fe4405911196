"""Rate-limit dependencies over the shared limits (:mod:`thinfile.http.limits`).

* ``sign_up``: per client address (sign-up and applicant registration).
* ``applications``: per account and per applicant, with a generous per-address ceiling. Add
  ``dependencies=[LimitApplications]`` to an applicant's application routes (it checks that
  the caller owns the applicant first).
"""

from __future__ import annotations

from fastapi import Depends, Request

from thinfile.api.deps import require_owner_or_role
from thinfile.http import get_context
from thinfile.http import limit_applications as _limit_applications
from thinfile.http import limit_sign_up as _limit_sign_up

__all__ = ["LimitApplications", "LimitSignUp", "limit_applications", "limit_sign_up"]


async def limit_sign_up(request: Request) -> None:
    _limit_sign_up(get_context(request), request)


_OWNER = require_owner_or_role()


async def limit_applications(request: Request) -> None:
    principal = await _OWNER(request)  # a stranger's calls never spend an applicant's budget
    _limit_applications(
        get_context(request),
        request,
        user_id=principal.user_id,
        applicant_id=request.path_params.get("applicant_id"),
    )


LimitSignUp = Depends(limit_sign_up)
LimitApplications = Depends(limit_applications)
