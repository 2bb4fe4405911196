"""An application for credit: the applicant's data and the request, validated in one pass.

Every bad field is reported at once (missing, wrong type, impossible value); nothing is
defaulted silently. Money is read by :meth:`thinfile.money.Money.of` and bounded: a requested
amount from 0.01 to :data:`MAX_REQUESTED_YUAN` yuan, monthly income, spend and debt payments
from 0 to :data:`MAX_MONTHLY_YUAN` yuan. Alternative-data fields are optional: ``null``
means "no data", which the model treats as information, never as zero.

The field table (:data:`REQUIRED` and :data:`OPTIONAL`: each field's name and parser) is the
one list of fields. :class:`Application` declares the same fields, in the same order, with the
types the parsers return (``X | None`` for an optional field); :data:`FIELD_TYPES` is read
from the parsers, and a test holds the class to the table.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, get_type_hints

from thinfile.errors import FieldProblem, InvalidInputError
from thinfile.money import FEN_PER_YUAN, Money, format_yuan
from thinfile.resident_id import age_on
from thinfile.text import normalize

__all__ = [
    "FIELD_TYPES",
    "MAX_MONTHLY_YUAN",
    "MAX_REQUESTED_YUAN",
    "MONEY_FIELDS",
    "OPTIONAL",
    "PURPOSES",
    "REQUIRED",
    "SEGMENTS",
    "Application",
    "parse_application",
]

SEGMENTS = (
    "delivery_rider",
    "ride_hail_driver",
    "construction_worker",
    "factory_worker",
    "domestic_service",
    "micro_shop_owner",
    "new_graduate",
    "salaried_resident",
)
PURPOSES = (
    "consumption",
    "rent_deposit",
    "education",
    "vehicle",
    "medical",
    "business_working_capital",
    "phone_purchase",
)

Value = str | int | float | bool | date | None
Parser = Callable[[object], Value]


class _Bad(ValueError):
    """A field value that cannot be used; the message says why."""


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad("must be a non-empty string")
    return value.strip()


def _identifier(value: object) -> str:
    """An ID number or phone in the one normal form (:func:`thinfile.text.normalize`: NFKC), so
    full-width digits are the digits they stand for; what is still not ASCII is then not a
    valid number to the identity checks, which knock the application out."""
    return normalize(_text(value))


def _int_in(low: int, high: int) -> Parser:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Bad("must be a whole number")
        if not low <= value <= high:
            raise _Bad(f"must be from {low} to {high}")
        return value

    return parse


def _ratio(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad("must be a number from 0 to 1")
    if math.isnan(value) or not 0 <= value <= 1:
        raise _Bad("must be a number from 0 to 1")
    return float(value)  # float-ok: a ratio, not money


MAX_INCOME_CV = 100
"""The largest coefficient of variation of monthly income taken (the API's bound too): a
standard deviation a hundred times the mean is already no income to speak of."""


def _variation(value: object) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 <= value <= MAX_INCOME_CV  # NaN and infinity fail this too
    ):
        raise _Bad(f"must be a number from 0 to {MAX_INCOME_CV}")
    return float(value)  # float-ok: a coefficient of variation, not money


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise _Bad("must be true or false")
    return value


def _day(value: object) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _Bad("must be a date written YYYY-MM-DD") from None


def _yuan_in(low: int, high: int) -> Parser:
    """A yuan amount (``"12000.00"``, ``"12,000"`` or ``12000``) from ``low`` to ``high`` fen,
    read by :meth:`Money.of`: floats, exponents (``"1e12"``), ``NaN``, infinity and
    full-width digits are refused."""

    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _Bad(f"{_AMOUNT_HINT} or an integer")
        try:
            fen = Money.of(value).fen
        except InvalidInputError as error:
            raise _Bad(f"{_AMOUNT_HINT} ({error.message})") from None
        if not low <= fen <= high:
            raise _Bad(f"must be from {_yuan_words(low)} to {_yuan_words(high)} yuan")
        return fen

    return parse


_AMOUNT_HINT = 'must be a yuan amount written in digits 0-9, such as "12000.00"'


def _yuan_words(fen: int) -> str:
    """``100000000`` → ``'1,000,000'``; ``1`` → ``'0.01'``: a bound as a person reads it."""
    return format_yuan(fen, grouped=True).removesuffix(".00")


MAX_REQUESTED_YUAN = 1_000_000
"""The most an application may ask for, in yuan: above what any consumer product lends (the
shipped policy's largest product lends 100,000; internet personal loans in China are capped
at 200,000 per lender), so a larger figure is a typing slip, refused before it is decided."""
MAX_MONTHLY_YUAN = 10_000_000
"""The most a monthly income, spend or debt payment may be, in yuan: a guard against slips
such as ``1e12``, far above any applicant a consumer lender sees."""
_requested_amount = _yuan_in(1, MAX_REQUESTED_YUAN * FEN_PER_YUAN)
_monthly_amount = _yuan_in(0, MAX_MONTHLY_YUAN * FEN_PER_YUAN)
MONEY_FIELDS = frozenset(
    {
        "requested_amount",
        "income_monthly_mean",
        "declared_monthly_income",
        "ecommerce_monthly_spend",
        "existing_debt_payment_monthly",
    }
)
"""The fields holding money: yuan in, whole fen in :class:`Application`."""


def _choice(options: tuple[str, ...]) -> Parser:
    def parse(value: object) -> str:
        if value not in options:
            raise _Bad("must be one of: " + ", ".join(options))
        return str(value)

    return parse


REQUIRED: dict[str, Parser] = {
    "applicant_id": _text,
    "id_number": _identifier,
    "phone": _identifier,
    "birth_date": _day,
    "segment": _choice(SEGMENTS),
    "months_in_city": _int_in(0, 900),
    "purpose": _choice(PURPOSES),
    "requested_amount": _requested_amount,
    "requested_term_months": _int_in(1, 60),
    "consent_credit": _flag,
}

OPTIONAL: dict[str, Parser] = {
    "name": _text,
    "gender": _choice(("F", "M")),
    "city": _text,
    "city_tier": _int_in(1, 4),
    "hukou_province": _text,
    "is_local_hukou": _flag,
    "device_id": _text,
    "bureau_history_months": _int_in(0, 900),
    "bureau_records": _int_in(0, 1000),
    "bureau_delinquencies_24m": _int_in(0, 1000),
    "platform_tenure_months": _int_in(0, 900),
    "income_monthly_mean": _monthly_amount,
    "income_monthly_cv": _variation,
    "income_months_observed": _int_in(0, 12),
    "income_verified": _flag,
    "declared_monthly_income": _monthly_amount,
    "rent_months_reported": _int_in(0, 900),
    "rent_on_time_ratio": _ratio,
    "utility_months_reported": _int_in(0, 900),
    "utility_on_time_ratio": _ratio,
    "social_insurance_months": _int_in(0, 900),
    "ecommerce_months_active": _int_in(0, 900),
    "ecommerce_monthly_spend": _monthly_amount,
    "device_tenure_months": _int_in(0, 900),
    "address_changes_24m": _int_in(0, 100),
    "existing_debt_payment_monthly": _monthly_amount,
    "consent_alt_data": _flag,
}


FIELD_TYPES: dict[str, type] = {
    name: get_type_hints(parser)["return"] for name, parser in {**REQUIRED, **OPTIONAL}.items()
}
"""Each field's type, as its parser returns it (money: whole fen, an ``int``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Application:
    """A validated application: the fields of :data:`REQUIRED` and :data:`OPTIONAL`, parsed.

    Money is in whole fen. An optional field the applicant left out is ``None`` ("no data"),
    never zero. Build one with :func:`parse_application` (raw input) or :meth:`from_values`
    (a table row already parsed, as in a simulation).
    """

    applicant_id: str
    id_number: str
    phone: str
    birth_date: date
    segment: str
    months_in_city: int
    purpose: str
    requested_amount: int
    """Fen."""
    requested_term_months: int
    consent_credit: bool

    name: str | None = None
    gender: str | None = None
    city: str | None = None
    city_tier: int | None = None
    hukou_province: str | None = None
    is_local_hukou: bool | None = None
    device_id: str | None = None
    bureau_history_months: int | None = None
    bureau_records: int | None = None
    bureau_delinquencies_24m: int | None = None
    platform_tenure_months: int | None = None
    income_monthly_mean: int | None = None
    """Fen."""
    income_monthly_cv: float | None = None
    income_months_observed: int | None = None
    income_verified: bool | None = None
    declared_monthly_income: int | None = None
    """Fen."""
    rent_months_reported: int | None = None
    rent_on_time_ratio: float | None = None
    utility_months_reported: int | None = None
    utility_on_time_ratio: float | None = None
    social_insurance_months: int | None = None
    ecommerce_months_active: int | None = None
    ecommerce_monthly_spend: int | None = None
    """Fen."""
    device_tenure_months: int | None = None
    address_changes_24m: int | None = None
    existing_debt_payment_monthly: int | None = None
    """Fen."""
    consent_alt_data: bool | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> Application:
        """An application from values already parsed (money in fen), such as a row of a
        :mod:`thinfile.sim` table: each value must have its field's type (a whole-number
        float, as in a table column with gaps, counts as an integer); ranges are not checked
        again. Every bad or unknown field is listed in one ``InvalidInputError``."""
        problems: list[FieldProblem] = []
        parsed: dict[str, Value] = {}
        for name, raw in values.items():
            kind = FIELD_TYPES.get(name)
            if kind is None:
                problems.append(FieldProblem(name, "is not a known field"))
            elif type(raw) is kind:  # already the field's type: its parser would return it
                parsed[name] = raw  # type: ignore[assignment]
            elif raw is not None:
                _parse_into(parsed, problems, name, _AS_TYPE[kind], raw)
        problems.extend(
            FieldProblem(name, "is required")
            for name in REQUIRED
            if name not in parsed and name not in {p.field for p in problems}
        )
        if problems:
            raise InvalidInputError(
                f"the application has {len(problems)} bad field(s)", problems=problems
            )
        return _build(parsed)

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)

    def as_record(self) -> dict[str, Value]:
        """The given fields (money in fen, dates as ``date``), in the field table's order:
        what the scoring model reads. Fields left out are absent, not ``None``."""
        return {name: value for name in _FIELD_NAMES if (value := getattr(self, name)) is not None}

    def as_json(self) -> dict[str, object]:
        """The application as JSON-ready data: dates as ISO text, money back in yuan text."""
        out: dict[str, object] = {}
        for key, value in self.as_record().items():
            if isinstance(value, date):
                out[key] = value.isoformat()
            elif key in MONEY_FIELDS and isinstance(value, int):
                out[key] = format_yuan(value)
            else:
                out[key] = value
        return out


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Application))
"""The record's fields in the field table's order (``dataclasses.fields`` once, not per
record)."""


