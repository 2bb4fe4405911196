"""Loan servicing: accounts, payments, close of business and the double-entry ledger.

Pure domain (no database, no web): every operation takes an immutable
:class:`LoanAccount` and returns an :class:`Outcome` (new account, journal entries, bucket
moves). See ``docs.md`` for the data flow.
"""

from thinfile.servicing.account import (
    BucketMove,
    Components,
    InstallmentState,
    LoanAccount,
    LoanStatus,
    Outcome,
    open_loan,
)
from thinfile.servicing.allocation import Allocation, allocate, timing_of
from thinfile.servicing.cob import close_day, close_through
from thinfile.servicing.creditline import (
    CreditLine,
    LimitChange,
    LineStatus,
    change_limit,
    check_capture,
    check_draw,
    close_line,
)
from thinfile.servicing.daily import accrued_to, daily_allowance, daily_penalty
from thinfile.servicing.invariants import (
    InvariantViolation,
    balances_from_account,
    check_loan,
)
from thinfile.servicing.ledger import (
    Account,
    EntryBuilder,
    JournalEntry,
    JournalLine,
    account_balances,
    reversal_of,
)
from thinfile.servicing.lifecycle import charge_off, recover, refund_overpayment, write_off
from thinfile.servicing.payments import (
    apply_held_credit,
    merchant_refund,
    pay,
    payoff_quote,
    prepay,
    settle,
)
from thinfile.servicing.product import (
    DEFAULT_ALLOCATION,
    DEFAULT_BUCKETS,
    BeyondPayoff,
    Component,
    DelinquencyRange,
    ExtraPayment,
    PrepaymentMode,
    ServicingProduct,
    Timing,
    standard_product,
)
from thinfile.servicing.purchase_refund import SubsidyOnRefund
from thinfile.servicing.replay import (
    Event,
    EventKind,
    Inserted,
    ReplayStep,
    apply_event,
    replay,
    replay_inserting,
    replay_steps,
    reversal_entries,
    value_dated_entries,
)
from thinfile.servicing.subsidy import (
    SubsidyPeriod,
    plan_subsidy,
    recognition_end,
    recognized_by,
    replan_after_prepayment,
)
from thinfile.servicing.waiver import WaiverTarget, waivable, waive_fees

__all__ = [
    "DEFAULT_ALLOCATION",
    "DEFAULT_BUCKETS",
    "Account",
    "Allocation",
    "BeyondPayoff",
    "BucketMove",
    "Component",
    "Components",
    "CreditLine",
    "DelinquencyRange",
    "EntryBuilder",
    "Event",
    "EventKind",
    "ExtraPayment",
    "Inserted",
    "InstallmentState",
    "InvariantViolation",
    "JournalEntry",
    "JournalLine",
    "LimitChange",
    "LineStatus",
    "LoanAccount",
    "LoanStatus",
    "Outcome",
    "PrepaymentMode",
    "ReplayStep",
    "ServicingProduct",
    "SubsidyOnRefund",
    "SubsidyPeriod",
    "Timing",
    "WaiverTarget",
    "account_balances",
    "accrued_to",
    "allocate",
    "apply_event",
    "apply_held_credit",
    "balances_from_account",
    "change_limit",
    "charge_off",
    "check_capture",
    "check_draw",
    "check_loan",
    "close_day",
    "close_line",
    "close_through",
    "daily_allowance",
    "daily_penalty",
    "merchant_refund",
    "open_loan",
    "pay",
    "payoff_quote",
    "plan_subsidy",
    "prepay",
    "recognition_end",
    "recognized_by",
    "recover",
    "refund_overpayment",
    "replan_after_prepayment",
    "replay",
    "replay_inserting",
    "replay_steps",
    "reversal_entries",
    "reversal_of",
    "settle",
    "standard_product",
    "timing_of",
    "value_dated_entries",
    "waivable",
    "waive_fees",
    "write_off",
]
