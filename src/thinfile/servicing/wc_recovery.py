"""Money paid on a charged-off working-capital line (核销后收回).

A line charged off (:func:`thinfile.servicing.working_capital.charge_off`) is off the books —
its principal went to charge-off expense, its unpaid interest out of income — but the borrower
still owes what its draws show. Whatever they still pay, by hand or as the share of a day's
sales, is booked as the installment loans' recoveries are (``servicing.lifecycle.recover``):
debit cash, credit recovery income (``wc-recovery``). It is set against the draws in the same
order as a repayment (interest, then principal, oldest draw first) so the line shows what is
still owed, and it never revives the line: the status stays charged off, close of business
accrues nothing on it, and the periods' minimums are no longer counted.

Unlike an installment loan's recovery, which takes any amount, a line refuses more than it
still owes: there is no overpayment account for a line, and money beyond the debt belongs to
the borrower.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from thinfile.errors import ConflictError, CurrencyMismatchError, InvalidInputError
from thinfile.money import Money
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.ledger import Account, EntryBuilder
from thinfile.servicing.working_capital import (
    LineOutcome,
    WorkingCapitalLine,
    pay_draws,
)

__all__ = ["RECOVERY_KIND", "recover"]

RECOVERY_KIND = "wc-recovery"
"""The journal entry kind of a recovery on a line."""


def _fen(line: WorkingCapitalLine, amount: Money, field: str) -> int:
    if amount.currency != line.currency:
        raise CurrencyMismatchError(
            f"working-capital line {line.line_id} is in {line.currency}",
            field=field,
            value=amount.currency,
            remedy=f"use {line.currency}",
        )
    if amount.fen <= 0:
        raise InvalidInputError(f"{field} must be positive", field=field, value=str(amount))
    return amount.fen


def recover(
    line: WorkingCapitalLine, amount: Money, on: date, *, field: str = "amount"
) -> LineOutcome:
    """Book ``amount`` paid on the charged-off ``line`` on ``on`` as a recovery; refused on a
    line not charged off, into a closed day, or above what the line still owes."""
    fen = _fen(line, amount, field)
    if line.status is not LineStatus.CHARGED_OFF:
        raise ConflictError(
            f"working-capital line {line.line_id} is {line.status}, not charged off",
            field="line_id",
            value=line.line_id,
            remedy="repay the line instead",
        )
    if on <= line.cob_date:
        raise ConflictError(
            f"business date {on} is closed for working-capital line {line.line_id}",
            field="on",
            value=on.isoformat(),
        )
    if fen > line.owed:
        raise InvalidInputError(
            f"the line still owes {Money(line.owed, line.currency)}",
            field=field,
            value=str(amount),
            remedy="pay at most what is still owed",
        )
    draws, paid = pay_draws(line.draws, fen, on)
    entry = EntryBuilder(line.currency).move(debit=Account.CASH, credit=Account.RECOVERIES, fen=fen)
    built = entry.build(RECOVERY_KIND, on, memo=f"wc line {line.line_id}")
    return LineOutcome(replace(line, draws=draws), (built,), paid)
