"""Loan accounts (贷款账户): the state a servicing engine keeps for each loan.

A :class:`LoanAccount` is an immutable value. Every operation (pay, prepay, close a business
day …) takes one and returns an :class:`Outcome`: the new account, the journal entries that
record the change and any delinquency bucket moves. Amounts are integer fen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from thinfile.errors import CurrencyMismatchError, InvalidInputError
from thinfile.loanmath import Schedule, due_dates, period_rates, year_basis
from thinfile.money import Money
from thinfile.servicing.daily import accrued_to
from thinfile.servicing.ledger import Account, EntryBuilder, JournalEntry
from thinfile.servicing.product import CURRENT, ServicingProduct
from thinfile.servicing.subsidy_plan import SubsidyPeriod, plan_subsidy

__all__ = [
    "BucketMove",
    "Components",
    "InstallmentState",
    "LoanAccount",
    "LoanStatus",
    "Outcome",
    "open_loan",
]


class LoanStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    """Everything repaid (结清)."""
    CHARGED_OFF = "charged-off"
    """Moved to loss (核销), still collectable: payments become recoveries."""
    WRITTEN_OFF = "written-off"
    """Written off and closed for collection."""


@dataclass(frozen=True, slots=True)
class Components:
    """Amounts split by component, in fen."""

    principal: int = 0
    interest: int = 0
    fee: int = 0
    penalty: int = 0

    def __add__(self, other: Components) -> Components:
        return Components(
            self.principal + other.principal,
            self.interest + other.interest,
            self.fee + other.fee,
            self.penalty + other.penalty,
        )

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fee + self.penalty


@dataclass(frozen=True, slots=True)
class InstallmentState:
    """One installment as serviced: what is due, what was paid, what has accrued.

    The installment's period runs from ``start`` (excluded) to ``due`` (included). Interest
    and scheduled fees are recognised (accrued) day by day over the period; penalty and late
    fees are recognised when charged. ``n`` 0 is a down payment (首付) due at disbursement.
    """

    n: int
    start: date
    due: date
    principal_due: int
    interest_due: int
    fee_due: int = 0
    penalty_due: int = 0
    principal_paid: int = 0
    interest_paid: int = 0
    fee_paid: int = 0
    penalty_paid: int = 0
    interest_accrued: int = 0
    fee_accrued: int = 0
    default_allowance: int = 0
    """The all-in cap's room earned so far by this installment's overdue days (fen)."""
    default_charged: int = 0
    """Late fee and penalty interest charged on this installment (fen), within the allowance."""
    fee_waived: int = 0
    """Scheduled fee waived while the period ran (fen), already out of ``fee_due``: the days
    it was earned on stay waived, the rest of the period earns the fee at its daily rate
    (:meth:`fee_earned`)."""
    interest_carried: int = 0
    """Interest earned in an earlier period and moved onto this installment (a restructure's
    arrears, 重组), part of ``interest_due``: owed whole from the period's start, not earned
    again over its days (:meth:`interest_earned`)."""
    fee_carried: int = 0
    """Fees earned in an earlier period and moved onto this installment alike (part of
    ``fee_due``)."""
    principal_carried: int = 0
    """Principal a re-age moved onto this installment from installments past due, part of
    ``principal_due``: repaid with it but bearing no interest — the re-age changes when the
    arrears fall due, not what they cost — also when a prepayment, a refund or an extension
    re-plans the loan. An installment's principal paid goes to the part that bears interest
    first (:attr:`bearing`)."""
    relief_moved: int = 0
    """What an amount-off interest coupon takes off this installment's interest beyond its
    share at opening (fen; negative: short of it). A re-plan on less principal leaves a row
    less interest to take its share from, and the part it cannot take moves to the rows after
    it (``reamortize.Relief``): kept here, a later re-plan starts from what each
    row holds now, so the borrower never loses what was moved. Rows written before hold 0."""
    paused_days: int = 0
    """Days the installment was past due while a dispute of the purchase was open (days
    whose ageing was paused, ``servicing.cob.Held``): its arrears age, and its grace before
    a late fee and penalty runs, from ``due`` plus these days. Counted per installment, so a
    payment of an older one leaves this one exactly as old as the pause made it, and one
    falling due inside a dispute has its own grace after it. Rows re-planned to a new due
    date start again at 0."""

    @property
    def ages_from(self) -> date:
        """The day this installment's arrears age from: its due date moved a day later for
        each day a dispute paused it."""
        return self.due + timedelta(days=self.paused_days)

    def interest_earned(self, on: date) -> int:
        """The interest earned by the end of ``on``: what was carried onto the installment,
        and the rest of ``interest_due`` in a straight line over the period
        (``daily.accrued_to``)."""
        carried = self.interest_carried
        return carried + accrued_to(self.interest_due - carried, self.start, self.due, on)

    def fee_earned(self, on: date) -> int:
        """The scheduled fee earned by the end of ``on``: what was carried onto the
        installment, and the rest in a straight line over the period (``daily.accrued_to``)
        less what was waived, never below nothing nor above ``fee_due``."""
        carried = self.fee_carried
        own = self.fee_due - carried
        if not self.fee_waived:
            return carried + accrued_to(own, self.start, self.due, on)
        whole = accrued_to(own + self.fee_waived, self.start, self.due, on)
        return carried + min(own, max(0, whole - self.fee_waived))

    @property
    def unpaid(self) -> Components:
        return Components(
            self.principal_due - self.principal_paid,
            self.interest_due - self.interest_paid,
            self.fee_due - self.fee_paid,
            self.penalty_due - self.penalty_paid,
        )

    @property
    def bearing(self) -> int:
        """Principal unpaid that bears interest: unpaid principal less what is left of
        ``principal_carried``, which is repaid last."""
        return max(0, self.principal_due - self.principal_paid - self.principal_carried)

    @property
    def overdue_base(self) -> int:
        """Principal and interest unpaid: the amount the all-in cap is measured on."""
        u = self.unpaid
        return u.principal + u.interest

    @property
    def arrears(self) -> int:
        """Principal, interest and fees unpaid: what makes an installment past due (逾期)."""
        u = self.unpaid
        return u.principal + u.interest + u.fee

    @property
    def is_settled(self) -> bool:
        return self.unpaid.total == 0

    @property
    def period_days(self) -> int:
        return (self.due - self.start).days


@dataclass(frozen=True, slots=True)
class BucketMove:
    """A delinquency bucket change (逾期分档迁移), kept as history."""

    loan_id: int
    on: date
    from_bucket: str
    to_bucket: str
    days_past_due: int


@dataclass(frozen=True, slots=True)
class LoanAccount:
    """A loan being serviced. ``cob_date`` is the last business date closed for it."""

    loan_id: int
    product: ServicingProduct
    schedule: Schedule
    status: LoanStatus
    principal: int
    disbursed_on: date
    installments: tuple[InstallmentState, ...]
    rates: tuple[Decimal, ...]
    cob_date: date
    overdue_since: date | None = None
    bucket: str = CURRENT
    late_fees_charged: int = 0
    credit: int = 0
    subsidy: int = 0
    subsidy_recognized: int = 0
    lender_subsidy: int = 0
    """The part of ``subsidy`` the lender pays itself (a campaign's lender share, 平台贴息):
    booked as marketing expense when the loan opens, deferred and recognised with the
    merchant's part; the merchant is paid that much more."""
    subsidy_plan: tuple[SubsidyPeriod, ...] = ()
    """How the subsidy is recognised, period by period (``servicing.subsidy``); empty for
    loans opened before plans, which recognise it on a straight line."""
    charged_off: Components = field(default_factory=Components)
    recovered: int = 0
    merchant_refunded: int = 0
    closed_on: date | None = None
    merchant: str | None = None
    credit_line_id: int | None = None

    @property
    def currency(self) -> str:
        return self.schedule.currency

    @property
    def outstanding(self) -> Components:
        """Unpaid amounts still on the books (after any charge-off, zero)."""
        if self.status in (LoanStatus.CHARGED_OFF, LoanStatus.WRITTEN_OFF):
            return Components()
        total = Components()
        for i in self.installments:
            u = i.unpaid
            total += Components(
                u.principal,
                i.interest_accrued - i.interest_paid,
                i.fee_accrued - i.fee_paid,
                u.penalty,
            )
        return total

    @property
    def maturity(self) -> date:
        return self.installments[-1].due

    @property
    def replan_start(self) -> date:
        """Where a plan made again now (the subsidy's, after a prepayment or a refund) starts:
        the last business date closed, or the disbursement date for a loan no close of
        business has reached yet (its first day earns nothing)."""
        return max(self.cob_date, self.disbursed_on)

    @property
    def penalty_rate_units(self) -> int:
        return self.product.penalty_rate_units(self.schedule.terms.annual_rate)

    def year_basis(self, on: date) -> int:
        """The days a daily rate divides the year by on ``on`` (366 for actual/actual in a
        leap year)."""
        return year_basis(self.schedule.terms.day_count, on)

    def days_past_due(self, on: date) -> int:
        return max((on - self.overdue_since).days, 0) if self.overdue_since else 0

    def money(self, fen: int) -> Money:
        return Money(fen, self.currency)

    def check_amount(self, amount: Money, *, field: str = "amount") -> int:
        """The amount in fen, refusing other currencies and amounts that are not positive."""
        if amount.currency != self.currency:
            raise CurrencyMismatchError(
                f"loan {self.loan_id} is in {self.currency}, not {amount.currency}",
                field=field,
                value=amount.currency,
                remedy=f"pay in {self.currency}",
            )
        if amount.fen <= 0:
            raise InvalidInputError(f"{field} must be positive", field=field, value=str(amount))
        return amount.fen

    def with_installments(self, rows: tuple[InstallmentState, ...]) -> LoanAccount:
        return replace(self, installments=rows)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operation produced: the new account, its journal entries and bucket moves."""

    loan: LoanAccount
    entries: tuple[JournalEntry, ...] = ()
    moves: tuple[BucketMove, ...] = ()

    def then(self, other: Outcome) -> Outcome:
        return Outcome(other.loan, self.entries + other.entries, self.moves + other.moves)


def open_loan(
    loan_id: int,
    schedule: Schedule,
    product: ServicingProduct,
    *,
    down_payment: int = 0,
    subsidy: int = 0,
    lender_subsidy: int = 0,
    merchant: str | None = None,
    credit_line_id: int | None = None,
    effective_interest: bool = True,
) -> Outcome:
    """Open and disburse a loan from its schedule (放款).

    ``schedule`` is built on the financed amount; ``down_payment`` (首付, fen) becomes
    installment 0, due on the disbursement day. The borrower receives the principal less any
    upfront fee; a merchant ``subsidy`` (贴息, below the financed amount) is held as deferred
    income and recognised daily by its plan (``servicing.subsidy``: the effective-interest
    method; ``effective_interest=False`` only rebuilds loans opened before plans). When the
    lender pays ``lender_subsidy`` of it (a campaign's lender share), the merchant is paid
    that much more and the lender books it as marketing expense: the loan is still carried at
    the financed amount less the whole subsidy (IFRS 9 B5.1.1: a below-market loan's
    difference is an expense), so the income recognised is the same.
    """
    terms = schedule.terms
    start = terms.start
    dates = due_dates(start, terms.periods, terms.frequency, terms.first_due)
    rates = [Decimal(0), *period_rates(terms, dates)]
    rows = [InstallmentState(0, start, start, down_payment, 0)] if down_payment else []
    starts = [start, *(i.due_date for i in schedule.installments[:-1])]
    rows += [
        InstallmentState(i.n, s, i.due_date, i.principal, i.interest, i.fee)
        for i, s in zip(schedule.installments, starts, strict=True)
    ]
    principal = terms.principal.fen + down_payment
    if subsidy < 0 or subsidy >= terms.principal.fen or down_payment < 0:
        raise InvalidInputError(
            "subsidy and down payment must be from 0 to below the amount financed",
            field="subsidy" if subsidy else "down_payment",
        )
    if not 0 <= lender_subsidy <= subsidy:
        raise InvalidInputError(
            "the lender's part of the subsidy must be from 0 to the subsidy",
            field="lender_subsidy",
            value=lender_subsidy,
        )
    plan = plan_subsidy(rows, subsidy, rounding=terms.rounding) if effective_interest else ()
    loan = LoanAccount(
        loan_id,
        product,
        schedule,
        LoanStatus.ACTIVE,
        principal,
        start,
        tuple(rows),
        tuple(rates),
        start - timedelta(days=1),
        subsidy=subsidy,
        lender_subsidy=lender_subsidy,
        subsidy_plan=plan,
        merchant=merchant,
        credit_line_id=credit_line_id,
    )
    upfront = terms.upfront_fee.fen
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.LOANS_RECEIVABLE, principal)
        .debit(Account.MARKETING_EXPENSE, lender_subsidy)
        .credit(Account.CASH, principal - upfront - subsidy + lender_subsidy)
        .credit(Account.FEE_INCOME, upfront)
        .credit(Account.DEFERRED_SUBSIDY, subsidy)
    )
    return Outcome(loan, (entry.build("disbursement", start, loan_id=loan_id),))
