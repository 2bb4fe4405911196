"""Loading a business's sales feed (经营流水): a CSV file or an API upload, all or nothing.

``ingest_sales`` reads and checks every row first (``thinfile.scoring.sales_feed``: a bad file
raises one :class:`~thinfile.errors.InvalidSalesFeedError` naming each bad row and field),
then, in one unit of work:

1. the applicant must exist and have an active consent, for ``credit_assessment``, to each kind
   of data the file holds — ``merchant_sales`` for a shop's channels (card, qr, cash, online),
   ``gig_platform_income`` for ``platform`` earnings — else
   :class:`~thinfile.errors.ConsentRequiredError` (PIPL art. 14; 征信业务管理办法: alternative
   data used for credit needs the subject's consent);
2. days already stored with the same figures are left as they are (sending a file twice is a
   no-op); a day stored with other figures is a
   :class:`~thinfile.errors.SalesDayConflictError` naming every such row — stored days are
   never overwritten;
3. the new days, the batch (source, counts, the consents it was loaded under) and the audit row
   are written and committed together. Nothing of a refused file is stored.

Two uploads racing for the same new day: the loser's insert hits the primary key, and it is
read again (then a no-op or a conflict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from thinfile.errors import (
    ConflictError,
    ConsentRequiredError,
    InvalidInputError,
    NotFoundError,
    RowProblem,
    SalesDayConflictError,
)
from thinfile.money import format_yuan
from thinfile.scoring.sales import READ_DAYS, SalesFeatures, sales_features
from thinfile.scoring.sales_feed import (
    PLATFORM_CHANNELS,
    DailySales,
    read_sales_csv,
    read_sales_rows,
)
from thinfile.services.audit import record_audit
from thinfile.services.consent import DataCategory, Purpose
from thinfile.services.identity_records import Actor, now_utc
from thinfile.services.uow import UnitOfWork

__all__ = [
    "FEED_ZONE",
    "SOURCES",
    "IngestReport",
    "category_of",
    "checked_day",
    "ingest_sales",
    "ingest_sales_csv",
    "local_today",
    "sales_features_in",
    "sales_features_of",
    "sales_history",
]

FEED_ZONE = ZoneInfo("Asia/Shanghai")
"""Sales days are the business's days: a date is "in the future" by the clock of China."""
SOURCES = ("csv", "api")
_ATTEMPTS = 3


def local_today() -> date:
    return datetime.now(FEED_ZONE).date()


EARLIEST_DECISION_DAY, LATEST_DECISION_DAY = date(2000, 1, 1), date(2099, 12, 31)


def checked_day(on: date, field: str = "on") -> date:
    """``on`` when it is a day features can be computed on (2000 to 2099), else an error."""
    if not EARLIEST_DECISION_DAY <= on <= LATEST_DECISION_DAY:
        raise InvalidInputError(
            f"{on.isoformat()} is outside the years 2000 to 2099",
            field=field,
            value=on.isoformat(),
            remedy="give a day such as today",
        )
    return on


def category_of(channel: str) -> DataCategory:
    """The kind of data a channel's rows are, for consent."""
    if channel in PLATFORM_CHANNELS:
        return DataCategory.GIG_PLATFORM_INCOME
    return DataCategory.MERCHANT_SALES


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What an upload did: its batch (None when it added nothing), rows read, added, unchanged."""

    applicant_id: str
    batch_id: int | None
    received: int
    added: int
    unchanged: int
    first_day: date
    last_day: date


def ingest_sales_csv(
    engine: Engine,
    text: str,
    *,
    applicant_id: str,
    actor: Actor,
    file_name: str | None = None,
    today: date | None = None,
) -> IngestReport:
    """Load a CSV feed (see :mod:`thinfile.scoring.sales_feed` for its columns)."""
    rows = read_sales_csv(text, today=today or local_today())
    return _ingest(engine, rows, applicant_id, actor, "csv", file_name)


def ingest_sales(
    engine: Engine,
    rows: Sequence[Mapping[str, object]],
    *,
    applicant_id: str,
    actor: Actor,
    today: date | None = None,
) -> IngestReport:
    """Load an API upload: one mapping per row with the feed's columns."""
    read = read_sales_rows(rows, today=today or local_today())
    return _ingest(engine, read, applicant_id, actor, "api", None)


def _ingest(
    engine: Engine,
    rows: list[DailySales],
    applicant_id: str,
    actor: Actor,
    source: str,
    file_name: str | None,
) -> IngestReport:
    if file_name is not None and len(file_name) > 200:
        raise InvalidInputError("the file name is too long", field="file_name", remedy="rename it")
    for _attempt in range(_ATTEMPTS):
        try:
            return _ingest_once(engine, rows, applicant_id, actor, source, file_name)
        except IntegrityError:  # the same new day was stored concurrently: read again
            continue
    raise ConflictError(
        "this business's sales are being loaded by another upload",
        field="applicant_id",
        value=applicant_id,
        remedy="try again",
    )


