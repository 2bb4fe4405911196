"""The console's menu: each page listed with the roles its route lets in, so a staff member's
menu holds only pages that open for them (the routes' ``web.access`` dependencies use the
same role sets from :mod:`thinfile.security.roles`)."""

from __future__ import annotations

from thinfile.security.roles import COLLECTION_ROLES, STAFF_ROLES, UNDERWRITING_ROLES, Role
from thinfile.services.identity_records import Actor
from thinfile.web.forms import N_

__all__ = ["CONSOLE_MENU", "console_menu"]

CONSOLE_MENU: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("/console", N_("Queue"), STAFF_ROLES),
    ("/console/policies", N_("Policies"), STAFF_ROLES),
    ("/console/portfolio", N_("Portfolio"), STAFF_ROLES),
    ("/console/loans", N_("Loans"), STAFF_ROLES),
    ("/console/merchants", N_("Merchants"), STAFF_ROLES),
    ("/console/coupon-batches", N_("Coupon batches"), UNDERWRITING_ROLES),
    ("/console/reconciliations", N_("Reconciliation"), STAFF_ROLES),
    ("/console/notifications", N_("Notifications"), STAFF_ROLES),
    ("/console/collections", N_("Collection cases"), COLLECTION_ROLES),
)
"""``(path, label to translate, roles that may open it)`` of each console page."""


def console_menu(actor: Actor | None) -> list[tuple[str, str]]:
    """``(path, untranslated label)`` of the console pages ``actor`` may open."""
    if actor is None:
        return []
    return [(path, label) for path, label, roles in CONSOLE_MENU if actor.role in roles]
