"""Daily merchant settlement (商户结算): what the lender pays a merchant for one date.

A capture of business date B and a refund of business date B settle on B + the contract's
cycle (T+1 by default). Each becomes one :class:`SettlementLine` seen from the merchant:

* a **capture** pays its amount less the merchant's subsidy (贴息) for it — under a campaign
  that shares the subsidy, the merchant's share only (the lender's share is its own marketing
  expense);
* a **refund** (one line per loan it reduced) takes its amount back, less the merchant's share
  of the unearned subsidy returned to it when the contract says so (退还商户), zero when the
  lender keeps it.

* a **refund-reversal** (a refund made in error and reversed, one line per loan it reduced)
  pays the refund's amount back on the business date of the reversal, less the unearned
  subsidy returned to the merchant for it, which the merchant owes again;

* a **coupon** line pays the merchant a lender-funded coupon (平台出资满减券) the borrower
  used on the session's first capture: the borrower financed price − coupon, the lender pays
  the coupon from its marketing budget, so the merchant still receives the price less its
  subsidy;
* a **coupon-return** line takes that coupon back when the order is fully refunded (the
  borrower gets the coupon back, the lender its marketing money).

A merchant-funded coupon (商户出资) needs no line: the capture is the financed amount, so the
merchant's settlement is already reduced by it.

``net`` of a line is ``amount − subsidy``; the settlement's net payable is
captured − refunds − subsidies + subsidy returned + lender-funded coupons (net of returns),
where refunds and subsidy returned are net of the refunds reversed that day.
The settlement file is CSV: a header, one row per line (amounts in yuan, two decimals, signed;
a refund's and a refund-reversal's ``reference`` as the merchant gave it, empty for the other
lines), and a total row whose amounts are the columns' sums. A text cell the merchant wrote
(its order id, a reference) that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written after a ``'``, so that a spreadsheet opening the file reads it as text and
never as a formula (OWASP's CSV injection advice).
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass
from datetime import date

from thinfile.money import Money

__all__ = [
    "SETTLEMENT_CSV_HEADER",
    "MerchantSettlement",
    "SettlementLine",
    "SettlementLineKind",
    "settlement_csv",
    "settlement_of",
]

SETTLEMENT_CSV_HEADER = (
    "kind",
    "business_date",
    "session_id",
    "merchant_order_id",
    "loan_id",
    "amount",
    "subsidy",
    "net",
    "reference",
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP: CSV injection)."""


class SettlementLineKind(enum.StrEnum):
    CAPTURE = "capture"
    REFUND = "refund"
    REFUND_REVERSAL = "refund-reversal"
    COUPON = "coupon"
    COUPON_RETURN = "coupon-return"


@dataclass(frozen=True, slots=True)
class SettlementLine:
    """One capture, one refund's part on one loan, or a lender-funded coupon paid or taken
    back, signed as the merchant sees it; ``reference`` is the refund's (empty when none)."""

    kind: SettlementLineKind
    business_date: date
    session_id: str
    merchant_order_id: str
    loan_id: int
    amount: Money
    subsidy: Money
    reference: str = ""

    @property
    def net(self) -> Money:
        return self.amount - self.subsidy

    @classmethod
    def capture(
        cls,
        business_date: date,
        session_id: str,
        order_id: str,
        loan_id: int,
        *,
        amount: Money,
        subsidy: Money,
    ) -> SettlementLine:
        return cls(
            SettlementLineKind.CAPTURE,
            business_date,
            session_id,
            order_id,
            loan_id,
            amount,
            subsidy,
        )

    @classmethod
    def refund(
        cls,
        business_date: date,
        session_id: str,
        order_id: str,
        loan_id: int,
        *,
        amount: Money,
        subsidy_returned: Money,
        reference: str = "",
    ) -> SettlementLine:
        return cls(
            SettlementLineKind.REFUND,
            business_date,
            session_id,
            order_id,
            loan_id,
            -amount,
            -subsidy_returned,
            reference,
        )

    @classmethod
    def refund_reversal(
        cls,
        business_date: date,
        session_id: str,
        order_id: str,
        loan_id: int,
        *,
        amount: Money,
        subsidy_returned: Money,
        reference: str = "",
    ) -> SettlementLine:
        """A refund's part reversed: the opposite of its refund line."""
        return cls(
            SettlementLineKind.REFUND_REVERSAL,
            business_date,
            session_id,
            order_id,
            loan_id,
            amount,
            subsidy_returned,
            reference,
        )

    @classmethod
    def lender_coupon(
        cls,
        business_date: date,
        session_id: str,
        order_id: str,
        loan_id: int,
        *,
        amount: Money,
        returned: bool,
    ) -> SettlementLine:
        """The lender-funded coupon of a session's first capture, paid to the merchant; or
        taken back (``returned``) when the order is fully refunded."""
        kind = SettlementLineKind.COUPON_RETURN if returned else SettlementLineKind.COUPON
        signed = -amount if returned else amount
        return cls(
            kind, business_date, session_id, order_id, loan_id, signed, Money.zero(amount.currency)
        )


@dataclass(frozen=True, slots=True)
class MerchantSettlement:
    """A merchant's settlement for one date: its lines and their totals."""

    merchant_id: str
    settlement_date: date
    captured: Money
    refunded: Money
    subsidy: Money
    subsidy_returned: Money
    coupons: Money
    net: Money
    lines: tuple[SettlementLine, ...]


def settlement_of(
    merchant_id: str, settlement_date: date, lines: tuple[SettlementLine, ...], currency: str
) -> MerchantSettlement:
    """The totals of ``lines`` (all of one merchant and currency)."""
    zero = Money(0, currency)
    captures = [x for x in lines if x.kind is SettlementLineKind.CAPTURE]
    refund_kinds = (SettlementLineKind.REFUND, SettlementLineKind.REFUND_REVERSAL)
    refunds = [x for x in lines if x.kind in refund_kinds]
    captured = sum((x.amount for x in captures), zero)
    subsidy = sum((x.subsidy for x in captures), zero)
    refunded = -sum((x.amount for x in refunds), zero)
    returned = -sum((x.subsidy for x in refunds), zero)
    coupon_kinds = (SettlementLineKind.COUPON, SettlementLineKind.COUPON_RETURN)
    coupons = sum((x.amount for x in lines if x.kind in coupon_kinds), zero)
    net = captured - refunded - subsidy + returned + coupons
    return MerchantSettlement(
        merchant_id, settlement_date, captured, refunded, subsidy, returned, coupons, net, lines
    )


def _text_cell(text: str) -> str:
    """A cell of text the merchant wrote, never read as a formula by a spreadsheet."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def settlement_csv(settlement: MerchantSettlement) -> str:
    """The settlement file: header, one row per line, and the total row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SETTLEMENT_CSV_HEADER)
    zero = settlement.net - settlement.net
    amount, subsidy, net = zero, zero, zero
    for x in settlement.lines:
        writer.writerow(
            (
                x.kind.value,
                x.business_date.isoformat(),
                x.session_id,
                _text_cell(x.merchant_order_id),
                x.loan_id,
                str(x.amount),
                str(x.subsidy),
                str(x.net),
                _text_cell(x.reference),
            )
        )
        amount, subsidy, net = amount + x.amount, subsidy + x.subsidy, net + x.net
    total = ("total", settlement.settlement_date.isoformat(), "", "", "")
    writer.writerow((*total, str(amount), str(subsidy), str(net), ""))
    return out.getvalue()
