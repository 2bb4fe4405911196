"""Daily merchant settlement (商户结算): ``settle_merchants(engine, on)`` makes, once per
merchant and date, the settlement of the captures and refunds whose business date + the
session's contract cycle is ``on`` (the arithmetic is :mod:`thinfile.commerce.settlement`),
stores it with its lines and queues a ``settlement.ready`` webhook event, all in one unit of
work. A date is settled only when every business date feeding it is over (before the current
business date), so nothing can join it later. Settling a date again changes nothing: the
stored settlements are read back, and their files (:func:`write_settlement_files`) come out
byte for byte the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from thinfile.commerce.settlement import (
    MerchantSettlement,
    SettlementLine,
    SettlementLineKind,
    settlement_csv,
    settlement_of,
)
from thinfile.commerce.webhooks import WebhookEventType
from thinfile.errors import ConflictError, NotFoundError
from thinfile.money import Money
from thinfile.services.business_date import business_date_in
from thinfile.services.conflicts import duplicate_is_conflict
from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.services.webhooks import enqueue_merchant_event_in_unit
from thinfile.store.settlements_repo import (
    SettlingItem,
    StoredSettlement,
    StoredSettlementLine,
)

__all__ = [
    "SettlementRecord",
    "settle_merchants",
    "settlement_file_name",
    "settlement_with_lines",
    "settlements_for_merchant",
    "write_settlement_files",
]

_RETURNED = "return-to-merchant"


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    """A stored settlement: ``made`` is True when this call made it, False when it was read."""

    settlement: MerchantSettlement
    currency: str
    event_id: str
    made: bool


def _line(item: SettlingItem) -> SettlementLine:
    money = Money(item.amount, item.currency)
    on, session, order = item.business_date, item.session_id, item.merchant_order_id
    if item.kind in (SettlementLineKind.COUPON, SettlementLineKind.COUPON_RETURN):
        taken_back = item.kind == SettlementLineKind.COUPON_RETURN
        return SettlementLine.lender_coupon(
            on, session, order, item.loan_id, amount=money, returned=taken_back
        )
    if item.refund_id is None:
        subsidy = Money(item.subsidy, item.currency)
        return SettlementLine.capture(
            on, session, order, item.loan_id, amount=money, subsidy=subsidy
        )
    returned = item.subsidy if (item.unearned_subsidy or _RETURNED) == _RETURNED else 0
    line = (
        SettlementLine.refund_reversal
        if item.kind == SettlementLineKind.REFUND_REVERSAL
        else SettlementLine.refund
    )
    return line(
        on,
        session,
        order,
        item.loan_id,
        amount=money,
        subsidy_returned=Money(returned, item.currency),
        reference=item.reference or "",
    )


def _record(stored: StoredSettlement, *, made: bool) -> SettlementRecord:
    m = stored.currency
    lines = tuple(
        SettlementLine(
            SettlementLineKind(x.kind),
            x.business_date,
            x.session_id,
            x.merchant_order_id,
            x.loan_id,
            Money(x.amount, m),
            Money(x.subsidy, m),
            x.reference or "",
        )
        for x in stored.lines
    )
    settlement = MerchantSettlement(
        stored.merchant_id,
        stored.settlement_date,
        Money(stored.captured, m),
        Money(stored.refunded, m),
        Money(stored.subsidy, m),
        Money(stored.subsidy_returned, m),
        Money(stored.coupons, m),
        Money(stored.net, m),
        lines,
    )
    return SettlementRecord(settlement, m, stored.event_id, made)


def _payload(s: MerchantSettlement, currency: str) -> dict[str, object]:
    return {
        "settlement_date": s.settlement_date.isoformat(),
        "currency": currency,
        "captured": str(s.captured),
        "refunded": str(s.refunded),
        "subsidy": str(s.subsidy),
        "subsidy_returned": str(s.subsidy_returned),
        "coupons": str(s.coupons),
        "net": str(s.net),
        "lines": len(s.lines),
    }


def _store(uow: UnitOfWork, s: MerchantSettlement, currency: str) -> None:
    event_id = enqueue_merchant_event_in_unit(
        uow, s.merchant_id, WebhookEventType.SETTLEMENT_READY, _payload(s, currency)
    )
    values = {
        "merchant_id": s.merchant_id,
        "settlement_date": s.settlement_date,
        "currency": currency,
        **{
            k: getattr(s, k).fen
            for k in ("captured", "refunded", "subsidy", "subsidy_returned", "coupons", "net")
        },
        "event_id": event_id,
        "created_at": now_utc(),
    }
    lines = [
        StoredSettlementLine(
            n,
            x.kind.value,
            x.business_date,
            x.session_id,
            x.merchant_order_id,
            x.loan_id,
            x.amount.fen,
            x.subsidy.fen,
            x.net.fen,
            x.reference or None,
        )
        for n, x in enumerate(s.lines, start=1)
    ]
    uow.settlements.add(values, lines)


def _check_closed(uow: UnitOfWork, on: date, *, today: date | None) -> None:
    latest_fed = on - timedelta(days=uow.settlements.shortest_cycle())
    current = business_date_in(uow, today=today)
    if latest_fed >= current:
        raise ConflictError(
            f"settlement date {on} takes business date {latest_fed}, which is not over (the "
            f"current business date is {current})",
            field="date",
            value=on.isoformat(),
            remedy="settle it after close of business has closed every date it takes",
        )


def _taken(on: date) -> ConflictError:
    return ConflictError(
        f"another run is settling {on}",
        field="date",
        value=on.isoformat(),
        remedy="run it again once that run ends: it will read the settlements made",
    )


def settle_merchants(
    engine: Engine, on: date, *, today: date | None = None
) -> list[SettlementRecord]:
    """Each merchant's settlement for ``on`` (made now, or as made before), by merchant id."""
    with UnitOfWork(engine) as uow:
        _check_closed(uow, on, today=today)
        by_merchant: dict[tuple[str, str], list[SettlementLine]] = {}
        for item in uow.settlements.items_settling_on(on):
            by_merchant.setdefault((item.merchant_id, item.currency), []).append(_line(item))
        made: set[str] = set()
        with duplicate_is_conflict(lambda: _taken(on)):
            for (merchant_id, currency), lines in by_merchant.items():
                if uow.settlements.get(merchant_id, on) is None:
                    _store(uow, settlement_of(merchant_id, on, tuple(lines), currency), currency)
                    made.add(merchant_id)
            stored = [uow.settlements.get(m, on) for m in uow.settlements.of_date(on)]
            out = [_record(s, made=s.merchant_id in made) for s in stored if s is not None]
            uow.commit()
    return out


