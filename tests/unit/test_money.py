from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile.errors import CurrencyMismatchError, InvalidInputError, MoneyTypeError
from thinfile.money import Money, Rounding, format_yuan, parse_rate, round_fen


def test_money_is_built_from_yuan_text_into_whole_fen():
    assert Money.of("12.34").fen == 1234
    assert Money.of(Decimal("0.01")).fen == 1
    assert Money.of(5).fen == 500
    assert str(Money.of("-3.05")) == "-3.05"


def test_a_float_is_refused_as_money_everywhere():
    with pytest.raises(MoneyTypeError):
        Money.of(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyTypeError):
        Money(100).times(0.5, Rounding.HALF_UP)  # type: ignore[arg-type]


def test_more_than_two_decimals_is_an_error_not_a_silent_rounding():
    with pytest.raises(InvalidInputError) as err:
        Money.of("1.234", field="principal")
    assert err.value.field == "principal"


def test_currencies_do_not_mix():
    with pytest.raises(CurrencyMismatchError):
        Money(100, "CNY") + Money(100, "USD")


@pytest.mark.parametrize(
    ("exact", "mode", "expected"),
    [
        ("2.5", Rounding.HALF_UP, 3),
        ("2.5", Rounding.HALF_EVEN, 2),
        ("3.5", Rounding.HALF_EVEN, 4),
        ("2.99", Rounding.DOWN, 2),
        ("2.01", Rounding.UP, 3),
        ("-2.5", Rounding.HALF_UP, -3),
    ],
)
def test_round_fen_applies_the_named_mode(exact, mode, expected):
    assert round_fen(Decimal(exact), mode) == expected


def test_round_fen_to_a_multiple_rounds_to_whole_yuan():
    assert round_fen(Decimal("56130.86"), Rounding.UP, multiple=100) == 56200
    assert round_fen(Decimal("56150"), Rounding.HALF_EVEN, multiple=100) == 56200


@pytest.mark.parametrize(("text", "rate"), [("12%", "0.12"), ("0.6%", "0.006"), ("0.24", "0.24")])
def test_rates_parse_from_percent_or_fraction(text, rate):
    assert parse_rate(text) == Decimal(rate)


@pytest.mark.parametrize("text", ["abc", "12", "-1%"])
def test_bad_rates_name_the_field(text):
    with pytest.raises(InvalidInputError) as err:
        parse_rate(text, field="--annual-rate")
    assert err.value.field == "--annual-rate"


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_formatting_fen_as_yuan_round_trips(fen):
    assert Money.of(format_yuan(fen)).fen == fen
