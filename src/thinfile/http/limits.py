"""The rate limits both interfaces apply, keyed the same way (the buckets are
:class:`~thinfile.security.RateLimiter`'s; their sizes are ``settings.rate_limits``).

* sign-in (a password or an SMS code): per account (an e-mail or a phone) *and* client
  address, so failures from one address lock that address out of that account and never the
  owner signing in elsewhere; and per address over all accounts, against password spraying.
* applications: per account and per applicant; per address only a generous ceiling, since a
  carrier NAT or a load balancer puts many borrowers behind one address.
* sign-up and applicant registration: per address.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from thinfile.http.context import AppContext
from thinfile.http.principal import client_address

__all__ = ["limit_applications", "limit_sign_in", "limit_sign_up"]


def limit_sign_in(context: AppContext, connection: HTTPConnection, account: str) -> None:
    """Count a sign-in attempt per client address and per account (an e-mail or a phone)."""
    address = client_address(connection)
    context.limiter.hit("sign_in_address", f"ip:{address}")
    context.limiter.hit("sign_in", f"account:{account.strip().lower()}|ip:{address}")


def limit_sign_up(context: AppContext, connection: HTTPConnection) -> None:
    context.limiter.hit("sign_up", f"ip:{client_address(connection)}")


def limit_applications(
    context: AppContext, connection: HTTPConnection, *, user_id: str, applicant_id: str | None
) -> None:
    context.limiter.hit("applications_address", f"ip:{client_address(connection)}")
    context.limiter.hit("applications", f"user:{user_id}")
    if applicant_id:
        context.limiter.hit("applications", f"applicant:{applicant_id}")
