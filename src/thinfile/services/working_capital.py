"""Working-capital line use cases: open a line, draw, repay, record a day's collected sales.

Each is one unit of work: the line is locked, changed by the pure domain
(``thinfile.servicing.working_capital``), saved with its posting and journal entry, and
committed once (the ``*_in_unit`` forms run inside a caller's unit, as the API's idempotent
requests do; the engine-level forms commit on their own). Postings go on the current business
date and are refused while close of business runs. A borrower reaches only their own lines:
another's line is "not found", exactly like a line that does not exist. On a charged-off line a
repayment or a share of sales is booked as a recovery (``servicing.wc_recovery``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine

from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.money import Money, Rounding, round_fen
from thinfile.services.audit import AuditDraft
from thinfile.services.business_date import business_date_in
from thinfile.services.loan_postings import check_business_day
from thinfile.services.uow import UnitOfWork
from thinfile.servicing.creditline import LineStatus
from thinfile.servicing.wc_recovery import recover
from thinfile.servicing.wc_statement import DrawCostStatement, draw_statement
from thinfile.servicing.working_capital import (
    LineOutcome,
    RepaymentMode,
    WorkingCapitalLine,
    WorkingCapitalTerms,
    check_available,
    close_day,
    draw,
    night_interest,
    open_line,
    repay,
    sales_repayment,
)
from thinfile.store.servicing_codec import from_day, to_day

__all__ = [
    "LineView",
    "SalesRecord",
    "WcReceipt",
    "draw_in_unit",
    "draw_on_line",
    "get_line",
    "lines_of_owner",
    "open_line_in_unit",
    "open_working_capital_line",
    "owned_line",
    "preview_draw",
    "receipt_audit",
    "record_sales",
    "record_sales_in_unit",
    "repay_in_unit",
    "repay_line",
]


@dataclass(frozen=True, slots=True)
class LineView:
    """A line as its borrower or staff see it on ``today`` (the current business date)."""

    line: WorkingCapitalLine
    today: date

    @property
    def todays_interest(self) -> int:
        """What tonight's close of business will charge if nothing is repaid today (nothing
        on a line that no longer accrues: charged off)."""
        if self.line.status is not LineStatus.ACTIVE:
            return 0
        return sum(night_interest(self.line, self.today).values())

    @property
    def days_past_due(self) -> int:
        return self.line.days_past_due(self.today)


@dataclass(frozen=True, slots=True)
class WcReceipt:
    """A posting on a line: a draw (with its cost statement) or a repayment (with its split)."""

    txn_id: int
    line_id: int
    kind: str
    on: date
    amount: Money
    paid_interest: int
    paid_principal: int
    draw_id: int | None
    replayed: bool
    statement: DrawCostStatement | None = None


@dataclass(frozen=True, slots=True)
class SalesRecord:
    line_id: int
    day: date
    sales: Money
    collected: Money
    receipt: WcReceipt | None


SALES_ACTOR = "system:acquiring"
"""Who the audit log names for a share of sales collected on a charged-off line."""


def _owned(
    uow: UnitOfWork, line_id: int, owner: str | None, *, lock: bool = False
) -> tuple[WorkingCapitalLine, int]:
    line, version = uow.working_capital.get(line_id, lock=lock)
    if owner is not None and line.owner != owner:
        raise NotFoundError(f"no working-capital line {line_id}", field="line_id", value=line_id)
    return line, version


def as_of(line: WorkingCapitalLine, on: date) -> LineOutcome:
    """``line`` with its own business days up to the day before ``on`` closed (inline close
    of business: each night's interest, periods and overdue dates, as the night would have
    done): what a repayment, a draw or a page on ``on`` must see when close of business has
    not run since. Writes nothing."""
    done = LineOutcome(line)
    while done.line.cob_date < on - timedelta(days=1):
        night = close_day(done.line, done.line.cob_date + timedelta(days=1))
        done = LineOutcome(night.line, (*done.entries, *night.entries))
    return done


def _caught_up(
    uow: UnitOfWork, line_id: int, owner: str | None, on: date
) -> tuple[WorkingCapitalLine, int]:
    """The line, locked, with the nights close of business has not closed for it closed and
    booked first (:func:`as_of`): interest is owed for every day drawn, also when a borrower
    pays on a day the nightly run has not reached."""
    stored = _owned(uow, line_id, owner, lock=True)
    done = as_of(stored[0], on)
    if done.line == stored[0]:
        return stored
    uow.working_capital.save(stored[0], stored[1], done.line)
    uow.ledger.post(done.entries, loan_id=None)
    return _owned(uow, line_id, owner, lock=True)


def owned_line(uow: UnitOfWork, line_id: int, owner: str | None) -> WorkingCapitalLine:
    """The line (``owner``: only if theirs, else "not found"), inside the caller's unit."""
    return _owned(uow, line_id, owner)[0]


