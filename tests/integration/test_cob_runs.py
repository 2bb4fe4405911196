"""Close of business in SQL equals the Python domain; it is idempotent, catches up, resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from tests.integration.servicing_helpers import open_book, replayed, terms
from tests.support.databases import fresh_database_url
from tests.support.environment import REPO
from thinfile.loanmath import DayCount, DefaultTerms, RepaymentMethod
from thinfile.money import Money
from thinfile.services.cob import run_cob
from thinfile.services.ledger import verify_ledger
from thinfile.services.loans import open_and_disburse
from thinfile.services.payments import post_payment
from thinfile.servicing import ExtraPayment, ServicingProduct, standard_product
from thinfile.store import make_engine, upgrade
from thinfile.store.servicing_codec import to_day

THROUGH = date(2025, 2, 26)


def snapshot(engine) -> dict[str, object]:
    """Everything close of business writes, without surrogate ids."""
    queries = {
        "loans": "SELECT * FROM servicing_loans ORDER BY id",
        "installments": "SELECT * FROM servicing_installments ORDER BY loan_id, n",
        "moves": "SELECT loan_id, day, from_bucket, to_bucket, days_past_due "
        "FROM servicing_bucket_history ORDER BY loan_id, day",
        "ledger": "SELECT account, currency, SUM(amount) FROM servicing_journal_lines "
        "GROUP BY account, currency ORDER BY account",
        "entries": "SELECT kind, day, COUNT(*) FROM servicing_journal_entries "
        "GROUP BY kind, day ORDER BY kind, day",
    }
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(sa.text(sql))] for name, sql in queries.items()
        }


def _seen(engine, query, day: date) -> bool:
    with engine.connect() as conn:  # short: SQLite takes the write lock at BEGIN
        return bool(conn.execute(query, {"d": to_day(day)}).scalar())


def a_book(url: str):
    engine = make_engine(url)
    upgrade(engine)
    ids = open_book(engine, 6)
    run_cob(engine, date(2025, 2, 3))
    post_payment(engine, ids[0], Money.of("900"), date(2025, 2, 4))
    return engine, ids


def test_sql_close_of_business_equals_the_domain_loan_by_loan(database_url):
    engine, ids = a_book(database_url)
    report = run_cob(engine, THROUGH)
    assert report.days[0] == date(2025, 2, 4) and report.days[-1] == THROUGH  # catch-up
    for loan_id in ids:
        stored, rebuilt = replayed(engine, loan_id, THROUGH)
        assert stored == rebuilt, loan_id
    result = verify_ledger(engine)
    assert result.ok, result.problems
    engine.dispose()


def test_running_a_date_twice_changes_nothing(database_url):
    engine, _ = a_book(database_url)
    run_cob(engine, THROUGH)
    first = snapshot(engine)
    assert run_cob(engine, THROUGH).days == ()
    assert snapshot(engine) == first
    engine.dispose()


def test_a_run_killed_midway_resumes_to_the_same_result(database_url, backend, tmp_path):
    clean_urls = fresh_database_url(backend, tmp_path / "clean")
    (tmp_path / "clean").mkdir()
    clean_url = next(clean_urls)
    clean, _ = a_book(clean_url)
    run_cob(clean, THROUGH)
    expected = snapshot(clean)
    clean.dispose()

    engine, _ = a_book(database_url)
    # a separate process closes business and hangs once the penalty step of 2025-02-15 has
    # committed, so that it can be killed there
    script = (
        "import sys, time\n"
        "from datetime import date\n"
        "from thinfile.services.cob import run_cob\n"
        "from thinfile.store import make_engine\n"
        "def hang(day, step):\n"
        "    if (day, step) == (date(2025, 2, 15), 'penalty'):\n"
        "        time.sleep(3600)\n"
        f"run_cob(make_engine(sys.argv[1]), date.fromisoformat('{THROUGH.isoformat()}'), "
        "after_step=hang)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, database_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    marker = sa.text(
        "SELECT COUNT(*) FROM servicing_cob_steps WHERE business_day = :d AND step = 'penalty'"
    )
    deadline = time.monotonic() + 120
    while not _seen(engine, marker, date(2025, 2, 15)):
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if proc.stderr:
        proc.stderr.close()
    with engine.connect() as conn:
        status = conn.execute(
            sa.text("SELECT status FROM servicing_cob_runs WHERE business_day = :d"),
            {"d": to_day(date(2025, 2, 15))},
        ).scalar()
    assert status == "running"  # killed between steps of that date
    run_cob(engine, THROUGH)
    assert snapshot(engine) == expected
    assert verify_ledger(engine).ok
    engine.dispose()
    for _ in clean_urls:  # drop the clean schema
        pass


def test_a_step_failing_beside_another_resumes_to_the_same_result(
    database_url, backend, tmp_path, monkeypatch
):
    """Accrual fails on 2025-02-10 while auto-debit runs beside it (PostgreSQL's lanes): the
    run stops with the failure, what committed keeps its marker, and the next run finishes the
    date to the same book as a run that never failed."""
    import thinfile.services.cob as cob

    clean_urls = fresh_database_url(backend, tmp_path / "clean")
    (tmp_path / "clean").mkdir()
    clean, _ = a_book(next(clean_urls))
    run_cob(clean, THROUGH)
    expected = snapshot(clean)
    clean.dispose()

    engine, _ = a_book(database_url)
    steps = dict(cob.STEPS)

    def failing(uow, x, p):
        if x == date(2025, 2, 10):
            raise RuntimeError("accrual failed")
        return steps["accrual"](uow, x, p)

    monkeypatch.setattr(
        cob, "STEPS", tuple((n, failing if n == "accrual" else f) for n, f in cob.STEPS)
    )
    told: list[tuple[date, str]] = []
    try:
        run_cob(engine, THROUGH, after_step=lambda day, step: told.append((day, step)))
    except RuntimeError as error:
        assert str(error) == "accrual failed"
    else:
        raise AssertionError("the failing step did not stop the run")
    marker = sa.text("SELECT step FROM servicing_cob_steps WHERE business_day = :d")
    with engine.connect() as conn:
        marked = {r.step for r in conn.execute(marker, {"d": to_day(date(2025, 2, 10))})}
    # every step that committed was told, the lane beside the failure's included
    assert {s for d, s in told if d == date(2025, 2, 10)} == marked
    assert "accrual" not in marked and "penalty" not in marked
    assert {"credit", "due", "auto-debit"} <= marked  # the lane beside it ran to its wait
    assert "month-end" not in marked  # never before the charges it follows
    monkeypatch.undo()
    run_cob(engine, THROUGH)
    assert snapshot(engine) == expected
    assert verify_ledger(engine).ok
    engine.dispose()
    for _ in clean_urls:  # drop the clean schema
        pass


def test_month_end_begins_only_once_charge_off_has_committed(database_url, monkeypatch):
    """On PostgreSQL month-end runs in the lane of auto-debit, beside charge-off's lane. Here
    charge-off is held back on each date (the worst order): month-end still reads the book
    after it — its marker is there when month-end begins — and the book is the domain's."""
    import thinfile.services.cob as cob

    engine, ids = a_book(database_url)
    steps = dict(cob.STEPS)
    marker = sa.text(
        "SELECT COUNT(*) FROM servicing_cob_steps WHERE business_day = :d AND step = :s"
    )
    seen: list[int] = []

    def slow_charge_off(uow, x, p):
        time.sleep(0.3)
        return steps["charge-off"](uow, x, p)

    def month_end(uow, x, p):
        seen.append(uow.conn.execute(marker, {"d": to_day(x), "s": "charge-off"}).scalar_one())
        return steps["month-end"](uow, x, p)

    swap = {"charge-off": slow_charge_off, "month-end": month_end}
    monkeypatch.setattr(cob, "STEPS", tuple((n, swap.get(n, f)) for n, f in cob.STEPS))
    report = run_cob(engine, date(2025, 2, 8))
    assert len(seen) == len(report.days) == 5
    assert seen == [1] * 5
    for loan_id in ids:
        stored, rebuilt = replayed(engine, loan_id, date(2025, 2, 8))
        assert stored == rebuilt, loan_id
    assert verify_ledger(engine).ok
    engine.dispose()


def test_a_loan_closed_ahead_of_the_book_waits_for_it(database_url):
    engine, ids = a_book(database_url)  # the book is closed to 2025-02-03
    post_payment(engine, ids[1], Money.of("50"), date(2025, 2, 7))  # closes 4, 5, 6 inline
    report = run_cob(engine, date(2025, 2, 10))
    assert report.days[0] == date(2025, 2, 4)
    for loan_id in ids:
        stored, rebuilt = replayed(engine, loan_id, date(2025, 2, 10))
        assert stored == rebuilt, loan_id
        assert stored.cob_date == date(2025, 2, 10)
    assert verify_ledger(engine).ok
    engine.dispose()


def test_the_cob_command_audits_each_date_it_closes(database_url, monkeypatch, capsys):
    from thinfile.cli.app import main

    engine, _ = a_book(database_url)  # the book is closed to 2025-02-03
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    main(["cob", "run", "--date", "2025-02-06"])
    assert "closed 3 business date(s)" in capsys.readouterr().out
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT actor, subject FROM audit_log WHERE action = 'cob.close_day' ORDER BY seq"
            )
        ).all()
    assert [r.subject for r in rows] == [f"cob:2025-02-0{d}" for d in (4, 5, 6)]
    assert {r.actor for r in rows} == {"admin:system"}
    engine.dispose()


