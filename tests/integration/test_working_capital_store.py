"""Working-capital lines stored and closed by the set-based close of business, on SQLite and
PostgreSQL: interest to the fen against a day-by-day calculation written here, the SQL step
agreeing with the domain's ``close_day`` on periods, breaches and delinquency, idempotent
postings and nights, hostile postings refused with nothing written, and a balanced ledger."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
import sqlalchemy as sa

from tests.support.databases import fresh_database_url
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services import working_capital as wc
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.uow import UnitOfWork
from thinfile.servicing.working_capital import (
    PeriodStatus,
    RepaymentMode,
    WorkingCapitalLine,
    close_day,
    draw,
    repay,
)
from thinfile.store import make_engine, upgrade

OPENED = date(2028, 1, 25)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> date:
    """Nothing closed yet: the business date is ``OPENED``."""
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    return OPENED


def yuan(text: str) -> Money:
    return Money.of(text)


def stored(engine, line_id: int) -> WorkingCapitalLine:
    with UnitOfWork(engine) as uow:
        return uow.working_capital.get(line_id)[0]


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def oracle_interest(
    principal_fen: int, rate: Decimal, repaid: dict[date, int], first: date, last: date
) -> int:
    """At each day's close, principal × rate truncated to the fen; ``repaid`` principal
    leaves during its day, before the close."""
    owed, total, day = principal_fen, 0, first
    while day <= last:
        owed -= repaid.get(day, 0)
        total += int((Decimal(owed) * rate).quantize(Decimal(1), rounding=ROUND_DOWN))
        day += timedelta(days=1)
    return total


def test_close_of_business_charges_interest_to_the_fen_across_month_ends_and_29_february(
    engine, opened
):
    rate = Decimal("0.00035")
    line = wc.open_working_capital_line(engine, "shop-1", limit=yuan("50000"), daily_rate=rate)
    receipt = wc.draw_on_line(engine, "shop-1", line.line_id, yuan("12345.67"), term_days=90)
    # the statement's path pays the first period's minimum (1,234.57) on its last day, the
    # 59 nights' interest first, then 31 nights on 11,365.98 (397 fen a night, truncated)
    assert receipt.statement is not None
    assert receipt.statement.expected.interest == 59 * 432 + 31 * 397
    run_cob(engine, date(2028, 2, 27))
    interest = stored(engine, line.line_id).interest_owed
    paid = wc.repay_line(engine, "shop-1", line.line_id, Money(interest + 100001, "CNY"))
    assert (paid.on, paid.paid_interest, paid.paid_principal) == (
        date(2028, 2, 28),
        interest,
        100001,
    )
    run_cob(engine, date(2028, 3, 2))
    after = stored(engine, line.line_id)
    expected = oracle_interest(1234567, rate, {date(2028, 2, 28): 100001}, OPENED, date(2028, 3, 2))
    assert after.draws[0].interest_accrued == expected
    assert after.cob_date == date(2028, 3, 2)
    report = verify_ledger(engine)
    assert report.ok, report.problems
    assert report.balances[("working_capital_interest_receivable", "CNY")] == expected - interest


def test_repaying_everything_early_costs_no_fee_and_no_more_interest(engine, opened):
    line = wc.open_working_capital_line(
        engine, "shop-1", limit=yuan("9000"), daily_rate=Decimal("0.0004")
    )
    wc.draw_on_line(engine, "shop-1", line.line_id, yuan("9000"), term_days=180)
    run_cob(engine, OPENED + timedelta(days=9))
    view = wc.get_line(engine, line.line_id, owner="shop-1")
    assert view.line.owed == 900000 + 10 * 360 and view.todays_interest == 360
    wc.repay_line(engine, "shop-1", line.line_id, Money(view.line.owed, "CNY"))
    run_cob(engine, OPENED + timedelta(days=40))
    after = wc.get_line(engine, line.line_id)
    assert after.line.owed == 0 and after.line.draws[0].interest_accrued == 3600
    assert after.line.available == 900000
    assert verify_ledger(engine).ok


def _twin_script(
    engine,
) -> tuple[WorkingCapitalLine, WorkingCapitalLine, dict[int, tuple[date | None, date | None]]]:
    """A sales-linked line through a slow period (near breach, cured), then a breach and its
    installment paid late, run in the database and in the domain side by side; with the
    date each dates its oldest unmet obligation from, after each close around the
    installment's due date."""
    line = wc.open_working_capital_line(
        engine,
        "shop-2",
        limit=yuan("20000"),
        daily_rate=Decimal("0.0005"),
        mode=RepaymentMode.SALES,
        sales_share=Decimal("0.1"),
    )
    twin = line
    plan: dict[int, list[tuple[str, str]]] = {
        0: [("draw", "8000.00")],  # the period's minimum: 800.00
        3: [("sales", "1500.00")],  # 150.00 repaid; near breach from day 39
        4: [("sales", "0")],
        45: [("repay", "500.00")],  # 650.00 ≥ 46/60 of 800.00: cured
        59: [("sales", "333.33")],  # 683.33 < 800.00 at the end: breach, 116.67 due day 69
        65: [("draw", "500.00")],
        74: [("sales", "2600.00")],  # 260.00 pays the installment, 5 days late
    }
    ages: dict[int, tuple[date | None, date | None]] = {}
    for k in range(0, 80):
        on = OPENED + timedelta(days=k)
        for kind, amount in plan.get(k, []):
            if kind == "draw":
                r = wc.draw_on_line(engine, "shop-2", line.line_id, yuan(amount), term_days=180)
                assert r.draw_id is not None
                twin = draw(twin, r.draw_id, yuan(amount), on, term_days=180).line
            elif kind == "repay":
                wc.repay_line(engine, "shop-2", line.line_id, yuan(amount))
                twin = repay(twin, yuan(amount), on).line
            else:
                record = wc.record_sales(engine, line.line_id, yuan(amount), on)
                if record.collected.fen:
                    twin = repay(twin, record.collected, on).line
        run_cob(engine, on)
        twin = close_day(twin, on).line
        if 67 <= k <= 75:
            ages[k] = stored(engine, line.line_id).overdue_since, twin.overdue_since
    return stored(engine, line.line_id), twin, ages


