"""A loan's periodic IRR leaves out the second 34-digit Newton step when it cannot change the
24 digits returned: the rate must be the one the two steps give, on any loan's flows."""

from __future__ import annotations

from decimal import Decimal

import numpy_financial as npf
from hypothesis import given, settings
from hypothesis import strategies as st

from thinfile.loanmath import periodic_irr
from thinfile.loanmath.irr import _is_settled, _periodic_fn, _polish_periodic, _solve


@st.composite
def loan_flows(draw: st.DrawFn) -> list[int]:
    periods = draw(st.integers(1, 60))
    principal = draw(st.integers(100, 10**9))
    bps = draw(st.integers(0, 400))  # a monthly rate of up to 4%, simple interest
    payment = principal * (10_000 + bps * periods) // (10_000 * periods) + 1
    paid = [draw(st.integers(max(0, payment - 5_000), payment + 5_000)) for _ in range(periods)]
    if sum(paid) <= 0:
        paid[-1] = 1
    fee = draw(st.integers(0, principal // 10))
    return [-(principal - fee), *paid]


def _two_steps(flows: list[int]) -> Decimal:
    """The rate as it was: the float root, then two Newton steps in 34 digits."""
    as_float = [float(v) for v in flows]  # float-ok: the float search, as periodic_irr does
    return _polish_periodic(flows, _solve(_periodic_fn(as_float)))


@settings(max_examples=1500, deadline=None)
@given(loan_flows())
def test_a_loans_rate_is_the_one_two_newton_steps_give(flows):
    assert str(periodic_irr(flows)) == str(_two_steps(flows))
    guess = Decimal(flows[1]) / -flows[0] / 2
    assert str(periodic_irr(flows, guess=guess)) == str(_two_steps(flows))


@settings(max_examples=300, deadline=None)
@given(loan_flows())
def test_a_loans_rate_agrees_with_numpy_financial(flows):
    expected = npf.irr(flows)
    assert abs(float(periodic_irr(flows)) - expected) < 1e-10  # float-ok: an oracle


def test_a_rate_beside_a_halfway_point_takes_the_second_step():
    halfway = Decimal("0.010000000000000000000000500000")
    assert not _is_settled(halfway, Decimal("1e-17"), 13)
    assert not _is_settled(halfway + Decimal("1e-31"), Decimal("1e-17"), 13)
    assert _is_settled(Decimal("0.0100000000000000000000002"), Decimal("1e-17"), 13)
    assert not _is_settled(Decimal("0.0100000000000000000000002"), Decimal("1e-11"), 13)
    assert not _is_settled(Decimal("-1"), Decimal("1e-17"), 13)
