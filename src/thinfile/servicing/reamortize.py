"""Re-amortization (重新计算还款计划) after principal is cut by a prepayment or a refund.

The remaining installments keep their due dates and period rates. Equal-installment (等额本息)
loans get a new level payment (reduce installment) or keep the old one and finish early
(shorten term); other methods re-split principal equally or keep the old principal part.
Rows that repaid no principal — an interest-only (先息后本) loan's before its last, a principal
grace period's — still repay none: the level or the equal split is over the rows that do.
Interest is on the declining balance, rounded with the loan's mode; the last row absorbs.

An interest coupon stays with the installments it was given for. A loan that keeps the
coupon's own terms (``LoanTerms.charge_coupon``) has its cut re-computed on what is actually
charged whenever a row is re-planned or its period is charged for fewer days
(:class:`Relief`, :func:`used_interest`, :func:`rest_cost`): a rate discount keeps
``factor ×`` the interest and fee charged (rounded as at opening,
``loanmath.COUPON_ROUNDING``); free days take the interest of the promised free days of the
installment; an amount off takes what the installment was given of it, and what a row
re-planned could not take passes to the next. A loan stored before the coupon's terms were
kept takes the fixed cut in fen of ``LoanTerms.charge_relief``, as it always has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

from thinfile.loanmath import (
    ChargeCoupon,
    CouponRule,
    LoanTerms,
    RepaymentMethod,
    Schedule,
    build_schedule,
    due_dates,
    level_installment,
    period_rates,
)
from thinfile.money import round_fen
from thinfile.servicing.account import InstallmentState, LoanAccount
from thinfile.servicing.daily import accrued_to
from thinfile.servicing.product import PrepaymentMode

__all__ = [
    "Relief",
    "carried_fee",
    "carried_interest",
    "coupon_cut",
    "discounted_rest",
    "fee_relief",
    "free_rest",
    "kept_carried",
    "less_relief",
    "pass_relief",
    "reamortize",
    "relief_left",
    "rest_cost",
    "rest_of_period",
    "unused_relief",
    "used_fee",
    "used_interest",
    "with_carried",
]

_ON_ORIGINAL = (RepaymentMethod.FLAT, RepaymentMethod.FEE_INSTALLMENT)
"""Methods whose interest is on the original principal, not on what is lent."""


def _principal_rule(
    loan: LoanAccount,
    future: Sequence[InstallmentState],
    balance: int,
    mode: PrepaymentMode,
    level: int | None,
) -> Callable[[int], int]:
    """The principal part bearing interest of each repaying row (:func:`_repays`) given its
    interest; ``balance`` is the principal bearing interest."""
    terms = loan.schedule.terms
    annuity = terms.method is RepaymentMethod.EQUAL_INSTALLMENT
    repaying = [i for i in future if _repays(i)] or list(future[-1:])
    if mode is PrepaymentMode.SHORTEN_TERM:
        first = repaying[0]
        given = future[0] if level is not None else first
        whole = first.principal_due + first.interest_due if level is None else level
        # the installment kept is the row's own: what a re-age moved onto it stays beside it
        kept = whole - given.principal_carried - given.interest_carried
        own = first.principal_due - first.principal_carried
        return (lambda interest: kept - interest) if annuity else (lambda _interest: own)
    if annuity:  # level over the repaying rows: the rows before them keep the balance whole
        rates = [loan.rates[i.n] for i in repaying]
        level = round_fen(level_installment(balance, rates), terms.level_rounding)
        return lambda interest: level - interest
    part = round_fen(Decimal(balance) / len(repaying), terms.level_rounding)
    return lambda _interest: part


def _repays(row: InstallmentState) -> bool:
    """Whether ``row`` repays principal of its own: an interest-only loan's rows before the
    last, and a grace period's, ask none (a re-age's principal moved onto them aside), and a
    prepayment keeps them so."""
    return row.principal_due > row.principal_carried


def kept_carried(future: Sequence[InstallmentState], balance: int) -> list[int]:
    """The principal a re-age moved onto each of ``future`` that ``balance`` still owes: all
    of it, unless the principal cut took more than the part bearing interest — then the rest
    comes off the last rows first."""
    carried = [min(r.principal_carried, r.principal_due - r.principal_paid) for r in future]
    excess = max(0, sum(carried) - balance)
    for j in range(len(carried) - 1, -1, -1):
        if not excess:
            break
        taken = min(excess, carried[j])
        carried[j] -= taken
        excess -= taken
    return carried


def reamortize(
    loan: LoanAccount,
    future: Sequence[InstallmentState],
    balance: int,
    mode: PrepaymentMode,
    *,
    level: int | None = None,
) -> tuple[InstallmentState, ...]:
    """New unpaid rows for ``future`` repaying ``balance`` fen (rows may be dropped).

    Shortening the term keeps the installment ``level`` (fen), by default the first row's:
    a caller whose first row was already cut to the days used (a prepayment or refund on the
    period's first day) gives the installment as it stood before.

    Interest a row carries already accrued — earned in an earlier period and moved onto it
    by a re-age (restructure) — is still owed: each new row keeps its own, and a dropped
    row's goes to the last row kept. Principal a re-age moved onto a row stays on it without
    interest (:attr:`InstallmentState.principal_carried`); the principal cut comes off the
    part bearing interest first, and only the rest of ``balance`` is re-planned."""
    kept_principal = kept_carried(future, balance)
    bearing = balance - sum(kept_principal)
    rule = _principal_rule(loan, future, bearing, mode, level)
    rounding = loan.schedule.terms.rounding
    relieve = Relief(loan, future)
    rows: list[InstallmentState] = []
    left = bearing
    for idx, old in enumerate(future):
        interest, moved = relieve(old, round_fen(left * loan.rates[old.n], rounding))
        last = idx == len(future) - 1
        own = left if last else min(left, max(0, rule(interest))) if _repays(old) else 0
        # its period has not begun: what it accrued, or carried by a holiday taken today
        carried = max(old.interest_carried, old.interest_accrued)
        rows.append(
            InstallmentState(
                old.n,
                old.start,
                old.due,
                own + kept_principal[idx],
                interest + carried,
                old.fee_due,
                interest_accrued=old.interest_accrued,
                fee_accrued=old.fee_accrued,  # a fee a re-age moved onto it, booked already
                interest_carried=carried,
                fee_carried=max(old.fee_carried, old.fee_accrued),
                principal_carried=kept_principal[idx],
                relief_moved=moved,
            )
        )
        left -= own
        if left == 0 and not any(kept_principal[idx + 1 :]):
            break
    if rows:
        rows[-1] = relieve.with_unplaced(rows[-1])
    dropped = future[len(rows) :]
    interest, fee = carried_interest(dropped), carried_fee(dropped)
    if rows and (interest or fee):
        rows[-1] = with_carried(rows[-1], interest, fee=fee)
    return tuple(rows)


def carried_interest(rows: Sequence[InstallmentState]) -> int:
    """Interest a re-age moved onto rows whose periods have not begun (earned already):
    still owed when they are re-planned or dropped (their periods have not begun: what they
    have accrued is what was carried)."""
    return sum(max(r.interest_carried, r.interest_accrued) for r in rows)


def carried_fee(rows: Sequence[InstallmentState]) -> int:
    """Fees a re-age moved onto rows whose periods have not begun (earned already): still
    owed when they are re-planned or dropped."""
    return sum(max(r.fee_carried, r.fee_accrued) for r in rows)


def with_carried(row: InstallmentState, fen: int, *, fee: int = 0) -> InstallmentState:
    """``row`` owing ``fen`` more interest and ``fee`` more fees, already accrued (carried
    from dropped rows)."""
    return replace(
        row,
        interest_due=row.interest_due + fen,
        interest_accrued=row.interest_accrued + fen,
        interest_carried=row.interest_carried + fen,
        fee_due=row.fee_due + fee,
        fee_accrued=row.fee_accrued + fee,
        fee_carried=row.fee_carried + fee,
    )


def rest_cost(
    loan: LoanAccount, original: InstallmentState, lent: int, on: date, *, relief: int = 0
) -> tuple[int, int]:
    """Interest and fees for the rest of the current period (``on`` to its due date, at most
    the period: a holiday taken on a due date leaves days before the next period begins,
    which earn nothing) when ``lent`` fen of principal stays outstanding: interest on what is
    lent, less what an interest coupon's cut has not yet used (``relief``,
    :func:`relief_left`), the period's scheduled fee for the days left (nothing once nothing
    is lent). A loan keeping its coupon's terms has the cut re-computed on what the rest of
    the period charges on what is lent (``relief`` is then nothing): a rate discount keeps its
    factor of it (:func:`discounted_rest`), free days take the interest of the free days
    still ahead (:func:`free_rest`)."""
    period = original.period_days
    rest = min((original.due - on).days, period)  # not the days before it begins (a holiday)
    if lent == 0 or period <= 0 or rest <= 0:
        return 0, 0
    exact = Decimal(lent) * loan.rates[original.n] * rest / period
    interest = round_fen(exact, loan.schedule.terms.rounding)
    fee = original.fee_due - used_fee(loan, original, on)
    coupon = _discount(loan, original)
    if coupon is not None:
        return discounted_rest(loan, original, interest, on, coupon), fee
    coupon = _free(loan, original)
    if coupon is not None:
        return free_rest(loan, original, interest, on, coupon), fee
    return interest - min(relief, interest), fee


def used_interest(loan: LoanAccount, rows: Sequence[InstallmentState], k: int, on: date) -> int:
    """The interest of ``rows[k]``, the current period's installment, for its days before
    ``on`` (民法典 art. 677: interest for the period actually used).

    A row earns its interest in a straight line (:func:`accrued_to`, truncated as close of
    business accrues it) beside what a re-age carried onto it, owed whole
    (:meth:`InstallmentState.interest_earned`), unless it was restated by an earlier payment
    in this period (what its days before that payment earned, then the rest of the period
    on less principal: its principal was paid before its due date) or cut by an interest
    coupon (free days, an amount off, ``LoanTerms.charge_relief``). Such a row keeps what it
    asks less what the rest of its period asks on what is lent now: the days before an
    earlier payment keep what they earned on the larger balance, and relief is taken from
    the first days, where a coupon's free days fall, so a loan repaid within its free days
    pays no interest.

    A rate discount (``LoanTerms.charge_coupon``) is no fixed sum: it keeps its factor of
    the interest of every day, so the row earns its interest in a straight line, or, restated
    by an earlier payment, keeps what it asks less the factor of what the rest of the period
    asks on what is lent now (:func:`discounted_rest`).
    """
    row = rows[k]
    straight = row.interest_earned(on)
    restated = row.principal_paid > 0  # principal paid before its due date: a payment earlier
    coupon = _discount(loan, row)
    if coupon is not None:
        if not restated:
            return straight
        lent = sum(r.bearing for r in rows[k:])
        rest = _rest_interest(loan, row, lent, on)
        if rest is None:
            return straight
        own = row.interest_due - row.interest_carried
        kept = discounted_rest(loan, row, rest, on, coupon)
        return row.interest_carried + min(own, max(0, own - kept))
    if not (_cut_now(loan, row) or restated):  # in this period, which restated its interest
        return straight
    lent = sum(r.bearing for r in rows[k:])
    own = row.interest_due - row.interest_carried  # a re-age's or a holiday's: owed whole
    if own == round_fen(lent * loan.rates[row.n], loan.schedule.terms.rounding):
        return straight
    if not restated and loan.schedule.terms.method in _ON_ORIGINAL:
        # interest on the original principal: the days used earn the period's interest
        # before the coupon in a straight line, the cut taken from the first of them
        cut = _interest_cut_now(loan, row)
        return row.interest_carried + max(0, accrued_to(own + cut, row.start, row.due, on) - cut)
    rest = _rest_interest(loan, row, lent, on)
    return straight if rest is None else row.interest_carried + min(own, max(0, own - rest))


def _rest_interest(loan: LoanAccount, row: InstallmentState, lent: int, on: date) -> int | None:
    """The interest the rest of ``row``'s period (``on`` to its due date) asks on ``lent``,
    rounded up (the days used round down); None when no part of the period is left to
    divide or the interest is on the original principal."""
    period, rest = row.period_days, (row.due - on).days
    on_original = loan.schedule.terms.method in _ON_ORIGINAL
    if on_original or lent <= 0 or period <= 0 or not 0 < rest < period:
        return None
    exact = Decimal(lent) * loan.rates[row.n] * rest / period
    return int(exact.to_integral_value(rounding=ROUND_CEILING))


def coupon_cut(loan: LoanAccount, row: InstallmentState) -> int:
    """What an interest coupon takes off ``row`` (``LoanTerms.charge_relief``, fen), or 0."""
    cuts = loan.schedule.terms.charge_relief
    return cuts[row.n - 1] if 0 < row.n <= len(cuts) else 0


def _cut_now(loan: LoanAccount, row: InstallmentState) -> int:
    """What an interest coupon takes off ``row`` as now planned (fen): its cut at opening
    (:func:`coupon_cut`) and what re-plans moved onto or off it
    (:attr:`InstallmentState.relief_moved`)."""
    return coupon_cut(loan, row) + row.relief_moved


def _interest_cut_now(loan: LoanAccount, row: InstallmentState) -> int:
    """The part of :func:`_cut_now` that comes off ``row``'s interest (the part its fee took
    at opening stays on the fee)."""
    return max(0, _cut_now(loan, row) - fee_relief(loan, row))


def unused_relief(
    loan: LoanAccount, original: InstallmentState, relief: int, lent: int, on: date
) -> int:
    """The part of an amount-off coupon's cut of the current row ``original`` not yet used
    (``relief``, :func:`relief_left`) that the rest of its period, on ``lent`` fen, cannot
    take (what it asks before the coupon, :func:`rest_cost`): it passes to the rows after it
    (:func:`pass_relief`). Only a loan keeping the coupon's terms moves it; one stored without
    them keeps its fixed cuts."""
    coupon = loan.schedule.terms.charge_coupon
    if not relief or coupon is None or coupon.rule is not CouponRule.INTEREST_OFF:
        return 0
    rest, _fee = rest_cost(loan, original, lent, on)
    return max(0, relief - rest)


def pass_relief(
    loan: LoanAccount, rows: Sequence[InstallmentState], passed: int
) -> tuple[InstallmentState, ...]:
    """``rows``, whose periods have not begun, taking ``passed`` fen of an amount-off
    coupon's cut (:func:`unused_relief`) off their interest in order, each never below what
    it carries from earlier periods; their principal stays as planned, as at opening."""
    out = []
    for row in rows:
        if not passed or not _contract_rate(loan, row.n):
            out.append(row)
            continue
        own = row.interest_due - max(row.interest_carried, row.interest_accrued)
        taken = min(passed, max(0, own))
        passed -= taken
        out.append(
            replace(
                row, interest_due=row.interest_due - taken, relief_moved=row.relief_moved + taken
            )
        )
    if passed and out:  # none could take it: the last keeps it, for rows an extension adds
        out[-1] = replace(out[-1], relief_moved=out[-1].relief_moved + passed)
    return tuple(out)


@lru_cache(maxsize=256)
def _contract_rates(terms: LoanTerms) -> tuple[Decimal, ...]:
    """Each installment's period rate as the loan opened (index 0: a down payment's)."""
    dates = due_dates(terms.start, terms.periods, terms.frequency, terms.first_due)
    return (Decimal(0), *period_rates(terms, dates))


def _contract_rate(loan: LoanAccount, n: int, rates: Sequence[Decimal] | None = None) -> bool:
    """Whether installment ``n`` still bears its period's contract rate (``rates``: the
    loan's period rates, by default ``loan.rates``): a payment holiday taken within its period
    restates it as what is left of its (relieved) interest on what is lent, so the coupon is
    inside that rate already and is not taken again. A period the contract did not have (a
    term extension's) bears the contract's rate."""
    contract = _contract_rates(loan.schedule.terms)
    held = loan.rates if rates is None else rates
    return not (0 < n < len(contract) and n < len(held)) or held[n] == contract[n]


def _discount(loan: LoanAccount, row: InstallmentState) -> ChargeCoupon | None:
    """The rate-discount coupon (``LoanTerms.charge_coupon``) covering ``row`` at its
    contract rate, or None (no coupon, another kind, a loan stored without the coupon's terms
    or a row whose rate already holds the coupon)."""
    coupon = loan.schedule.terms.charge_coupon
    if coupon is None or not coupon.covers(row.n) or not _contract_rate(loan, row.n):
        return None
    return coupon


def discounted_rest(
    loan: LoanAccount, row: InstallmentState, interest: int, on: date, coupon: ChargeCoupon
) -> int:
    """What a rate discount leaves of ``interest``, the rest of ``row``'s period (``on`` to
    its due date) on what is lent, before the coupon: the factor of the rest's interest and
    fee (the coupon covers both, its cut from the interest first, as at opening), less the
    fee the rest still asks (the fee, never re-planned, earns its relieved amount in a straight
    line, :func:`used_fee`); never below nothing nor above ``interest`` (an interest-free fee
    plan's rest asks no interest, whatever the fee's rounding leaves)."""
    fee_left = row.fee_due - row.fee_earned(on)
    took = fee_relief(loan, row)
    fee_before = fee_left + took - accrued_to(took, row.start, row.due, on)
    return min(interest, max(0, coupon.kept(interest + fee_before) - fee_left))


class Relief:
    """What an interest coupon takes off each row of a re-plan (a prepayment's
    re-amortization, a term extension): call it on the rows in order with each row's interest
    before the coupon; it gives the interest less what the coupon takes off it, never below
    nothing — the coupon stays with the installment — and the row's new
    :attr:`~InstallmentState.relief_moved`.

    The cut is re-computed from the coupon's terms (``LoanTerms.charge_coupon``) on what the
    row now charges — its interest and its fee before the coupon, the cut from the interest
    first; the part of the cut the fee took at opening stays on the fee, which is not
    re-planned: a rate discount keeps ``factor ×`` the charge (rounded as at opening); free
    days take the charge of the free days of the installment's period as the loan opened. An
    amount off is shared again as at opening: what the rows re-planned hold of it (their
    shares at opening and what earlier re-plans moved onto them) is taken from the first of
    them on, each never more than it charges; what none can take stays with the last row
    re-planned (:meth:`with_unplaced`), for rows a later extension adds. Loans stored
    without the coupon's terms take the fixed cut of ``charge_relief`` (:func:`less_relief`).
    ``rows``: the rows to be re-planned; ``rates``: the period rates they are re-planned at,
    by default ``loan.rates``."""

    def __init__(
        self,
        loan: LoanAccount,
        rows: Sequence[InstallmentState],
        rates: Sequence[Decimal] | None = None,
    ) -> None:
        self._loan, self._rates = loan, rates
        self._coupon = coupon = loan.schedule.terms.charge_coupon
        self._pool = 0
        if coupon is not None and coupon.rule is CouponRule.INTEREST_OFF:
            self._pool = sum(
                self._share(r) + r.relief_moved for r in rows if _contract_rate(loan, r.n, rates)
            )

    def _share(self, row: InstallmentState) -> int:
        """What the coupon took off ``row``'s interest at opening."""
        return coupon_cut(self._loan, row) - fee_relief(self._loan, row)

    def __call__(self, row: InstallmentState, interest: int) -> tuple[int, int]:
        loan, coupon = self._loan, self._coupon
        if coupon is None:
            return less_relief(loan, row, interest), row.relief_moved
        if not _contract_rate(loan, row.n, self._rates):  # its cut is inside its rate already
            return interest, row.relief_moved
        if coupon.rule is CouponRule.INTEREST_OFF:
            taken = min(interest, max(0, self._pool))
            self._pool -= taken
            return interest - taken, taken - self._share(row)
        took = fee_relief(loan, row)
        charge = interest + row.fee_due - row.fee_carried + took
        cut = _cut_of(loan, coupon, row.n, charge)
        return interest - min(interest, max(0, cut - took)), row.relief_moved

    def with_unplaced(self, row: InstallmentState) -> InstallmentState:
        """``row``, the last re-planned, holding the part of an amount off none of the rows
        could take."""
        unplaced, self._pool = max(0, self._pool), 0
        return replace(row, relief_moved=row.relief_moved + unplaced) if unplaced else row


