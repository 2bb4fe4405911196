"""A broken (irregular) first period is disclosed and cap-checked on the real dates.

The oracles here share no code with ``thinfile.loanmath``: they read the schedule's dated
cash flows, place each on the calendar with their own month arithmetic and find the root by
plain bisection. DOMAIN §1.9(c): a flow ``s`` whole periods and a fraction ``f`` after
disbursement is discounted by ``(1+R)^s · (1+R·f)``; the fraction is the actual days over the
actual length of the month it falls in. XIRR discounts by ``(1+x)^(days/365)``.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.cli import run
from thinfile.errors import RateCapExceededError
from thinfile.loanmath import (
    Frequency,
    LoanTerms,
    RepaymentMethod,
    annualized_rate,
    broken_period_irr,
    build_schedule,
    check_cap,
    periodic_irr,
    periods_between,
)
from thinfile.money import Money

D = Decimal
CAP = 0.24
REPRO = [
    "quote",
    "--principal",
    "10000",
    "--periods",
    "12",
    "--annual-rate",
    "21.8%",
    "--start",
    "2026-01-01",
    "--first-due",
    "2026-01-05",
]


# ---- the independent oracle ---------------------------------------------------------------


def _month_anniversary(start: date, months: int) -> date:
    """``start`` moved by whole months, on start's day or the month's last day."""
    year = start.year + (start.month - 1 + months) // 12
    month = (start.month - 1 + months) % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _calendar_periods(start: date, when: date) -> tuple[int, float]:
    """Whole months from ``start`` to ``when`` and the fraction of the month it falls in."""
    months = 0
    while _month_anniversary(start, months + 1) <= when:
        months += 1
    begin, end = _month_anniversary(start, months), _month_anniversary(start, months + 1)
    return months, (when - begin).days / (end - begin).days


def _bisect(npv, lo: float = -0.5, hi: float = 5.0) -> float:
    assert npv(lo) > 0 > npv(hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if npv(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


def oracle_monthly_rate(flows: list[tuple[date, int]]) -> float:
    """The monthly rate R on the calendar: the first period as its fraction, then months."""
    (start, first_amount), (first_due, _) = flows[0], flows[1]
    whole, fraction = _calendar_periods(start, first_due)
    placed = []
    for when, amount in flows[1:]:
        later, rest = _calendar_periods(first_due, when)
        assert rest == 0, "repayments after the first fall whole months after it"
        placed.append((whole + later, amount))

    def npv(rate: float) -> float:
        simple = 1 + rate * fraction
        return first_amount + sum(a / ((1 + rate) ** s * simple) for s, a in placed)

    return _bisect(npv)


def oracle_xirr(flows: list[tuple[date, int]]) -> float:
    origin = flows[0][0]
    return _bisect(lambda x: sum(a / (1 + x) ** ((d - origin).days / 365) for d, a in flows))


def oracle_figures(flows: list[tuple[date, int]]) -> tuple[float, float]:
    """(monthly rate × 12, compounded) on the calendar, as disclosed (DOMAIN §2.2)."""
    rate = oracle_monthly_rate(flows)
    return rate * 12, (1 + rate) ** 12 - 1


def repro_schedule():
    return build_schedule(
        LoanTerms(
            Money.of("10000"),
            D("0.218"),
            12,
            RepaymentMethod.EQUAL_INSTALLMENT,
            date(2026, 1, 1),
            first_due=date(2026, 1, 5),
        )
    )


# ---- the reproduction ---------------------------------------------------------------------


def test_the_oracle_sees_the_four_day_first_period_put_the_loan_above_the_cap():
    flows = repro_schedule().dated_cash_flows()
    nominal, effective = oracle_figures(flows)
    assert round(nominal, 4) == 0.2182 and round(effective, 4) == 0.2414
    assert round(oracle_xirr(flows), 4) == 0.2426
    assert effective > CAP


def test_a_quote_whose_short_first_period_lifts_the_cost_above_the_cap_is_refused(capsys):
    code, out, err = run(capsys, *REPRO)
    _, effective = oracle_figures(repro_schedule().dated_cash_flows())
    assert code == 2
    assert err.startswith("error: --annual-rate: ")
    assert len(err.strip().splitlines()) == 1
    assert f"{effective:.2%}" in err and "24.00%" in err
    assert "Traceback" not in err + out


def test_the_quote_discloses_the_figures_on_the_real_dates(capsys):
    code, out, _ = run(capsys, *REPRO, "--cap", "25%", "--json")
    assert code == 0
    shown = json.loads(out)["annualized_rate"]
    flows = repro_schedule().dated_cash_flows()
    nominal, effective = oracle_figures(flows)
    assert abs(D(shown["nominal"]) - D(str(nominal))) < D("1e-9")
    assert abs(D(shown["effective"]) - D(str(effective))) < D("1e-9")
    assert abs(D(shown["xirr"]) - D(str(oracle_xirr(flows)))) < D("1e-9")
    assert D(shown["first_period"]) == D(4) / 31


def test_the_printed_quote_says_the_first_period_is_irregular(capsys):
    code, out, _ = run(capsys, *REPRO, "--cap", "25%")
    assert code == 0
    assert "21.82%" in out and "24.14%" in out
    assert "Irregular first period" in " ".join(out.split()) and "24.26%" in out


# ---- any first due date within two months -------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(
    start=st.dates(date(2023, 1, 1), date(2028, 12, 31)),
    days=st.integers(1, 62),
    rate=st.decimals(D("0.18"), D("0.235"), places=4),
    periods=st.integers(3, 36),
    method=st.sampled_from(
        [
            RepaymentMethod.EQUAL_INSTALLMENT,
            RepaymentMethod.EQUAL_PRINCIPAL,
            RepaymentMethod.INTEREST_ONLY,
        ]
    ),
)
def test_the_disclosed_rate_and_the_cap_check_follow_the_real_dates(
    start, days, rate, periods, method
):
    schedule = build_schedule(
        LoanTerms(
            Money.of("10000"), rate, periods, method, start, first_due=start + timedelta(days=days)
        )
    )
    disclosed = annualized_rate(schedule)
    nominal, effective = oracle_figures(schedule.dated_cash_flows())
    assert abs(disclosed.nominal - D(str(nominal))) < D("1e-6")
    assert abs(disclosed.effective - D(str(effective))) < D("1e-6")
    stricter = max(nominal, effective)
    if abs(stricter - CAP) > 1e-9:
        refused = True
        try:
            check_cap(disclosed, D(str(CAP)))
        except RateCapExceededError:
            pass
        else:
            refused = False
        assert refused == (stricter > CAP)


# ---- regular schedules keep their figures -------------------------------------------------


@pytest.mark.parametrize("start", [date(2024, 1, 1), date(2024, 1, 31), date(2026, 3, 15)])
def test_a_first_due_date_one_period_after_the_start_is_a_regular_schedule(start):
    def terms(first_due):
        return LoanTerms(
            Money.of("10000"),
            D("0.218"),
            12,
            RepaymentMethod.EQUAL_INSTALLMENT,
            start,
            first_due=first_due,
        )

    def figures(schedule):
        rate = annualized_rate(schedule)
        return rate.periodic_irr, rate.nominal, rate.effective, rate.first_period

    regular = build_schedule(terms(None))
    # from the 31st the later due dates keep the first due date's day, so only XIRR may move
    explicit = build_schedule(terms(regular.installments[0].due_date))
    assert figures(explicit) == figures(regular)
    assert figures(regular)[0] == periodic_irr(regular.period_cash_flows())
    for schedule in (regular, explicit):
        assert set(annualized_rate(schedule).as_dict()) == {
            "periodic_irr",
            "nominal",
            "effective",
            "xirr",
            "periods_per_year",
        }


def test_a_broken_period_irr_with_one_whole_period_is_the_periodic_irr():
    flows = [-10000, 3400, 3400, 3400]
    assert broken_period_irr(flows, whole=1, fraction=D(0)) == periodic_irr(flows)


@pytest.mark.parametrize(
    ("end", "frequency", "expected"),
    [
        (date(2026, 1, 5), Frequency.MONTHLY, (0, D(4) / 31)),
        (date(2026, 2, 1), Frequency.MONTHLY, (1, D(0))),
        (date(2026, 2, 20), Frequency.MONTHLY, (1, D(19) / 28)),
        (date(2026, 1, 11), Frequency.BIWEEKLY, (0, D(10) / 14)),
        (date(2026, 1, 21), Frequency.EVERY_15_DAYS, (1, D(5) / 15)),
    ],
)
def test_periods_between_counts_whole_periods_and_the_actual_fraction(end, frequency, expected):
    assert periods_between(date(2026, 1, 1), end, frequency) == expected


def test_months_from_the_31st_clamp_as_due_dates_do():
    assert periods_between(date(2026, 1, 31), date(2026, 2, 28), Frequency.MONTHLY) == (1, D(0))
    assert periods_between(date(2026, 1, 31), date(2026, 3, 5), Frequency.MONTHLY) == (1, D(5) / 31)
