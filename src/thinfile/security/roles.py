"""Who a caller is: the six roles of thinfile."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "COLLECTION_ROLES",
    "POLICY_ROLES",
    "SERVICING_ROLES",
    "STAFF_ROLES",
    "UNDERWRITING_ROLES",
    "Role",
]


class Role(StrEnum):
    """A principal's role. Borrowers own their data; staff act on everyone's."""

    BORROWER = "borrower"
    MERCHANT = "merchant"
    UNDERWRITER = "underwriter"
    SERVICING_AGENT = "servicing_agent"
    ADMIN = "admin"
    COLLECTOR = "collector"
    """Works collection cases (催收员): contacts, promises, hardship proposals — in-house or
    for an outsourced agency. Not a servicing agent: never posts to a loan."""


STAFF_ROLES = frozenset({Role.UNDERWRITER, Role.SERVICING_AGENT, Role.ADMIN})
UNDERWRITING_ROLES = frozenset({Role.UNDERWRITER, Role.ADMIN})
"""Who may review a referral, replay a decision and run a policy simulation."""
SERVICING_ROLES = frozenset({Role.SERVICING_AGENT, Role.ADMIN})
"""Who may post to a loan: reverse, charge off, refund, waive."""
POLICY_ROLES = frozenset({Role.ADMIN})
"""Who may change which policy decides: the challenger and its share."""
COLLECTION_ROLES = frozenset({Role.COLLECTOR, Role.SERVICING_AGENT, Role.ADMIN})
"""Who may work collection cases: log contacts, record promises, propose hardship plans."""