def settlement_file_name(record: SettlementRecord) -> str:
    s = record.settlement
    return f"settlement-{s.merchant_id}-{s.settlement_date.isoformat()}.csv"


def write_settlement_files(records: list[SettlementRecord], out: Path) -> list[Path]:
    """One CSV file per settlement in ``out`` (made if missing); the same settlement always
    writes the same bytes, so writing again is harmless."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in records:
        path = out / settlement_file_name(record)
        path.write_text(settlement_csv(record.settlement), encoding="utf-8")
        paths.append(path)
    return paths


def settlements_for_merchant(
    engine: Engine, merchant_id: str, *, limit: int = 100
) -> list[SettlementRecord]:
    """The merchant's settlements, newest first, without their lines (the caller has checked
    that the asker acts for the merchant, or is staff)."""
    with UnitOfWork(engine) as uow:
        if uow.merchants.get(merchant_id) is None:
            raise NotFoundError("no such merchant", field="merchant_id", value=merchant_id)
        return [
            _record(s, made=False) for s in uow.settlements.of_merchant(merchant_id, limit=limit)
        ]


def settlement_with_lines(engine: Engine, merchant_id: str, on: date) -> SettlementRecord:
    """The merchant's settlement of ``on`` with its lines (for its file); the caller has
    checked that the asker acts for the merchant, or is staff."""
    with UnitOfWork(engine) as uow:
        stored = uow.settlements.get(merchant_id, on)
    if stored is None:
        raise NotFoundError("no settlement on that date", field="date", value=on.isoformat())
    return _record(stored, made=False)