def test_sql_and_python_agree_on_default_terms_held_money_and_leap_years(database_url):
    """Late fees and penalty within the all-in cap, actual/actual penalty in a leap year and
    held overpayment applied on due dates: SQL close of business equals the domain to the fen."""
    engine = make_engine(database_url)
    upgrade(engine)
    start, end = date(2028, 1, 10), date(2028, 4, 20)
    late_fees = ServicingProduct(
        code="late-fees", defaults=DefaultTerms(grace_days=1, late_fee=2000, late_fee_cap=5000)
    )
    hold = ServicingProduct(code="holds", extra_payment=ExtraPayment.HOLD)
    ids = [
        open_and_disburse(
            engine,
            terms(principal, 6, "0.2399", start=start, day_count=DayCount.ACTUAL_ACTUAL),
            product=product,
        ).loan_id
        for principal, product in (
            ("900", late_fees),
            ("250000", late_fees),
            ("3298.22", ServicingProduct()),
            ("6000", hold),
        )
    ]
    fee_plan = terms(
        "6000",
        6,
        "0",
        start=start,
        method=RepaymentMethod.FEE_INSTALLMENT,
        monthly_fee_rate=Decimal("0.006"),
    )
    ids.append(
        open_and_disburse(engine, fee_plan, product=standard_product(fee_plan.method)).loan_id
    )
    run_cob(engine, date(2028, 2, 9))
    first = post_payment(engine, ids[3], Money.of("3000"), date(2028, 2, 10))
    assert first.overpayment > 0  # held, not cut from principal
    run_cob(engine, end)
    for loan_id in ids:
        stored, rebuilt = replayed(engine, loan_id, end)
        assert stored == rebuilt, loan_id
    held = replayed(engine, ids[3], end)[0]
    assert held.installments[1].is_settled and held.credit == 0  # all held money applied
    assert held.installments[2].interest_paid > 0 and not held.installments[2].is_settled
    assert verify_ledger(engine).ok
    with engine.connect() as conn:
        relief = conn.execute(
            sa.text(
                "SELECT COALESCE(SUM(amount), 0) FROM servicing_journal_lines "
                "WHERE account = 'all_in_cap_relief'"
            )
        ).scalar_one()
    assert relief > 0  # the 20-yuan fee on a 900-yuan loan is mostly not charged
    fee_loan = replayed(engine, ids[4], end)[0]
    assert fee_loan.installments[0].penalty_due > 0  # fee plans pay the penalty disclosed
    engine.dispose()


