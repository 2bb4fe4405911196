# mypy: disable-error-code="index, attr-defined, var-annotated"
# (the tests read JSON-shaped reports, typed as object by their producers)
"""The limit simulation, checked against a small book whose every month is counted by hand,
and on a synthetic book against the rules no policy may break."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from thinfile.decisioning.limit_policy import load_limit_policy
from thinfile.decisioning.limits import LimitArm, assign_limit_arm
from thinfile.errors import DataContractError, InvalidInputError
from thinfile.services.limit_simulation import simulate_limits
from thinfile.sim import generate_applicants, simulate_performance

OPEN = 500_000  # 5,000 yuan
BALANCE = 400_000
RATE_BPS = 1800


def _ids() -> tuple[list[int], int]:
    """Four line numbers outside the control group and one inside it."""
    others, control = [], None
    n = 1
    while len(others) < 4 or control is None:
        if assign_limit_arm(n, Decimal("0.05"), Decimal(0)) is LimitArm.CONTROL:
            control = control or n
        elif len(others) < 4:
            others.append(n)
        n += 1
    return others, control


def _months(loan: int, segment: str, dpd: dict[int, int], last: int = 12, default_at=None):
    rows = []
    for k in range(1, last + 1):
        late = dpd.get(k, 0)
        status = "default" if k == default_at else ("late" if late else "on_time")
        rows.append(
            {
                "applicant_id": f"A{loan:010d}",
                "loan_id": f"L{loan:010d}",
                "segment": segment,
                "month": k,
                "status": status,
                "days_past_due": late,
                "amount_due": 10_000,
                "amount_paid": 0 if late else 10_000,
                "balance": BALANCE,
                "principal": OPEN,
                "annual_rate_bps": RATE_BPS,
            }
        )
        if k == default_at:
            break
    return rows


def _hand_book():
    (a, c, d, e), b = _ids()
    performance = pd.DataFrame(
        _months(a, "shop", {})  # always on time
        + _months(b, "shop", {})  # always on time, in the control group
        + _months(c, "shop", {2: 5, 3: 35, 4: 65}, default_at=5)
        + _months(d, "rider", {})  # on time, low income
        + _months(e, "rider", {7: 10, 8: 40, 9: 70}, default_at=10)
    )
    income = {a: 1_000_000, b: 1_000_000, c: 1_000_000, d: 150_000, e: 1_000_000}
    applicants = pd.DataFrame(
        {
            "applicant_id": [f"A{n:010d}" for n in income],
            "income_monthly_mean": list(income.values()),
        }
    )
    return applicants, performance, (a, b, c, d, e)


def _affordable(income: int, dsr: Fraction) -> int:
    """Equal installments over 12 months at 18 % a year within ``dsr`` of the income,
    in whole 100 yuan (an oracle apart from the code's Decimal)."""
    r = Fraction(RATE_BPS, 10_000 * 12)
    factor = (1 - (1 + r) ** -12) / r
    return int(income * dsr * factor) // 10_000 * 10_000


def test_a_hand_counted_book_month_by_month():
    applicants, performance, (a, b, c, d, e) = _hand_book()
    report = simulate_limits(
        applicants, performance, policy=load_limit_policy(), months=12, take_up=Decimal(1)
    )
    run = report.candidate
    by_month = {m["month"]: m for m in run.by_month}
    assert _affordable(150_000, Fraction(45, 100)) == 730_000
    # month 3: A and E doubled, D raised to what its income affords, B held out, C frozen
    assert by_month[3]["decisions"] == {"freeze": 1, "held_out": 1, "increase_accepted": 3}
    assert by_month[3]["lines"] == 5
    assert by_month[3]["band_shares"]["5,000 to < 10,000"] == "0.6000"  # B, C, D
    assert by_month[3]["band_shares"]["10,000 to < 20,000"] == "0.4000"  # A, E
    # months 4 and 5: 90 days have not passed; C defaults in month 5 and leaves
    assert by_month[4]["decisions"] == {"held_out": 1, "none": 4}
    assert by_month[5]["lines"] == 4
    # month 6: A and E doubled again, D held by affordability
    assert by_month[6]["band_shares"]["20,000 to < 30,000"] == "0.5000"
    # month 8: E 40 days past due is frozen; month 9: A reaches the ceiling
    assert by_month[8]["decisions"]["freeze"] == 1
    assert by_month[9]["at_ceiling_share"] == "0.2500"
    # month 10: E charged off; A stays at the ceiling
    assert by_month[10]["lines"] == 3 and by_month[12]["at_ceiling_share"] == "0.3333"
    assert run.final_limits == {a: 3_000_000, b: OPEN, c: OPEN, d: 730_000, e: 2_000_000}
    # utilization at the snapshot: every line owes 80 % of its highest limit
    assert by_month[1]["utilization"] == "0.8000"
    # raised lines A, D, E entered at 4,000 yuan each; E defaulted owing 80 % of 20,000 yuan
    assert run.loss["increased"] == {
        "lines": 3,
        "balance_at_entry_fen": 3 * BALANCE,
        "charged_off_fen": BALANCE * 2_000_000 // OPEN,
        "defaulted_lines": 1,
        "loss_rate": "1.3333",
    }
    assert run.loss["control"]["lines"] == 1 and run.loss["control"]["loss_rate"] == "0.0000"
    segments = run.by_segment
    assert segments["rider"][2]["lines"] == 2 and segments["shop"][2]["lines"] == 3


def test_declined_offers_leave_the_limit_and_the_baseline_shows_the_change():
    applicants, performance, _ = _hand_book()
    policy = load_limit_policy()
    report = simulate_limits(
        applicants,
        performance,
        policy=policy,
        baseline=policy,
        months=12,
        take_up=Decimal(0),
    )
    run = report.candidate
    assert all(m["decisions"].get("increase_accepted", 0) == 0 for m in run.by_month)
    assert run.by_month[2]["decisions"]["offer_declined"] == 3
    assert set(run.final_limits.values()) == {OPEN}
    change = report.change()
    assert change is not None and change["by_month"][11]["average_limit_fen"] == 0


def test_a_synthetic_book_never_raises_control_lines_past_due_lines_or_beyond_the_bounds():
    applicants = generate_applicants(800, seed=11)
    performance = simulate_performance(applicants, months=18, seed=11)
    policy = load_limit_policy()
    run = simulate_limits(applicants, performance, policy=policy, take_up=Decimal("0.7")).candidate
    opening = performance.drop_duplicates("loan_id").set_index("loan_id")["principal"]
    dpd = performance.set_index(["loan_id", "month"])["days_past_due"]
    income = applicants.set_index("applicant_id")["income_monthly_mean"]
    rates = performance.drop_duplicates("loan_id").set_index("loan_id")["annual_rate_bps"]
    raised = [i for i in run.increases if not i.held_out]
    assert len(raised) > 50 and any(i.held_out for i in run.increases)
    for inc in raised:
        loan = f"L{inc.line:010d}"
        assert assign_limit_arm(inc.line, Decimal("0.05"), Decimal(0)) is not LimitArm.CONTROL
        assert inc.old_limit < inc.new_limit <= policy.settings.ceiling_fen
        assert dpd[(loan, inc.month)] == 0
        bound = _bound(int(income[f"A{inc.line:010d}"]), int(rates[loan]))
        assert inc.new_limit <= bound
    for line, limit in run.final_limits.items():
        if assign_limit_arm(line, Decimal("0.05"), Decimal(0)) is LimitArm.CONTROL:
            assert limit <= opening[f"L{line:010d}"]


def _bound(income: int, rate_bps: int) -> int:
    """The most any grade's debt-service ratio (45 %) affords, 12 equal installments."""
    r = Fraction(rate_bps, 10_000 * 12)
    return int(income * Fraction(45, 100) * (1 - (1 + r) ** -12) / r)


def test_tables_without_the_columns_or_bad_options_are_refused():
    applicants, performance, _ = _hand_book()
    policy = load_limit_policy()
    with pytest.raises(DataContractError, match="balance"):
        simulate_limits(applicants, performance.drop(columns="balance"), policy=policy)
    with pytest.raises(DataContractError, match="applicants"):
        simulate_limits(applicants.iloc[1:], performance, policy=policy)
    with pytest.raises(InvalidInputError):
        simulate_limits(applicants, performance, policy=policy, take_up=Decimal("1.5"))