def _cut_of(loan: LoanAccount, coupon: ChargeCoupon, n: int, charge: int) -> int:
    """What ``coupon`` (a rate discount or free days) takes off installment ``n`` charging
    ``charge`` fen of interest and fee before it, as ``decisioning.interest_coupons`` cuts it
    at opening."""
    if coupon.rule is CouponRule.RATE_DISCOUNT:
        return coupon.rate_cut(charge) if coupon.covers(n) else 0
    free, period = _free_days(loan, coupon, n)
    if period <= 0:  # an installment the loan did not open with (a term extension's): none free
        return 0
    return charge if free >= period else charge * free // period


def _free_days(loan: LoanAccount, coupon: ChargeCoupon, n: int) -> tuple[int, int]:
    """How many of the first days of installment ``n``'s period, as the loan opened, a
    free-days coupon makes free, and that period's days ((0, 0): no such installment)."""
    schedule = loan.schedule
    if coupon.rule is not CouponRule.FREE_DAYS or not 0 < n <= len(schedule.installments):
        return 0, 0
    start = schedule.terms.start
    opens = start if n == 1 else schedule.installments[n - 2].due_date
    period = (schedule.installments[n - 1].due_date - opens).days
    return max(0, min((start - opens).days + coupon.days, period)), period


def _free(loan: LoanAccount, row: InstallmentState) -> ChargeCoupon | None:
    """The free-days coupon (``LoanTerms.charge_coupon``) whose free days fall in ``row``'s
    period, at its contract rate, or None."""
    coupon = loan.schedule.terms.charge_coupon
    if coupon is None or coupon.rule is not CouponRule.FREE_DAYS:
        return None
    if not _contract_rate(loan, row.n) or not _free_days(loan, coupon, row.n)[0]:
        return None
    return coupon


