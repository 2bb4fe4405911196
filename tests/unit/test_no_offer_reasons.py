"""A decline for want of an offer says why (the shipped policy, ``"no_offer_reasons":
"by_cause"``): no product for the purpose, an amount below every eligible product's smallest,
or an installment too large for the income — never "too high for your income, ask for a
smaller amount" to someone whose amount was too small. A policy without the setting keeps
the reasons its stored decisions were given."""

from __future__ import annotations

from pathlib import Path

from tests.support.decisioning import DECIDED_ON, ChosenPD, application, policy_without
from thinfile.decisioning import DEFAULT_POLICY_DIR, decide, load_policy, parse_application


def _decide(policy_dir: Path = DEFAULT_POLICY_DIR, pd: float = 0.01, **fields: object):
    form = application(**fields)
    return decide(
        parse_application(form), policy=load_policy(policy_dir), model=ChosenPD(pd), on=DECIDED_ON
    )


def test_an_amount_below_every_products_smallest_is_said_so() -> None:
    # 300 yuan for education (the products start at 1,000), 8,000 a month and no other debt
    d = _decide(purpose="education", requested_amount="300.00", existing_debt_payment_monthly="0")
    assert d.outcome.value == "decline"
    assert d.affordability is not None and d.affordability.max_installment > 30_000
    assert list(d.reason_codes) == ["AMOUNT_BELOW_MINIMUM"]
    [said] = d.borrower_reasons()
    assert "below the smallest loan" in said["text"] and "smaller" not in said["advice"]


def test_no_product_for_the_purpose_is_said_so() -> None:
    # a grade-D delivery rider asking for working capital: no product is eligible
    d = _decide(
        pd=0.06,
        purpose="business_working_capital",
        requested_amount="6000.00",
        existing_debt_payment_monthly="0",
    )
    assert d.outcome.value == "decline"
    assert list(d.reason_codes) == ["NO_PRODUCT_FOR_PURPOSE"]
    assert "AFFORDABILITY" not in d.reason_codes


def test_an_unaffordable_installment_is_still_affordability() -> None:
    # 30 yuan a month of room: even the smallest loan's installment is more
    d = _decide(
        requested_amount="6000.00",
        income_monthly_mean="3000.00",
        existing_debt_payment_monthly="1095.00",
    )
    assert d.affordability is not None and d.affordability.max_installment == 3_000
    assert list(d.reason_codes) == ["NO_PRODUCT", "AFFORDABILITY"]


def test_a_policy_without_the_setting_keeps_its_reasons(tmp_path: Path) -> None:
    older = policy_without(tmp_path / "policy", "no_offer_reasons")
    d = _decide(
        older, purpose="education", requested_amount="300.00", existing_debt_payment_monthly="0"
    )
    assert list(d.reason_codes) == ["NO_PRODUCT", "AFFORDABILITY"]
