"""What a refund on a financed purchase does beyond cutting principal (DOMAIN §11).

A merchant's refund (商户退款) on a loan that carries a merchant subsidy (贴息) also unwinds the
part of the subsidy not yet recognised that belongs to the refunded principal, as the merchant
contract says (:class:`SubsidyOnRefund`), and, when the whole purchase is refunded, gives the
borrower back the interest and fees they paid on it (held as overpayment, for the caller to
return). :func:`thinfile.servicing.merchant_refund` applies both when it is given a policy.

The unearned share is ``deferred × refunded principal ÷ principal outstanding`` (all of it when
the refund reaches every fen outstanding), rounded half-up to the fen once::

    RETURN_TO_MERCHANT   Dr deferred subsidy   Cr cash            (netted in settlement)
    KEEP                 Dr deferred subsidy   Cr interest income (recognised at once)

``LoanAccount.subsidy_recognized`` counts the subsidy no longer deferred either way, so the
deferred balance stays ``subsidy − subsidy_recognized``.
"""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import date
from decimal import Decimal

from thinfile.money import Rounding, round_fen
from thinfile.servicing.account import LoanAccount, Outcome
from thinfile.servicing.ledger import Account, EntryBuilder

__all__ = ["SubsidyOnRefund", "rebate_costs", "unearned_share", "unwind_subsidy"]


class SubsidyOnRefund(enum.StrEnum):
    """What a refund does with the unearned subsidy (the contract's ``UnearnedSubsidy``)."""

    RETURN_TO_MERCHANT = "return-to-merchant"
    KEEP = "keep"


def unearned_share(loan: LoanAccount, fen: int) -> int:
    """The deferred subsidy tied to refunding ``fen`` of the principal outstanding."""
    deferred = loan.subsidy - loan.subsidy_recognized
    outstanding = loan.outstanding.principal
    if deferred <= 0 or outstanding <= 0:
        return 0
    if fen >= outstanding:
        return deferred
    return min(deferred, round_fen(Decimal(deferred) * fen / outstanding, Rounding.HALF_UP))


def unwind_subsidy(loan: LoanAccount, fen: int, on: date, policy: SubsidyOnRefund) -> Outcome:
    """Unwind the subsidy tied to refunding ``fen``, as ``policy`` says (no entry when none)."""
    share = unearned_share(loan, fen)
    if share == 0:
        return Outcome(loan)
    to = Account.CASH if policy is SubsidyOnRefund.RETURN_TO_MERCHANT else Account.INTEREST_INCOME
    entry = EntryBuilder(loan.currency).move(debit=Account.DEFERRED_SUBSIDY, credit=to, fen=share)
    done = replace(loan, subsidy_recognized=loan.subsidy_recognized + share)
    return Outcome(done, (entry.build("subsidy-unwind", on, loan_id=loan.loan_id),))


def rebate_costs(loan: LoanAccount, on: date) -> Outcome:
    """When every fen financed has been refunded, the interest and fees the borrower paid go
    back to them: held as overpayment (溢缴款) for the caller to return."""
    if loan.merchant_refunded < loan.principal:
        return Outcome(loan)
    interest = sum(i.interest_paid for i in loan.installments)
    fee = sum(i.fee_paid for i in loan.installments)
    if interest + fee == 0:
        return Outcome(loan)
    entry = (
        EntryBuilder(loan.currency)
        .debit(Account.INTEREST_INCOME, interest)
        .debit(Account.FEE_INCOME, fee)
        .credit(Account.OVERPAYMENT_LIABILITY, interest + fee)
    )
    done = replace(loan, credit=loan.credit + interest + fee)
    return Outcome(done, (entry.build("cost-rebate", on, loan_id=loan.loan_id),))
