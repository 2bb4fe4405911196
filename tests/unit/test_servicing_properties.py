"""Random servicing histories keep every ledger invariant (hypothesis).

Each example opens a loan, then applies a random sequence of payments, prepayments, merchant
refunds, reversals, closes of business, charge-offs, recoveries, overpayment refunds and fee
waivers. After every step: each journal entry balances, the loan's ledger equals its account
view, principal is conserved, nothing is negative, and the incremental state equals a replay
from scratch.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.unit.servicing_builders import opened
from thinfile.errors import ConflictError, InvalidInputError
from thinfile.loanmath import DefaultTerms, RepaymentMethod
from thinfile.servicing import (
    Event,
    EventKind,
    JournalEntry,
    LoanStatus,
    PrepaymentMode,
    ServicingProduct,
    WaiverTarget,
    apply_event,
    check_loan,
    close_through,
    payoff_quote,
    replay,
    reversal_entries,
    waivable,
)

METHODS = [
    RepaymentMethod.EQUAL_INSTALLMENT,
    RepaymentMethod.EQUAL_PRINCIPAL,
    RepaymentMethod.FEE_INSTALLMENT,
    RepaymentMethod.INTEREST_ONLY,
]
MONEY_EVENTS = (
    EventKind.REPAYMENT,
    EventKind.PREPAYMENT,
    EventKind.MERCHANT_REFUND,
    EventKind.RECOVERY,
)


@st.composite
def loans(draw: st.DrawFn):
    method = draw(st.sampled_from(METHODS))
    fee = "0.006" if method is RepaymentMethod.FEE_INSTALLMENT else "0"
    rate = (
        "0"
        if method is RepaymentMethod.FEE_INSTALLMENT
        else draw(st.sampled_from(["0.0365", "0.12", "0.18", "0.2399"]))
    )
    product = ServicingProduct(
        defaults=DefaultTerms(
            grace_days=draw(st.integers(0, 5)),
            late_fee=draw(st.sampled_from([0, 500, 2000])),
            late_fee_cap=5000,
        ),
        charge_off_days=draw(st.sampled_from([30, 90, 180])),
        prepayment_mode=draw(st.sampled_from(list(PrepaymentMode))),
    )
    principal = draw(st.integers(10_000, 5_000_000))
    down = draw(st.sampled_from([0, 0, principal // 10]))
    return opened(
        f"{(principal - down) / 100:.2f}",
        rate,
        draw(st.integers(1, 12)),
        method=method,
        monthly_fee_rate=__import__("decimal").Decimal(fee),
        product=product,
        down_payment=down,
        subsidy=draw(st.sampled_from([0, principal // 50])),
    )


ACTIONS = (
    ["pay"] * 4
    + ["prepay", "prepay", "refund", "reverse", "reverse"]
    + ["cob"] * 4
    + ["payoff", "charge-off", "write-off", "recover", "refund-credit", "waive"]
)


def _event(action: str, loan, on, data: st.DataObject) -> Event:
    amount = data.draw(st.integers(1, max(2, loan.principal // 3)))
    kinds = {
        "pay": EventKind.REPAYMENT,
        "prepay": EventKind.PREPAYMENT,
        "refund": EventKind.MERCHANT_REFUND,
        "charge-off": EventKind.CHARGE_OFF,
        "write-off": EventKind.WRITE_OFF,
        "recover": EventKind.RECOVERY,
        "refund-credit": EventKind.OVERPAYMENT_REFUND,
        "waive": EventKind.FEE_WAIVER,
    }
    if action == "refund-credit":
        amount = max(1, min(amount, loan.credit))
    if action == "waive":
        target = data.draw(st.sampled_from([None, *WaiverTarget]))
        return Event(
            EventKind.FEE_WAIVER, on, max(1, min(amount, waivable(loan, target))), waive=target
        )
    if action == "payoff":
        if loan.status is not LoanStatus.ACTIVE:
            return Event(EventKind.PREPAYMENT, on, 1)
        action, amount = "prepay", payoff_quote(loan, on).fen or 1
    mode = data.draw(st.sampled_from(list(PrepaymentMode))) if action == "prepay" else None
    return Event(kinds[action], on, amount, mode)


def _assert_all_invariants(opening, events, books, loan, through) -> None:
    check_loan(loan, [e for e in books])
    rebuilt = replay(opening, events, through).loan
    assert rebuilt == loan, "incremental state differs from a replay"
    assert (
        sum(i.principal_paid for i in loan.installments)
        + loan.outstanding.principal
        + (loan.charged_off.principal)
        == loan.principal
    )


class History:
    """The loan as a lender's books see it: opening, posted events, all entries so far."""

    def __init__(self, opening) -> None:
        self.opening, self.loan, self.through = opening, opening.loan, opening.loan.cob_date
        self.books = list(opening.entries)
        self.events: list[Event] = []
        self.reversible: list[tuple[int, JournalEntry]] = []  # (event index, its booked entry)
        self.applied: list[str] = []
        self.refused: list[str] = []

    def _must_be_accepted(self, event: Event) -> bool:
        """A repayment or prepayment of at most the payoff on an active loan, on the next
        business date, is always taken: refusing it would be a bug, not bad input."""
        loan = self.loan
        if event.kind not in (EventKind.REPAYMENT, EventKind.PREPAYMENT):
            return False
        if loan.status is not LoanStatus.ACTIVE or event.on != self.through + timedelta(days=1):
            return False
        closed = close_through(loan, event.on - timedelta(days=1)).loan
        return (
            closed.status is LoanStatus.ACTIVE
            and 0 < event.amount <= payoff_quote(closed, event.on).fen
        )

    def record(self, done) -> None:
        self.books += done.entries
        self.loan = done.loan

    def post(self, event: Event) -> None:
        try:
            done = apply_event(self.loan, event)
        except (ConflictError, InvalidInputError) as refused:
            assert not self._must_be_accepted(event), (event, refused)
            self.refused.append(event.kind)
            return
        self.events.append(event)
        if event.kind in MONEY_EVENTS:
            self.reversible.append((len(self.events) - 1, done.entries[-1]))
        self.applied.append(event.kind)
        self.record(done)

    def close_business(self, days: int) -> None:
        self.through += timedelta(days=days)
        self.record(close_through(self.loan, self.through))

    def reverse(self, pick: int) -> None:
        index, entry = self.reversible[pick]
        kept = [e for k, e in enumerate(self.events) if k != index]
        try:
            after = replay(self.opening, kept, self.through)
        except (ConflictError, InvalidInputError):
            return  # a later event depends on this one (e.g. a refund of its overpayment)
        before = replay(self.opening, self.events, self.through)
        self.books += reversal_entries(before, after, entry, self.through + timedelta(days=1))
        self.events = kept
        self.reversible = [(k - (k > index), e) for k, e in self.reversible if k != index]
        self.loan = after.loan
        self.applied.append("reversal")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opening=loans(), data=st.data())
def test_random_histories_keep_the_books_balanced_and_equal_to_the_accounts(opening, data):
    h = History(opening)
    for _ in range(data.draw(st.integers(1, 16))):
        action = data.draw(st.sampled_from(ACTIONS))
        if action == "cob":
            h.close_business(data.draw(st.sampled_from([1, 7, 31, 95])))
        elif action == "reverse":
            if h.reversible:
                h.reverse(data.draw(st.integers(0, len(h.reversible) - 1)))
        else:
            h.post(_event(action, h.loan, h.through + timedelta(days=1), data))
        _assert_all_invariants(h.opening, h.events, h.books, h.loan, h.through)
    for kind in set(h.applied):
        event(f"applied {kind}")
    for kind in set(h.refused):
        event(f"refused {kind}")
    event(f"ended {h.loan.status}")
