"""Who a caller is: the five roles of thinfile."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["STAFF_ROLES", "Role"]


class Role(StrEnum):
    """A principal's role. Borrowers own their data; staff act on everyone's."""

    BORROWER = "borrower"
    MERCHANT = "merchant"
    UNDERWRITER = "underwriter"
    SERVICING_AGENT = "servicing_agent"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.UNDERWRITER, Role.SERVICING_AGENT, Role.ADMIN})
