"""thinfile.http: what the API and the pages share — the request context, the caller and the
ownership check. Both import it; neither imports the other. See ``docs.md`` beside this file.
"""

from thinfile.http.context import (
    POOL_SIZE,
    AppContext,
    Context,
    build_context,
    context_dependency,
    get_context,
)
from thinfile.http.limits import limit_applications, limit_sign_in, limit_sign_up
from thinfile.http.ownership import (
    OWNED_RESOURCES,
    OwnedResource,
    Ownership,
    ensure_owner_or_role,
    path_ids,
)
from thinfile.http.principal import (
    TokenCheckReset,
    actor_of_bearer,
    actor_of_token,
    client_address,
)
from thinfile.http.signing import signing_of

__all__ = [
    "OWNED_RESOURCES",
    "POOL_SIZE",
    "AppContext",
    "Context",
    "OwnedResource",
    "Ownership",
    "TokenCheckReset",
    "actor_of_bearer",
    "actor_of_token",
    "build_context",
    "client_address",
    "context_dependency",
    "ensure_owner_or_role",
    "get_context",
    "limit_applications",
    "limit_sign_in",
    "limit_sign_up",
    "path_ids",
    "signing_of",
]