def free_rest(
    loan: LoanAccount, row: InstallmentState, interest: int, on: date, coupon: ChargeCoupon
) -> int:
    """What free days leave of ``interest``, the rest of ``row``'s period (``on`` to its due
    date) on what is lent, before the coupon: less the charge of the free days still ahead in
    it — the rest's interest and fee × free days left ÷ days left, truncated, as at opening,
    from the interest first (the part the coupon took off the fee stays on the fee, taken
    from its first days, :func:`used_fee`); never below nothing."""
    free, opened = _free_days(loan, coupon, row.n)
    period = row.period_days
    if 0 < opened != period:  # a period of another length (moved by a holiday): its share
        free = free * period // opened
    used = max(0, (on - row.start).days)
    rest = period - used
    ahead = max(0, min(free - used, rest))
    if rest <= 0 or not ahead:
        return interest
    own_fee = row.fee_due - row.fee_carried
    took = fee_relief(loan, row)
    fee_before = own_fee + took - accrued_to(own_fee + took, row.start, row.due, on)
    took_ahead = max(0, fee_before - (row.fee_due - used_fee(loan, row, on)))
    charge = interest + fee_before
    cut = charge if ahead >= rest else charge * ahead // rest
    return interest - min(interest, max(0, cut - took_ahead))


