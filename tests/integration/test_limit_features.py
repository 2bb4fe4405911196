"""Behaviour features: the SQL over the live book equals the pandas form over its export."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.integration.limits_book import OPENED, REVIEW, build_book
from thinfile.scoring.behaviour import behaviour_features
from thinfile.services.limit_features import (
    behaviour_on,
    export_line_months,
    snapshot_in,
    snapshot_lines,
)
from thinfile.services.uow import UnitOfWork
from thinfile.store import make_engine, upgrade
from thinfile.store.limits_tables import limit_line_months
from thinfile.store.servicing_codec import to_day


def test_sql_features_equal_the_features_of_the_exported_line_months(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    book = build_book(engine)
    snapshot_lines(engine, REVIEW)
    from_sql = behaviour_on(engine, REVIEW)
    table = export_line_months(engine)
    from_table = behaviour_features(table, to_day(REVIEW))
    assert from_sql == from_table
    assert {f.line_id for f in from_sql} == {
        book.good,
        book.late,
        book.prepaid,
        book.idle,
        *book.twins,
    }
    # close of business took a month-end snapshot for each line, January to April
    month_ends = table[table["month_end"] == 1]
    assert sorted(set(month_ends["day"])) == [
        to_day(date(2025, m, d)) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30))
    ]
    _match_what_each_borrower_did(book, {f.line_id: f for f in from_sql})
    engine.dispose()


def _match_what_each_borrower_did(book, by_line) -> None:
    good, late, idle = by_line[book.good], by_line[book.late], by_line[book.idle]
    assert good.months_on_book == (REVIEW - OPENED).days // 30 == 4
    assert good.current_dpd == 0 and good.worst_dpd_12m == 0
    assert good.on_time_share_bps == 10_000 and good.delinquent_months_12m == 0
    # the late borrower's third installment fell due on 1 April and was never paid
    assert late.current_dpd == (REVIEW - date(2025, 4, 1)).days
    assert late.delinquent_months_3m == 2  # the April month-end (29 days) and today
    assert late.worst_dpd_12m == late.current_dpd
    # the idle line owes nothing and uses nothing
    assert idle.utilization_bps == 0 and idle.drawn_12m == 0 and idle.payment_to_due_bps is None
    assert good.drawn_12m == 400_000 and by_line[book.prepaid].prepaid_12m == 200_000
    # utilization today: principal the draw still owes over the limit
    assert good.utilization_bps == good.balance_fen * 10_000 // 500_000


def test_taking_a_snapshot_twice_adds_nothing(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    build_book(engine, through=date(2025, 2, 10))
    first = snapshot_lines(engine, date(2025, 2, 10))
    assert first == 7
    assert snapshot_lines(engine, date(2025, 2, 10)) == 0
    engine.dispose()


def _rows_on(engine: sa.Engine, day: int) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(limit_line_months)
                .where(limit_line_months.c.day == day)
                .order_by(limit_line_months.c.line_id)
            )
        ]


def test_a_review_batch_snapshots_its_lines_as_the_whole_book_snapshot_does(database_url):
    """A review batch takes its own lines' snapshot (a range of ids, read by key on
    PostgreSQL): the rows are the whole-book snapshot's rows of those lines."""
    engine = make_engine(database_url)
    upgrade(engine)
    build_book(engine)
    day = to_day(REVIEW)
    assert snapshot_lines(engine, REVIEW) == 7
    whole = _rows_on(engine, day)
    with engine.begin() as conn:
        conn.execute(sa.delete(limit_line_months).where(limit_line_months.c.day == day))
    ids = [int(str(row[0])) for row in whole]
    with UnitOfWork(engine) as uow:
        added = [
            snapshot_in(uow, REVIEW, lines=(a, a + 2)) for a in range(min(ids), max(ids) + 1, 3)
        ]
        again = snapshot_in(uow, REVIEW, lines=(min(ids), max(ids)))
        uow.commit()
    assert sum(added) == 7 and max(added) <= 3 and again == 0
    assert _rows_on(engine, day) == whole
    engine.dispose()
