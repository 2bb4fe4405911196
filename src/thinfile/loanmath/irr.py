"""Internal rate of return for periodic (IRR) and dated (XIRR) cash flows.

The root is bracketed first, then found by Newton's method that falls back to bisection
whenever a step would leave the bracket, so odd cash flows never make it diverge. The
search runs in binary floating point for speed; the result is then polished by Newton
steps in ``Decimal`` and returned as ``Decimal``, exact to far better than 1e-9.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, localcontext

from thinfile.errors import NoSolutionError

__all__ = ["broken_period_irr", "periodic_irr", "xirr"]

_TOL = 1e-13
_MAX_ITER = 200
# Rates tried, outward from zero, to find a sign change of the net present value.
_PROBES = (
    0.0,
    0.01,
    -0.01,
    0.05,
    -0.05,
    0.2,
    -0.2,
    0.5,
    -0.5,
    1.0,
    -0.8,
    3.0,
    -0.95,
    10.0,
    -0.99,
    100.0,
    -0.999,
    1e4,
    -0.99999,
    1e6,
)

Fn = Callable[[float], tuple[float, float]]


def _check_signs(values: Sequence[int | Decimal]) -> None:
    if not any(v > 0 for v in values) or not any(v < 0 for v in values):
        raise NoSolutionError(
            "cash flows need at least one positive and one negative amount to have a rate",
            field="cash_flows",
            remedy="include the disbursement (negative) and the repayments",
        )


def _bracket(fn: Fn) -> tuple[float, float]:
    """Two probe rates, nearest zero first, between which the net present value changes sign."""
    tried: list[tuple[float, float]] = []
    for rate in _PROBES:
        value = fn(rate)[0]
        if value == 0.0:
            return rate, rate
        for other_rate, other_value in tried:
            if (value < 0) != (other_value < 0):
                return min(rate, other_rate), max(rate, other_rate)
        tried.append((rate, value))
    raise NoSolutionError(
        "no rate between -99.999% and 1,000,000% per period makes these cash flows balance",
        field="cash_flows",
    )


def _newton_from(fn: Fn, guess: float) -> float | None:
    """Plain Newton from a close guess; None unless it converges cleanly (then bracket)."""
    rate = guess
    for _ in range(8):
        value, slope = fn(rate)
        if not slope:
            return None
        step = value / slope
        rate -= step
        if not -1.0 < rate < 1e6:
            return None
        if abs(step) <= _TOL * max(1.0, abs(rate)):
            return rate
    return None


def _solve(fn: Fn, guess: float | None = None) -> float:
    if guess is not None and (found := _newton_from(fn, guess)) is not None:
        return found
    lo, hi = _bracket(fn)
    if lo == hi:
        return lo
    f_lo = fn(lo)[0]
    rate = (lo + hi) / 2
    for _ in range(_MAX_ITER):
        value, slope = fn(rate)
        if abs(value) < 1e-300:
            return rate
        if (value < 0) == (f_lo < 0):
            lo, f_lo = rate, value
        else:
            hi = rate
        step = value / slope if slope else 0.0
        candidate = rate - step
        if not slope or not lo < candidate < hi:
            candidate = (lo + hi) / 2
        if abs(candidate - rate) <= _TOL * max(1.0, abs(rate)):
            return candidate
        rate = candidate
    return rate


def _periodic_fn(flows: Sequence[float]) -> Fn:
    def fn(rate: float) -> tuple[float, float]:
        x = 1.0 / (1.0 + rate)
        value = slope = 0.0
        for c in reversed(flows):  # Horner in x = 1/(1+r), with the derivative alongside
            slope = slope * x + value
            value = value * x + c
        # d/dr of value(x(r)) = value'(x) · (−x²)
        return value, -slope * x * x

    return fn


def periodic_irr(flows: Sequence[int | Decimal], *, guess: Decimal | None = None) -> Decimal:
    """The rate per period ``r`` at which ``Σ flows[t] / (1+r)^t = 0``.

    Flows are equally spaced; ``flows[0]`` is at time 0. Where odd flows have several
    roots, the one nearest zero is returned. A ``guess`` (such as the loan's own rate per
    period) saves the bracket search when the flows are a loan's — one outflow, then only
    inflows, so a single root; the result is the same.
    """
    _check_signs(flows)
    as_float = [float(v) for v in flows]  # float-ok: search only
    single_root = flows[0] < 0 and all(v >= 0 for v in flows[1:])
    start = float(guess) if guess is not None and single_root else None  # float-ok: search only
    found = _solve(_periodic_fn(as_float), start)
    if single_root:
        return _polish_loan(flows, found)
    return _polish_periodic(flows, found)


def _decimal_npv(flows: Sequence[int | Decimal], rate: Decimal) -> tuple[Decimal, Decimal]:
    """``Σ flows[t] / (1+rate)^t`` and its derivative in ``rate`` (Horner, as in floats)."""
    x = 1 / (1 + rate)
    value = slope = Decimal(0)
    for c in reversed(flows):
        slope = slope * x + value
        value = value * x + c
    return value, -slope * x * x


def _polish(fn: Callable[[Decimal], tuple[Decimal, Decimal]], guess: float) -> Decimal:
    """Two Newton steps in 34-digit ``Decimal`` from the float root."""
    with localcontext() as ctx:
        ctx.prec = 34
        rate = Decimal(repr(guess))
        for _ in range(2):
            value, derivative = fn(rate)
            if derivative == 0:
                break
            rate -= value / derivative
    return +rate.quantize(Decimal("1e-24"))


def _polish_periodic(flows: Sequence[int | Decimal], guess: float) -> Decimal:
    return _polish(lambda rate: _decimal_npv(flows, rate), guess)


_DIGITS = Decimal("1e-24")
_HALF_DIGIT = Decimal("5e-25")
_NOISE = Decimal("1e-30")
"""More than the 34-digit arithmetic of a Newton step can be off by, for any loan's flows."""


