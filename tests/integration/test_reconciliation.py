"""Daily payment reconciliation (``thinfile payments reconcile``) on SQLite and PostgreSQL,
against the sandbox gateway running as a real local HTTP service: a debit paid at the gateway
whose notification never came is posted from the gateway's own file, once; every break type is
flagged and never reversed; a bad file is refused whole, naming its rows, with nothing written;
a date is reconciled once; staff resolve a break with a reason. The files for the break types
are written here, row by row, from what the test did — not by the code under test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.integration.test_payment_intents import (
    Book,
    _book,
    balanced,
    deliver,
    notification,
    pay,
    postings,
    settled,
)
from tests.support.cli import run
from tests.support.gateway_fixtures import Target
from thinfile.adapters.sandbox_gateway_client import SandboxGatewayClient
from thinfile.errors import ConflictError, InvalidInputError, NotFoundError
from thinfile.security.crypto import PiiCipher
from thinfile.services.business_date import current_business_date
from thinfile.services.payment_intents import IntentKind, IntentStatus, get_payment_intent
from thinfile.services.payment_reversals import reverse_payment
from thinfile.services.reconciliation import (
    reconcile_payments,
    reconciliation_of,
    resolve_break,
)

HEADER = "gateway_txn_id,request_id,kind,status,amount_fen,failure,original_txn_id,completed_at"


def today_cst() -> date:
    return (datetime.now(UTC) + timedelta(hours=8)).date()


def noon_of(day: date) -> str:
    """12:00 China Standard Time of ``day``, written in UTC."""
    return datetime(day.year, day.month, day.day, 4, tzinfo=UTC).isoformat()


def csv_of(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()


def row(txn: str, request: str, fen: int, status: str = "succeeded", **kw: str) -> str:
    at = kw.get("at", noon_of(today_cst()))
    kind = kw.get("kind", "debit")
    return f"{txn},{request},{kind},{status},{fen},{kw.get('failure', '')},,{at}"


@pytest.fixture
def quiet(engine: Engine, cipher: PiiCipher, silent: SandboxGatewayClient) -> Book:
    """A borrower whose gateway keeps its notifications to itself (lost, or very late)."""
    return _book(engine, cipher, silent, f"137{uuid.uuid4().int % 10**8:08d}")


@pytest.fixture
def told(
    engine: Engine, cipher: PiiCipher, notifying: SandboxGatewayClient, target: Target
) -> Iterator[Book]:
    """A borrower whose gateway notifies the lender."""
    with target.serving(engine, notifying):
        yield _book(engine, cipher, notifying, f"137{uuid.uuid4().int % 10**8:08d}")


def stored_runs(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(sa.text("SELECT COUNT(*) FROM payment_reconciliations")).scalar_one()
        )


def test_a_debit_paid_at_the_gateway_without_a_notification_is_posted_from_its_file_once(
    quiet: Book, silent: SandboxGatewayClient
) -> None:
    intent = pay(quiet, silent, "150.00")
    assert get_payment_intent(quiet.engine, quiet.loan_id, intent.id).status in (
        IntentStatus.PENDING,
        IntentStatus.CREATED,
    )
    assert postings(quiet.engine, quiet.loan_id) == []
    day = today_cst()
    # the gateway's own file, cut to this lender's row (the sandbox serves other tests too)
    header, *lines = silent.reconciliation_file(day).decode().splitlines()
    data = "\n".join([header, *(x for x in lines if intent.id in x)]).encode() + b"\n"
    assert data.count(intent.id.encode()) == 1

    done = reconcile_payments(quiet.engine, day, data, actor="system")
    assert done.made and done.counts == {"posted": 1} and done.open_breaks == []
    [item] = done.run.items
    assert (item.request_id, item.file_amount, item.loan_id) == (intent.id, 15_000, quiet.loan_id)
    now = get_payment_intent(quiet.engine, quiet.loan_id, intent.id)
    assert now.status is IntentStatus.SUCCEEDED and now.txn_id is not None
    assert [(k, a) for k, a, _ in postings(quiet.engine, quiet.loan_id)] == [("repayment", 15_000)]
    balanced(quiet.engine)

    again = reconcile_payments(quiet.engine, day, data, actor="system")
    assert not again.made and again.run == done.run
    assert len(postings(quiet.engine, quiet.loan_id)) == 1
    with pytest.raises(ConflictError) as other:
        reconcile_payments(quiet.engine, day, data + b"\n", actor="system")
    assert other.value.field == "file"


def test_a_posting_reversed_without_a_gateway_refund_is_a_break(
    quiet: Book, silent: SandboxGatewayClient
) -> None:
    """150.00 taken from the card and posted, then the posting reversed by staff with no
    refund at the gateway: the gateway's file says the money was taken, the books hold none
    of it — a break (``unposted``: the borrower's money to return), not ``matched``."""
    intent = pay(quiet, silent, "150.00")
    day = today_cst()
    header, *lines = silent.reconciliation_file(day).decode().splitlines()
    data = "\n".join([header, *(x for x in lines if intent.id in x)]).encode() + b"\n"
    [line] = [x for x in lines if intent.id in x]
    word = notification(intent.id, line.split(",")[0], "succeeded", 15_000)
    assert deliver(quiet, silent, word) == "posted"
    posted = get_payment_intent(quiet.engine, quiet.loan_id, intent.id)
    assert posted.status is IntentStatus.SUCCEEDED and posted.txn_id is not None
    on = current_business_date(quiet.engine)
    reverse_payment(quiet.engine, posted.txn_id, on, reason="entered in error")
    done = reconcile_payments(quiet.engine, day, data, actor="system")
    assert done.counts == {"unposted": 1}, done.counts
    assert [b.request_id for b in done.open_breaks] == [intent.id]
    balanced(quiet.engine)


def test_a_posting_reversed_after_its_date_was_reconciled_adds_a_break_to_that_date(
    quiet: Book, silent: SandboxGatewayClient
) -> None:
    """The date was reconciled (matched) before staff reversed the posting: the card stays
    debited and the books hold none of it, so that date gets an ``unposted`` break (a date is
    reconciled once: its file is never read again); the same file still reads back."""
    intent = pay(quiet, silent, "150.00")
    day = today_cst()
    header, *lines = silent.reconciliation_file(day).decode().splitlines()
    data = "\n".join([header, *(x for x in lines if intent.id in x)]).encode() + b"\n"
    done = reconcile_payments(quiet.engine, day, data, actor="system")
    assert done.counts == {"posted": 1} and done.open_breaks == []
    posted = get_payment_intent(quiet.engine, quiet.loan_id, intent.id)
    assert posted.txn_id is not None
    on = current_business_date(quiet.engine)
    reverse_payment(quiet.engine, posted.txn_id, on, reason="entered in error")
    after = reconciliation_of(quiet.engine, day)
    assert after.counts == {"posted": 1, "unposted": 1}
    [open_break] = after.open_breaks
    assert (open_break.request_id, open_break.file_amount, open_break.loan_id) == (
        intent.id,
        15_000,
        quiet.loan_id,
    )
    assert (open_break.gateway_txn_id, open_break.n) == (posted.gateway_txn_id, 2)
    again = reconcile_payments(quiet.engine, day, data, actor="system")
    assert not again.made and again.counts == after.counts
    balanced(quiet.engine)


def test_a_word_of_another_amount_holds_the_intent_and_the_file_of_its_amount_posts_it(
    quiet: Book, silent: SandboxGatewayClient
) -> None:
    engine = quiet.engine
    intent = pay(quiet, silent, "150.00")
    with pytest.raises(ConflictError):  # one payment waiting: no payoff beside it
        pay(quiet, silent, None, kind=IntentKind.PAYOFF)
    report = silent.debit_status(intent.id)
    assert report is not None and report.amount_fen == 15_000
    wrong = notification(intent.id, report.gateway_txn_id, "succeeded", 15_001)
    assert deliver(quiet, silent, wrong) == "mismatch"
    held = get_payment_intent(engine, quiet.loan_id, intent.id)
    assert (held.status, held.txn_id) == (IntentStatus.HELD, None)
    assert held.gateway_txn_id == intent.gateway_txn_id  # not the word's
    assert held.settled_at is not None
    again = notification(intent.id, "gw_someone_else", "failed", 15_000, failure="timeout")
    assert deliver(quiet, silent, again) == "mismatch"  # a held intent is not written again
    assert get_payment_intent(engine, quiet.loan_id, intent.id) == held
    assert postings(engine, quiet.loan_id) == []
    # the loan is free: waiting for a word that never comes blocked its payoff for good
    payoff = pay(quiet, silent, None, kind=IntentKind.PAYOFF)
    assert payoff.status is IntentStatus.PENDING
    # the gateway's file lists the debit at its own amount: posted on the file's word
    header, *lines = silent.reconciliation_file(today_cst()).decode().splitlines()
    data = "\n".join([header, *(x for x in lines if intent.id in x)]).encode() + b"\n"
    done = reconcile_payments(engine, today_cst(), data, actor="system")
    assert done.counts == {"posted": 1} and done.open_breaks == []
    paid = get_payment_intent(engine, quiet.loan_id, intent.id)
    assert paid.status is IntentStatus.SUCCEEDED and paid.txn_id is not None
    assert paid.gateway_txn_id == report.gateway_txn_id
    assert [(k, a) for k, a, _ in postings(engine, quiet.loan_id)] == [("repayment", 15_000)]
    balanced(engine)


def test_each_break_is_flagged_never_reversed_and_resolved_by_staff_with_a_reason(
    told: Book, notifying: SandboxGatewayClient
) -> None:
    engine = told.engine
    paid = settled(told, pay(told, notifying, "100.00").id)
    also = settled(told, pay(told, notifying, "80.00").id)
    missing = settled(told, pay(told, notifying, "60.00").id)
    assert {paid.status, also.status, missing.status} == {IntentStatus.SUCCEEDED}
    before = postings(engine, told.loan_id)
    assert len(before) == 3
    data = csv_of(
        row(str(paid.gateway_txn_id), paid.id, 10_000),  # matched
        row(str(also.gateway_txn_id), also.id, 8_000, "failed", failure="card_frozen"),
        row("gw_unknown_1", "no_such_intent", 5_000),  # no intent
        row("gw_refund_1", paid.id, 1_000, kind="refund"),  # a refund: no intent's
        # ``missing`` is not listed: the books took money the gateway does not report
    )
    done = reconcile_payments(engine, today_cst(), data, actor="system")
    assert done.counts == {
        "matched": 1,
        "status-mismatch": 1,
        "unknown": 2,
        "missing-at-gateway": 1,
    }
    by_outcome = {i.outcome: i for i in done.run.items}
    assert by_outcome["missing-at-gateway"].request_id == missing.id
    assert by_outcome["missing-at-gateway"].book_amount == 6_000
    assert by_outcome["status-mismatch"].book_status == "succeeded"
    assert len(done.open_breaks) == 4
    assert postings(engine, told.loan_id) == before  # nothing reversed, nothing posted
    balanced(engine)

    # staff close a break saying what they did; once; only a break
    n = by_outcome["status-mismatch"].n
    with pytest.raises(InvalidInputError):
        resolve_break(engine, today_cst(), n, "ok", actor="staff:ann")
    after = resolve_break(engine, today_cst(), n, "bank confirmed the debit", actor="staff:ann")
    [closed] = [i for i in after.run.items if i.n == n]
    assert (closed.resolved_by, closed.resolution) == ("staff:ann", "bank confirmed the debit")
    assert len(after.open_breaks) == 3
    with pytest.raises(ConflictError):
        resolve_break(engine, today_cst(), n, "bank confirmed the debit", actor="staff:ann")
    with pytest.raises(NotFoundError):
        resolve_break(engine, today_cst(), by_outcome["matched"].n, "nothing", actor="staff:ann")
    assert reconciliation_of(engine, today_cst()).run == after.run


def test_an_amount_that_is_not_the_intents_is_flagged_and_not_posted(
    quiet: Book, silent: SandboxGatewayClient
) -> None:
    intent = pay(quiet, silent, "70.00")
    data = csv_of(row("gw_other_amount", intent.id, 7_001))
    done = reconcile_payments(quiet.engine, today_cst(), data, actor="system")
    assert done.counts == {"amount-mismatch": 1}
    assert done.run.items[0].book_amount == 7_000
    assert postings(quiet.engine, quiet.loan_id) == []
    assert get_payment_intent(quiet.engine, quiet.loan_id, intent.id).status is not (
        IntentStatus.SUCCEEDED
    )


def test_a_missing_break_is_resolved_when_a_neighbouring_dates_file_lists_it(
    told: Book, notifying: SandboxGatewayClient
) -> None:
    engine = told.engine
    late = settled(told, pay(told, notifying, "50.00").id)
    day = today_cst()
    first = reconcile_payments(engine, day, csv_of(), actor="system")
    assert first.counts == {"missing-at-gateway": 1}
    # the gateway completed it just before midnight: the previous date's file lists it
    yesterday = day - timedelta(days=1)
    at = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8, seconds=1)
    listed = csv_of(row(str(late.gateway_txn_id), late.id, 5_000, at=at.isoformat()))
    previous = reconcile_payments(engine, yesterday, listed, actor="system")
    assert previous.counts == {"matched": 1}
    [item] = reconciliation_of(engine, day).run.items
    assert item.resolved_at is not None and yesterday.isoformat() in str(item.resolution)