def test_the_sql_step_and_the_domain_agree_on_interest_periods_breaches_and_delinquency(
    engine, opened
):
    db, twin, ages = _twin_script(engine)
    due = OPENED + timedelta(days=69)  # the installment unpaid at the close of its due date
    assert ages[68] == (None, None)
    assert all(ages[k] == (due, due) for k in range(69, 74))  # past due from day 70
    assert ages[74] == (None, None)  # paid on day 74: dated again at once
    assert db.draws == twin.draws
    assert db.periods == twin.periods
    assert db.shortfalls == twin.shortfalls
    assert (db.overdue_since, db.cob_date) == (twin.overdue_since, twin.cob_date)
    statuses = [p.status for p in db.periods]
    assert PeriodStatus.BREACH in statuses and db.shortfalls
    assert any(p.flagged_on is not None for p in db.periods)
    report = verify_ledger(engine)
    assert report.ok, report.problems


def test_shortfalls_never_ask_more_than_is_owed_so_a_line_repaid_in_full_is_not_past_due(
    engine, opened
):
    """A minimum of half the drawn principal and 1,000 drawn, nothing repaid for three
    periods: the shortfalls are 500, 500 and then only what is owed beyond them (interest
    included: 180 nights at 0.35 ‰ on 1,000, truncated, 63.00), so paying what is owed clears
    them all — the database step and the domain alike. Before, the third asked another 437.00
    beyond what was owed, and a line repaid to 0.00 stayed past due and was charged off."""
    line = wc.open_working_capital_line(
        engine,
        "shop-3",
        limit=yuan("50000"),
        daily_rate=Decimal("0.00035"),
        minimum_share=Decimal("0.5"),
    )
    r = wc.draw_on_line(engine, "shop-3", line.line_id, yuan("1000"), term_days=180)
    assert r.draw_id is not None
    twin = draw(line, r.draw_id, yuan("1000"), OPENED, term_days=180).line
    for k in range(180):
        run_cob(engine, OPENED + timedelta(days=k))
        twin = close_day(twin, OPENED + timedelta(days=k)).line
    owed = 100_000 + 180 * (100_000 * 35 // 100_000)
    db = stored(engine, line.line_id)
    assert db.owed == twin.owed == owed
    assert [s.amount for s in db.shortfalls] == [50_000, 50_000, owed - 100_000]
    assert db.shortfalls == twin.shortfalls
    wc.repay_line(engine, "shop-3", line.line_id, Money(owed, "CNY"))
    twin = repay(twin, Money(owed, "CNY"), OPENED + timedelta(days=180)).line
    for k in range(180, 220):
        run_cob(engine, OPENED + timedelta(days=k))
        twin = close_day(twin, OPENED + timedelta(days=k)).line
    db = stored(engine, line.line_id)
    assert db.owed == 0 and db.overdue_since is None and db.status.value == "active"
    assert (db.periods, db.shortfalls, db.overdue_since) == (
        twin.periods,
        twin.shortfalls,
        twin.overdue_since,
    )
    assert verify_ledger(engine).ok


def test_the_next_periods_minimum_is_half_up_to_the_fen_on_every_backend(engine, opened):
    """A tenth of 12,345.63 yuan is 1,234.563: each period's minimum is 1,234.56. (PostgreSQL
    sums BIGINT into NUMERIC, whose division does not truncate: it once made it 1,234.57.)"""
    line = wc.open_working_capital_line(
        engine, "shop-9", limit=yuan("20000"), daily_rate=Decimal("0.0002")
    )
    wc.draw_on_line(engine, "shop-9", line.line_id, yuan("12345.63"), term_days=180)
    run_cob(engine, OPENED + timedelta(days=59))
    assert [p.minimum for p in stored(engine, line.line_id).periods] == [123456, 123456]


def test_a_night_already_closed_is_never_charged_again(engine, opened):
    line = wc.open_working_capital_line(
        engine, "shop-1", limit=yuan("100"), daily_rate=Decimal("0.0005")
    )
    wc.draw_on_line(engine, "shop-1", line.line_id, yuan("100"), term_days=90)
    run_cob(engine, OPENED + timedelta(days=4))
    before, entries = stored(engine, line.line_id), count(engine, "servicing_journal_entries")
    again = run_cob(engine, OPENED + timedelta(days=4))
    assert again.days == ()
    assert stored(engine, line.line_id) == before
    assert count(engine, "servicing_journal_entries") == entries
    assert before.draws[0].interest_accrued == 5 * 5


def test_a_repayment_on_a_day_the_nightly_run_has_not_reached_pays_every_night_drawn(
    engine, opened, monkeypatch
):
    """Close of business ran to 29 January and then not until the calendar reached 14
    February: the line shows, and a repayment takes, interest for every night from the draw
    (DOMAIN §13: each day drawn), the nights closed first; close of business catching up
    afterwards charges none of them again, and the ledger balances."""
    rate = Decimal("0.0005")
    line = wc.open_working_capital_line(engine, "shop-1", limit=yuan("10000"), daily_rate=rate)
    wc.draw_on_line(engine, "shop-1", line.line_id, yuan("10000"), term_days=90)
    run_cob(engine, date(2028, 1, 29))
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 2, 14, 3, tzinfo=UTC))
    nights = oracle_interest(1_000_000, rate, {}, OPENED, date(2028, 2, 13))
    assert nights == 20 * 500
    view = wc.get_line(engine, line.line_id, owner="shop-1")
    assert view.line.interest_owed == nights
    paid = wc.repay_line(engine, "shop-1", line.line_id, Money(1_000_000 + nights, "CNY"))
    assert (paid.on, paid.paid_interest, paid.paid_principal) == (
        date(2028, 2, 14),
        nights,
        1_000_000,
    )
    run_cob(engine, date(2028, 2, 14))
    after = stored(engine, line.line_id)
    assert after.owed == 0 and after.draws[0].interest_accrued == nights
    assert verify_ledger(engine).ok


