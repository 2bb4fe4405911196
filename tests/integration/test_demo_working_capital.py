"""The demo's working-capital story over 120 replayed days, on SQLite and PostgreSQL, against a
calculation written here (not the servicing code): the decision's limit from the uploaded
sales, each day's share of the collected sales, the early repayment, every night's interest
to the fen, and the second period's minimum — flagged near breach in the slow weeks, cured
when sales come back, met by its end. The replay is in 2025 while the clock is later: every
posting lands on its replayed day."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from thinfile.security.crypto import PiiCipher
from thinfile.services.cob import run_cob
from thinfile.services.demo_working_capital import (
    EARLY_DAY,
    HISTORY_DAYS,
    SLOW_FROM,
    SLOW_UNTIL,
    TERM_DAYS,
    check_working_capital_story,
    net_fen,
    open_working_capital_story,
    shop_sales,
    working_capital_story_day,
)
from thinfile.services.ledger import verify_ledger
from thinfile.services.sales_feed import sales_history
from thinfile.services.working_capital import get_line
from thinfile.services.working_capital_decisions import get_working_capital_decision
from thinfile.servicing.working_capital import PeriodStatus, RepaymentMode
from thinfile.store.servicing_codec import from_day

START = date(2025, 1, 1)
DAYS = 120
RATE = Decimal("0.00020")
"""Grade A's daily rate in the default working-capital policy."""
PERIOD_2 = (START + timedelta(days=60), START + timedelta(days=119))


def _half_up(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _truncated(x: Decimal) -> int:
    """A night's interest: truncated to the fen, never above the daily rate."""
    return int(x.quantize(Decimal(1), rounding=ROUND_DOWN))


def _net(day: date) -> int:
    return net_fen(shop_sales(START, day))


def _rows(engine: Engine, sql: str, line_id: int) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql), {"i": line_id}).all()]


@dataclass
class Oracle:
    """The line as calculated here: principal and interest owed, the early repayment, the
    second period's minimum and repaid, the nights it was flagged near breach and cured."""

    principal: int = 0
    interest: int = 0
    early: int = 0
    minimum: int = 0
    repaid_in_period: int = 0
    flagged: date | None = None
    cured: date | None = None

    def pay(self, amount: int, day: date) -> None:
        on_interest = min(amount, self.interest)
        self.interest -= on_interest
        self.principal -= amount - on_interest
        if day >= PERIOD_2[0]:
            self.repaid_in_period += amount

    def check_period(self, day: date) -> None:
        """Met once repaid reaches the minimum; near breach with 20 days or fewer left and
        repaid below the minimum's share of the days gone (truncated to the fen)."""
        first, last = PERIOD_2
        if not first <= day < last:
            return
        met = self.repaid_in_period >= self.minimum
        pro_rata = self.minimum * ((day - first).days + 1) // 60
        near = not met and (last - day).days <= 20 and self.repaid_in_period < pro_rata
        if near and self.flagged is None:
            self.flagged = day
        elif not near and self.flagged is not None and self.cured is None:
            self.cured = day


def _replay(drawn: int, taken: dict[date, int]) -> Oracle:
    """Day by day: the sales share (and on day 30 a fifth of what is then owed, in whole
    hundreds) pays interest first, then principal; each night's interest is truncated."""
    o = Oracle(principal=drawn)
    for k in range(DAYS):
        day = START + timedelta(days=k)
        if taken.get(day):
            o.pay(taken[day], day)
        if k == EARLY_DAY:
            o.early = (o.principal + o.interest) // 5 // 10_000 * 10_000
            o.pay(o.early, day)
        o.interest += _truncated(Decimal(o.principal) * RATE)
        if k == 59:
            o.minimum = _half_up(Decimal(o.principal) / 10)
        o.check_period(day)
    return o


