from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import run
from thinfile.sim import APPLICANT_COLUMNS, PERFORMANCE_COLUMNS


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_synth_writes_applicants_then_their_performance(capsys, tmp_path, suffix):
    people = tmp_path / f"applicants{suffix}"
    code, out, _ = run(
        capsys, "synth", "applicants", "--n", "2000", "--seed", "7", "--out", str(people)
    )
    assert code == 0 and "wrote 2000 applicants" in out
    frame = pd.read_parquet(people) if suffix == ".parquet" else pd.read_csv(people)
    assert tuple(frame.columns) == APPLICANT_COLUMNS and len(frame) == 2000
    rows_file = tmp_path / f"performance{suffix}"
    code, out, _ = run(
        capsys,
        "synth",
        "performance",
        "--applicants",
        str(people),
        "--months",
        "6",
        "--out",
        str(rows_file),
    )
    assert code == 0 and "for 2000 loans" in out
    rows = pd.read_parquet(rows_file) if suffix == ".parquet" else pd.read_csv(rows_file)
    assert tuple(rows.columns) == PERFORMANCE_COLUMNS and rows["month"].max() == 6


def test_the_same_command_twice_writes_the_same_table(capsys, tmp_path):
    for name in ("a.parquet", "b.parquet"):
        run(
            capsys,
            "synth",
            "applicants",
            "--n",
            "300",
            "--seed",
            "3",
            "--out",
            str(tmp_path / name),
        )
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet")
    )


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["applicants", "--n", "0"], "--n"),
        (["applicants", "--n", "many"], "--n"),
        (["applicants", "--n", "10", "--seed", "-1"], "--seed"),
        (["applicants", "--n", "10", "--out", "people.xlsx"], "--out"),
        (["applicants", "--n", "10", "--out", "/no/such/folder/a.csv"], "--out"),
        (["applicants", "--bogus"], "--bogus"),
        (["performance", "--applicants", "missing.parquet"], "--applicants"),
        (["performance", "--applicants", "a.parquet", "--months", "0"], "--months"),
        (["performance", "--applicants", "a.parquet", "--months", "x"], "--months"),
        (
            [
                "performance",
                "--applicants",
                "a.parquet",
                "--months",
                "6",
                "--originations-over",
                "7",
            ],
            "--originations-over",
        ),
    ],
)
def test_bad_options_get_one_line_naming_the_option_and_exit_code_2(capsys, argv, option):
    code, out, err = run(capsys, "synth", *argv)
    assert code == 2
    assert option in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_an_applicants_file_without_the_contract_columns_is_refused(capsys, tmp_path):
    path = tmp_path / "other.csv"
    pd.DataFrame({"x": [1]}).to_csv(path, index=False)
    code, _, err = run(capsys, "synth", "performance", "--applicants", str(path))
    assert code == 2 and "lacks" in err


def test_synth_performance_originates_over_many_months(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    people = tmp_path / "applicants.parquet"
    run(capsys, "synth", "applicants", "--n", "500", "--seed", "7", "--out", str(people))
    book = tmp_path / "book.parquet"
    code, out, _ = run(
        capsys,
        "synth",
        "performance",
        "--applicants",
        str(people),
        "--months",
        "12",
        "--originations-over",
        "4",
        "--out",
        str(book),
    )
    assert code == 0 and "in 4 vintages" in out
    rows = pd.read_parquet(book)
    assert sorted(set(rows["vintage"])) == ["2026-01", "2026-02", "2026-03", "2026-04"]
