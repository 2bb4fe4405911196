"""The risk-based price build-up (#25), checked against arithmetic written here.

The oracle builds the schedules itself (等额本息 and 分期手续费, each period's interest or fee
rounded half-even to the fen, the last period absorbing the residual), sums each part over the
balance profile, and solves the lowest price on the grid by its own bisection in ``Decimal``.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.decisioning import Outcome, decide, load_policy, parse_application, replay
from thinfile.decisioning.buildup import PricingParameters, lowest_price
from thinfile.decisioning.policy import DEFAULT_POLICY_DIR
from thinfile.decisioning.pricing import Price, ProductRule, loan_terms
from thinfile.errors import InvalidInputError
from thinfile.loanmath import RepaymentMethod, build_schedule, cap_measure

PARAMS = PricingParameters(
    cost_of_funds=Decimal("0.035"),
    lgd=Decimal("0.80"),
    operating_cost_per_loan=1500,
    operating_cost_rate=Decimal("0.015"),
    capital_ratio=Decimal("0.10"),
    cost_of_capital=Decimal("0.12"),
    target_margin=Decimal("0.02"),
)
STEP = Decimal("0.0001")


def _fen(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


@dataclass
class OracleLoan:
    openings: list[int]
    revenue: int


def oracle_annuity(principal: int, annual: Decimal, n: int) -> OracleLoan:
    """等额本息 by hand: level installment rounded half-even, interest per month half-even."""
    i = annual / 12
    exact = Decimal(principal) / n if i == 0 else principal * i / (1 - (1 + i) ** -n)
    level = _fen(exact)
    balance, openings, interest_total = principal, [], 0
    for k in range(n):
        openings.append(balance)
        interest = _fen(balance * i)
        part = balance if k == n - 1 else level - interest
        balance -= part
        interest_total += interest
    return OracleLoan(openings, interest_total)


def oracle_fee_plan(principal: int, monthly_fee: Decimal, n: int) -> OracleLoan:
    """分期手续费 by hand: equal principal parts, a fee on the original principal each month."""
    part = _fen(Decimal(principal) / n)
    fee = _fen(principal * monthly_fee)
    balance, openings = principal, []
    for k in range(n):
        openings.append(balance)
        balance -= balance if k == n - 1 else part
    return OracleLoan(openings, fee * n)


def oracle_parts(
    loan: OracleLoan, pd: Decimal, adjustment: Decimal = Decimal(0)
) -> dict[str, Decimal]:
    years = Decimal(sum(loan.openings)) / 12
    return {
        "cost_of_funds": years * Decimal("0.035"),
        "expected_loss": years * pd * Decimal("0.80"),
        "operating_cost_per_yuan": years * Decimal("0.015"),
        "operating_cost_per_loan": Decimal(1500),
        "capital_charge": years * Decimal("0.10") * Decimal("0.12"),
        "target_margin": years * (Decimal("0.02") + adjustment),
    }


def oracle_lowest(build, pd: Decimal, top: int, adjustment: Decimal = Decimal(0)) -> int | None:
    """The smallest k (price k × 0.0001) whose loan earns its parts, by bisection."""

    def earns(k: int) -> bool:
        loan: OracleLoan = build(STEP * k)
        return loan.revenue >= sum(oracle_parts(loan, pd, adjustment).values())

    if not earns(top):
        return None
    low, high = -1, top
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if earns(mid) else (mid, high)
    return high


def _rule(method: RepaymentMethod, adjustment: str = "0") -> ProductRule:
    return ProductRule(
        code="test",
        method=method,
        min_amount=100000,
        max_amount=8000000,
        min_term=3,
        max_term=36,
        fit=1,
        rate_adjustment=Decimal(adjustment),
        upfront_fee_rate=Decimal(0),
    )


def _solve(rule: ProductRule, amount: int, n: int, pd: Decimal, fee_based: bool):
    from thinfile.decisioning.buildup import build_up

    def schedule_at(price: Decimal):
        p = (
            Price(Decimal(0), price, Decimal(0))
            if fee_based
            else Price(price, Decimal(0), Decimal(0))
        )
        return build_schedule(loan_terms(rule, amount, n, p, DECIDED_ON))

    return lowest_price(
        schedule_at,
        lambda s: build_up(s, PARAMS, pd=pd, adjustment=rule.rate_adjustment),
        step=STEP,
        ceiling=Decimal("0.24") / 12 if fee_based else Decimal("0.24"),
        hint=Decimal("0.1"),
    )


@pytest.mark.parametrize(
    ("amount", "n", "pd"),
    [(1_000_000, 12, "0.04"), (600_000, 12, "0.01"), (3_000_000, 36, "0.07"), (250_000, 6, "0.11")],
)
def test_the_lowest_annual_rate_matches_a_bisection_written_here(amount, n, pd):
    pd = Decimal(pd)
    found = _solve(_rule(RepaymentMethod.EQUAL_INSTALLMENT), amount, n, pd, fee_based=False)
    expected = oracle_lowest(lambda r: oracle_annuity(amount, r, n), pd, 2400)
    assert found is not None and expected is not None
    price, schedule = found
    assert price == STEP * expected
    below = oracle_annuity(amount, price - STEP, n)
    assert below.revenue < sum(oracle_parts(below, pd).values())  # one step less falls short
    assert schedule.total_interest == oracle_annuity(amount, price, n).revenue


@pytest.mark.parametrize(("amount", "n", "pd"), [(600_000, 12, "0.04"), (2_000_000, 6, "0.02")])
def test_the_lowest_monthly_fee_matches_a_bisection_written_here(amount, n, pd):
    pd = Decimal(pd)
    found = _solve(_rule(RepaymentMethod.FEE_INSTALLMENT), amount, n, pd, fee_based=True)
    expected = oracle_lowest(lambda f: oracle_fee_plan(amount, f, n), pd, 200)
    assert found is not None and expected is not None and found[0] == STEP * expected


def test_each_part_of_an_offer_matches_the_arithmetic_written_here():
    policy = load_policy()
    d = decide(
        parse_application(application(purpose="rent_deposit", requested_amount="10000.00")),
        policy=policy,
        model=ChosenPD(0.04),
        on=date(2025, 6, 1),  # before every programme's window: the price as solved
    )
    offer = next(o for o in d.offers if o.product == "consumer_installment")
    assert offer.programme is None and offer.build_up is not None
    loan = oracle_annuity(1_000_000, offer.schedule.terms.annual_rate, 12)
    expected = oracle_parts(loan, Decimal("0.04"))
    years = Decimal(sum(loan.openings)) / 12
    for part in offer.build_up.parts:
        assert abs(part.amount - expected[part.name]) < Decimal("0.0001"), part.name
        if part.name != "operating_cost_per_loan":
            assert abs(part.rate * years - expected[part.name]) < Decimal("0.0001")
    assert offer.build_up.revenue == loan.revenue >= sum(expected.values())
    built: list[dict[str, Any]] = d.as_dict()["price_build_up"]  # type: ignore[assignment]
    stored = next(b for b in built if b["product"] == "consumer_installment")
    assert [p["part"] for p in stored["parts"]] == [
        "cost_of_funds",
        "expected_loss",
        "operating_cost_per_yuan",
        "operating_cost_per_loan",
        "capital_charge",
        "target_margin",
    ]
    assert stored["parts"][1]["points"] == "3.20"  # 4% × 80%
    assert stored["parts"][1]["yuan"] == str(_fen(expected["expected_loss"]) / Decimal(100))
    assert stored["parts"][3]["yuan"] == "15.00"
    assert stored["solved"] == str(offer.schedule.terms.annual_rate)


def _random_apps(n: int):
    rng = random.Random(25)
    for k in range(n):
        yield (
            parse_application(
                application(
                    applicant_id=f"R{k}",
                    id_number=id_number(seq=f"{k % 1000:03d}"),
                    requested_amount=str(rng.choice([1000, 2500, 6000, 15000, 40000, 80000])),
                    requested_term_months=rng.choice([3, 6, 12, 24, 36]),
                    purpose=rng.choice(["consumption", "phone_purchase", "rent_deposit"]),
                    bureau_history_months=rng.choice([0, 0, 30]),
                    income_monthly_mean=str(rng.choice([4000, 8000, 20000])),
                )
            ),
            rng.choice([0.005, 0.02, 0.045, 0.07, 0.1, 0.115]),
        )


def test_no_offer_is_below_the_target_return_or_above_the_cap():
    policy = load_policy()
    cap, seen = policy.settings.cap, 0
    for app, pd in _random_apps(120):
        d = decide(app, policy=policy, model=ChosenPD(pd), on=date(2025, 6, 1))
        for offer in d.offers:
            seen += 1
            assert cap_measure(offer.annualized, policy.settings.cap_basis) <= cap
            built = offer.build_up
            assert built is not None and offer.programme is None
            # the offered schedule earns every part, counted here from its own rows
            rows = offer.schedule.installments
            openings = [offer.schedule.terms.principal.fen] + [r.balance for r in rows[:-1]]
            years = Decimal(sum(openings)) / 12
            asked = (
                years
                * (
                    Decimal("0.035")
                    + Decimal(str(round(pd, 6))) * Decimal("0.80")
                    + Decimal("0.015")
                    + Decimal("0.012")
                    + Decimal("0.02")
                    + (Decimal("0.01") if offer.product == "revolving_line" else Decimal(0))
                )
                + 1500
            )
            paid = sum(r.interest + r.fee for r in rows)
            assert paid >= asked, (offer.product, paid, asked)
    assert seen > 150


def test_a_loan_no_price_under_the_cap_pays_for_is_declined_with_its_own_reason():
    policy = load_policy()
    d = decide(
        parse_application(
            application(purpose="consumption", requested_amount="1000.00", requested_term_months=3)
        ),
        policy=policy,
        model=ChosenPD(0.11),
        on=DECIDED_ON,
    )
    assert d.outcome is Outcome.DECLINE and d.offers == ()
    assert d.reason_codes[0] == "NO_PRICE_UNDER_CAP"
    assert "NO_PRICE_UNDER_CAP" in {f.code for f in d.findings}
    en, zh = d.borrower_reasons("en")[0], d.borrower_reasons("zh")[0]
    assert "legal rate limit" in en["text"] and "利率上限" in zh["text"]
    built: list[dict[str, Any]] = d.as_dict()["price_build_up"]  # type: ignore[assignment]
    assert {b["solved"] for b in built} == {None}
    assert all(Decimal(b["required_points"]) > 24 for b in built)
    # the same loan over a year spreads its fixed cost: priced under the cap
    longer = decide(
        parse_application(
            application(purpose="consumption", requested_amount="6000.00", requested_term_months=12)
        ),
        policy=policy,
        model=ChosenPD(0.11),
        on=DECIDED_ON,
    )
    assert longer.offers


def test_a_priced_decision_replays_with_its_build_up():
    policy = load_policy()
    model = ChosenPD(0.06)
    d = decide(parse_application(application()), policy=policy, model=model, on=DECIDED_ON)
    stored = json.loads(json.dumps(d.as_dict()))
    assert stored["price_build_up"]
    assert replay(stored, policy=policy, model=model).as_dict() == stored


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("cost_of_funds", "-0.01", "pricing.cost_of_funds"),
        ("lgd", "1.5", "pricing.lgd"),
        ("target_margin", 0.02, "pricing.target_margin"),
        ("capital_ratio", "０.1", "pricing.capital_ratio"),
        ("operating_cost_per_loan_fen", "30.00", "pricing.operating_cost_per_loan_fen"),
        ("operating_cost_per_loan_fen", -1, "pricing.operating_cost_per_loan_fen"),
        ("rate_step", "0", "pricing.rate_step"),
        ("lgd", None, "pricing.lgd"),
    ],
)
def test_bad_pricing_parameters_are_refused_naming_the_field(tmp_path, key, value, field):
    folder = tmp_path / "p"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    settings = json.loads((folder / "policy.json").read_text())
    if value is None:
        del settings["pricing"][key]
    else:
        settings["pricing"][key] = value
    (folder / "policy.json").write_text(json.dumps(settings))
    with pytest.raises(InvalidInputError) as error:
        load_policy(folder)
    assert error.value.field == field


def test_the_shipped_policy_keeps_its_pricing_in_policy_json():
    settings = json.loads((DEFAULT_POLICY_DIR / "policy.json").read_text())
    assert PricingParameters.from_json(settings["pricing"]) == load_policy().settings.pricing
    graph = json.loads((DEFAULT_POLICY_DIR / "decision.json").read_text())
    grade = next(n for n in graph["nodes"] if n["id"] == "grade")
    fields = {o["field"] for o in grade["content"]["outputs"]}
    assert "grade.annual_rate" not in fields  # no list price besides the build-up
