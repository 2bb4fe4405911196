"""Daily merchant settlements on one connection (never commits): what settles on a date
(captures and refund parts with their session's contract cycle) and the stored settlements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from thinfile.store.campaign_tables import borrower_coupons, coupon_redemptions, coupons
from thinfile.store.checkout_tables import (
    checkout_captures,
    checkout_refund_parts,
    checkout_refunds,
    checkout_sessions,
)
from thinfile.store.commerce_tables import merchant_contracts
from thinfile.store.settlement_tables import merchant_settlement_lines, merchant_settlements

__all__ = ["SettlementRepository", "SettlingItem", "StoredSettlement", "StoredSettlementLine"]

_LONGEST_CYCLE = 30  # thinfile.commerce.contract.MAX_SETTLEMENT_DAYS


@dataclass(frozen=True, slots=True)
class SettlingItem:
    """A capture, one refund part, or a lender-funded coupon paid (``coupon``) or taken back
    (``coupon-return``), with the session's contract cycle: money in fen; ``subsidy`` is the
    merchant's part of the capture's subsidy or of the part's unwound share (0 for a
    coupon); ``reference`` is the refund's, as the merchant gave it (None for the others)."""

    merchant_id: str
    business_date: date
    settlement_days: int
    session_id: str
    merchant_order_id: str
    currency: str
    unearned_subsidy: str | None
    loan_id: int
    amount: int
    subsidy: int
    capture_n: int
    refund_id: str | None
    kind: str
    reference: str | None = None
    refund_n: int = 0
    """The refund's number in its session (1, 2, …): refunds are listed in their order."""


_KIND_ORDER = {"capture": 0, "coupon": 1, "refund": 2, "coupon-return": 3, "refund-reversal": 4}
_LENDER_FUNDED = "lender"  # thinfile.commerce.CouponFunder.LENDER


@dataclass(frozen=True, slots=True)
class StoredSettlementLine:
    n: int
    kind: str
    business_date: date
    session_id: str
    merchant_order_id: str
    loan_id: int
    amount: int
    subsidy: int
    net: int
    reference: str | None = None
    """A refund's or refund reversal's reference, as the merchant gave it."""


@dataclass(frozen=True, slots=True)
class StoredSettlement:
    merchant_id: str
    settlement_date: date
    currency: str
    captured: int
    refunded: int
    subsidy: int
    subsidy_returned: int
    coupons: int
    net: int
    event_id: str
    created_at: datetime
    lines: tuple[StoredSettlementLine, ...] = ()


_S = checkout_sessions
_C = checkout_captures
_CYCLE = merchant_contracts.c.settlement_days
_CONTRACT = sa.and_(
    merchant_contracts.c.merchant_id == _S.c.merchant_id,
    merchant_contracts.c.version == _S.c.contract_version,
)
_MERCHANT_SUBSIDY = (_C.c.subsidy - _C.c.lender_subsidy).label("subsidy")
"""A capture's subsidy the merchant pays (a campaign's lender share is not the merchant's)."""
_MERCHANT_UNWOUND = (
    checkout_refund_parts.c.subsidy_unwound - checkout_refund_parts.c.lender_unwound
).label("subsidy")
"""A refund part's unwound subsidy that was the merchant's."""
_SESSION_COLS = (_S.c.id, _S.c.merchant_order_id, _S.c.currency, _S.c.unearned_subsidy)
_SETTLEMENT_COLS = [
    merchant_settlements.c[n] for n in StoredSettlement.__dataclass_fields__ if n != "lines"
]
_LINE_COLS = [merchant_settlement_lines.c[n] for n in StoredSettlementLine.__dataclass_fields__]


