"""The current business date: the first date close of business has not closed.

Servicing refuses postings into a closed date, so payments, acceptances and quotes default to
this date: the day after the last date COB finished, or today (UTC) when that is later or no
date was ever closed.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from thinfile.services.identity_records import now_utc
from thinfile.store.hot import Hot
from thinfile.store.servicing_codec import from_day
from thinfile.store.servicing_tables import cob_runs

__all__ = ["business_date_in", "current_business_date", "last_closed_date"]


_LAST_CLOSED = Hot(sa.select(sa.func.max(cob_runs.c.business_day)).where(
    cob_runs.c.status == "done"))


def _last_closed(conn: Connection) -> date | None:
    day = _LAST_CLOSED.scalar(conn, {})
    return None if day is None else from_day(int(day))


def last_closed_date(engine: Engine) -> date | None:
    """The newest business date close of business finished, if any."""
    with engine.connect() as conn:
        return _last_closed(conn)


def business_date_in(conn: Connection, *, today: date | None = None) -> date:
    """:func:`current_business_date`, read in the caller's transaction."""
    today = today or now_utc().date()
    closed = _last_closed(conn)
    return today if closed is None else max(today, closed + timedelta(days=1))


def current_business_date(engine: Engine, *, today: date | None = None) -> date:
    """The next open business date: the day after the last closed date, or ``today``."""
    today = today or now_utc().date()
    closed = last_closed_date(engine)
    return today if closed is None else max(today, closed + timedelta(days=1))
