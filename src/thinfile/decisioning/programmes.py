"""Preferential programmes (让利): a rate discount for a target group, within a window.

A programme is part of the versioned policy (``policy.json``, ``"programmes"``): a code, its
name in English and Chinese, the discount in basis points off the price the build-up solved
(:mod:`thinfile.decisioning.buildup`), whether the upfront fee is waived, the window (first and
last decision dates, both included), the products it covers (all when empty) and the target
group: every condition it names must hold of the application.

=============================  ==========================================================
``segments``                   the applicant's occupation is one of these
``max_bureau_history_months``  at most this much credit-bureau history (0: a first loan)
``max_bureau_records``         at most this many accounts on the credit report
``max_months_in_city``         in the city at most this long (新市民: under 3 years)
``max_social_insurance_months``  at most this many months of social insurance (first year of
                               work: 12)
=============================  ==========================================================

An offer takes at most one programme: of those that apply, the largest discount (then the
first listed). The discount is taken off the annual rate of an interest-bearing product; off a
fee-based installment's monthly fee rate it is the same basis points a year spread over twelve
months (rounded down to the fee step, so never more than the programme says). The decision
keeps no budget: the simulation shows what a programme costs (its margin); the budget staff
set is kept in storage and taken when a loan priced under the programme is booked
(``services.promotions``), the offer falling back to the standard price once it is spent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from thinfile.decisioning.application import SEGMENTS, Application
from thinfile.errors import InvalidInputError
from thinfile.loanmath import AnnualizedRate
from thinfile.money import format_yuan

__all__ = [
    "GROUP_CONDITIONS",
    "Programme",
    "ProgrammeUse",
    "TargetGroup",
    "programme_for",
    "programmes_from_json",
]

GROUP_CONDITIONS = (
    "max_bureau_history_months",
    "max_bureau_records",
    "max_months_in_city",
    "max_social_insurance_months",
)
"""The numeric conditions a target group may name (besides ``segments``)."""
_BASIS_POINTS = Decimal(10000)


@dataclass(frozen=True, slots=True)
class TargetGroup:
    segments: tuple[str, ...] = ()
    limits: tuple[tuple[str, int], ...] = ()
    """(application field without ``max_``, the most it may be) pairs."""

    def includes(self, app: Application) -> bool:
        """Whether ``app`` belongs to the group; a field the applicant left out counts as 0
        (no bureau history, no social insurance)."""
        if self.segments and app.segment not in self.segments:
            return False
        for name, most in self.limits:
            value = getattr(app, name)
            if (value or 0) > most:
                return False
        return True

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if self.segments:
            out["segments"] = list(self.segments)
        for name, most in self.limits:
            out[f"max_{name}"] = most
        return out


@dataclass(frozen=True, slots=True)
class Programme:
    code: str
    name_en: str
    name_zh: str
    discount_bps: int
    fee_waiver: bool
    starts: date
    ends: date
    group: TargetGroup
    products: tuple[str, ...] = ()

    def is_open_on(self, on: date) -> bool:
        return self.starts <= on <= self.ends

    def applies(self, app: Application, product: str, on: date) -> bool:
        return (
            self.is_open_on(on)
            and (not self.products or product in self.products)
            and self.group.includes(app)
        )

    @property
    def annual_discount(self) -> Decimal:
        return Decimal(self.discount_bps) / _BASIS_POINTS

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "name_en": self.name_en,
            "name_zh": self.name_zh,
            "discount_bps": self.discount_bps,
            "fee_waiver": self.fee_waiver,
            "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat(),
            "group": self.group.as_json(),
        }
        if self.products:
            out["products"] = list(self.products)
        return out


@dataclass(frozen=True, slots=True)
class ProgrammeUse:
    """A programme as an offer took it: the price and annualized rate before and after."""

    programme: Programme
    price_kind: str
    """``annual_rate`` or ``monthly_fee_rate``: which price the discount was taken off."""
    price_before: Decimal
    price_after: Decimal
    rate_before: AnnualizedRate
    rate_after: AnnualizedRate
    fee_waived: int
    """The upfront fee waived, in fen (0 without a waiver or an upfront fee)."""

    def as_dict(self) -> dict[str, object]:
        p = self.programme
        return {
            "code": p.code,
            "name_en": p.name_en,
            "name_zh": p.name_zh,
            "discount_bps": p.discount_bps,
            "fee_waiver": p.fee_waiver,
            "price_kind": self.price_kind,
            "price_before": str(self.price_before),
            "price_after": str(self.price_after),
            "annualized_before": {
                "nominal": str(self.rate_before.nominal),
                "effective": str(self.rate_before.effective),
            },
            "annualized_after": {
                "nominal": str(self.rate_after.nominal),
                "effective": str(self.rate_after.effective),
            },
            "fee_waived": format_yuan(self.fee_waived),
        }


def programme_for(
    programmes: Sequence[Programme], app: Application, product: str, on: date
) -> Programme | None:
    """The programme an offer of ``product`` to ``app`` on ``on`` takes, if any."""
    best = None
    for p in programmes:
        if p.applies(app, product, on) and (best is None or p.discount_bps > best.discount_bps):
            best = p
    return best


def _invalid(field: str, value: object, what: str) -> InvalidInputError:
    return InvalidInputError(
        f"policy.json {field} must be {what}",
        field=field,
        value=value,
        remedy="compare it with the default policy's programmes",
    )


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"{where}.{key}", value, "non-empty text")
    return value


def _whole(value: object, field: str, most: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise _invalid(field, value, f"a whole number from 0 to {most}")
    return value


def _day(data: Mapping[str, Any], key: str, where: str) -> date:
    try:
        return date.fromisoformat(_text(data, key, where))
    except ValueError:
        raise _invalid(f"{where}.{key}", data.get(key), "a date written YYYY-MM-DD") from None


def _group(data: object, where: str) -> TargetGroup:
    if not isinstance(data, Mapping):
        raise _invalid(f"{where}.group", data, "an object of conditions")
    unknown = set(data) - {"segments", *GROUP_CONDITIONS}
    if unknown:
        raise _invalid(f"{where}.group", sorted(unknown), "conditions the policy knows")
    segments = data.get("segments", [])
    if not isinstance(segments, list) or not set(segments) <= set(SEGMENTS):
        raise _invalid(f"{where}.group.segments", segments, "a list of occupations")
    limits = tuple(
        (name.removeprefix("max_"), _whole(data[name], f"{where}.group.{name}", 900))
        for name in GROUP_CONDITIONS
        if name in data
    )
    return TargetGroup(tuple(segments), limits)


def _programme(data: object, k: int) -> Programme:
    where = f"programmes[{k}]"
    if not isinstance(data, Mapping):
        raise _invalid(where, data, "an object")
    starts, ends = _day(data, "starts", where), _day(data, "ends", where)
    if ends < starts:
        raise _invalid(f"{where}.ends", data["ends"], "on or after the start")
    products = data.get("products", [])
    if not isinstance(products, list) or not all(isinstance(p, str) for p in products):
        raise _invalid(f"{where}.products", products, "a list of product codes")
    waiver = data.get("fee_waiver", False)
    if not isinstance(waiver, bool):
        raise _invalid(f"{where}.fee_waiver", waiver, "true or false")
    return Programme(
        code=_text(data, "code", where),
        name_en=_text(data, "name_en", where),
        name_zh=_text(data, "name_zh", where),
        discount_bps=_whole(data.get("discount_bps"), f"{where}.discount_bps", 2400),
        fee_waiver=waiver,
        starts=starts,
        ends=ends,
        group=_group(data.get("group"), where),
        products=tuple(products),
    )


def programmes_from_json(data: object) -> tuple[Programme, ...]:
    """The programmes of ``policy.json`` (a list); codes are unique."""
    if not isinstance(data, list):
        raise _invalid("programmes", data, "a list of programmes")
    out = tuple(_programme(item, k) for k, item in enumerate(data))
    codes = [p.code for p in out]
    if len(set(codes)) != len(codes):
        raise _invalid("programmes", codes, "programmes with different codes")
    return out
