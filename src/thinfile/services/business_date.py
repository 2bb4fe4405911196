"""The current business date: the first date close of business has not closed.

Servicing refuses postings into a closed date, so payments, acceptances and quotes default to
this date: the day after the last date COB finished, or today when that is later or no date
was ever closed. Today is the lender's calendar date (Asia/Shanghai,
:func:`thinfile.comms.zone_of`), not the UTC one: from midnight to 08:00 in Beijing the UTC
date is still yesterday's, and a campaign that ended yesterday, a payment made after midnight
or a coupon starting today would be dated a day early.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from thinfile.comms import zone_of
from thinfile.services.identity_records import now_utc
from thinfile.services.uow import UnitOfWork
from thinfile.store.servicing_codec import from_day

__all__ = [
    "business_date_in",
    "current_business_date",
    "last_closed_date",
    "lender_date",
    "lender_today",
]


def lender_today() -> date:
    """Today on the lender's calendar (Asia/Shanghai): the date a borrower reads."""
    return lender_date(now_utc())


def lender_date(moment: datetime) -> date:
    """The date of ``moment`` on the lender's calendar (a naive moment is UTC, as stored)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone_of(None)).date()


def _last_closed(uow: UnitOfWork) -> date | None:
    day = uow.cob.last_closed_day()
    return None if day is None else from_day(day)


def last_closed_date(engine: Engine) -> date | None:
    """The newest business date close of business finished, if any."""
    with UnitOfWork(engine) as uow:
        return _last_closed(uow)


def business_date_in(uow: UnitOfWork, *, today: date | None = None) -> date:
    """:func:`current_business_date`, read in the caller's unit of work."""
    today = today or lender_today()
    closed = _last_closed(uow)
    return today if closed is None else max(today, closed + timedelta(days=1))


def current_business_date(engine: Engine, *, today: date | None = None) -> date:
    """The next open business date: the day after the last closed date, or ``today``."""
    with UnitOfWork(engine) as uow:
        return business_date_in(uow, today=today)
