"""The credit-limit pages' words: reasons in the reader's language, a draw quote shown as an
offer, and what a refused request, acceptance or draw says."""

from __future__ import annotations

from collections.abc import Callable

from thinfile.decisioning.limit_reasons import limit_reasons
from thinfile.errors import ConflictError, InvalidInputError, ThinfileError
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.line_draws import DrawQuote
from thinfile.web.formatting import yuan
from thinfile.web.forms import N_
from thinfile.web.messages import page_message
from thinfile.web.offers import OfferView, stored_offer_view

__all__ = ["draw_view", "limit_message", "reasons_in"]

Gettext = Callable[[str], str]

RECENT_REQUEST = N_("You asked for a higher limit recently. You can ask again from %(day)s.")
PAST_DUE = N_("A repayment on this line is past due. Repay it first, then try again.")
OVER_AVAILABLE = N_("This is more than is available on your line. Draw at most %(available)s.")
LINE_CHANGED = N_("Your line changed since you saw this draw. Check it and confirm again.")
NOT_OPEN = N_("This line is not open for new draws or increases.")
STILL_OWED = N_(
    "You still owe %(amount)s of principal on this line. Pay off every draw, then close it."
)
STILL_HELD = N_(
    "Purchases paid with this line hold %(amount)s until the shop completes or cancels them. "
    "Close the line after that."
)
CLOSE_CONFIRM = N_("Tick the box to confirm that you want to close the line.")
CONFIRM = N_("Tick the box to confirm that you have read the statement.")
READ_FIRST = N_("Please read the cost statement for at least %(n)s seconds, then confirm.")
_UNREAD = ("statement_receipt", "seconds_read")
OFFER_GONE = N_("This offer is no longer open: it was accepted, declined or has expired.")
OVER_AFFORDABLE = N_(
    "The borrower's recorded income repays a limit of at most %(most)s (grade %(grade)s). "
    "Give a lower limit, or a newer income you verified."
)
INCOME_UNKNOWN = N_(
    "The borrower's monthly income is not recorded. Give the income you verified with the change."
)


def reasons_in(language: str) -> Callable[[tuple[str, ...]], list[dict[str, str]]]:
    """The plain words of reason codes in ``language`` (for the templates)."""
    return lambda codes: limit_reasons(codes, language)


def draw_view(quote: DrawQuote) -> OfferView:
    """The draw's quote as the offer page shows an offer: facts, schedule, statement."""
    return stored_offer_view(quote.as_stored())


def limit_message(error: ThinfileError, gettext: Gettext, *, available: str = "") -> str:
    """What the limit page says about a refused request, acceptance, draw or staff change."""
    if isinstance(error, InvalidInputError) and error.field == "confirm":
        return gettext(CONFIRM)
    if isinstance(error, InvalidInputError) and error.field in (
        "statement_receipt",
        "seconds_read",
    ):
        return gettext(READ_FIRST) % {"n": MIN_READING_SECONDS}
    if isinstance(error, InvalidInputError) and "affordable" in error.extra:
        most, grade = yuan(str(error.extra["affordable"])), error.extra.get("grade") or "-"
        return gettext(OVER_AFFORDABLE) % {"most": most, "grade": grade}
    if isinstance(error, ConflictError):
        said = _conflict_message(error, gettext, available)
        if said is not None:
            return said
    return page_message(error, gettext)


def _conflict_message(error: ConflictError, gettext: Gettext, available: str) -> str | None:
    if error.field == "verified_income":
        return gettext(INCOME_UNKNOWN)
    if "ask_again_from" in error.extra:
        return gettext(RECENT_REQUEST) % {"day": error.extra["ask_again_from"]}
    if "past due" in error.message:
        return gettext(PAST_DUE)
    if error.field == "available":
        return gettext(LINE_CHANGED)
    if error.field == "amount" and available:
        return gettext(OVER_AVAILABLE) % {"available": available}
    if error.field == "offer_id":
        return gettext(OFFER_GONE)
    if "owed" in error.extra:
        return gettext(STILL_OWED) % {"amount": yuan(str(error.extra["owed"]))}
    if "held" in error.extra:
        return gettext(STILL_HELD) % {"amount": yuan(str(error.extra["held"]))}
    if error.field == "line_id":
        return gettext(NOT_OPEN)
    return None
