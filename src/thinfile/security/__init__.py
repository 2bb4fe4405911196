"""Security primitives with no web or database framework: passwords, tokens, API keys,
personal-data encryption and lookup hashes, masking, and rate limiting.

The HTTP service (:mod:`thinfile.api`) and the use cases (:mod:`thinfile.services`) build on
these; see ``thinfile/api/docs.md`` for how they fit together.
"""

from thinfile.security.apikeys import ApiKey, hash_api_key, new_api_key
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.pii import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
)
from thinfile.security.ratelimit import RateLimiter
from thinfile.security.roles import STAFF_ROLES, Role
from thinfile.security.tokens import TokenClaims, TokenSigner

__all__ = [
    "STAFF_ROLES",
    "ApiKey",
    "PasswordHasher",
    "PiiCipher",
    "RateLimiter",
    "Role",
    "TokenClaims",
    "TokenSigner",
    "hash_api_key",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "new_api_key",
    "normalize_id_number",
    "normalize_phone",
]