def _month_ends(engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT loan_id, month_end_day, status, days_past_due, principal_balance "
                    "FROM servicing_month_ends ORDER BY loan_id, month_end_day"
                )
            )
        ]


def test_a_month_end_closed_after_a_later_payment_shows_the_loan_as_it_stood(database_url):
    # a 3,000 loan from 2025-01-01, nothing paid; the book closed to 2025-03-25 and close of
    # business behind the calendar: the payoff of 04-05 closes the loan's days to 04-04
    # inline, 03-31 among them. The 03-31 row is the loan at that close — 2025-02-01's
    # installment unpaid since, so 58 days past due, all 3,000 of principal owed — not the
    # loan paid off that a later run would find
    from thinfile.services.loans import quote_payoff

    engine = make_engine(database_url)
    upgrade(engine)
    loan = open_and_disburse(engine, terms("3000", 3, "0.12")).loan_id
    run_cob(engine, date(2025, 3, 25))
    post_payment(engine, loan, quote_payoff(engine, loan, date(2025, 4, 5)), date(2025, 4, 5))
    run_cob(engine, date(2025, 4, 10))
    assert _month_ends(engine) == [
        (loan, to_day(date(2025, 1, 31)), "active", 0, 300_000),
        (loan, to_day(date(2025, 2, 28)), "active", 27, 300_000),
        (loan, to_day(date(2025, 3, 31)), "active", 58, 300_000),
    ]
    assert verify_ledger(engine).ok
    engine.dispose()