def open_line_in_unit(
    uow: UnitOfWork,
    owner: str,
    *,
    limit: Money,
    daily_rate: Decimal,
    mode: RepaymentMode = RepaymentMode.MINIMUM,
    sales_share: Decimal = Decimal(0),
    minimum_share: Decimal = Decimal("0.1"),
    today: date | None = None,
) -> WorkingCapitalLine:
    """Open a line for ``owner`` on the current business date (the decision calls this;
    ``today``: the day the caller lives in, as for :func:`business_date_in`)."""
    on = business_date_in(uow, today=today)
    check_business_day(uow, on)  # a line opened mid-run would miss that night's close
    terms = WorkingCapitalTerms(
        limit, daily_rate, RepaymentMode(mode), sales_share=sales_share, minimum_share=minimum_share
    )
    line = open_line(0, owner, terms, on)
    line_id = uow.working_capital.add(line)
    return uow.working_capital.get(line_id)[0]


def open_working_capital_line(
    engine: Engine,
    owner: str,
    *,
    limit: Money,
    daily_rate: Decimal,
    mode: RepaymentMode = RepaymentMode.MINIMUM,
    sales_share: Decimal = Decimal(0),
    minimum_share: Decimal = Decimal("0.1"),
    actor: str | None = None,
) -> WorkingCapitalLine:
    """:func:`open_line_in_unit` in a unit of work of its own (audited given ``actor``)."""
    with UnitOfWork(engine) as uow:
        line = open_line_in_unit(
            uow,
            owner,
            limit=limit,
            daily_rate=daily_rate,
            mode=mode,
            sales_share=sales_share,
            minimum_share=minimum_share,
        )
        if actor:
            AuditDraft(
                actor, "wc_line.open", f"wc-line:{line.line_id}", {"limit": limit.fen}
            ).append(uow)
        uow.commit()
    return line


def _replay(
    uow: UnitOfWork, key: str | None, line_id: int, kind: str, amount: Money
) -> WcReceipt | None:
    """The posting stored under ``key`` (a repayment's may be a recovery), or none."""
    row = uow.working_capital.transaction_by_key(key) if key else None
    if row is None:
        return None
    if (
        row.line_id != line_id
        or row.kind not in (kind, "recovery" if kind == "repayment" else kind)
        or row.amount != amount.fen
        or row.currency != amount.currency
    ):
        raise ConflictError(
            "this idempotency key was used for a different posting",
            field="idempotency_key",
            value=key,
            remedy="use a new key for a new posting",
        )
    return WcReceipt(
        int(row.id),
        line_id,
        str(row.kind),
        from_day(int(row.day)),
        amount,
        int(row.paid_interest),
        int(row.paid_principal),
        None if row.draw_id is None else int(row.draw_id),
        True,
    )


def _book(
    uow: UnitOfWork,
    stored: tuple[WorkingCapitalLine, int],
    done: LineOutcome,
    kind: str,
    on: date,
    amount: Money,
    key: str | None,
) -> WcReceipt:
    before, version = stored
    new_draws = uow.working_capital.save(before, version, done.line)
    entry_ids = uow.ledger.post(done.entries, loan_id=None)
    draw_id = new_draws[0] if new_draws else None
    txn_id = uow.working_capital.add_transaction(
        {
            "line_id": before.line_id,
            "kind": kind,
            "day": to_day(on),
            "amount": amount.fen,
            "currency": amount.currency,
            "idempotency_key": key,
            "draw_id": draw_id,
            "entry_id": entry_ids[0] if entry_ids else None,
            "paid_interest": done.paid_interest,
            "paid_principal": done.paid_principal,
        }
    )
    return WcReceipt(
        txn_id,
        before.line_id,
        kind,
        on,
        amount,
        done.paid_interest,
        done.paid_principal,
        draw_id,
        False,
    )


