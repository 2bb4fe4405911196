"""A merchant's standing (商户状态) and its settlement account: the rules of onboarding.

Staff onboard a merchant as ``pending``; it is ``active`` — may sell on installments — once it
has a contract, and staff may ``suspend`` it (and activate it again). Asking for the state a
merchant is already in changes nothing, so a repeated request is harmless::

    pending ──activate (needs a contract)──► active ──suspend──► suspended
       └────────────────suspend────────────────────────────────────┘   └─activate─► active

A settlement account number (结算账户) is what a person typed, read through the one normaliser
(NFKC, then ASCII), spaces and hyphens dropped: 8 to 30 digits. Stored sealed; staff see
:func:`mask_account_number`.
"""

from __future__ import annotations

import enum
import re

from thinfile.errors import InvalidSettlementAccountError, MerchantStatusError
from thinfile.text import ascii_text

__all__ = [
    "MerchantCategory",
    "MerchantStatus",
    "activated",
    "mask_account_number",
    "settlement_account_number",
]


class MerchantStatus(enum.StrEnum):
    """Where a merchant stands."""

    PENDING = "pending"
    """待审核: onboarded, not yet selling."""
    ACTIVE = "active"
    """已启用: sells on installments."""
    SUSPENDED = "suspended"
    """已暂停: sells nothing new; its purchases are serviced as before."""


class MerchantCategory(enum.StrEnum):
    """What a merchant sells: the goods new citizens finance."""

    PHONES_ELECTRONICS = "phones-electronics"
    E_BIKES = "e-bikes"
    VOCATIONAL_EDUCATION = "vocational-education"
    TOOLS_AND_STOCK = "tools-and-stock"
    HOME_APPLIANCES = "home-appliances"
    OTHER = "other"


_ACCOUNT = re.compile(r"[0-9]{8,30}")
_ACCOUNT_REMEDY = "type the account number of the merchant's bank account, 8 to 30 digits"


def settlement_account_number(text: str, *, field: str = "settlement_account") -> str:
    """The account number typed as ``text``: digits only, 8 to 30 of them."""
    number = re.sub(
        r"[\s\-]",
        "",
        ascii_text(
            text,
            field=field,
            message="an account number is written with ASCII digits",
            remedy=_ACCOUNT_REMEDY,
        ),
    )
    if not _ACCOUNT.fullmatch(number):
        raise InvalidSettlementAccountError(
            "an account number has 8 to 30 digits and nothing else",
            field=field,
            remedy=_ACCOUNT_REMEDY,
        )
    return number


def mask_account_number(number: str) -> str:
    """``6222021234567891234`` → ``6222***********1234``: the bank's prefix and the last four."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def activated(status: MerchantStatus, *, has_contract: bool) -> MerchantStatus:
    """The status after activation: a merchant sells only under a contract."""
    if status is not MerchantStatus.ACTIVE and not has_contract:
        raise MerchantStatusError(
            "a merchant without a contract cannot be activated",
            remedy="set the merchant's contract first (PUT …/contract)",
        )
    return MerchantStatus.ACTIVE
