"""thinfile's HTTP service (FastAPI): ``create_app(settings)`` and the shared dependencies.

See ``docs.md`` in this package for the auth and ownership model and how to add a router.
"""

from thinfile.api.app import API_PREFIX, V1_ROUTERS, create_app
from thinfile.api.deps import (
    Context,
    Principal,
    current_principal,
    ensure_owner_or_role,
    register_owned_resource,
    require_owner_or_role,
    require_roles,
)
from thinfile.api.idempotency import Idempotent, IdempotentRequest
from thinfile.api.metrics import count_decision
from thinfile.api.ratelimits import LimitApplications

__all__ = [
    "API_PREFIX",
    "V1_ROUTERS",
    "Context",
    "Idempotent",
    "IdempotentRequest",
    "LimitApplications",
    "Principal",
    "count_decision",
    "create_app",
    "current_principal",
    "ensure_owner_or_role",
    "register_owned_resource",
    "require_owner_or_role",
    "require_roles",
]
