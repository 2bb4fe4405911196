"""The settlement arithmetic and file, against sums written here."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date

import pytest

from thinfile.commerce import settlement_csv, settlement_of
from thinfile.commerce.settlement import SettlementLine
from thinfile.errors import CurrencyMismatchError
from thinfile.money import Money

ON, BOOKED = date(2026, 12, 4), date(2026, 12, 3)


def cny(fen: int) -> Money:
    return Money(fen, "CNY")


def test_net_is_captures_less_refunds_less_subsidy_plus_subsidy_returned() -> None:
    lines = (
        SettlementLine.capture(BOOKED, "s1", "SO-1", 1, amount=cny(700_000), subsidy=cny(52_500)),
        SettlementLine.refund(
            BOOKED, "s1", "SO-1", 1, amount=cny(300_000), subsidy_returned=cny(22_500)
        ),
        SettlementLine.capture(BOOKED, "s2", "SO-2", 2, amount=cny(1), subsidy=cny(0)),
    )
    s = settlement_of("m", ON, lines, "CNY")
    assert (s.captured.fen, s.refunded.fen, s.subsidy.fen, s.subsidy_returned.fen) == (
        700_001,
        300_000,
        52_500,
        22_500,
    )
    assert s.coupons.fen == 0 and s.net.fen == 700_001 - 300_000 - 52_500 + 22_500
    rows = list(csv.reader(io.StringIO(settlement_csv(s))))
    assert rows[0][:2] == ["kind", "business_date"] and len(rows) == 5
    assert rows[2][5:] == ["-3000.00", "-225.00", "-2775.00", ""]
    assert rows[3][5:] == ["0.01", "0.00", "0.01", ""]
    assert rows[-1] == ["total", "2026-12-04", "", "", "", "4000.01", "300.00", "3700.01", ""]


def test_an_empty_day_files_only_the_header_and_a_zero_total() -> None:
    s = settlement_of("m", ON, (), "CNY")
    assert s.net.fen == 0
    assert settlement_csv(s).splitlines()[-1] == "total,2026-12-04,,,,0.00,0.00,0.00,"


def test_lines_of_another_currency_are_refused() -> None:
    usd = SettlementLine.capture(
        BOOKED, "s", "SO", 1, amount=Money(100, "USD"), subsidy=Money(0, "USD")
    )
    with pytest.raises(CurrencyMismatchError):
        settlement_of("m", ON, (usd,), "CNY")


def test_a_refunds_reference_is_filed_and_never_read_as_a_formula() -> None:
    """The merchant's reference of a refund (its return number) is in the file; text the
    merchant wrote that a spreadsheet would run as a formula is filed after a ``'``."""
    refund = SettlementLine.refund(
        BOOKED, "s1", "SO-1", 1, amount=cny(100), subsidy_returned=cny(0), reference="RMA-0042"
    )
    lines = (
        SettlementLine.capture(BOOKED, "s1", "=SO-1", 1, amount=cny(700), subsidy=cny(0)),
        refund,
        *(replace(refund, reference=text) for text in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1")),
    )
    rows = list(csv.reader(io.StringIO(settlement_csv(settlement_of("m", ON, lines, "CNY")))))
    assert rows[0][-1] == "reference" and rows[1][-1] == "" and rows[2][-1] == "RMA-0042"
    assert rows[1][3] == "'=SO-1" and rows[2][3] == "SO-1"
    assert [r[-1] for r in rows[3:-1]] == ["'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\t=1"]
    assert rows[-1][-4:] == ["1.00", "0.00", "1.00", ""]
