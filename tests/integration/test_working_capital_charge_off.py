"""A working-capital line left unpaid is charged off by close of business on the night its
oldest unmet obligation is ``CHARGE_OFF_DAYS`` past due — on SQLite and PostgreSQL, agreeing
with the domain's ``close_day``, with the ledger balanced and the line taking no more draws.

The stored test runs with the threshold lowered to :data:`THRESHOLD` days (the SQL takes it as
a parameter) so that it closes 75 nights, not 250; the domain test keeps the product's own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

import thinfile.services.cob_steps as cob_step
import thinfile.servicing.working_capital as wc_domain
from thinfile.errors import ConflictError
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services import working_capital as wc
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.uow import UnitOfWork
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.wc_terms import CHARGE_OFF_DAYS, WorkingCapitalTerms
from thinfile.servicing.working_capital import close_day, draw, open_line

OPENED = date(2028, 1, 25)
THRESHOLD = 5


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> date:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    monkeypatch.setattr(cob_step, "CHARGE_OFF_DAYS", THRESHOLD)
    monkeypatch.setattr(wc_domain, "CHARGE_OFF_DAYS", THRESHOLD)
    return OPENED


def test_the_product_charges_off_on_the_180th_day_past_due_not_before() -> None:
    line = open_line(7, "shop-8", WorkingCapitalTerms(Money.of("1000"), Decimal("0.0005")), OPENED)
    line = draw(line, 1, Money.of("1000"), OPENED, term_days=90).line
    day, outcome = OPENED, None
    while line.status is LineStatus.ACTIVE:
        outcome = close_day(line, day)
        line, day = outcome.line, day + timedelta(days=1)
    charged_on = day - timedelta(days=1)
    assert line.overdue_since == OPENED + timedelta(days=69)  # the first shortfall's due date
    assert (charged_on - line.overdue_since).days == CHARGE_OFF_DAYS == 180
    assert outcome is not None
    entry = next(e for e in outcome.entries if e.kind == "wc-charge-off")
    amounts = {ln.account.value: ln.amount for ln in entry.lines}
    assert amounts["working_capital_receivable"] == -100000
    assert amounts["charge_off_expense"] == 100000
    assert amounts["interest_income"] == -amounts["working_capital_interest_receivable"] > 0
    assert amounts["interest_income"] == line.interest_owed


def test_an_unpaid_line_is_charged_off_from_its_oldest_unmet_minimum(engine, opened):
    line = wc.open_working_capital_line(
        engine, "shop-9", limit=Money.of("5000"), daily_rate=Decimal("0.0005")
    )
    receipt = wc.draw_on_line(engine, "shop-9", line.line_id, Money.of("5000"), term_days=180)
    assert receipt.draw_id is not None
    twin = draw(line, receipt.draw_id, Money.of("5000"), OPENED, term_days=180).line
    # The first period (days 0-59) asks 500.00 and gets nothing: its shortfall falls due on
    # day 69, before the draw's maturity on day 180, so days past due run from day 69.
    shortfall_due = OPENED + timedelta(days=69)
    eve = shortfall_due + timedelta(days=THRESHOLD - 1)
    day = OPENED
    while day <= eve:
        twin = close_day(twin, day).line
        day += timedelta(days=1)
    run_cob(engine, eve)
    with UnitOfWork(engine) as uow:
        before = uow.working_capital.get(line.line_id)[0]
    assert before.status is LineStatus.ACTIVE
    assert before.overdue_since == shortfall_due
    assert before.days_past_due(eve) == THRESHOLD - 1
    owed_principal, owed_interest = before.drawn, before.interest_owed
    # the interest a day's close adds on the night it is charged off: 5000.00 × 0.0005
    tonight = eve + timedelta(days=1)
    run_cob(engine, tonight)
    done = close_day(twin, tonight)
    with UnitOfWork(engine) as uow:
        after = uow.working_capital.get(line.line_id)[0]
    assert after.status is LineStatus.CHARGED_OFF is done.line.status
    assert after.draws == done.line.draws
    assert after.draws[0].interest_accrued == before.draws[0].interest_accrued + 250
    assert (after.drawn, after.interest_owed) == (owed_principal, owed_interest + 250)
    charged = [e for e in done.entries if e.kind == "wc-charge-off"]
    assert len(charged) == 1
    report = verify_ledger(engine)
    assert report.ok, report.problems
    assert report.balances.get(("working_capital_receivable", "CNY"), 0) == 0
    assert report.balances.get(("working_capital_interest_receivable", "CNY"), 0) == 0
    assert report.balances[("charge_off_expense", "CNY")] == 500000
    with pytest.raises(ConflictError) as refused:
        wc.draw_on_line(engine, "shop-9", line.line_id, Money.of("10"), term_days=90)
    assert refused.value.field == "line_id"  # repaying is a recovery: test_working_capital_recovery
    run_cob(engine, tonight + timedelta(days=3))
    with UnitOfWork(engine) as uow:
        later = uow.working_capital.get(line.line_id)[0]
    assert later.draws == after.draws  # no interest accrues on a charged-off line
    assert verify_ledger(engine).ok