class SettlementRepository:
    """What settles on a date, and the settlements made; never commits."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def shortest_cycle(self) -> int:
        """The shortest settlement cycle of any contract version (1 when there is none)."""
        found = self.conn.execute(sa.select(sa.func.min(_CYCLE))).scalar()
        return 1 if found is None else int(found)

    def items_settling_on(self, on: date) -> list[SettlingItem]:
        """Captures, refund parts and reversed refund parts (on the business date of the
        reversal) whose business date + their contract's cycle is ``on``,
        by merchant, business date, session order id and capture/refund order."""
        since = on - timedelta(days=_LONGEST_CYCLE)
        captures = (
            sa.select(_S.c.merchant_id, _C.c.captured_on, _CYCLE, *_SESSION_COLS)
            .add_columns(_C.c.loan_id, _C.c.amount, _MERCHANT_SUBSIDY, _C.c.n, sa.null())
            .add_columns(sa.literal("capture"), sa.null(), sa.literal(0))
            .join(_S, _S.c.id == _C.c.session_id)
            .join(merchant_contracts, _CONTRACT)
            .where(_C.c.captured_on.between(since, on))
        )
        r, p = checkout_refunds, checkout_refund_parts
        refunds = (
            sa.select(_S.c.merchant_id, r.c.refunded_on, _CYCLE, *_SESSION_COLS)
            .add_columns(p.c.loan_id, p.c.amount, _MERCHANT_UNWOUND, _C.c.n, r.c.id)
            .add_columns(sa.literal("refund"), r.c.reference, r.c.n)
            .join(_S, _S.c.id == r.c.session_id)
            .join(merchant_contracts, _CONTRACT)
            .join(p, p.c.refund_id == r.c.id)
            .join(_C, _C.c.id == p.c.capture_id)
            .where(r.c.refunded_on.between(since, on))
        )
        reversals = (
            sa.select(_S.c.merchant_id, r.c.reversed_on, _CYCLE, *_SESSION_COLS)
            .add_columns(p.c.loan_id, p.c.amount, _MERCHANT_UNWOUND, _C.c.n, r.c.id)
            .add_columns(sa.literal("refund-reversal"), r.c.reference, r.c.n)
            .join(_S, _S.c.id == r.c.session_id)
            .join(merchant_contracts, _CONTRACT)
            .join(p, p.c.refund_id == r.c.id)
            .join(_C, _C.c.id == p.c.capture_id)
            .where(r.c.reversed_on.between(since, on))
        )
        queries = (captures, refunds, reversals, *self._lender_coupons(since, on))
        items = [SettlingItem(*row) for q in queries for row in self.conn.execute(q)]
        due = [i for i in items if i.business_date + timedelta(days=i.settlement_days) == on]
        return sorted(
            due,
            key=lambda i: (
                i.merchant_id,
                i.business_date,
                i.merchant_order_id,
                _KIND_ORDER[i.kind] >= _KIND_ORDER["refund"],
                _KIND_ORDER[i.kind] == _KIND_ORDER["coupon-return"],
                i.refund_n,
                i.refund_id or "",
                i.capture_n,
                _KIND_ORDER[i.kind],
            ),
        )

    @staticmethod
    def _lender_coupons(since: date, on: date) -> tuple[sa.Select[Any], sa.Select[Any]]:
        """Lender-funded coupons of checkout sessions: paid on the business date of the
        session's first capture, taken back on the date the redemption was returned (a full
        refund; a void before any capture has no first capture, so nothing either way)."""
        rd = coupon_redemptions
        coupon_of = (
            sa.select(_S.c.merchant_id)
            .join(rd, rd.c.order_reference == _S.c.id)
            .join(borrower_coupons, borrower_coupons.c.id == rd.c.borrower_coupon_id)
            .join(coupons, coupons.c.id == borrower_coupons.c.coupon_id)
            .join(_C, sa.and_(_C.c.session_id == _S.c.id, _C.c.n == 1))
            .join(merchant_contracts, _CONTRACT)
            .where(coupons.c.funded_by == _LENDER_FUNDED)
        )
        tail = (_C.c.loan_id, rd.c.amount_fen, sa.literal(0), _C.c.n, sa.null())
        paid = (
            coupon_of.add_columns(_C.c.captured_on, _CYCLE, *_SESSION_COLS, *tail)
            .add_columns(sa.literal("coupon"), sa.null(), sa.literal(0))
            .where(_C.c.captured_on.between(since, on))
        )
        returned = (
            coupon_of.add_columns(rd.c.returned_on, _CYCLE, *_SESSION_COLS, *tail)
            .add_columns(sa.literal("coupon-return"), sa.null(), sa.literal(0))
            .where(rd.c.returned_on.between(since, on))
        )
        return paid, returned

    def get(self, merchant_id: str, on: date) -> StoredSettlement | None:
        row = self.conn.execute(
            sa.select(*_SETTLEMENT_COLS).where(
                merchant_settlements.c.merchant_id == merchant_id,
                merchant_settlements.c.settlement_date == on,
            )
        ).first()
        if row is None:
            return None
        lines = self.conn.execute(
            sa.select(*_LINE_COLS)
            .where(
                merchant_settlement_lines.c.merchant_id == merchant_id,
                merchant_settlement_lines.c.settlement_date == on,
            )
            .order_by(merchant_settlement_lines.c.n)
        )
        return StoredSettlement(
            **row._mapping, lines=tuple(StoredSettlementLine(*x) for x in lines)
        )

    def of_date(self, on: date) -> list[str]:
        """The merchants settled on ``on``."""
        rows = self.conn.execute(
            sa.select(merchant_settlements.c.merchant_id)
            .where(merchant_settlements.c.settlement_date == on)
            .order_by(merchant_settlements.c.merchant_id)
        )
        return [str(r[0]) for r in rows]

    def of_merchant(self, merchant_id: str, *, limit: int = 100) -> list[StoredSettlement]:
        """The merchant's settlements, newest first, without their lines."""
        rows = self.conn.execute(
            sa.select(*_SETTLEMENT_COLS)
            .where(merchant_settlements.c.merchant_id == merchant_id)
            .order_by(merchant_settlements.c.settlement_date.desc())
            .limit(limit)
        )
        return [StoredSettlement(*r) for r in rows]

    def add(self, values: dict[str, Any], lines: list[StoredSettlementLine]) -> bool:
        """Store a settlement and its lines; False (nothing written) when the merchant already
        has one for the date."""
        key = (values["merchant_id"], values["settlement_date"])
        if self.get(*key) is not None:
            return False
        self.conn.execute(sa.insert(merchant_settlements).values(values))
        if lines:
            self.conn.execute(
                sa.insert(merchant_settlement_lines),
                [{"merchant_id": key[0], "settlement_date": key[1], **_line(x)} for x in lines],
            )
        return True


def _line(line: StoredSettlementLine) -> dict[str, Any]:
    return {n: getattr(line, n) for n in StoredSettlementLine.__dataclass_fields__}
