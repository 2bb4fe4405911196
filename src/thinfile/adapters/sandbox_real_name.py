"""The sandbox identity provider for real-name verification (实名认证).

Its rules are fixed, so tests and the demo can force either answer:

* a name that is empty (after trimming) never matches;
* an ID number that is not a valid resident ID (18 characters, GB 11643 check character, a
  real birth date) never matches;
* a name containing one of :data:`MISMATCH_MARKERS` — ``不符`` or ``mismatch`` (any case) —
  never matches, whatever the number: the way to test a mismatch;
* anything else matches.

The reference is derived from the name and the number, so the same question gets the same
answer and the same reference.
"""

from __future__ import annotations

import hashlib

from thinfile.resident_id import is_valid_id_number
from thinfile.services.ports import RealNameAnswer

__all__ = ["MISMATCH_MARKERS", "SandboxRealNameVerifier"]

MISMATCH_MARKERS = ("不符", "mismatch")


class SandboxRealNameVerifier:
    """A :class:`~thinfile.services.ports.RealNameVerifier` answering by the rules above."""

    provider = "sandbox"

    def verify(self, name: str, id_number: str) -> RealNameAnswer:
        name, id_number = name.strip(), id_number.strip().upper()
        digest = hashlib.sha256(f"{name}|{id_number}".encode()).hexdigest()[:20]
        is_match = (
            bool(name)
            and is_valid_id_number(id_number)
            and not any(marker in name.lower() for marker in MISMATCH_MARKERS)
        )
        return RealNameAnswer(is_match=is_match, reference=f"sandbox-{digest}")
