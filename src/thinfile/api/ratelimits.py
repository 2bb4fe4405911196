"""Rate-limit dependencies over the in-process token buckets (``THINFILE_RATE_LIMITS``).

* ``sign_in``: per client address and per e-mail address (see the sign-in route).
* ``sign_up``: per client address (sign-up and applicant registration).
* ``applications``: per client address and per applicant — one applicant is one ID number, so
  this is the per-ID limit. Add ``dependencies=[LimitApplications]`` to application routes.
"""

from __future__ import annotations

from fastapi import Depends, Request

from thinfile.http import client_address, get_context

__all__ = ["LimitApplications", "LimitSignUp", "limit_applications", "limit_sign_up"]


async def limit_sign_up(request: Request) -> None:
    get_context(request).limiter.hit("sign_up", f"ip:{client_address(request)}")


async def limit_applications(request: Request) -> None:
    limiter = get_context(request).limiter
    limiter.hit("applications", f"ip:{client_address(request)}")
    applicant = request.path_params.get("applicant_id")
    if applicant:
        limiter.hit("applications", f"applicant:{applicant}")


LimitSignUp = Depends(limit_sign_up)
LimitApplications = Depends(limit_applications)
