import json
import subprocess
import sys

import pytest

from tests.support.cli import run


def test_quote_json_matches_the_published_fee_plan(capsys):
    code, out, _ = run(
        capsys,
        "quote",
        "--principal",
        "10000",
        "--periods",
        "12",
        "--method",
        "fee-installment",
        "--monthly-fee-rate",
        "0.6%",
        "--start",
        "2024-01-01",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["installments"][0] == {
        "n": 1,
        "due_date": "2024-02-01",
        "principal": "833.33",
        "interest": "0.00",
        "fee": "60.00",
        "total": "893.33",
        "balance": "9166.67",
    }
    assert data["total_fees"] == "720.00"
    assert data["annualized_rate"]["nominal"].startswith("0.1303")
    assert data["annualized_rate"]["effective"].startswith("0.1384")
    assert data["statement"]["items"][0]["name_zh"] == "分期手续费"


def test_quote_prints_a_table_and_the_statement(capsys):
    code, out, _ = run(
        capsys,
        "quote",
        "--principal",
        "5000",
        "--annual-rate",
        "12%",
        "--periods",
        "6",
        "--method",
        "equal-principal",
    )
    assert code == 0
    assert "综合融资成本明示表" in out and "12.00%" in out


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--principal", "-5"], "--principal"),
        (["--principal", "1e12"], "--principal"),
        (["--principal", "１２３"], "--principal"),
        (["--principal", "Infinity"], "--principal"),
        (["--principal", "100", "--annual-rate", "1e-1"], "--annual-rate"),
        (["--principal", "100", "--upfront-fee", "NaN"], "--upfront-fee"),
        (["--principal", "100", "--periods", "0"], "--periods"),
        (["--principal", "100", "--method", "magic"], "--method"),
        (["--principal", "100", "--annual-rate", "abc"], "--annual-rate"),
        (["--principal", "100", "--first-due", "2023-12-01"], "--first-due"),
        (["--principal", "100", "--annual-rate", "36%"], "cap"),
        (["--principal", "100", "--no-such-option"], "--no-such-option"),
        (["--principal", "100", "--start", "9999-12-31"], "--start"),
        (["--principal", "100", "--start", "20240101"], "--start"),
        (["--principal", "100", "--start", "2024-W01-1"], "--start"),
        (["--principal", "100", "--start", "0001-01-01"], "--start"),
        (["--principal", "100", "--grace-principal", "3.0"], "--grace-principal"),
        (["--principal", "100", "--grace-interest", "１"], "--grace-interest"),
        (["--principal", "100", "--periods", "١٢"], "--periods"),
        (["--principal", "100", "--periods", "１２"], "--periods"),
        (["--principal", "100", "--multiple-of", "0"], "--multiple-of"),
        (["--principal", "1000", "--annual-rate", "12%", "--multiple-of", "100"], "--multiple-of"),
        (["--principal", "1000", "--multiple-of", "5000"], "--multiple-of"),
        (["--principal", "100", "--grace-principal", "12"], "--grace-principal"),
        (
            [
                "--principal",
                "100",
                "--method",
                "fee-installment",
                "--annual-rate",
                "0",
                "--monthly-fee-rate",
                "5%",
            ],
            "--monthly-fee-rate",
        ),
    ],
)
def test_bad_input_gets_one_line_naming_the_option_and_exit_code_2(capsys, argv, option):
    code, out, err = run(capsys, "quote", *argv)
    assert code == 2
    assert option in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_the_console_script_never_shows_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "thinfile.cli", "quote", "--principal", "abc"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: --principal")