def draw_in_unit(
    uow: UnitOfWork,
    owner: str | None,
    line_id: int,
    amount: Money,
    *,
    term_days: int,
    key: str | None = None,
    expected_daily_sales: Money | None = None,
    today: date | None = None,
) -> WcReceipt:
    """Draw on the current business date, with the draw's cost statement."""
    replayed = _replay(uow, key, line_id, "draw", amount)
    if replayed is not None:
        return replayed
    on = business_date_in(uow, today=today)
    check_business_day(uow, on)
    stored = _caught_up(uow, line_id, owner, on)
    done = draw(stored[0], 0, amount, on, term_days=term_days)
    statement = draw_statement(
        stored[0].terms,
        amount,
        on,
        term_days=term_days,
        expected_daily_sales=expected_daily_sales or _default_sales(stored[0], amount, term_days),
        period_end=_period_end(stored[0], on),
    )
    receipt = _book(uow, stored, done, "draw", on, amount, key)
    return _with_statement(receipt, statement)


def _with_statement(receipt: WcReceipt, statement: DrawCostStatement) -> WcReceipt:
    return WcReceipt(
        receipt.txn_id,
        receipt.line_id,
        receipt.kind,
        receipt.on,
        receipt.amount,
        receipt.paid_interest,
        receipt.paid_principal,
        receipt.draw_id,
        receipt.replayed,
        statement,
    )


def _default_sales(line: WorkingCapitalLine, amount: Money, term_days: int) -> Money | None:
    """Without a stated forecast, the sales that would repay the draw by half its term."""
    if line.terms.mode is not RepaymentMode.SALES:
        return None
    per_day = amount.fen * 2 / (line.terms.sales_share * term_days)
    return Money(max(1, round_fen(per_day, Rounding.UP)), amount.currency)


def preview_draw(
    engine: Engine,
    owner: str | None,
    line_id: int,
    amount: Money | None,
    *,
    term_days: int,
    expected_daily_sales: Money | None = None,
) -> DrawCostStatement:
    """The cost statement a draw would have today; writes nothing. The line is found (and
    owned) before the amount is asked for."""
    with UnitOfWork(engine) as uow:
        line, _ = _owned(uow, line_id, owner)
        on = business_date_in(uow)
    if amount is None:
        raise InvalidInputError("say how much to draw", field="amount")
    check_available(line, amount)
    return draw_statement(
        line.terms,
        amount,
        on,
        term_days=term_days,
        expected_daily_sales=expected_daily_sales or _default_sales(line, amount, term_days),
        period_end=_period_end(line, on),
    )


def _period_end(line: WorkingCapitalLine, on: date) -> date | None:
    """The last day of the line's period ``on`` falls in (None: none open yet, the statement
    then starts a period with the draw)."""
    return next((p.end for p in line.periods if p.start <= on <= p.end), None)


def repay_in_unit(
    uow: UnitOfWork,
    owner: str | None,
    line_id: int,
    amount: Money,
    *,
    key: str | None = None,
    today: date | None = None,
) -> WcReceipt:
    """Repay on the current business date: interest then principal, oldest draw first; on a
    charged-off line, a recovery (kind ``recovery``, ``servicing.wc_recovery``)."""
    replayed = _replay(uow, key, line_id, "repayment", amount)
    if replayed is not None:
        return replayed
    on = business_date_in(uow, today=today)
    check_business_day(uow, on)
    stored = _caught_up(uow, line_id, owner, on)
    if stored[0].status is LineStatus.CHARGED_OFF:
        done, kind = recover(stored[0], amount, on), "recovery"
    else:
        done, kind = repay(stored[0], amount, on), "repayment"
    return _book(uow, stored, done, kind, on, amount, key)


