"""thinfile's HTTP API (FastAPI): the ``/v1`` routers and their dependencies.

``install_api(app)`` mounts the API on an app; :func:`thinfile.app.create_app` builds the app
with the pages beside it. The request context, the caller's token and the ownership check are
shared with the pages in :mod:`thinfile.http`. See ``docs.md`` in this package for the auth
and ownership model and how to add a router.
"""

from thinfile.api.app import API_DESCRIPTION, API_PREFIX, V1_ROUTERS, install_api
from thinfile.api.deps import (
    Principal,
    current_principal,
    require_owner_or_role,
    require_roles,
)
from thinfile.api.idempotency import Idempotent, IdempotentRequest
from thinfile.api.metrics import count_decision
from thinfile.api.ratelimits import LimitApplications

__all__ = [
    "API_DESCRIPTION",
    "API_PREFIX",
    "V1_ROUTERS",
    "Idempotent",
    "IdempotentRequest",
    "LimitApplications",
    "Principal",
    "count_decision",
    "current_principal",
    "install_api",
    "require_owner_or_role",
    "require_roles",
]