def _polish_loan(flows: Sequence[int | Decimal], guess: float) -> Decimal:
    """:func:`_polish_periodic` for a loan's flows (one outflow, then only inflows), leaving
    out the second Newton step when it cannot change the 24 digits returned.

    After one step from ``r0`` the error of ``r1`` is ``f''(ξ)/(2f'(r0))·e0²`` (Newton's
    error), the first step being ``e0`` to first order; with every flow after the first ≥ 0
    and the last at period ``n``, ``|f''/f'| ≤ (n+1)/(1+r)``, so ``|r1 − r*|`` is well under
    ``(n+1)·step²/(1+r)``, and the second step would land within noise of ``r*``. When ``r1``
    is farther than twice that (and the noise) from a point halfway between two 24-digit
    values, both steps round to the same value.
    """
    with localcontext() as ctx:
        ctx.prec = 34
        rate = Decimal(repr(guess))
        value, derivative = _decimal_npv(flows, rate)
        if derivative != 0:
            step = value / derivative
            rate -= step
            if not _is_settled(rate, step, len(flows)):
                value, derivative = _decimal_npv(flows, rate)
                if derivative != 0:
                    rate -= value / derivative
    return +rate.quantize(_DIGITS)


def _is_settled(rate: Decimal, step: Decimal, flows: int) -> bool:
    """Whether a Newton step of ``step`` that reached ``rate`` leaves it (and the root) in the
    same 24-digit rounding, by the bound in :func:`_polish_loan`."""
    if rate <= -1:
        return False
    bound = flows * step * step / (1 + rate) + _NOISE
    return _HALF_DIGIT - abs(rate - rate.quantize(_DIGITS)) > 2 * bound


