"""The domain's recovery on a charged-off working-capital line: debit cash, credit recoveries,
set against the draws (interest first), refused on an active line, into a closed day, or above
what is still owed; and the night after, nothing accrues."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from thinfile.errors import ConflictError, InvalidInputError
from thinfile.money import Money
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.wc_recovery import recover
from thinfile.servicing.wc_terms import WorkingCapitalTerms
from thinfile.servicing.working_capital import (
    WorkingCapitalLine,
    charge_off,
    close_day,
    draw,
    open_line,
)

OPENED = date(2028, 2, 27)


def _charged_off() -> tuple[WorkingCapitalLine, date]:
    line = open_line(3, "shop-u", WorkingCapitalTerms(Money.of("1000"), Decimal("0.0005")), OPENED)
    line = draw(line, 1, Money.of("1000"), OPENED, term_days=90).line
    day = OPENED
    for _ in range(4):  # 27, 28, 29 February, 1 March: 0.50 a night
        line = close_day(line, day).line
        day += timedelta(days=1)
    line, _entry = charge_off(line, day - timedelta(days=1))
    return line, day


def test_a_recovery_pays_interest_then_principal_and_books_cash_against_recoveries() -> None:
    line, today = _charged_off()
    assert line.status is LineStatus.CHARGED_OFF and line.interest_owed == 200
    done = recover(line, Money.of("5"), today)
    assert (done.paid_interest, done.paid_principal) == (200, 300)
    (entry,) = done.entries
    assert entry.kind == "wc-recovery" and entry.is_balanced()
    assert {ln.account.value: ln.amount for ln in entry.lines} == {"cash": 500, "recoveries": -500}
    assert done.line.status is LineStatus.CHARGED_OFF and done.line.owed == 100_000 + 200 - 500
    night = close_day(done.line, today)
    assert night.entries == () and night.line.draws == done.line.draws  # no interest revived


def test_a_recovery_is_refused_on_an_active_line_a_closed_day_or_above_what_is_owed() -> None:
    line, today = _charged_off()
    with pytest.raises(InvalidInputError) as above:
        recover(line, Money(100_201), today)
    assert above.value.field == "amount" and "1002.00" in str(above.value)
    assert recover(line, Money(100_200), today).line.owed == 0
    with pytest.raises(ConflictError):
        recover(line, Money.of("1"), today - timedelta(days=1))
    active = open_line(4, "shop-v", WorkingCapitalTerms(Money.of("10"), Decimal("0.0005")), OPENED)
    with pytest.raises(ConflictError) as not_charged:
        recover(active, Money.of("1"), OPENED)
    assert not_charged.value.field == "line_id"