def record_sales_in_unit(
    uow: UnitOfWork, line_id: int, sales: Money, day: date, *, today: date | None = None
) -> SalesRecord:
    """Record ``day``'s sales collected by the acquiring partner; a sales-linked line
    repays its share of them on the current business date (a charged-off line: as a recovery,
    kind ``sales-recovery``, audited as :data:`SALES_ACTOR`). One record per line and day."""
    on = business_date_in(uow, today=today)
    check_business_day(uow, on)
    if day > on:
        raise InvalidInputError(
            f"sales of {day} are in the future (today is {on})", field="day", value=day.isoformat()
        )
    stored = _caught_up(uow, line_id, None, on)
    share = sales_repayment(stored[0], sales, on)
    opened = stored[0].opened_on
    if day < opened:  # not the line's sales: they were taken before it lent anything
        raise InvalidInputError(
            f"sales of {day} are before working-capital line {line_id} opened ({opened})",
            field="day",
            value=day.isoformat(),
            remedy=f"record the sales of {opened} or later",
        )
    if uow.working_capital.sales_on(line_id, to_day(day)) is not None:
        raise ConflictError(
            f"sales of {day} are already recorded for working-capital line {line_id}",
            field="day",
            value=day.isoformat(),
        )
    receipt = None
    if share > 0:
        taken = Money(share, sales.currency)
        if stored[0].status is LineStatus.CHARGED_OFF:
            done, kind = recover(stored[0], taken, on, field="sales"), "sales-recovery"
        else:
            done, kind = repay(stored[0], taken, on, field="sales"), "sales"
        receipt = _book(uow, stored, done, kind, on, taken, None)
        if kind == "sales-recovery":
            draft = receipt_audit(SALES_ACTOR, receipt)
            assert draft is not None
            draft.append(uow)
    uow.working_capital.add_sales(
        line_id, to_day(day), sales.fen, share, None if receipt is None else receipt.txn_id
    )
    return SalesRecord(line_id, day, sales, Money(share, sales.currency), receipt)


def receipt_audit(actor: str, receipt: WcReceipt) -> AuditDraft | None:
    """The audit row of a posting (none for a replay)."""
    if receipt.replayed:
        return None
    return AuditDraft(
        actor,
        f"wc_line.{receipt.kind}",
        f"wc-line:{receipt.line_id}",
        {"txn_id": receipt.txn_id, "amount": receipt.amount.fen, "on": receipt.on.isoformat()},
    )


def draw_on_line(
    engine: Engine,
    owner: str | None,
    line_id: int,
    amount: Money,
    *,
    term_days: int,
    key: str | None = None,
    actor: str | None = None,
    today: date | None = None,
) -> WcReceipt:
    """:func:`draw_in_unit` in a unit of work of its own."""
    with UnitOfWork(engine) as uow:
        receipt = draw_in_unit(
            uow, owner, line_id, amount, term_days=term_days, key=key, today=today
        )
        _audit(uow, actor, receipt)
        uow.commit()
    return receipt


def repay_line(
    engine: Engine,
    owner: str | None,
    line_id: int,
    amount: Money,
    *,
    key: str | None = None,
    actor: str | None = None,
    today: date | None = None,
) -> WcReceipt:
    """:func:`repay_in_unit` in a unit of work of its own."""
    with UnitOfWork(engine) as uow:
        receipt = repay_in_unit(uow, owner, line_id, amount, key=key, today=today)
        _audit(uow, actor, receipt)
        uow.commit()
    return receipt


def record_sales(
    engine: Engine, line_id: int, sales: Money, day: date, *, today: date | None = None
) -> SalesRecord:
    """:func:`record_sales_in_unit` in a unit of work of its own."""
    with UnitOfWork(engine) as uow:
        record = record_sales_in_unit(uow, line_id, sales, day, today=today)
        uow.commit()
    return record


def _audit(uow: UnitOfWork, actor: str | None, receipt: WcReceipt) -> None:
    draft = receipt_audit(actor, receipt) if actor else None
    if draft is not None:
        draft.append(uow)


def get_line(
    engine: Engine, line_id: int, *, owner: str | None = None, today: date | None = None
) -> LineView:
    """A line as of the current business date; ``owner`` limits it to its borrower."""
    with UnitOfWork(engine) as uow:
        line, _ = _owned(uow, line_id, owner)
        on = business_date_in(uow, today=today)
        return LineView(as_of(line, on).line, on)


def lines_of_owner(engine: Engine, owner: str) -> list[LineView]:
    with UnitOfWork(engine) as uow:
        today = business_date_in(uow)
        return [
            LineView(as_of(uow.working_capital.get(i)[0], today).line, today)
            for i in uow.working_capital.ids_of_owner(owner)[:100]
        ]