def _broken_fn(flows: Sequence[float], whole: int, fraction: float) -> Fn:
    later = _periodic_fn([0.0, *flows[1:]])

    def fn(rate: float) -> tuple[float, float]:
        # later flows sit (whole − 1 + fraction) periods later than in a regular schedule
        tail, tail_slope = later(rate)
        shift, shift_slope = _shift(rate, whole)
        simple = 1.0 / (1.0 + rate * fraction)
        value = flows[0] + tail * shift * simple
        slope = (
            tail_slope * shift + tail * shift_slope
        ) * simple - tail * shift * fraction * simple * simple
        return value, slope

    return fn


def _shift(rate: float, whole: int) -> tuple[float, float]:
    """``(1+rate)^(1−whole)`` and its derivative, by repeated products (inf, not an error,
    at the extreme rates the bracket search probes)."""
    base = 1.0 + rate
    factor = 1.0 / base if whole > 1 else base
    shift = 1.0
    for _ in range(abs(1 - whole)):
        shift *= factor
    return shift, (1 - whole) * shift / base


def _decimal_broken_npv(
    flows: Sequence[int | Decimal], whole: int, fraction: Decimal, rate: Decimal
) -> tuple[Decimal, Decimal]:
    tail, tail_slope = _decimal_npv([0, *flows[1:]], rate)
    base = 1 + rate
    shift = base ** (1 - whole)
    shift_slope = (1 - whole) * shift / base
    simple = 1 / (1 + rate * fraction)
    value = flows[0] + tail * shift * simple
    slope = (
        tail_slope * shift + tail * shift_slope
    ) * simple - tail * shift * fraction * simple * simple
    return value, slope


def broken_period_irr(flows: Sequence[int | Decimal], *, whole: int, fraction: Decimal) -> Decimal:
    """The rate per period ``R`` of flows whose first period is broken (DOMAIN §1.9(c)).

    ``flows[0]`` is at time 0, ``flows[1]`` ``whole + fraction`` periods later and each later
    flow one whole period after the one before. Flow ``t ≥ 1`` is discounted by
    ``(1+R)^(whole+t−1) · (1+R·fraction)``: whole periods compound, the fraction earns simple
    interest. With ``whole=1, fraction=0`` this is :func:`periodic_irr`.
    """
    _check_signs(flows)
    if whole < 0 or not 0 <= fraction < 1 or whole + fraction <= 0:
        raise NoSolutionError(
            "the first period must be longer than zero, as whole periods and a fraction in [0, 1)",
            field="first_period",
            value=f"{whole} + {fraction}",
        )
    as_float = [float(v) for v in flows]  # float-ok: search only
    guess = _solve(_broken_fn(as_float, whole, float(fraction)))  # float-ok: search only
    return _polish(lambda rate: _decimal_broken_npv(flows, whole, fraction, rate), guess)


def _dated_fn(amounts: Sequence[float], years: Sequence[float]) -> Fn:
    def fn(rate: float) -> tuple[float, float]:
        base = 1.0 + rate
        value = slope = 0.0
        for c, t in zip(amounts, years, strict=True):
            term = c * base ** (-t)
            value += term
            slope -= t * term / base
        return value, slope

    return fn


def xirr(flows: Sequence[tuple[date, int | Decimal]], *, guess: Decimal | None = None) -> Decimal:
    """The annual rate at which dated flows balance, with actual days / 365 (Excel's XIRR).

    A ``guess`` close to the answer (such as the effective rate of the same flows taken per
    period) saves the bracket search; the result is the same.
    """
    _check_signs([amount for _, amount in flows])
    origin = min(d for d, _ in flows)
    days = [(d - origin).days for d, _ in flows]
    amounts = [float(a) for _, a in flows]  # float-ok: search only
    start = float(guess) if guess is not None else None  # float-ok: search only
    rate = _solve(_dated_fn(amounts, [d / 365 for d in days]), start)
    # Float Newton has converged to ~1e-15 relative; exp/ln in Decimal would cost 10× more.
    return Decimal(repr(rate))