@pytest.mark.slow
def test_the_shop_owner_draws_repays_early_and_cures_a_slow_months_near_breach(engine):
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    story = open_working_capital_story(engine, cipher, START)
    for k in range(DAYS):
        day = START + timedelta(days=k)
        working_capital_story_day(engine, story, day)
        run_cob(engine, day)

    # the decision: grade A lends a month of net sales (the 90 days before, × 30 ÷ 90),
    # down to 500 yuan; the line opened with exactly its limit and rate, repaid from sales
    window = sum(_net(START - timedelta(days=n)) for n in range(1, 91))
    limit = window * 30 // 90 // 50_000 * 50_000
    decided = get_working_capital_decision(engine, story.applicant_id, story.decision_id)
    assert decided.decision.grade == "A" and decided.decided_on == START
    assert decided.decision.limit.fen == limit == story.limit
    line = get_line(engine, story.line_id, today=START + timedelta(days=DAYS)).line
    terms = line.terms
    assert (terms.limit.fen, terms.daily_rate, terms.mode) == (limit, RATE, RepaymentMode.SALES)
    assert terms.sales_share == Decimal("0.10") and line.opened_on == START
    assert line.cob_date == START + timedelta(days=DAYS - 1)

    # the draw: nine tenths of the limit in whole hundreds, on the first day, for 180 days
    drawn = limit * 9 // 10 // 10_000 * 10_000
    (only,) = line.draws
    assert (only.principal, only.drawn_on) == (drawn, START) and drawn == story.drawn
    assert only.maturity == START + timedelta(days=TERM_DAYS)

    # the feed: the uploaded history and each day's sales since, QR code and card
    fed = sales_history(
        engine, story.applicant_id, since=START - timedelta(days=HISTORY_DAYS), actor=story.actor
    )
    assert len(fed) == 2 * (HISTORY_DAYS + DAYS - 1)
    assert max(r.day for r in fed) == START + timedelta(days=DAYS - 2)

    # each day's sales are collected the next day; a tenth of them, half up, repays the line
    sales = _rows(
        engine, "SELECT day, sales, collected FROM wc_sales WHERE line_id = :i", story.line_id
    )
    assert [from_day(int(r[0])) for r in sorted(sales)] == [
        START + timedelta(days=k) for k in range(DAYS - 1)
    ]
    for day, amount, collected in sales:
        assert amount == _net(from_day(int(day)))
        assert collected == _half_up(Decimal(amount) / 10)
    taken = {from_day(int(d)) + timedelta(days=1): int(c) for d, _, c in sales}
    assert story.collected == sum(taken.values()) and story.sales_days == DAYS - 1

    # the money, day by day: interest first, then principal; each night's interest truncated
    postings = _rows(
        engine,
        "SELECT day, kind, amount, paid_interest, paid_principal FROM wc_transactions "
        "WHERE line_id = :i AND kind <> 'open' ORDER BY id",
        story.line_id,
    )
    assert all(START <= from_day(int(p[0])) < START + timedelta(days=DAYS) for p in postings)
    assert [p[1] for p in postings].count("draw") == 1
    o = _replay(drawn, taken)
    early_day = START + timedelta(days=EARLY_DAY)
    assert (line.drawn, line.interest_owed) == (o.principal, o.interest)
    assert story.early_on == early_day and story.early_repayment == o.early > 0
    assert [(from_day(int(p[0])), p[2]) for p in postings if p[1] == "repayment"] == [
        (early_day, story.early_repayment)
    ]

    # the second period: near breach in the slow weeks, shown the next morning, then cured
    assert o.flagged is not None and o.cured is not None
    assert START + timedelta(days=SLOW_FROM) < o.flagged < START + timedelta(days=SLOW_UNTIL)
    assert story.near_breach_on == o.flagged + timedelta(days=1)
    assert story.near_breach_period == 2
    assert story.cured_on == o.cured + timedelta(days=1) > story.near_breach_on
    first, second = line.periods[:2]
    assert first.status is PeriodStatus.MET and first.minimum == _half_up(Decimal(drawn) / 10)
    assert (second.minimum, second.repaid) == (o.minimum, o.repaid_in_period)
    assert second.status is PeriodStatus.MET and second.flagged_on == o.flagged
    assert second.repaid >= second.minimum and not line.shortfalls

    # and it ties: statements replay to the draws, the journal to the lines
    assert check_working_capital_story(engine, story) == []
    assert verify_ledger(engine).ok


def test_the_check_says_what_has_not_happened_yet(engine):
    """After the first night only the draw has happened: the demo's check names the rest."""
    cipher = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
    story = open_working_capital_story(engine, cipher, START)
    run_cob(engine, START)
    assert story.drawn > 0
    assert check_working_capital_story(engine, story) == [
        "no early repayment",
        "no period was shown near breach",
    ]