def test_a_repeated_key_replays_the_first_repayment_and_a_reused_key_is_refused(engine, opened):
    line = wc.open_working_capital_line(
        engine, "shop-1", limit=yuan("100"), daily_rate=Decimal("0.0005")
    )
    wc.draw_on_line(engine, "shop-1", line.line_id, yuan("100"), term_days=90)
    first = wc.repay_line(engine, "shop-1", line.line_id, yuan("10"), key="repay-0001")
    again = wc.repay_line(engine, "shop-1", line.line_id, yuan("10"), key="repay-0001")
    assert again.replayed and again.txn_id == first.txn_id
    assert stored(engine, line.line_id).drawn == 9000
    with pytest.raises(ConflictError) as reused:
        wc.repay_line(engine, "shop-1", line.line_id, yuan("11"), key="repay-0001")
    assert reused.value.field == "idempotency_key"


def test_hostile_postings_are_refused_naming_the_field_and_write_nothing(engine, opened):
    minimum = wc.open_working_capital_line(
        engine, "shop-1", limit=yuan("100"), daily_rate=Decimal("0.0005")
    )
    sales = wc.open_working_capital_line(
        engine,
        "shop-1",
        limit=yuan("100"),
        daily_rate=Decimal("0.0005"),
        mode=RepaymentMode.SALES,
        sales_share=Decimal("0.2"),
    )
    wc.draw_on_line(engine, "shop-1", sales.line_id, yuan("50"), term_days=90)
    wc.record_sales(engine, sales.line_id, yuan("10"), OPENED)
    tables = ("wc_transactions", "wc_draws", "wc_sales", "servicing_journal_entries")
    before = [count(engine, t) for t in tables]
    attempts = [
        (
            lambda: wc.draw_on_line(
                engine, "shop-1", minimum.line_id, yuan("100.01"), term_days=90
            ),
            ConflictError,
            "amount",
        ),
        (
            lambda: wc.draw_on_line(engine, "shop-1", minimum.line_id, yuan("0"), term_days=90),
            InvalidInputError,
            "amount",
        ),
        (
            lambda: wc.draw_on_line(engine, "shop-1", minimum.line_id, yuan("-1"), term_days=90),
            InvalidInputError,
            "amount",
        ),
        (
            lambda: wc.draw_on_line(engine, "shop-1", minimum.line_id, yuan("1"), term_days=60),
            InvalidInputError,
            "term_days",
        ),
        (
            lambda: wc.draw_on_line(engine, "shop-1", 999999, yuan("1"), term_days=90),
            NotFoundError,
            "line_id",
        ),
        (
            lambda: wc.draw_on_line(engine, "shop-9", minimum.line_id, yuan("1"), term_days=90),
            NotFoundError,
            "line_id",
        ),
        (
            lambda: wc.repay_line(engine, "shop-9", sales.line_id, yuan("1")),
            NotFoundError,
            "line_id",
        ),
        (
            lambda: wc.repay_line(engine, "shop-1", sales.line_id, yuan("60")),
            InvalidInputError,
            "amount",
        ),
        (
            lambda: wc.repay_line(engine, "shop-1", minimum.line_id, yuan("1")),
            InvalidInputError,
            "amount",
        ),
        (lambda: wc.record_sales(engine, sales.line_id, yuan("10"), OPENED), ConflictError, "day"),
        (
            lambda: wc.record_sales(engine, sales.line_id, yuan("10"), OPENED + timedelta(days=1)),
            InvalidInputError,
            "day",
        ),
        (
            lambda: wc.record_sales(engine, sales.line_id, yuan("-10"), OPENED - timedelta(days=1)),
            InvalidInputError,
            "sales",
        ),
        (  # sales from before the line opened are not the line's to collect from
            lambda: wc.record_sales(engine, sales.line_id, yuan("10"), OPENED - timedelta(days=1)),
            InvalidInputError,
            "day",
        ),
        (
            lambda: wc.record_sales(engine, minimum.line_id, yuan("10"), OPENED),
            ConflictError,
            "line_id",
        ),
    ]
    for attempt, error, field in attempts:
        with pytest.raises(error) as refused:
            attempt()
        assert refused.value.field == field
    assert [count(engine, t) for t in tables] == before
    assert wc.get_line(engine, sales.line_id).line.periods[0].repaid == 200
    assert [v.line.line_id for v in wc.lines_of_owner(engine, "shop-1")] == [
        minimum.line_id,
        sales.line_id,
    ]
    assert wc.lines_of_owner(engine, "shop-9") == []


