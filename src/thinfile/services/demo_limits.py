"""The demo's limit story (额度): three credit lines through a year of close of business.

- a micro-shop owner opens a line of 3,000 yuan, keeps using it and repays every installment
  on its due date: each month-end review that may raise the limit offers more, the owner
  accepts, and the line grows towards the programme's ceiling of 30,000 yuan;
- a borrower who repays as well declines the first increase offered (the offer's reasons
  stay on the record), and keeps the limit;
- a borrower who stops paying after two installments is frozen by the month-end review once
  30 days past due, with a notice; when close of business charges the draw off, the line
  stops for good (``charged-off``).

:func:`open_limit_story` opens the lines and their first draws on the first day;
:func:`limit_story_day` is what the three borrowers do on a business day — pay what is due,
answer offers, draw again after an increase — and runs before that day's close of business
(the month-end review is close of business's ``limits`` step).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.money import Money
from thinfile.security.roles import Role
from thinfile.services.credit_lines import draw, open_credit_line
from thinfile.services.identity_records import Actor
from thinfile.services.limit_features import record_line_income
from thinfile.services.limits import accept_limit_offer, decline_limit_offer, line_limits
from thinfile.services.loans import get_loan
from thinfile.services.payments import post_payment
from thinfile.servicing import LoanStatus

__all__ = ["LimitStory", "limit_story_day", "open_limit_story"]

RATE = Decimal("0.18")
TERM = 12
STOPS_AFTER = 2
"""Installments the freezer pays before stopping."""


@dataclass(slots=True)
class LimitStory:
    shop_owner: int
    decliner: int
    freezer: int
    actor: Actor
    loans: dict[int, list[int]] = field(default_factory=dict)
    declined: list[int] = field(default_factory=list)
    """Offers the decliner declined."""
    accepted: list[int] = field(default_factory=list)
    """Offers the shop owner accepted."""


def _draw_most(engine: Engine, story: LimitStory, line_id: int, day: date) -> None:
    """Draw four fifths of what is available (whole hundreds), keeping the line in use."""
    available = line_limits(engine, line_id).available
    amount = available * 4 // 5 // 10_000 * 10_000
    if amount >= 10_000:
        loan = draw(engine, line_id, Money(amount), TERM, day, actor=story.actor.label)
        story.loans.setdefault(line_id, []).append(loan.loan_id)


def open_limit_story(engine: Engine, start: date, *, actor: Actor | None = None) -> LimitStory:
    """Open the three lines on ``start`` with their first draws and verified incomes."""
    who = actor or Actor("demo-limits", Role.BORROWER)
    lines = [
        open_credit_line(engine, Money.of(limit), RATE, start).line.line_id
        for limit in ("3000", "5000", "5000")
    ]
    owner, decliner, freezer = lines
    story = LimitStory(owner, decliner, freezer, actor=who)
    for line_id, income in zip(lines, ("15000", "9000", "6000"), strict=True):
        record_line_income(engine, line_id, Money.of(income), start, source="verified")
        _draw_most(engine, story, line_id, start)
    return story


def _pay_due(engine: Engine, story: LimitStory, line_id: int, day: date) -> None:
    for loan_id in story.loans.get(line_id, []):
        account = get_loan(engine, loan_id).account
        if account.status is not LoanStatus.ACTIVE:
            continue
        for row in account.installments:
            if row.due != day or row.unpaid.total <= 0:
                continue
            if line_id == story.freezer and row.n > STOPS_AFTER:
                return
            post_payment(
                engine,
                loan_id,
                Money(row.unpaid.total),
                day,
                idempotency_key=f"demo-limits-{loan_id}-{row.n}",
                actor=story.actor.label,
            )


def limit_story_day(engine: Engine, story: LimitStory, day: date) -> None:
    """The three borrowers' day, before close of business: repayments on their due dates,
    then the answers to standing offers (the owner accepts and draws again, the decliner
    declines once)."""
    for line_id in (story.shop_owner, story.decliner, story.freezer):
        _pay_due(engine, story, line_id, day)
    for offer in line_limits(engine, story.shop_owner, today=day).offers:
        accept_limit_offer(engine, story.shop_owner, offer.offer_id, actor=story.actor, today=day)
        story.accepted.append(offer.offer_id)
        _draw_most(engine, story, story.shop_owner, day)
    if not story.declined:
        for offer in line_limits(engine, story.decliner, today=day).offers:
            decline_limit_offer(
                engine, story.decliner, offer.offer_id, actor=story.actor, today=day
            )
            story.declined.append(offer.offer_id)