def test_dates_with_no_active_loan_are_closed_in_order(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    first = open_and_disburse(engine, terms("3000", 3, "0.12")).loan_id
    run_cob(engine, date(2025, 1, 10))
    from thinfile.services.loans import quote_payoff

    post_payment(engine, first, quote_payoff(engine, first, date(2025, 1, 15)), date(2025, 1, 15))
    open_and_disburse(engine, terms("5000", 3, "0.12", start=date(2025, 3, 5)))
    report = run_cob(engine, date(2025, 3, 10))
    # every date from the book's next (01-11) to 03-10, none skipped for want of a loan
    assert report.days[0] == date(2025, 1, 11) and report.days[-1] == date(2025, 3, 10)
    assert len(report.days) == (date(2025, 3, 10) - date(2025, 1, 11)).days + 1
    # the loan paid off on 01-15 has its January month-end row; none after
    assert _month_ends(engine) == [(first, to_day(date(2025, 1, 31)), "closed", 0, 0)]
    engine.dispose()


def test_a_loan_written_off_late_keeps_its_days_past_due_at_the_month_end(database_url):
    """A loan 52 days late settled at a discount on 2025-03-25 (the rest written off): the
    March month-end row says written-off, 58 days past due — as a charged-off loan's does —
    not 0, which read a defaulted loan as never 30 days late in the vintages' ever-30."""
    from thinfile.services.loan_adjustments import settle_in_unit
    from thinfile.services.loan_postings import month_end_row
    from thinfile.services.loans import get_loan
    from thinfile.services.uow import UnitOfWork

    engine = make_engine(database_url)
    upgrade(engine)
    loan = open_and_disburse(engine, terms("3000", 3, "0.12")).loan_id
    run_cob(engine, date(2025, 3, 24))
    with UnitOfWork(engine) as uow:
        settle_in_unit(uow, loan, Money.of("1000"), date(2025, 3, 25), reason="hardship")
        uow.commit()
    run_cob(engine, date(2025, 4, 5))
    march = date(2025, 3, 31)
    assert [r[:4] for r in _month_ends(engine)] == [
        (loan, to_day(date(2025, 1, 31)), "active", 0),
        (loan, to_day(date(2025, 2, 28)), "active", 27),
        (loan, to_day(march), "written-off", (march - date(2025, 2, 1)).days),
    ]
    row = month_end_row(get_loan(engine, loan).account, march)  # the per-loan twin agrees
    assert row is not None and (row.status, row.days_past_due) == ("written-off", 58)
    assert verify_ledger(engine).ok
    engine.dispose()
