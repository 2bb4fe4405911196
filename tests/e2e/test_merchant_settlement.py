"""Daily merchant settlement (``thinfile merchants settle``) on SQLite and PostgreSQL: purchases
captured and refunded through the API settle T+1 as captures − refunds − subsidies (the
returned subsidy netted); the totals equal sums written here from the amounts sent, the CSV
lines sum to the total row and tie to the cash the ledger moved for those loans; a second run
changes nothing and prints the same; a bad ``--date`` exits 2 naming the option."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.e2e.api_harness import TestClient, World, context_of, make_staff
from tests.e2e.test_api_checkout import (
    authorized,
    confirm,
    create,
    ledger_ok,
    merchant_id_of,
    post,
    read_for,
    shop,
)
from tests.e2e.test_api_checkout_promotions import held_coupon
from tests.support.cli import run
from thinfile.commerce.settlement import settlement_csv
from thinfile.security.roles import Role
from thinfile.services.business_date import current_business_date
from thinfile.services.settlements import (
    settle_merchants,
    settlement_with_lines,
    write_settlement_files,
)

RATE = Decimal("0.075")  # the 12-period term's subsidy rate in the shop's contract


def fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def subsidy_of(amount_fen: int) -> int:
    """7.5% of the amount, half-up to the fen (the amounts here make it exact)."""
    exact = Decimal(amount_fen) * RATE
    assert exact == exact.to_integral_value()
    return int(exact)


def cash_by_loan(api: TestClient, loan_ids: set[int]) -> dict[int, int]:
    """What the ledger moved through cash for each loan's disbursement, merchant refunds and
    subsidy returned (debit positive)."""
    with context_of(api).engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT e.loan_id, SUM(l.amount) FROM servicing_journal_lines l"
                " JOIN servicing_journal_entries e"
                " ON e.id = l.entry_id WHERE l.account = 'cash' AND e.kind IN"
                " ('disbursement', 'merchant-refund', 'subsidy-unwind') GROUP BY e.loan_id"
            )
        )
        return {int(r[0]): int(r[1]) for r in rows if int(r[0]) in loan_ids}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def purchases(api: TestClient, world: World, merchant: Any) -> tuple[int, int, int, list[Any]]:
    """Two sessions: 5,000 + 7,000 captured then 3,000 refunded; 3,000 captured. Returns the
    captured, refunded and subsidy-returned fen as sent, and the session ids."""
    first = authorized(api, world, merchant)
    second = authorized(
        api,
        world,
        merchant,
        total="3000.00",
        lines=[{"name": "头盔", "sku": "HELMET-1", "quantity": 6, "unit_price": "500"}],
    )
    for session, amount in ((first, "5000.00"), (first, "7000.00"), (second, "3000.00")):
        done = post(api, merchant, session, "captures", amount=amount)
        assert done.status_code == 201, done.text
    refund = post(api, merchant, first, "refunds", amount="3000.00")
    assert refund.status_code == 201, refund.text
    captured = fen("5000.00") + fen("7000.00") + fen("3000.00")
    # the refund falls on the newest capture (7,000) the day it was booked: nothing of its
    # subsidy is recognised yet, so 3,000's share of it comes back to the merchant
    returned = subsidy_of(fen("7000.00")) * fen("3000.00") // fen("7000.00")
    return captured, fen("3000.00"), returned, [first, second]


def close(api: TestClient, through: date) -> None:
    agent = make_staff(api, Role.SERVICING_AGENT)
    reply = api.post("/v1/staff/cob", headers=agent.headers, json={"through": through.isoformat()})
    assert reply.status_code == 200, reply.text


def test_a_days_captures_and_refunds_settle_next_day_tied_to_the_ledger_and_once(
    api: TestClient, world: World, database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    booked = current_business_date(context_of(api).engine)
    captured, refunded, returned, sessions = purchases(api, world, merchant)
    day = (booked + timedelta(days=1)).isoformat()
    out = tmp_path / "settlements"

    # the day the purchases were booked is still open: nothing settles yet
    code, _, err = run(capsys, "merchants", "settle", "--date", day, "--out", str(out))
    assert code == 2 and "date" in err and not out.exists()

    close(api, booked)
    code, first_out, err = run(capsys, "merchants", "settle", "--date", day, "--out", str(out))
    assert code == 0, err
    subsidy = sum(subsidy_of(f) for f in (fen("5000.00"), fen("7000.00"), fen("3000.00")))
    net = captured - refunded - subsidy + returned
    assert net == 1_500_000 - 300_000 - 112_500 + 22_500
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"settlement-{merchant_id}-{day}.csv"]
    rows = read_csv(files[0])
    *lines, total = rows
    assert [r["kind"] for r in lines] == ["capture", "capture", "refund", "capture"]
    assert {r["session_id"] for r in lines} == set(sessions)
    assert all(r["merchant_order_id"].startswith("SO-") for r in lines)
    assert all(r["business_date"] == booked.isoformat() for r in lines)
    assert total["kind"] == "total"
    assert fen(total["amount"]) == captured - refunded
    assert fen(total["subsidy"]) == subsidy - returned
    assert fen(total["net"]) == net
    for column in ("amount", "subsidy", "net"):
        assert sum(fen(r[column]) for r in lines) == fen(total[column])
        assert all(len(r[column].split(".")[1]) == 2 for r in rows)
    assert f"net {Decimal(net) / 100:.2f} CNY" in first_out

    # each loan's lines are what the ledger moved through cash for it, seen from the merchant
    by_loan: dict[int, int] = {}
    for r in lines:
        by_loan[int(r["loan_id"])] = by_loan.get(int(r["loan_id"]), 0) + fen(r["net"])
    assert len(by_loan) == 3
    assert {k: -v for k, v in cash_by_loan(api, set(by_loan)).items()} == by_loan
    ledger_ok(api)

    # the merchant is told once, with the totals
    with context_of(api).engine.connect() as conn:
        events = conn.execute(
            sa.text("SELECT body FROM merchant_webhook_events WHERE event_type = :t"),
            {"t": "settlement.ready"},
        ).all()
    assert len(events) == 1 and f'"net":"{Decimal(net) / 100:.2f}"' in events[0][0].replace(" ", "")

    # again: the same output, the same file, nothing new stored or queued
    before = files[0].read_bytes()
    code, again_out, _ = run(capsys, "merchants", "settle", "--date", day, "--out", str(out))
    assert code == 0 and again_out == first_out and files[0].read_bytes() == before
    with context_of(api).engine.connect() as conn:
        counts = [
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar()
            for t in (
                "merchant_settlements",
                "merchant_settlement_lines",
                "merchant_webhook_events WHERE event_type = 'settlement.ready'",
            )
        ]
    assert counts == [1, 4, 1]

    # the booking day itself settles what was booked the day before: nothing here
    code, none_out, _ = run(
        capsys, "merchants", "settle", "--date", booked.isoformat(), "--out", str(out)
    )
    assert code == 0 and "0 merchant settlements" in none_out

    # the merchant's users read it; another merchant's users see no such merchant
    mine = api.get(f"/v1/merchants/{merchant_id}/settlements", headers=merchant.headers)
    assert mine.status_code == 200, mine.text
    [listed] = mine.json()["settlements"]
    assert listed["settlement_date"] == day and fen(listed["net"]) == net
    assert fen(listed["captured"]) == captured and fen(listed["refunded"]) == refunded
    assert fen(listed["subsidy_returned"]) == returned
    other = shop(api, world.admin)
    theirs = api.get(f"/v1/merchants/{merchant_id}/settlements", headers=other.headers)
    assert theirs.status_code == 404, theirs.text
    borrower = api.get(f"/v1/merchants/{merchant_id}/settlements", headers=world.alice.headers)
    assert borrower.status_code == 404, borrower.text


def test_each_refunds_reference_is_in_the_settlement_file_made_and_read_back(
    api: TestClient, world: World, tmp_path: Path
) -> None:
    """The merchant's reference of each refund reaches its settlement file (a formula-like
    one filed as text), the same when the stored settlement is read back: settled again,
    and downloaded by the merchant."""
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    engine = context_of(api).engine
    booked = current_business_date(engine)
    session = authorized(api, world, merchant)
    assert post(api, merchant, session, "captures", amount="12000.00").status_code == 201
    for amount, reference in (("2400.00", "RMA-0042"), ("100.00", "=1+2"), ("50.00", None)):
        body = {"amount": amount, **({"reference": reference} if reference else {})}
        assert post(api, merchant, session, "refunds", **body).status_code == 201
    close(api, booked)
    on = booked + timedelta(days=1)
    [made] = write_settlement_files(settle_merchants(engine, on), tmp_path / "made")
    [again] = write_settlement_files(settle_merchants(engine, on), tmp_path / "again")
    *lines, total = read_csv(made)
    assert [(r["kind"], r["reference"]) for r in lines[:1]] == [("capture", "")]
    refunds = [(r["amount"], r["reference"]) for r in lines[1:]]  # in the order refunded
    assert refunds == [("-2400.00", "RMA-0042"), ("-100.00", "'=1+2"), ("-50.00", "")]
    assert total["reference"] == "" and fen(total["amount"]) == fen("12000.00") - fen("2550.00")
    assert again.read_bytes() == made.read_bytes()
    downloaded = settlement_csv(settlement_with_lines(engine, merchant_id, on).settlement)
    assert downloaded.encode("utf-8") == made.read_bytes()


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "２０２６-１２-０１", ""])
def test_a_bad_date_exits_2_naming_the_option(
    bad: str, database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    code, out, err = run(capsys, "merchants", "settle", "--date", bad, "--out", str(tmp_path))
    assert code == 2 and "--date" in err and out == ""


def test_an_out_that_is_not_a_folder_exits_2_naming_the_option_before_settling(
    database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder", encoding="utf-8")
    for out in (in_the_way, in_the_way / "below"):
        code, printed, err = run(
            capsys, "merchants", "settle", "--date", "2026-05-06", "--out", str(out)
        )
        assert code == 2 and "--out" in err and printed == "", err
        assert "Traceback" not in err
    assert in_the_way.read_text(encoding="utf-8") == "not a folder"
    code, printed, err = run(  # a place no one can write, not even root
        capsys, "merchants", "settle", "--date", "2026-05-06", "--out", "/proc/thinfile-out"
    )
    assert code == 2 and "--out" in err and "Traceback" not in err, err
    monkeypatch.chdir(tmp_path)
    for empty in ("", "  "):  # not the current folder by accident
        code, printed, err = run(
            capsys, "merchants", "settle", "--date", "2026-05-06", "--out", empty
        )
        assert code == 2 and "--out" in err and printed == "", err
    assert not list(tmp_path.glob("*.csv"))


def _bought_with_coupon(api: TestClient, world: World, merchant: Any) -> str:
    """A 12,000.00 order confirmed by alice with a new lender-funded coupon (100.00 off) and
    captured in full: 11,900.00 financed."""
    held = held_coupon(api, world)
    session = create(api, merchant).json()["id"]
    assert api.get(f"/v1/me/checkout/{session}/plans", headers=world.alice.headers).is_success
    read_for(api, session)
    done = confirm(api, world.alice, session, coupon_id=held)
    assert done.status_code == 200 and done.json()["authorized"] == "11900.00", done.text
    captured = post(api, merchant, session, "captures", amount="11900.00")
    assert captured.status_code == 201, captured.text
    return str(session)


def test_a_lender_funded_coupon_is_paid_to_the_merchant_and_taken_back_on_a_full_refund(
    api: TestClient, world: World, database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The borrower finances price − coupon; the lender pays the coupon from marketing, so the
    merchant's settlement is the price less its subsidy (a ``coupon`` line). A full refund
    gives the coupon back to the borrower and takes it back from the merchant
    (``coupon-return``), and the lender's marketing expense is undone."""
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    merchant = shop(api, world.admin)
    merchant_id = merchant_id_of(api, merchant)
    price, off = fen("12000.00"), fen("100.00")
    kept = _bought_with_coupon(api, world, merchant)
    returned = _bought_with_coupon(api, world, merchant)
    refunded = post(api, merchant, returned, "refunds", amount="11900.00")
    assert refunded.status_code == 201, refunded.text
    booked = current_business_date(context_of(api).engine)
    out = tmp_path / "settlements"

    close(api, booked)
    day = (booked + timedelta(days=1)).isoformat()
    code, _, err = run(capsys, "merchants", "settle", "--date", day, "--out", str(out))
    assert code == 0, err
    *lines, total = read_csv(out / f"settlement-{merchant_id}-{day}.csv")
    by_session: dict[str, list[dict[str, str]]] = {}
    for r in lines:
        by_session.setdefault(r["session_id"], []).append(r)
    assert [r["kind"] for r in by_session[kept]] == ["capture", "coupon"]
    capture, coupon = by_session[kept]
    assert fen(capture["amount"]) == price - off
    assert (fen(coupon["amount"]), fen(coupon["subsidy"]), fen(coupon["net"])) == (off, 0, off)
    # the merchant receives the price less its subsidy for the order it kept
    assert fen(capture["net"]) + fen(coupon["net"]) == price - fen(capture["subsidy"])
    kinds = [r["kind"] for r in by_session[returned]]
    assert kinds == ["capture", "coupon", "refund", "coupon-return"]
    assert [fen(r["amount"]) for r in by_session[returned]] == [
        price - off,
        off,
        -(price - off),
        -off,
    ]
    listed = api.get(f"/v1/merchants/{merchant_id}/settlements", headers=merchant.headers).json()
    [settlement] = listed["settlements"]
    assert fen(settlement["coupons"]) == off  # one coupon paid and kept, one paid and returned
    assert fen(settlement["net"]) == fen(total["net"]) == sum(fen(r["net"]) for r in lines)
    with context_of(api).engine.connect() as conn:
        marketing = conn.execute(
            sa.text(
                "SELECT SUM(l.amount) FROM servicing_journal_lines l"
                " WHERE l.account = 'marketing_expense'"
            )
        ).scalar()
    assert marketing == off  # the kept order's coupon only
    ledger_ok(api)


def test_a_date_not_yet_closed_is_refused_naming_the_option(
    database_url: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    code, out, err = run(
        capsys, "merchants", "settle", "--date", "2099-01-01", "--out", str(tmp_path)
    )
    assert code == 2 and out == "" and err.startswith("error: --date: settlement date"), err
