"""What the consent page asks for, in plain words: each use of each kind of data, one by one.

``needed`` marks the consents an application cannot be decided without (PIPL art. 16: the
others may be refused without losing the service). Sensitive categories (PIPL art. 28) are
asked for separately, each with its own notice (art. 29, 单独同意).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from thinfile.services.consent import SENSITIVE_CATEGORIES, DataCategory, Purpose
from thinfile.services.identity_records import ConsentRecord
from thinfile.web.forms import N_

__all__ = ["NOTICES", "NOTICE_VERSION", "Notice", "consent_title", "has_active", "notice"]

NOTICE_VERSION = "web-2026-01"


@dataclass(frozen=True, slots=True)
class Notice:
    category: DataCategory
    purpose: Purpose
    title: str
    text: str
    needed: bool

    @property
    def key(self) -> str:
        return f"{self.category.value}:{self.purpose.value}"

    @property
    def is_sensitive(self) -> bool:
        return self.category in SENSITIVE_CATEGORIES


NOTICES: tuple[Notice, ...] = (
    Notice(
        DataCategory.IDENTITY,
        Purpose.KYC,
        N_("Your name, ID number and phone"),
        N_("We use them to confirm that you are you and to prevent fraud."),
        True,
    ),
    Notice(
        DataCategory.CREDIT_REPORT,
        Purpose.CREDIT_ASSESSMENT,
        N_("Your credit report"),
        N_(
            "We look up your credit report at a licensed credit bureau to decide on your "
            "application. Without it we cannot decide."
        ),
        True,
    ),
    Notice(
        DataCategory.GIG_PLATFORM_INCOME,
        Purpose.CREDIT_ASSESSMENT,
        N_("Your income from work platforms"),
        N_(
            "Income records from delivery, ride-hail or other platforms help us see what you "
            "can repay, even with little credit history."
        ),
        False,
    ),
    Notice(
        DataCategory.RENT_AND_UTILITIES,
        Purpose.CREDIT_ASSESSMENT,
        N_("Your rent and utility payments"),
        N_("Paying rent and bills on time counts in your favour."),
        False,
    ),
    Notice(
        DataCategory.CONTACT,
        Purpose.LOAN_SERVICING,
        N_("Your phone number, for reminders"),
        N_("We remind you before each due date."),
        False,
    ),
    Notice(
        DataCategory.CONTACT,
        Purpose.MARKETING,
        N_("Your phone number, for offers"),
        N_("We may tell you about new products. Say no and nothing else changes."),
        False,
    ),
    Notice(
        DataCategory.CONTACT,
        Purpose.COLLECTION_OUT_OF_HOURS,
        N_("Your phone number, for calls about a late repayment at night"),
        N_(
            "If a repayment is past due, we may contact you about it between 22:00 and 08:00 "
            "your time. Without this consent we never do. You can take it back at any time."
        ),
        False,
    ),
    Notice(
        DataCategory.BANK_ACCOUNT,
        Purpose.LOAN_SERVICING,
        N_("Your bank card"),
        N_(
            "Sensitive: we pay the loan into your bank card and collect installments from it. "
            "We keep the card number encrypted and use it for nothing else."
        ),
        False,
    ),
    Notice(
        DataCategory.LOCATION,
        Purpose.KYC,
        N_("Your location when you apply"),
        N_("Sensitive: we check where you apply from once, to prevent fraud. We do not track you."),
        False,
    ),
)


def notice(key: str) -> Notice | None:
    return next((n for n in NOTICES if n.key == key), None)


def has_active(consents: Iterable[ConsentRecord], *keys: str) -> bool:
    """True when any unrevoked consent covers one of ``category:purpose`` ``keys``."""
    return any(c.is_active and f"{c.data_category}:{c.purpose}" in keys for c in consents)


CATEGORY_NAMES = {
    DataCategory.IDENTITY: N_("Your name, ID number and phone"),
    DataCategory.CONTACT: N_("Your phone number"),
    DataCategory.EMPLOYMENT: N_("Your employment details"),
    DataCategory.GIG_PLATFORM_INCOME: N_("Your income from work platforms"),
    DataCategory.MERCHANT_SALES: N_("Your business's daily sales"),
    DataCategory.RENT_AND_UTILITIES: N_("Your rent and utility payments"),
    DataCategory.CREDIT_REPORT: N_("Your credit report"),
    DataCategory.BANK_ACCOUNT: N_("Your bank card"),
    DataCategory.LOCATION: N_("Your location"),
    DataCategory.BIOMETRIC: N_("Your face or fingerprint"),
}
PURPOSE_NAMES = {
    Purpose.KYC: N_("to confirm who you are"),
    Purpose.CREDIT_ASSESSMENT: N_("to decide on your application"),
    Purpose.LOAN_SERVICING: N_("to service your loan"),
    Purpose.MARKETING: N_("for offers"),
    Purpose.COLLECTION_OUT_OF_HOURS: N_("for calls about a late repayment at night"),
}


def consent_title(key: str, gettext: Callable[[str], str]) -> str:
    """The words for a consent ``category:purpose``: its notice's title, else its data and
    use named in words (a consent given through the API may have no notice on this page)."""
    found = notice(key)
    if found is not None:
        return gettext(found.title)
    category, _, purpose = key.partition(":")
    data = {c.value: n for c, n in CATEGORY_NAMES.items()}.get(category)
    use = {p.value: n for p, n in PURPOSE_NAMES.items()}.get(purpose)
    return gettext("%(data)s, %(use)s") % {
        "data": gettext(data or N_("Your data")),
        "use": gettext(use or N_("for another use")),
    }
