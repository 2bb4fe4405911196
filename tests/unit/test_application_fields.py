"""An application's numbers are refused, naming the field, where they would break a decision:
the income's coefficient of variation is a finite number from 0 to 100 (as the API takes it),
not infinity, NaN or 1e308, which crashed pricing."""

from __future__ import annotations

import math

import pytest

from tests.support.decisioning import application
from thinfile.decisioning import parse_application
from thinfile.errors import InvalidInputError


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308, 100.0001, -0.1])
def test_an_income_variation_out_of_range_is_refused_naming_the_field(value: float) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_application(application(income_monthly_cv=value))
    assert [p.field for p in refused.value.problems] == ["income_monthly_cv"]


@pytest.mark.parametrize("value", [0, 0.3, 100])
def test_an_income_variation_from_0_to_100_is_taken(value: float) -> None:
    assert parse_application(application(income_monthly_cv=value)).income_monthly_cv == value