def less_relief(loan: LoanAccount, row: InstallmentState, interest: int) -> int:
    """``interest`` of ``row`` re-planned (a prepayment, a term extension) less what an
    interest coupon takes off it (:func:`coupon_cut`, less the part its fee took), never
    below nothing — the coupon stays with the installment. The fixed cut in fen of a loan
    stored without the coupon's terms; :class:`Relief` re-computes it from them."""
    cut = coupon_cut(loan, row)
    if not cut:
        return interest
    room = max(0, cut - fee_relief(loan, row))
    return interest - min(room, interest)


def relief_left(loan: LoanAccount, rows: Sequence[InstallmentState], k: int, on: date) -> int:
    """What an interest coupon's cut of ``rows[k]``, the current period's installment, has
    not used by ``on``: the cut is taken from the period's first days (:func:`used_interest`),
    and what is left of it still comes off the rest of the period when a prepayment or a
    refund re-plans it on less principal (the coupon is not lost by paying early)."""
    row = rows[k]
    if not _cut_now(loan, row) or _discount(loan, row) or _free(loan, row):
        return 0  # re-computed on what the rest of the period charges (rest_cost)
    if on <= row.start and loan.schedule.terms.charge_coupon is not None:
        return _interest_cut_now(loan, row)  # its period is all ahead
    lent = sum(r.bearing for r in rows[k:])
    rest = _rest_interest(loan, row, lent, on)
    return 0 if rest is None else max(0, rest - (row.interest_due - row.interest_carried))


