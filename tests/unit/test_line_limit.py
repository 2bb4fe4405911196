"""A revolving line's limit under the shipped policy (``"line_limit": "affordable"``): at most
the product's maximum, and a principal whose level installment over the offer's term at the
offered rate fits the applicant's room — drawn whole, the line is a loan they can repay.
Checked with an annuity written here. A policy without the setting keeps income × multiple
(so decisions stored under it replay)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, policy_without
from thinfile.decisioning import DEFAULT_POLICY_DIR, decide, load_policy, parse_application

REVOLVING_MAX = 5_000_000  # the shipped product table's 50,000.00


def _annuity_fen(principal: int, annual: Decimal, periods: int) -> Decimal:
    i = annual / 12
    return principal * i * (1 + i) ** periods / ((1 + i) ** periods - 1)


def _line(policy_dir: Path):
    # grade A, 30,000 a month of platform income, 10,000 a month of other debt
    form = application(
        purpose="education",
        requested_amount="10000.00",
        requested_term_months=12,
        income_monthly_mean="30000.00",
        income_monthly_cv=0.3,
        income_months_observed=12,
        existing_debt_payment_monthly="10000.00",
    )
    decision = decide(
        parse_application(form), policy=load_policy(policy_dir), model=ChosenPD(0.01), on=DECIDED_ON
    )
    [line] = [o for o in decision.offers if o.product == "revolving_line"]
    assert decision.affordability is not None
    return line, decision.affordability.max_installment


def test_the_line_drawn_whole_fits_the_room_and_the_product() -> None:
    line, room = _line(DEFAULT_POLICY_DIR)
    terms = line.schedule.terms
    assert line.credit_limit is not None
    assert line.amount <= line.credit_limit <= REVOLVING_MAX
    assert line.credit_limit % 10_000 == 0  # the policy's 100-yuan step
    # the level installment of the whole limit fits the room; 100 yuan more would not
    assert _annuity_fen(line.credit_limit, terms.annual_rate, terms.periods) <= room
    assert _annuity_fen(line.credit_limit + 10_000, terms.annual_rate, terms.periods) > room


def test_a_policy_without_the_setting_keeps_income_times_the_multiple(tmp_path: Path) -> None:
    older = policy_without(tmp_path / "policy", "line_limit")
    line, room = _line(older)
    assert line.credit_limit is not None
    assert _annuity_fen(line.credit_limit, line.schedule.terms.annual_rate, 12) > 5 * room
