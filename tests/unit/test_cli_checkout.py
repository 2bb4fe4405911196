"""``thinfile checkout quote``: its JSON shape, its numbers, and one line for bad input."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.support.cli import run

QUOTE = ("checkout", "quote", "--price", "12000", "--periods", "12", "--start", "2026-01-01")


def test_the_json_quote_has_exactly_the_three_views(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        *QUOTE,
        "--merchant-subsidy",
        "7.5%",
        "--coupon-off",
        "300",
        "--coupon-funded-by",
        "merchant",
        "--json",
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert set(data) == {"borrower", "merchant", "lender"}
    assert set(data["borrower"]) == {"financed", "installments", "annualized_rate", "statement"}
    assert set(data["merchant"]) == {"settlement", "subsidy", "coupon"}
    assert set(data["lender"]) == {"effective_rate_periodic", "income_recognition"}
    assert data["borrower"]["financed"] == "11700.00"
    assert data["borrower"]["installments"][0] == {
        "n": 1,
        "due_date": "2026-02-01",
        "principal": "975.00",
        "interest": "0.00",
        "fee": "0.00",
        "total": "975.00",
        "balance": "10725.00",
    }
    assert Decimal(data["borrower"]["annualized_rate"]["nominal"]) == 0
    assert data["borrower"]["statement"]["total_cost"] == "0.00"
    assert data["merchant"] == {"settlement": "10822.50", "subsidy": "877.50", "coupon": "300.00"}
    assert data["lender"]["effective_rate_periodic"].startswith("0.0122")
    rows = data["lender"]["income_recognition"]
    assert [r["n"] for r in rows] == list(range(1, 13))
    assert set(rows[0]) == {"n", "due_date", "amount", "deferred_after"}
    assert rows[0]["due_date"] == "2026-02-01"
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("877.50")
    assert rows[-1]["deferred_after"] == "0.00"


def test_a_lender_funded_coupon_leaves_the_merchants_settlement_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        *QUOTE,
        "--merchant-subsidy",
        "7.5%",
        "--coupon-off",
        "300",
        "--coupon-funded-by",
        "lender",
        "--json",
    )
    assert code == 0
    assert json.loads(out)["merchant"] == {
        "settlement": "11122.50",
        "subsidy": "877.50",
        "coupon": "0.00",
    }


def test_the_domain_example_prints_the_published_recognition(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, *QUOTE, "--merchant-subsidy", "7.5%", "--json")
    assert code == 0
    rows = json.loads(out)["lender"]["income_recognition"]
    assert [r["amount"] for r in rows[:3]] == ["135.45", "124.90", "114.22"]
    assert rows[2]["deferred_after"] == "525.43"
    assert rows[-1]["amount"] == "12.06"


def test_the_human_quote_shows_all_three_views(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *QUOTE, "--merchant-subsidy", "7.5%")
    assert code == 0
    for text in (
        "商户结算款",
        "11,100.00",
        "还款计划",
        "综合融资成本明示表",
        "实际利率法",
        "135.45",
    ):
        assert text in out
    assert "0.00%" in out


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--price", "-5"], "--price"),
        (["--price", "0"], "--price"),
        (["--price", "1e4"], "--price"),
        (["--price", "１２０００"], "--price"),
        (["--price", "12000", "--periods", "7"], "--periods"),
        (["--price", "12000", "--periods", "twelve"], "--periods"),
        (["--price", "12000", "--merchant-subsidy", "100%"], "--merchant-subsidy"),
        (["--price", "0.07", "--periods", "3", "--merchant-subsidy", "99%"], "--merchant-subsidy"),
        (["--price", "12000", "--merchant-subsidy", "abc"], "--merchant-subsidy"),
        (["--price", "12000", "--merchant-subsidy", "-1%"], "--merchant-subsidy"),
        (["--price", "12000", "--monthly-fee-rate", "NaN"], "--monthly-fee-rate"),
        (["--price", "12000", "--monthly-fee-rate", "3%"], "--monthly-fee-rate"),
        (["--price", "12000", "--monthly-fee-rate", "1.1%"], "--monthly-fee-rate"),
        (["--price", "2", "--monthly-fee-rate", "0.99%"], "--monthly-fee-rate"),
        (["--price", "12000", "--coupon-off", "300"], "--coupon-funded-by"),
        (
            ["--price", "12000", "--coupon-off", "300", "--coupon-funded-by", "bank"],
            "--coupon-funded-by",
        ),
        (
            ["--price", "12000", "--coupon-off", "12000", "--coupon-funded-by", "lender"],
            "--coupon-off",
        ),
        (
            ["--price", "12000", "--coupon-off", "-1", "--coupon-funded-by", "lender"],
            "--coupon-off",
        ),
        (["--price", "12000", "--start", "2026-02-30"], "--start"),
        (["--price", "12000", "--start", "9999-12-31"], "--start"),
        (["--price", "12000", "--coupon-funded-by", "NaN"], "--coupon-funded-by"),
        (["--price", "12000", "--coupon-funded-by", "lender"], "--coupon-funded-by"),
        (["--price", "12000", "--periods", "١٢"], "--periods"),
        (["--price", "12000", "--no-such-option"], "--no-such-option"),
    ],
)
def test_bad_input_gets_one_line_naming_the_option_and_exit_code_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    code, out, err = run(capsys, "checkout", "quote", *argv)
    assert code == 2
    assert option in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_a_fee_plan_discloses_its_annualized_rate_and_recognises_fees_with_the_subsidy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(
        capsys,
        "checkout",
        "quote",
        "--price",
        "10000",
        "--periods",
        "12",
        "--merchant-subsidy",
        "2%",
        "--monthly-fee-rate",
        "0.6%",
        "--start",
        "2026-01-01",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["borrower"]["installments"][0]["total"] == "893.33"
    assert data["borrower"]["annualized_rate"]["nominal"].startswith("0.1303")
    assert data["merchant"] == {"settlement": "9800.00", "subsidy": "200.00", "coupon": "0.00"}
    rows = data["lender"]["income_recognition"]
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("920.00")  # subsidy + 720 fees


def test_the_purchase_date_defaults_to_today(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "checkout", "quote", "--price", "600", "--periods", "3", "--json")
    assert code == 0
    assert len(json.loads(out)["borrower"]["installments"]) == 3


def test_every_printed_table_groups_thousands_alike(capsys: pytest.CaptureFixture[str]) -> None:
    """The purchase table printed 12,000.00 and the schedule below it 10725.00."""
    code, out, err = run(
        capsys, *QUOTE, "--merchant-subsidy", "7.5%", "--coupon-off", "300",
        "--coupon-funded-by", "merchant",
    )  # fmt: skip
    assert code == 0, err
    assert "12,000.00" in out and "10,725.00" in out and "11,700.00" in out
    assert "10725.00" not in out and "9750.00" not in out