GOOD = row("gw_good", "r_good", 100)  # row 2 of each bad file: refused with the rest
BAD_FILES = {
    "header": (b"txn,request\nx,y\n", "file"),
    "encoding": (HEADER.encode() + b"\n\xff\xfe,bad\n", "file"),
    "negative": (csv_of(GOOD, row("gw1", "r1", -5)), "row 3: amount_fen"),
    "full-width digits": (
        csv_of(GOOD, row("gw1", "r1", 0).replace(",0,", ",１００,")),
        "row 3: amount_fen",
    ),
    "duplicate": (csv_of(GOOD, row("gw1", "r1", 5), row("gw1", "r2", 5)), "row 4: gateway_txn_id"),
    "failed without why": (csv_of(GOOD, row("gw1", "r1", 5, "failed")), "row 3: failure"),
    "pending": (csv_of(GOOD, row("gw1", "r1", 5, "accepted")), "row 3: status"),
    "another day": (
        csv_of(GOOD, row("gw1", "r1", 5, at="2020-01-01T04:00:00+00:00")),
        "row 3: completed_at",
    ),
    "no offset": (
        csv_of(GOOD, row("gw1", "r1", 5, at="2020-01-01T04:00:00")),
        "row 3: completed_at",
    ),
    "columns": (csv_of(GOOD, "gw1,r1,debit"), "row 3"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_whole_naming_its_rows_with_nothing_written(
    engine: Engine, case: str
) -> None:
    data, where = BAD_FILES[case]
    with pytest.raises(InvalidInputError) as refused:
        reconcile_payments(engine, today_cst(), data, actor="system")
    assert refused.value.field == "file"
    named = {p.field for p in refused.value.problems} or {"file"}
    assert where in named, named
    assert stored_runs(engine) == 0


def test_the_command_exits_1_while_a_break_is_open_and_2_on_a_bad_file(
    engine: Engine, database_url: str, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    monkeypatch.setenv("THINFILE_HOME", str(tmp_path))
    today = today_cst()
    day = today - timedelta(days=1)
    broken = tmp_path / "broken.csv"
    broken.write_bytes(csv_of(row("gw_x", "nobody", 100, at=noon_of(day))))
    # A day not over has an incomplete file, and a date is reconciled once: refused.
    for early in (today, today + timedelta(days=1)):
        code, _, err = run(
            capsys, "payments", "reconcile", "--date", str(early), "--file", str(broken)
        )
        assert code == 2 and "--date" in err and "is not over yet" in err, err
        assert str(today - timedelta(days=1)) in err and "Traceback" not in err
    # A date in another form, or before the calendar thinfile counts days from: refused too.
    for odd in ("0001-01-01", "20240101", "2024-W01-1"):
        code, _, err = run(capsys, "payments", "reconcile", "--date", odd, "--file", str(broken))
        assert code == 2 and "--date" in err and "Traceback" not in err, err
    assert stored_runs(engine) == 0
    code, out, err = run(capsys, "payments", "reconcile", "--date", str(day), "--file", str(broken))
    assert code == 1, err
    assert "break 1 unknown txn gw_x request nobody (open)" in out and "open breaks 1" in out
    code, out, _ = run(capsys, "payments", "reconcile", "--date", str(day), "--file", str(broken))
    assert code == 1 and "reconciled before" in out
    clean = tmp_path / "clean.csv"
    clean.write_bytes(csv_of())
    yesterday = str(day - timedelta(days=1))
    code, out, err = run(capsys, "payments", "reconcile", "--date", yesterday, "--file", str(clean))
    assert code == 0 and "open breaks 0" in out, err
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of(row("gw_y", "r", -1)))
    older = str(day - timedelta(days=2))
    code, _, err = run(capsys, "payments", "reconcile", "--date", older, "--file", str(bad))
    assert code == 2 and "file" in err and "row 2: amount_fen" in err
    code, _, err = run(
        capsys, "payments", "reconcile", "--date", older, "--file", str(tmp_path / "none.csv")
    )
    assert code == 2 and "--file" in err and "does not exist" in err


def test_the_command_exits_1_naming_the_gateway_when_it_does_not_answer(
    engine: Engine, database_url: str, tmp_path, monkeypatch, capsys
) -> None:
    """Without --file the day's file is fetched from the gateway: nobody at its address is
    the gateway's failure, not a bad command (exit 1, the address and its setting named, no
    reconciliation kept)."""
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    monkeypatch.setenv("THINFILE_HOME", str(tmp_path))
    monkeypatch.setenv("THINFILE_PAYMENT_GATEWAY_URL", "http://127.0.0.1:9")
    yesterday = str(today_cst() - timedelta(days=1))
    code, out, err = run(capsys, "payments", "reconcile", "--date", yesterday)
    assert code == 1, (out, err)
    assert "http://127.0.0.1:9 did not answer" in err and "THINFILE_PAYMENT_GATEWAY_URL" in err
    assert "Traceback" not in out + err
    assert stored_runs(engine) == 0
