"""Working-capital lines over HTTP (``/v1/me/working-capital-lines``), on SQLite and
PostgreSQL: the borrower previews a draw's cost statement, draws, repays early with no fee,
replays by key; another borrower's line is not found; bad input names its field; staff read;
a charged-off line's repayment is a recovery, shown on the month's statement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import thinfile.services.cob_steps as cob_step
import thinfile.servicing.working_capital as wc_domain
from tests.e2e.api_harness import Party, TestClient, World, context_of, is_replay_of
from thinfile.money import Money
from thinfile.services import business_date
from thinfile.services import working_capital as wc
from thinfile.services.cob import run_cob
from thinfile.servicing.working_capital import RepaymentMode

_keys = iter(range(1, 10_000))
RATE = Decimal("0.0004")


def _post(
    api: TestClient, party: Party, path: str, body: dict[str, Any], key: str | None = None
) -> Any:
    headers = {**party.headers, "Idempotency-Key": key or f"wc-key-{next(_keys):05d}"}
    return api.post(f"/v1/me/working-capital-lines{path}", headers=headers, json=body)


def _open(api: TestClient, party: Party, **extra: Any) -> int:
    line = wc.open_working_capital_line(
        context_of(api).engine,
        party.user_id,
        limit=Money.of("20000"),
        daily_rate=Decimal("0.0004"),
        **extra,
    )
    return line.line_id


def test_a_shop_owner_previews_draws_and_repays_with_no_fee(api: TestClient, world: World) -> None:
    line_id = _open(api, world.alice)
    preview = api.get(
        f"/v1/me/working-capital-lines/{line_id}/draw-statement",
        params={"amount": "5000.00", "term_days": 90},
        headers=world.alice.headers,
    )
    assert preview.status_code == 200, preview.text
    statement = preview.json()
    assert statement["annual_rate_nominal"] == "0.146000"
    assert statement["prepayment_fee"] == "0.00"
    # 59 nights × 2.00; on the first period's last day its minimum, 500.00, pays them and
    # 382.00 of principal; then 31 nights × 1.84 (4,618.00 × 0.04 %, truncated)
    assert statement["expected"]["interest"] == "175.04"
    drawn = _post(
        api,
        world.alice,
        f"/{line_id}/draws",
        {"amount": "5000.00", "term_days": 90},
        "wc-draw-0001",
    )
    assert drawn.status_code == 201, drawn.text
    assert drawn.json()["statement"]["expected"] == statement["expected"]
    again = _post(
        api,
        world.alice,
        f"/{line_id}/draws",
        {"amount": "5000.00", "term_days": 90},
        "wc-draw-0001",
    )
    assert is_replay_of(again, drawn)
    line = api.get(f"/v1/me/working-capital-lines/{line_id}", headers=world.alice.headers).json()
    assert (line["drawn"], line["available"], line["todays_interest"]) == (
        "5000.00",
        "15000.00",
        "2.00",
    )
    paid = _post(api, world.alice, f"/{line_id}/repayments", {"amount": "5000.00"})
    assert paid.status_code == 201, paid.text
    assert (paid.json()["paid_principal"], paid.json()["paid_interest"]) == ("5000.00", "0.00")
    mine = api.get("/v1/me/working-capital-lines", headers=world.alice.headers).json()
    assert [m["line_id"] for m in mine] == [line_id] and mine[0]["payoff"] == "0.00"
    staff = api.get(f"/v1/staff/working-capital-lines/{line_id}", headers=world.admin.headers)
    assert staff.status_code == 200 and staff.json()["line_id"] == line_id


def test_another_borrowers_line_is_not_found_and_bad_input_names_its_field(
    api: TestClient, world: World
) -> None:
    line_id = _open(api, world.alice, mode=RepaymentMode.SALES, sales_share=Decimal("0.1"))
    for reply in (
        api.get(f"/v1/me/working-capital-lines/{line_id}", headers=world.bob.headers),
        _post(api, world.bob, f"/{line_id}/draws", {"amount": "1.00", "term_days": 90}),
        _post(api, world.bob, f"/{line_id}/repayments", {"amount": "1.00"}),
    ):
        assert reply.status_code == 404, reply.text
        assert reply.json()["details"]["field"] == "line_id"
    above = _post(api, world.alice, f"/{line_id}/draws", {"amount": "20000.01", "term_days": 90})
    assert above.status_code == 409 and above.json()["details"]["field"] == "amount"
    nothing = _post(api, world.alice, f"/{line_id}/repayments", {"amount": "1.00"})
    assert nothing.status_code == 422 and nothing.json()["details"]["field"] == "amount"
    for body in ({"amount": "1.00", "term_days": 30}, {"amount": "-1", "term_days": 90}):
        assert _post(api, world.alice, f"/{line_id}/draws", body).status_code == 422
    assert (
        api.get(f"/v1/staff/working-capital-lines/{line_id}", headers=world.bob.headers).status_code
        == 403
    )
    assert (
        api.get("/v1/me/working-capital-lines/999999", headers=world.alice.headers).status_code
        == 404
    )


def test_a_statement_without_an_amount_names_the_field(api: TestClient, world: World) -> None:
    line_id = _open(api, world.alice)
    reply = api.get(
        f"/v1/me/working-capital-lines/{line_id}/draw-statement", headers=world.alice.headers
    )
    assert reply.status_code == 422 and reply.json()["details"]["field"] == "amount"


def test_no_statement_is_shown_for_a_draw_above_the_line(api: TestClient, world: World) -> None:
    line_id = _open(api, world.alice)  # a 20,000.00 line
    reply = api.get(
        f"/v1/me/working-capital-lines/{line_id}/draw-statement",
        params={"amount": "20000.01", "term_days": 90},
        headers=world.alice.headers,
    )
    assert reply.status_code == 409, reply.text
    assert reply.json()["details"]["field"] == "amount"
    assert "20000.00 is available" in reply.json()["message"]


def test_a_charged_off_lines_repayment_is_a_recovery_on_its_statement(
    api: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2028, 1, 25, tzinfo=UTC))
    monkeypatch.setattr(cob_step, "CHARGE_OFF_DAYS", 5)
    monkeypatch.setattr(wc_domain, "CHARGE_OFF_DAYS", 5)
    engine = context_of(api).engine
    line_id = _open(api, world.alice)
    wc.open_working_capital_line(engine, "keeps-book-open", limit=Money.of("1"), daily_rate=RATE)
    wc.draw_on_line(engine, world.alice.user_id, line_id, Money.of("1000"), term_days=90)
    charged_off_on = date(2028, 1, 25) + timedelta(days=74)  # the day-69 shortfall + 5
    run_cob(engine, charged_off_on)
    path = f"/v1/me/working-capital-lines/{line_id}"
    line = api.get(path, headers=world.alice.headers).json()
    owed = 100_000 + 40 * 75  # 1,000.00 × 0.0004 = 0.40 a night, 75 nights
    assert line["status"] == "charged-off" and line["payoff"] == f"{owed / 100:.2f}"
    paid = _post(api, world.alice, f"/{line_id}/repayments", {"amount": "100.00"})
    assert paid.status_code == 201, paid.text
    assert (paid.json()["kind"], paid.json()["paid_interest"]) == ("recovery", "30.00")
    over = _post(api, world.alice, f"/{line_id}/repayments", {"amount": f"{owed / 100:.2f}"})
    assert over.status_code == 422 and over.json()["details"]["field"] == "amount"
    run_cob(engine, charged_off_on + timedelta(days=1))
    month = f"{path}/statements/2028-04"
    statement = api.get(month, headers=world.alice.headers).json()
    assert statement["recovered_total"] == statement["repaid_total"] == "100.00"
    assert statement["closing_owed"] == f"{(owed - 10_000) / 100:.2f}"  # nothing accrued since
    assert statement["daily_rate"] == "0.0004"
    assert [r["kind"] for r in statement["repayments"]] == ["recovery"]
    assert api.get(month, headers=world.bob.headers).status_code == 404
