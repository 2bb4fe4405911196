"""What a page says about a typed error, in the reader's language.

A :class:`~thinfile.errors.ThinfileError` message is written for developers and the API
(``no such loan``, ``'abc' is not a number``); a page never shows it as it is. It shows the
translated words for a message the pages know (``KNOWN``), else the translated words for the
error's ``code`` (``BY_CODE``: one for every error class), else the words for its status.
"""

from __future__ import annotations

from collections.abc import Callable

from thinfile.errors import InvalidInputError, ThinfileError
from thinfile.services.credit_lines import PAST_DUE_LINE
from thinfile.web.forms import N_, UNKNOWN_PROBLEM, field_messages

__all__ = ["BY_CODE", "KNOWN", "page_message"]

Gettext = Callable[[str], str]

KNOWN: dict[str, str] = {
    "an account with this e-mail already exists": N_(
        "An account with this e-mail address already exists. Sign in, or use another address."
    ),
    "an applicant profile already exists for this account or ID": N_(
        "A profile already exists for this account or for this ID number."
    ),
    "the application changed meanwhile; reload and try again": N_(
        "The application changed meanwhile. Reload the page and try again."
    ),
    "sign in first": N_("Sign in to see this page."),
    "the borrower has not given separate consent to the use of a bank card": N_(
        "A bank card needs its own consent first: on My consents, tick both boxes of Your "
        "bank card, then bind it."
    ),
    "a borrower's payment comes from a bound bank card through the payment gateway": N_(
        "Payments come from your bank card. Bind a card on the Bank cards page, then pay."
    ),
    "there is no such page": N_("There is no such page."),
    "this card is bound already": N_(
        "This card is bound already: you can pay from it. To bind it again, unbind it first."
    ),
    PAST_DUE_LINE: N_(
        "A repayment on this line is past due, so nothing can be drawn now. Repay what is past "
        "due; the line lends again at once."
    ),
    "a vintage is a month written YYYY-MM": N_(
        "A vintage is a month written YYYY-MM, such as 2025-01."
    ),
}
"""Service messages the pages say in their own words."""

BY_CODE: dict[str, str] = {
    "invalid_input": N_("Some of what was entered is not valid. Go back, check it and try again."),
    "money_type": N_("An amount is not written as an amount in yuan. Check it and try again."),
    "currency_mismatch": N_("The amounts are in different currencies."),
    "data_contract": N_("The file does not have the columns or values expected. Check it."),
    "payload_too_large": N_("What was sent is too large. Send a smaller file."),
    "rate_cap_exceeded": N_("The cost of this loan would be above the legal cap."),
    "no_solution": N_("No loan fits these figures. Try another amount or term."),
    "not_found": N_("We could not find this. It may not exist, or it may not be yours to see."),
    "conflict": N_("This was changed meanwhile, or is done already. Reload the page and check."),
    "permission_denied": N_("Your account may not do this."),
    "consent_required": N_("This needs your consent first: see My consents."),
    "authentication_required": N_("Sign in to continue."),
    "rate_limited": N_("Too many attempts in a short time. Wait a minute and try again."),
    "invariant_violation": N_("Something is wrong on our side. Nothing was changed."),
    "decryption_failed": N_("Something is wrong on our side. Nothing was changed."),
}
"""One sentence for each error ``code``."""

_BY_STATUS = {
    403: "permission_denied",
    404: "not_found",
    409: "conflict",
    422: "invalid_input",
    429: "rate_limited",
}


def page_message(error: ThinfileError, gettext: Gettext) -> str:
    """What a page says about ``error``, translated by ``gettext``."""
    if error.message in KNOWN:
        return gettext(KNOWN[error.message])
    if type(error) is InvalidInputError and (error.field or error.problems):
        said = dict.fromkeys(field_messages(error, gettext).values())
        if gettext(UNKNOWN_PROBLEM) not in said:
            return " ".join(said)
    code = error.code if error.code in BY_CODE else _BY_STATUS.get(error.status, "")
    return gettext(BY_CODE.get(code, BY_CODE["invariant_violation"]))