def _whole(value: object) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad("must be a whole number")
    return value


def _real(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad("must be a number")
    return float(value)  # float-ok: ratios only; money fields are whole fen (int)


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise _Bad("must be a string")
    return value


_AS_TYPE: dict[type, Parser] = {int: _whole, float: _real, bool: _flag, str: _string, date: _day}
"""How :meth:`Application.from_values` checks a value already parsed, by field type."""


def _build(values: Mapping[str, Value]) -> Application:
    """An :class:`Application` from parsed values: each parser returns its field's type (a
    test holds :data:`FIELD_TYPES` and the class's annotations to each other)."""
    by_name: dict[str, Any] = dict(values)
    return Application(**by_name)


def parse_application(data: object) -> Application:
    """Validate raw application data; every bad field is listed in one ``InvalidInputError``."""
    if not isinstance(data, Mapping):
        raise InvalidInputError("an application must be a JSON object", field="application")
    problems: list[FieldProblem] = []
    values: dict[str, Value] = {}
    for name, parser in REQUIRED.items():
        if data.get(name) is None:
            problems.append(FieldProblem(name, "is required"))
            continue
        _parse_into(values, problems, name, parser, data[name])
    for name, parser in OPTIONAL.items():
        if data.get(name) is not None:
            _parse_into(values, problems, name, parser, data[name])
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    problems.extend(FieldProblem(name, "is not a known field") for name in unknown)
    if problems:
        raise InvalidInputError(
            f"the application has {len(problems)} bad field(s)",
            problems=problems,
            remedy="correct every listed field and submit again",
        )
    return _build(values)


def _parse_into(
    values: dict[str, Value], problems: list[FieldProblem], name: str, parser: Parser, raw: object
) -> None:
    try:
        values[name] = parser(raw)
    except _Bad as bad:
        problems.append(FieldProblem(name, str(bad), raw))
