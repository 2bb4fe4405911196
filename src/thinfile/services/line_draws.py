"""A draw from a credit line as the borrower agrees to it (支用): the quote first — the schedule,
the annualized rate and the all-in cost statement of exactly the loan the draw would open —
then the draw itself, refused when the line changed since the quote was shown.

The quote prices the draw as :func:`thinfile.services.credit_lines.draw_in_unit` opens it (the
line's rate, equal installments, from the current business date) and states the default
terms of the line's servicing product, the terms close of business charges. The draw carries
the available amount the borrower saw: when it no longer matches (a second submit of the same
form, another draw, a limit change in between) nothing is drawn and the borrower sees the line
again, so one confirmation opens at most one loan. Like an offer's acceptance, a draw is
confirmed only after the statement has been read for ``MIN_READING_SECONDS``
(:func:`~thinfile.services.acceptance.ensure_confirmed`): the borrower's page measures it from
a signed moment shown; an API client states it (``seconds_read``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from thinfile.decisioning.pricing import Disclosure, Offer
from thinfile.errors import ConflictError, InvalidInputError
from thinfile.loanmath import LoanTerms, RepaymentMethod, build_schedule
from thinfile.money import Money
from thinfile.services.acceptance import ensure_confirmed
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.credit_lines import (
    DRAW_TERMS,
    check_draw_cost,
    check_draw_terms,
    check_line_current,
    draw_audit,
    draw_in_unit,
    held_on_line,
    room_on_line,
)
from thinfile.services.identity_records import Actor
from thinfile.services.loan_postings import in_own_unit
from thinfile.services.uow import UnitOfWork
from thinfile.servicing import LoanAccount, check_draw

__all__ = ["DRAW_TERMS", "DrawQuote", "draw_as_quoted_in", "draw_from_line", "quote_draw"]


PRODUCT = "revolving_line_draw"


@dataclass(frozen=True, slots=True)
class DrawQuote:
    """What a draw would be today: the loan's offer as an application offer is stored
    (``decisioning.Offer.as_dict``: amounts, annualized rate, cost statement) and the
    available amount it was quoted against."""

    line_id: int
    offer: Offer
    available: Money

    def as_stored(self) -> dict[str, object]:
        return self.offer.as_dict()


def quote_draw(
    engine: Engine, line_id: int, amount: Money, periods: int, *, lender: str
) -> DrawQuote:
    """The draw of ``amount`` over ``periods`` months as it would open today; writes
    nothing. Refused as the draw itself would be (frozen line, more than available, a cost
    above the cap)."""
    check_draw_terms(amount, periods)
    with UnitOfWork(engine) as uow:
        stored = uow.credit_lines.get(line_id)
        owed = uow.credit_lines.outstanding_principal(line_id)
        held = held_on_line(uow, line_id)
        on = business_date_in(uow)
        check_line_current(uow, line_id)
    check_draw(stored.line, owed + held, amount)
    terms = LoanTerms(amount, stored.annual_rate, periods, RepaymentMethod.EQUAL_INSTALLMENT, on)
    schedule = build_schedule(terms)
    rate = check_draw_cost(schedule)
    offer = Offer(
        PRODUCT, 0, schedule, rate, Disclosure(lender, stored.product.defaults), None, None
    )
    return DrawQuote(line_id, offer, stored.line.available(owed + held))


def draw_as_quoted_in(
    uow: UnitOfWork,
    line_id: int,
    amount: Money,
    periods: int,
    *,
    seen_available: Money,
    confirmed: bool,
    actor: Actor,
    seconds_read: float | None = None,
) -> tuple[LoanAccount, AuditDraft]:
    """Draw as quoted in the caller's unit of work: a new loan and its audit row
    (``credit_line.draw``, which the caller appends last), only once the borrower confirmed
    reading the statement — for at least ``MIN_READING_SECONDS`` when ``seconds_read`` is
    known (None: an API client of ``/v1`` that does not state it) — and while the line's
    available amount is still ``seen_available``."""
    check_draw_terms(amount, periods)
    if seconds_read is not None:
        ensure_confirmed(confirmed=confirmed, seconds_read=seconds_read)
    elif not confirmed:
        raise InvalidInputError(
            "confirm that you have read the cost statement",
            field="confirm",
            remedy="tick the box, then draw",
        )
    stored = uow.credit_lines.get(line_id, lock=True)
    check_line_current(uow, line_id)  # why it stops, before "it changed" (room is 0 then)
    _, available = room_on_line(uow, stored.line)
    if available != seen_available:
        raise ConflictError(
            f"the line changed since the draw was shown: {available} is available now",
            field="available",
            value=str(seen_available),
            remedy="look at the draw again and confirm it",
        )
    loan = draw_in_unit(uow, line_id, amount, periods, business_date_in(uow))
    return loan, draw_audit(actor.label, loan)


def draw_from_line(
    engine: Engine,
    line_id: int,
    amount: Money,
    periods: int,
    *,
    seen_available: Money,
    confirmed: bool,
    seconds_read: float,
    actor: Actor,
) -> LoanAccount:
    """:func:`draw_as_quoted_in` in a unit of work of its own (the borrower's page)."""
    loan, _ = in_own_unit(
        engine,
        lambda uow: draw_as_quoted_in(
            uow,
            line_id,
            amount,
            periods,
            seen_available=seen_available,
            confirmed=confirmed,
            actor=actor,
            seconds_read=seconds_read,
        ),
        lambda done: done[1],
    )
    return loan
