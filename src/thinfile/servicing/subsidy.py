"""The merchant subsidy (商户贴息) recognised as income by the effective-interest method.

A merchant subsidy that pays for a below-market rate is part of the loan's effective interest
rate (CAS 22 / IFRS 9, DOMAIN §6.2 and §11): the lender holds it as deferred income and
recognises it so that the net investment (receivable − deferred subsidy) earns a constant
periodic rate. The loan carries its **recognition plan**, a :class:`SubsidyPeriod` per
installment period, fixed when the loan is opened:

- **Per period.** ``loanmath.effective_interest_income`` on the net investment (financed −
  subsidy) and the installments: each period earns ``r × carrying amount``, rounded half-up
  to the fen, the last absorbing the residual — the figures of ``thinfile checkout quote``
  (``commerce.recognition``) to the fen. The contract's interest and fees keep their own
  accrual; the subsidy takes the rest of the period's effective income (on an interest-free
  loan, all of it), never below zero and never more than is still deferred.
- **Within a period, linear by days.** By the end of day ``x`` in a period ``(start, due]``
  the plan has recognised ``before + amount × (x − start) ÷ (due − start)`` (truncated), all
  of it from the due date on. Why: the effective rate is a rate per installment period, the
  period's total is what the standard fixes, and the contract accrues its own interest the
  same way (``daily.accrued_to``), so the income of a day is comparable across loans; it is
  integer arithmetic that the close-of-business SQL repeats to the fen; compounding within
  the month, ``(1 + r)^(d/D)``, moves a day's amount by less than a fen on these figures and
  cannot be repeated exactly in portable SQL. Days therefore earn more in short months.
- **Early payoff** recognises the rest at once (``status.refresh``); **charge-off** writes the
  rest off against the loss (``lifecycle.charge_off``).
- **A partial prepayment that re-amortizes the schedule** (principal cut ahead of its due
  dates, :func:`replan_after_prepayment`): the share of the deferred balance tied to the
  principal repaid ahead of its due dates — repaid ÷ principal not yet due before the payment,
  as DOMAIN §11 splits a partial refund — is recognised at once, as a payoff recognises all of
  it; the rest is planned again over the new schedule from the posting date by the same
  method (a new effective rate solved on the remaining installments, the current, shortened
  period counted as one period). Paying the current installment early without changing the
  later ones changes nothing. A checkout's refund unwinds the unearned share as the merchant
  contract says and plans the rest over the schedule it left by the same method
  (``purchase_refund.replan_after_refund``).

Loans opened before plans existed have none (``subsidy_plan == ()``) and keep the straight
line of their time: ``subsidy × days since disbursement ÷ days to maturity``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from thinfile.servicing.account import LoanAccount, LoanStatus
from thinfile.servicing.daily import accrued_to
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.subsidy_plan import SubsidyPeriod, plan_subsidy

__all__ = [
    "SubsidyPeriod",
    "plan_subsidy",
    "recognition_end",
    "recognized_by",
    "replan_after_prepayment",
]


def recognition_end(loan: LoanAccount) -> date:
    """The date by which all of the subsidy is recognised (the plan's last due date)."""
    if loan.subsidy_plan:
        return loan.subsidy_plan[-1].due
    return loan.schedule.installments[-1].due_date


def recognized_by(loan: LoanAccount, x: date) -> int:
    """What the loan's plan has recognised by the end of ``x`` (never less than booked)."""
    if x >= recognition_end(loan):
        return loan.subsidy
    if not loan.subsidy_plan:  # opened before plans: the straight line of its time
        target = accrued_to(loan.subsidy, loan.disbursed_on, recognition_end(loan), x)
    else:
        target = next(
            (p.recognized_by(x) for p in loan.subsidy_plan if p.start < x <= p.due),
            loan.subsidy_recognized,
        )
    return max(loan.subsidy_recognized, target)


def _repaid_ahead(before: LoanAccount, after: LoanAccount, on: date) -> tuple[int, int]:
    """Principal repaid ahead of its due dates by a posting on ``on``, and the principal not
    yet due before it."""
    ahead = {r.n: r for r in before.installments if r.due > on}
    not_due = sum(r.principal_due - r.principal_paid for r in ahead.values())
    paid = sum(
        r.principal_paid - (ahead[r.n].principal_paid if r.n in ahead else 0)
        for r in after.installments
        if r.due > on
    )
    return paid, not_due


def _later_rows_changed(before: LoanAccount, after: LoanAccount, on: date) -> bool:
    current = next((r.due for r in before.installments if r.due > on), None)
    if current is None:
        return False

    def later(loan: LoanAccount) -> list[tuple[int, int, int, int]]:
        return [
            (r.n, r.principal_due, r.interest_due, r.fee_due)
            for r in loan.installments
            if r.due > current
        ]

    return later(before) != later(after)


def replan_after_prepayment(
    before: LoanAccount, after: LoanAccount, on: date, entry: EntryBuilder
) -> LoanAccount:
    """After a posting on ``on`` that re-amortized the schedule: the share of the deferred
    subsidy tied to the principal repaid ahead of its due dates recognised at once (booked on
    ``entry``), the rest planned over the new schedule (see the module docstring)."""
    deferred = after.subsidy - after.subsidy_recognized
    if (
        not after.subsidy_plan
        or deferred <= 0
        or after.status is not LoanStatus.ACTIVE
        or all(r.is_settled for r in after.installments)
        or not _later_rows_changed(before, after, on)
    ):
        return after
    paid, not_due = _repaid_ahead(before, after, on)
    at_once = max(0, min(deferred, deferred * paid // not_due)) if not_due > 0 else 0
    entry.move(debit=Account.DEFERRED_SUBSIDY, credit=Account.INTEREST_INCOME, fen=at_once)
    recognized = after.subsidy_recognized + at_once
    plan = plan_subsidy(
        [r for r in after.installments if r.due > on],
        after.subsidy - recognized,
        first_start=after.replan_start,
        before=recognized,
        rounding=after.schedule.terms.rounding,
    )
    return replace(after, subsidy_recognized=recognized, subsidy_plan=plan)
