"""The words of each message, in English (the catalog's source language); the Chinese come
from the pages' catalog (``thinfile/web/locale/zh/LC_MESSAGES/messages.po``), looked up by the
caller's ``gettext`` for the borrower's language.

Parameters are filled after translation (``%(name)s``): ``amount`` (yuan, two decimals),
``due_date`` (ISO date), ``loan`` (the loan's number), ``limit`` and ``old_limit`` (yuan),
``contract`` (the contract number), ``failure`` (why a debit failed, already translated).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from thinfile.comms.kinds import MessageKind
from thinfile.errors import InvalidInputError

__all__ = ["FAILURE_WORDS", "OTHER_FAILURE", "TEMPLATES", "RenderedMessage", "Template", "render"]


def N_(message: str) -> str:
    return message


@dataclass(frozen=True, slots=True)
class Template:
    subject: str
    body: str


TEMPLATES: dict[MessageKind, Template] = {
    MessageKind.DUE_SOON: Template(
        N_("Repayment due in 3 days"),
        N_(
            "Loan %(loan)s: %(amount)s yuan falls due on %(due_date)s. Please keep enough money"
            " on your card or pay in the app."
        ),
    ),
    MessageKind.DUE_TODAY: Template(
        N_("Repayment due today"),
        N_("Loan %(loan)s: %(amount)s yuan falls due today (%(due_date)s)."),
    ),
    MessageKind.PAYMENT_RECEIVED: Template(
        N_("Payment received"),
        N_("We received your payment of %(amount)s yuan for loan %(loan)s. Thank you."),
    ),
    MessageKind.AUTO_DEBIT_FAILED: Template(
        N_("Automatic repayment failed"),
        N_(
            "We could not take %(amount)s yuan for loan %(loan)s: %(failure)s Please pay in the"
            " app or keep enough money on your card."
        ),
    ),
    MessageKind.OVERDUE_1: Template(
        N_("Your repayment is 1 day late"),
        N_(
            "Loan %(loan)s: %(amount)s yuan due on %(due_date)s is unpaid. Late charges apply"
            " if it stays unpaid past the grace period; if money is short this month, contact"
            " us about a payment plan."
        ),
    ),
    MessageKind.OVERDUE_7: Template(
        N_("Your repayment is 7 days late"),
        N_(
            "Loan %(loan)s: %(amount)s yuan is overdue since %(due_date)s. Please pay or contact"
            " us: we can help with a hardship plan."
        ),
    ),
    MessageKind.OVERDUE_15: Template(
        N_("Your repayment is 15 days late"),
        N_(
            "Loan %(loan)s: %(amount)s yuan is overdue since %(due_date)s. Overdue loans may be"
            " reported to the credit reference system; please pay or contact us."
        ),
    ),
    MessageKind.OVERDUE_30: Template(
        N_("Your repayment is 30 days late"),
        N_(
            "Loan %(loan)s: %(amount)s yuan is overdue since %(due_date)s and will be reported to"
            " the credit reference system. Please contact us to agree how to repay."
        ),
    ),
    MessageKind.LIMIT_CHANGED: Template(
        N_("Your credit limit has changed"),
        N_("Your credit limit is now %(limit)s yuan (it was %(old_limit)s yuan)."),
    ),
    MessageKind.LIMIT_FROZEN: Template(
        N_("Your credit line is paused"),
        N_(
            "Your credit line is paused: no new purchases or draws for now. Your limit of"
            " %(limit)s yuan comes back once your repayments are up to date."
        ),
    ),
    MessageKind.CONTRACT_READY: Template(
        N_("Your loan contract is ready"),
        N_(
            "The signed contract %(contract)s of loan %(loan)s is ready to read and download in"
            " the app."
        ),
    ),
    MessageKind.PLAN_CHANGED: Template(
        N_("Your repayment plan has changed"),
        N_(
            "Loan %(loan)s: your hardship plan is approved and the repayment schedule has"
            " changed. Your next repayment is %(amount)s yuan on %(due_date)s; the whole"
            " schedule is in the app."
        ),
    ),
    MessageKind.SETTLEMENT_READY: Template(
        N_("Your loan is repaid in full"),
        N_(
            "Loan %(loan)s is repaid in full. Its settlement certificate is ready to download"
            " in the app."
        ),
    ),
    MessageKind.OFFER: Template(
        N_("An offer for you"),
        N_("%(offer)s Reply or turn offers off in the app at any time."),
    ),
}


FAILURE_WORDS: dict[str, str] = {
    "insufficient_funds": N_("there is not enough money on the card."),
    "card_frozen": N_("the card is frozen; contact your bank."),
    "limit_exceeded": N_("the amount is over the card's payment limit."),
    "timeout": N_("the bank did not answer in time."),
    "agreement_invalid": N_("the card is no longer bound; bind it again."),
}
"""Why a debit failed, in the words the loan page uses (the same catalog entries)."""
OTHER_FAILURE = N_("the bank refused it.")


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str
    body: str


def render(
    kind: MessageKind, params: Mapping[str, str], gettext: Callable[[str], str]
) -> RenderedMessage:
    """The message in the language ``gettext`` translates to; a missing parameter is a typed
    error naming it."""
    template = TEMPLATES[kind]
    params = dict(params)
    if "failure" in params:
        params["failure"] = gettext(FAILURE_WORDS.get(params["failure"], OTHER_FAILURE))
    try:
        return RenderedMessage(
            gettext(template.subject) % dict(params), gettext(template.body) % dict(params)
        )
    except KeyError as missing:
        raise InvalidInputError(
            f"the {kind.value} message needs the parameter {missing}",
            field=str(missing.args[0]),
        ) from None