def fee_relief(loan: LoanAccount, row: InstallmentState) -> int:
    """What an interest coupon took off ``row``'s fee (fen): its cut falls on the interest
    first, then the fee (``loanmath.schedule``), so the part beyond the scheduled interest."""
    cut = coupon_cut(loan, row)
    if not cut:
        return 0
    plain = _plain(loan.schedule.terms).installments[row.n - 1]
    return min(max(0, cut - plain.interest), plain.fee)


@lru_cache(maxsize=256)
def _plain(terms: LoanTerms) -> Schedule:
    """The schedule of ``terms`` without a coupon."""
    return build_schedule(replace(terms, charge_relief=(), charge_coupon=None))


def used_fee(loan: LoanAccount, row: InstallmentState, on: date) -> int:
    """The fee of ``row``, the current period's installment, for its days before ``on``.

    A straight line over its period (:func:`accrued_to`), unless an interest coupon cut the
    fee (free days on a fee plan, an amount off): then the cut is taken from the first days,
    where a coupon's free days fall — the period's whole fee earned in a straight line, less
    the cut — so a loan repaid within its free days pays no fee for them. A fee waived while
    the period ran is taken from its first days alike (:meth:`InstallmentState.fee_earned`):
    the days it covered are not charged again. A rate discount takes its factor of every
    day's fee: the fee it left is earned in a straight line."""
    discounted = _discount(loan, row) is not None
    relief = fee_relief(loan, row) if row.fee_due and not discounted else 0
    if not relief:
        return row.fee_earned(on)
    cut, carried = relief + row.fee_waived, row.fee_carried
    earned = accrued_to(row.fee_due - carried + cut, row.start, row.due, on)
    return carried + min(row.fee_due - carried, max(0, earned - cut))


def rest_of_period(
    loan: LoanAccount,
    cur: InstallmentState,
    original: InstallmentState,
    balance: int,
    on: date,
    *,
    relief: int = 0,
) -> InstallmentState:
    """Add interest and fees for the rest of the current period on what is still lent (less
    a coupon's cut not yet used, ``relief``) — never more, with the part already counted,
    than the period's original amounts."""
    interest, fee = rest_cost(loan, original, balance + cur.bearing, on, relief=relief)
    return replace(
        cur,
        interest_due=min(cur.interest_due + interest, original.interest_due),
        fee_due=min(cur.fee_due + fee, original.fee_due),
    )
