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


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_formatting_fen_as_yuan_round_trips(fen):
    assert Money.of(format_yuan(fen)).fen == fen


HOSTILE_AMOUNTS = [
    "1e12",
    "1E3",
    "5e-1",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "１２３",
    "12.345",
    "",
    " ",
    "0x10",
    "+5",
    "--5",
    "5-",
    ".5",
    "5.",
    "1 000",
    "12,34",
    "1,00",
    "1,0000",
    "¥5",
    "1_000",  # underscores are refused: nobody writes money that way, and 1_0_0 would pass
    "0.999999999999999999999999999999999",  # rounds to 1.00 in 28-digit arithmetic
    "1" + "0" * 15,  # 10^15 yuan: past the 15 digits an amount may have
]


@pytest.mark.parametrize("text", HOSTILE_AMOUNTS)
def test_money_text_that_is_not_plain_ascii_digits_is_refused_naming_the_field(text):
    with pytest.raises(InvalidInputError) as err:
        Money.of(text, field="payment")
    assert err.value.field == "payment"
    assert err.value.remedy and ("digits" in err.value.remedy or "decimals" in err.value.remedy)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("1e12", "exponent"),
        ("Infinity", "not a finite number"),
        ("nan", "not a finite number"),
        ("１２３", "full-width"),
        ("1_000", "underscores"),
        ("12,34", "commas"),
        ("", "empty"),
    ],
)
def test_a_refused_amount_says_what_was_wrong_with_it(text, why):
    with pytest.raises(InvalidInputError) as err:
        Money.of(text)
    assert why in err.value.message


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,000", 100_000),
        ("1,234,567.89", 123_456_789),
        (" 42.5 ", 4250),
        ("0", 0),
        ("-0", 0),
        ("-12.30", -1230),
        ("0.999999999999999", None),
        ("9" * 15, 10**17 - 100),
    ],
)
def test_plain_amounts_with_grouped_thousands_are_read_exactly(text, fen):
    if fen is None:
        with pytest.raises(InvalidInputError):
            Money.of(text)
    else:
        assert Money.of(text).fen == fen


@pytest.mark.parametrize(
    "value",
    [
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("sNaN"),
        Decimal("1E+15"),
        10**15,
    ],
)
def test_decimal_and_integer_amounts_must_be_finite_and_below_the_ceiling(value):
    with pytest.raises(InvalidInputError) as err:
        Money.of(value, field="limit")
    assert err.value.field == "limit"


def test_a_decimal_written_with_an_exponent_is_still_the_number_it_holds():
    assert Money.of(Decimal("1.5E+3")).fen == 150_000  # only text is held to the grammar


@pytest.mark.parametrize(
    "text",
    [
        "1e-1",
        "1E-2%",
        "NaN",
        "NaN%",
        "inf",
        "Infinity%",
        "１２%",
        "1,2%",
        "+5%",
        "1_0%",
        "0x1",
        "%",
        "",
    ],
)
def test_rates_refuse_exponents_nan_infinity_and_foreign_digits(text):
    with pytest.raises(InvalidInputError) as err:
        parse_rate(text, field="--annual-rate")
    assert err.value.field == "--annual-rate"