@pytest.fixture
def pg_engine(tmp_path):
    for url in fresh_database_url("postgresql", tmp_path):
        engine = make_engine(url, pool_size=20)
        upgrade(engine)
        yield engine
        engine.dispose()


def test_eight_threads_repaying_one_line_post_every_fen_exactly_once(pg_engine, opened):
    line = wc.open_working_capital_line(
        pg_engine, "shop-1", limit=yuan("1000"), daily_rate=Decimal("0.0005")
    )
    wc.draw_on_line(pg_engine, "shop-1", line.line_id, yuan("1000"), term_days=90)
    with ThreadPoolExecutor(8) as pool:
        receipts = list(
            pool.map(
                lambda k: wc.repay_line(pg_engine, "shop-1", line.line_id, Money(1000 + k, "CNY")),
                range(32),
            )
        )
    assert len({r.txn_id for r in receipts}) == 32
    assert stored(pg_engine, line.line_id).drawn == 100000 - sum(1000 + k for k in range(32))
    assert verify_ledger(pg_engine).ok


def test_a_line_split_into_small_draws_pays_the_interest_of_its_whole_principal(engine, opened):
    """Forty draws of 49.99 at 0.02 % a day: each draw's night is under a fen (0.9998), so
    charged draw by draw and truncated the line would borrow for free. The night is the
    line's whole principal × rate truncated once (1,999.60 × 0.0002 = 0.39992 → 39 fen a
    night, the oracle's), spread over the draws a fen each, and the SQL step and the domain
    agree on every draw's share — ties between equal draws go to the earliest."""
    line = wc.open_working_capital_line(
        engine, "shop-3", limit=yuan("5000"), daily_rate=Decimal("0.0002")
    )
    twin = line
    for _ in range(40):
        r = wc.draw_on_line(engine, "shop-3", line.line_id, yuan("49.99"), term_days=90)
        assert r.draw_id is not None
        twin = draw(twin, r.draw_id, yuan("49.99"), OPENED, term_days=90).line
    r = wc.draw_on_line(engine, "shop-3", line.line_id, yuan("123.45"), term_days=90)
    assert r.draw_id is not None
    twin = draw(twin, r.draw_id, yuan("123.45"), OPENED, term_days=90).line
    nights = 30
    for k in range(nights):
        on = OPENED + timedelta(days=k)
        run_cob(engine, on)
        twin = close_day(twin, on).line
    db = stored(engine, line.line_id)
    assert db.draws == twin.draws
    whole = 40 * 4_999 + 12_345
    oracle = nights * int((Decimal(whole) * Decimal("0.0002")).quantize(Decimal(1), ROUND_DOWN))
    assert sum(d.interest_accrued for d in db.draws) == oracle
    assert oracle > nights * 2  # per draw and truncated, only the 123.45 draw paid: 2 a night
    report = verify_ledger(engine)
    assert report.ok, report.problems
