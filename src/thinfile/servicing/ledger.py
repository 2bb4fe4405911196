"""The double-entry ledger (复式记账): chart of accounts, journal lines and entries.

A line's ``amount`` is in fen and signed: debits are positive, credits negative, so a balanced
entry sums to zero per currency. Entries are immutable and the ledger is append-only: a mistake
is corrected by a reversing entry (:func:`reversal_of`), never by editing.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Account",
    "EntryBuilder",
    "JournalEntry",
    "JournalLine",
    "account_balances",
    "reversal_of",
]


class Account(enum.StrEnum):
    """The chart of accounts a loan book needs (科目表)."""

    LOANS_RECEIVABLE = "loans_receivable"
    """贷款本金: principal lent and not yet repaid (asset)."""
    INTEREST_RECEIVABLE = "interest_receivable"
    """应收利息: interest accrued and not yet paid (asset)."""
    FEE_RECEIVABLE = "fee_receivable"
    """应收费用: fees accrued or charged and not yet paid (asset)."""
    PENALTY_RECEIVABLE = "penalty_receivable"
    """应收罚息: penalty interest charged and not yet paid (asset)."""
    CASH = "cash"
    """Cash and clearing (资金清算): money in from borrowers and merchants, out to disbursements."""
    INTEREST_INCOME = "interest_income"
    FEE_INCOME = "fee_income"
    PENALTY_INCOME = "penalty_income"
    DEFERRED_SUBSIDY = "deferred_subsidy_income"
    """递延收益: a merchant's interest subsidy (贴息), recognised day by day (liability)."""
    OVERPAYMENT_LIABILITY = "overpayment_liability"
    """溢缴款: money received beyond what is owed, refundable to the borrower (liability)."""
    CHARGE_OFF_EXPENSE = "charge_off_expense"
    """核销损失: principal charged off (expense)."""
    RECOVERIES = "recoveries"
    """核销后收回: money collected after charge-off (income)."""
    FEE_WAIVERS = "fee_waivers"
    """费用减免: fees and penalty interest forgiven (contra-income, see ``waiver``)."""
    MARKETING_EXPENSE = "marketing_expense"
    """营销费用: a lender-funded coupon (平台出资满减券) paid to the merchant on top of the
    financed amount at a checkout capture, and the lender's share of a campaign's subsidy
    (平台贴息, booked on the loan's disbursement; reversed for the part a refund unwinds)
    (expense; no loan's receivable)."""
    WC_RECEIVABLE = "working_capital_receivable"
    """流动资金贷款本金: principal drawn on working-capital lines and not yet repaid (asset;
    ``servicing.working_capital``)."""
    WC_INTEREST_RECEIVABLE = "working_capital_interest_receivable"
    """流动资金应收利息: daily interest accrued on working-capital draws, not yet paid (asset)."""
    CAP_RELIEF = "all_in_cap_relief"
    """综合成本上限减免: late fees and penalty interest not charged because interest, penalty
    and fees on an overdue amount would pass the all-in cap (contra-income)."""


RECEIVABLES = (
    Account.LOANS_RECEIVABLE,
    Account.INTEREST_RECEIVABLE,
    Account.FEE_RECEIVABLE,
    Account.PENALTY_RECEIVABLE,
)


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One posting: debit if ``amount`` > 0, credit if < 0, in fen of ``currency``."""

    account: Account
    amount: int
    currency: str


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """A balanced set of lines for one business event (分录)."""

    kind: str
    on: date
    lines: tuple[JournalLine, ...]
    loan_id: int | None = None
    memo: str = ""

    def balance_by_currency(self) -> dict[str, int]:
        """Sum of lines per currency; every value is 0 in a balanced entry."""
        out: dict[str, int] = defaultdict(int)
        for line in self.lines:
            out[line.currency] += line.amount
        return dict(out)

    def is_balanced(self) -> bool:
        return all(v == 0 for v in self.balance_by_currency().values())

    def amount_of(self, account: Account) -> int:
        return sum(line.amount for line in self.lines if line.account is account)


class EntryBuilder:
    """Collects debits and credits for one entry, merging lines of the same account."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._amounts: dict[Account, int] = defaultdict(int)

    def debit(self, account: Account, fen: int) -> EntryBuilder:
        self._amounts[account] += fen
        return self

    def credit(self, account: Account, fen: int) -> EntryBuilder:
        self._amounts[account] -= fen
        return self

    def move(self, *, debit: Account, credit: Account, fen: int) -> EntryBuilder:
        """Debit one account and credit another with the same amount."""
        return self.debit(debit, fen).credit(credit, fen)

    def add(self, other: EntryBuilder) -> EntryBuilder:
        """Merge ``other``'s lines into this entry."""
        for account, fen in other._amounts.items():
            self._amounts[account] += fen
        return self

    def is_empty(self) -> bool:
        return not any(self._amounts.values())

    def build(
        self, kind: str, on: date, *, loan_id: int | None = None, memo: str = ""
    ) -> JournalEntry:
        lines = tuple(
            JournalLine(account, amount, self.currency)
            for account, amount in sorted(self._amounts.items())
            if amount
        )
        return JournalEntry(kind, on, lines, loan_id, memo)


def reversal_of(entry: JournalEntry, on: date, *, kind: str = "reversal") -> JournalEntry:
    """The entry that cancels ``entry`` exactly (冲正): every line with its sign flipped."""
    lines = tuple(JournalLine(li.account, -li.amount, li.currency) for li in entry.lines)
    return JournalEntry(kind, on, lines, entry.loan_id, memo=f"reverses {entry.kind}")


def account_balances(entries: Iterable[JournalEntry]) -> dict[Account, int]:
    """Net debit balance of every account touched by ``entries``."""
    out: dict[Account, int] = defaultdict(int)
    for entry in entries:
        for line in entry.lines:
            out[line.account] += line.amount
    return dict(out)


def difference(
    after: Mapping[Account, int], before: Mapping[Account, int], currency: str
) -> EntryBuilder:
    """An entry builder holding ``after − before`` per account (used by reverse-and-replay)."""
    builder = EntryBuilder(currency)
    for account in set(after) | set(before):
        builder.debit(account, after.get(account, 0) - before.get(account, 0))
    return builder