def _consents(uow: UnitOfWork, applicant_id: str, rows: list[DailySales]) -> list[str]:
    """The ids of the consents the rows are loaded under (one per kind of data), or raise."""
    ids: list[str] = []
    purpose = Purpose.CREDIT_ASSESSMENT.value
    for category in sorted({category_of(r.channel) for r in rows}):
        consent = uow.consents.active(applicant_id, category.value, purpose)
        if consent is None:
            raise ConsentRequiredError(
                f"the applicant has not consented to the use of {category.value} for a "
                "credit assessment",
                field="consent",
                value=f"{category.value}:{purpose}",
                remedy=f"grant consent to the {category.value} category for {purpose}, then "
                "send the sales again",
            )
        ids.append(consent.id)
    return ids


def _ingest_once(
    engine: Engine,
    rows: list[DailySales],
    applicant_id: str,
    actor: Actor,
    source: str,
    file_name: str | None,
) -> IngestReport:
    first, last = min(r.day for r in rows), max(r.day for r in rows)
    with UnitOfWork(engine) as uow:
        if not uow.applicants.exists(applicant_id):
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        consent_ids = _consents(uow, applicant_id, rows)
        stored = {
            (d, c): (g, f, t) for d, c, g, f, t in uow.sales.days_between(applicant_id, first, last)
        }
        new, conflicts = _compare(rows, stored)
        if conflicts:
            raise SalesDayConflictError(
                f"{len(conflicts)} row(s) differ from the sales already stored for their day; "
                "nothing was stored",
                field="rows",
                problems=conflicts[:200],
                remedy="stored days are never changed: leave those rows out, or send the "
                "figures stored before",
                extra={"conflict_count": len(conflicts)},
            )
        report = IngestReport(
            applicant_id, None, len(rows), len(new), len(rows) - len(new), first, last
        )
        if not new:
            return report  # everything was stored already: nothing to write
        batch_id = uow.sales.add_batch(
            {
                "applicant_id": applicant_id,
                "source": source,
                "file_name": file_name,
                "rows_received": len(rows),
                "rows_added": len(new),
                "rows_unchanged": len(rows) - len(new),
                "first_day": first,
                "last_day": last,
                "consent_ids": ",".join(consent_ids),
                "actor": actor.label,
                "received_at": now_utc(),
            }
        )
        uow.sales.add_days(
            applicant_id,
            batch_id,
            [(r.day, r.channel, r.gross_fen, r.refunds_fen, r.transactions) for r in new],
        )
        record_audit(
            uow,
            actor.label,
            "sales.ingest",
            f"applicant:{applicant_id}",
            {"batch_id": batch_id, "source": source, "added": len(new), "received": len(rows)},
        )
        uow.commit()
    return IngestReport(
        applicant_id, batch_id, len(rows), len(new), len(rows) - len(new), first, last
    )


def _compare(
    rows: list[DailySales], stored: Mapping[tuple[date, str], tuple[int, int, int]]
) -> tuple[list[DailySales], list[RowProblem]]:
    new: list[DailySales] = []
    conflicts: list[RowProblem] = []
    for number, r in enumerate(rows, start=1):
        before = stored.get(r.key)
        if before is None:
            new.append(r)
        elif before != (r.gross_fen, r.refunds_fen, r.transactions):
            g, f, t = before
            conflicts.append(
                RowProblem(
                    number,
                    "date",
                    f"{r.day.isoformat()} on {r.channel} is stored as gross {format_yuan(g)}, "
                    f"refunds {format_yuan(f)}, {t} transactions",
                    r.day.isoformat(),
                    remedy="leave this row out, or send the stored figures",
                )
            )
    return new, conflicts


def sales_history(
    engine: Engine, applicant_id: str, *, since: date, actor: Actor
) -> list[DailySales]:
    """A business's stored days from ``since``; a staff member's look is audited."""
    with UnitOfWork(engine) as uow:
        if not uow.applicants.exists(applicant_id):
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        rows = [DailySales(*r) for r in uow.sales.days_since(applicant_id, since)]
        if actor.is_staff:
            record_audit(
                uow,
                actor.label,
                "staff.view_sales",
                f"applicant:{applicant_id}",
                {"since": since.isoformat(), "rows": len(rows)},
            )
            uow.commit()
    return rows


def sales_features_in(uow: UnitOfWork, applicant_id: str, on: date) -> SalesFeatures:
    """The features of the stored feed on ``on`` inside the caller's unit of work."""
    first = uow.sales.first_day(applicant_id)
    if first is None:
        return sales_features([], on)
    window_start = max(first, on - timedelta(days=READ_DAYS))
    rows = [DailySales(*r) for r in uow.sales.days_since(applicant_id, window_start)]
    return sales_features(rows, on, first_day=first)


def sales_features_of(engine: Engine, applicant_id: str, on: date) -> SalesFeatures:
    """The features of a business's stored feed on ``on``."""
    checked_day(on)
    with UnitOfWork(engine) as uow:
        if not uow.applicants.exists(applicant_id):
            raise NotFoundError("no such applicant", field="applicant_id", value=applicant_id)
        return sales_features_in(uow, applicant_id, on)
