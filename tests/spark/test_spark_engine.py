"""The Spark engine gives the single-machine answers: scores, decisions, portfolio report and
synthetic rows, on the same inputs, through the ``thinfile`` command of each engine.

Sizes, for a shared 2-core machine: the portfolio report on over 100,000 loan-months (13,000
loans), batch scoring with reasons on 20,000 applicants (100,000 pass too, in about six
minutes for both engines on that machine), the synthetic population on 25,000 rows in 7
blocks, the policy simulation on 600 applications decided by two policies (a decision costs
about 10 ms on one core, so 100,000 would take a quarter of an hour).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import run
from thinfile.decisioning import load_policy, simulate
from thinfile.errors import DataContractError, InvalidInputError
from thinfile.scoring import load_model, train_model
from thinfile.sim import NOT_MODEL_INPUTS, generate_applicants, simulate_performance
from thinfile.sim.population import generate_block, generate_blocked

pytestmark = pytest.mark.spark

ROWS = 100_000
SCORED = 20_000
ON = date(2026, 1, 1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark")


@pytest.fixture(scope="module")
def applicants(folder: Path) -> pd.DataFrame:
    frame = generate_applicants(ROWS, seed=23)
    frame.head(SCORED).to_parquet(folder / "applicants.parquet", row_group_size=5_000)
    return frame


@pytest.fixture(scope="module")
def model_dir(folder: Path, applicants: pd.DataFrame) -> Path:
    model = train_model(
        applicants.iloc[:8_000],
        target="bad_12m",
        kind="both",  # scorecard and trees: every part of the scoring path
        id_col="applicant_id",
        exclude=list(NOT_MODEL_INPUTS),
        seed=5,
        segment="segment",
    )
    model.save(folder / "model")
    return folder / "model"


def read_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("id", ignore_index=True)


def test_batch_scores_and_reasons_on_spark_equal_the_local_engine(
    spark, capsys, folder, applicants, model_dir
):
    data = str(folder / "applicants.parquet")
    local, remote = folder / "scores.parquet", folder / "scores-spark"
    code, out, err = run(
        capsys, "model", "score", str(model_dir), data, "--out", str(local), "--reasons", "3"
    )
    assert code == 0, err
    code, out, err = run(
        capsys,
        "model",
        "score",
        str(model_dir),
        data,
        "--out",
        str(remote),
        "--reasons",
        "3",
        "--engine",
        "spark",
        "--spark-master",
        "local[2]",
    )
    assert code == 0, err
    assert f"{SCORED} rows scored on Spark" in out
    expected, got = read_parquet(local), read_parquet(remote)
    assert len(got) == SCORED and list(got.columns) == list(expected.columns)
    assert got["reason_3_text"].ne("").any()
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_spark_scoring_needs_the_model_id_column(spark, folder, applicants, model_dir):
    from thinfile.spark.scoring import score_parquet

    path = folder / "no-ids.parquet"
    applicants.head(50).drop(columns="applicant_id").to_parquet(path)
    with pytest.raises(DataContractError) as err:
        score_parquet(spark, model_dir, str(path), str(folder / "never"), reasons=1)
    assert err.value.field == "DATA" and "applicant_id" in err.value.message
    assert not (folder / "never").exists()


def cap_20(folder: Path) -> Path:
    shipped = load_policy()
    stricter = replace(
        shipped, settings=replace(shipped.settings, cap=Decimal("0.20"), name="20% cap")
    )
    stricter.save(folder / "cap-20")
    return folder / "cap-20"


def test_policy_simulation_on_spark_equals_the_local_engine(
    spark, capsys, folder, applicants, model_dir
):
    data = folder / "past.parquet"
    applicants.iloc[20_000:20_600].to_parquet(data, row_group_size=50)
    candidate = cap_20(folder)
    shipped = folder / "shipped"
    load_policy().save(shipped)
    common = [
        "policy",
        "simulate",
        "--policy",
        str(candidate),
        "--baseline-policy",
        str(shipped),
        "--model",
        str(model_dir),
        "--data",
        str(data),
        "--on",
        ON.isoformat(),
        "--json",
    ]
    code, out, err = run(capsys, *common, "--out", str(folder / "local.html"))
    assert code == 0, err
    local = json.loads(out)
    # Small file splits, so the file is read by several tasks and rows arrive out of order.
    spark.conf.set("spark.sql.files.maxPartitionBytes", "16k")
    try:
        code, out, err = run(
            capsys, *common, "--out", str(folder / "spark.html"), "--engine", "spark"
        )
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
    assert code == 0, err
    assert json.loads(out) == local
    assert local["candidate"]["overall"]["applications"] == 600
    assert local["change"]["swap_out"] > 0  # the two policies differ, and so do their rows
    assert (folder / "spark.html").read_text() == (folder / "local.html").read_text()


def test_simulation_without_a_baseline_and_with_outcomes_missing(
    spark, folder, applicants, model_dir
):
    from thinfile.spark.simulate import simulate_parquet

    rows = applicants.iloc[30_000:30_150].copy()
    rows.loc[rows.index[::3], "bad_12m"] = None
    path = folder / "gaps.parquet"
    rows.to_parquet(path)
    policy = load_policy()
    got = simulate_parquet(spark, str(path), policy=policy, model_dir=model_dir, on=ON)
    expected = simulate(
        pd.read_parquet(path).to_dict("records"),  # type: ignore[arg-type]
        policy=policy,
        model=load_model(model_dir),
        on=ON,
    )
    assert got.as_dict() == expected.as_dict()
    assert got.baseline is None


@pytest.fixture(scope="module")
def book(folder: Path, applicants: pd.DataFrame, model_dir: Path) -> dict[str, Path]:
    people = applicants.iloc[:13_000]
    months = simulate_performance(people, months=12, seed=4, originations_over=5)
    assert len(months) >= ROWS
    paths = {name: folder / f"{name}.parquet" for name in ("book", "baseline", "current")}
    months.to_parquet(paths["book"])
    model = load_model(model_dir)
    for name, part in (("baseline", applicants.iloc[:8_000]), ("current", people.iloc[9_000:])):
        scored = model.score_frame(part)
        table = part[["applicant_id", "bad_12m", "income_monthly_mean"]].assign(
            score=scored["score"], pd=scored["pd"]
        )
        table.to_parquet(paths[name])
    return paths


def test_portfolio_report_on_spark_equals_the_local_engine(spark, capsys, folder, book):
    options = [
        "portfolio",
        "report",
        "--loan-months",
        str(book["book"]),
        "--scores-baseline",
        str(book["baseline"]),
        "--scores-current",
        str(book["current"]),
        "--json",
    ]
    code, out, err = run(capsys, *options, "--out", str(folder / "book-local.html"))
    assert code == 0, err
    local = json.loads(out)
    code, out, err = run(
        capsys, *options, "--out", str(folder / "book-spark.html"), "--engine", "spark"
    )
    assert code == 0, err
    assert json.loads(out) == local
    assert local["vintages"] and local["roll_rates"] and local["psi"]["score"] is not None
    # and the pandas path (a CSV book) agrees too
    csv = folder / "book.csv"
    pd.read_parquet(book["book"]).to_csv(csv, index=False)
    code, out, err = run(
        capsys, *options[:3], str(csv), *options[4:], "--out", str(folder / "csv.html")
    )
    assert code == 0, err
    assert json.loads(out) == local


def test_a_loan_month_table_without_its_columns_is_refused_on_spark(spark, folder, book):
    from thinfile.spark.portfolio import spark_vintage_curves

    path = folder / "thin-book.parquet"
    pd.read_parquet(book["book"]).drop(columns="principal").to_parquet(path)
    with pytest.raises(DataContractError) as err:
        spark_vintage_curves(spark, str(path))
    assert "principal" in err.value.message


def test_synthetic_rows_are_the_same_for_any_partition_count(spark, capsys, folder):
    from thinfile.spark.synth import applicants_frame

    n, seed, block = 25_000, 41, 4_000
    expected = generate_blocked(n, seed=seed, block_rows=block)
    assert len(expected) == n and expected["applicant_id"].is_unique
    for partitions in (1, 3, 7):
        made = applicants_frame(spark, n, seed=seed, block_rows=block, partitions=partitions)
        pd.testing.assert_frame_equal(
            made.toArrow().to_pandas(), expected, check_dtype=False, check_exact=True
        )
    # the block rule: block 2 alone is rows 8,001–12,000 of the population
    pd.testing.assert_frame_equal(
        generate_block(n, 2, seed=seed, block_rows=block),
        expected.iloc[8_000:12_000].reset_index(drop=True),
    )
    local, remote = folder / "synth.parquet", folder / "synth-spark"
    base = ["synth", "applicants", "--n", str(n), "--seed", str(seed), "--block-rows", str(block)]
    assert run(capsys, *base, "--out", str(local))[0] == 0
    code, _out, err = run(
        capsys, *base, "--out", str(remote), "--engine", "spark", "--partitions", "2"
    )
    assert code == 0, err
    got = pd.read_parquet(remote).sort_values("applicant_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, pd.read_parquet(local), check_dtype=False, check_exact=True)


def test_the_local_engine_refuses_a_uri_and_an_unknown_engine_is_named(capsys, folder):
    code, _out, err = run(
        capsys, "synth", "applicants", "--n", "10", "--engine", "flink", "--out", "x.parquet"
    )
    assert code == 2 and "--engine" in err and "flink" in err
    code, _out, err = run(
        capsys, "model", "score", str(folder), "s3a://book/applicants.parquet", "--out", "x.csv"
    )
    assert code == 2 and "DATA" in err and "--engine spark" in err


def test_the_engine_option_parses_to_a_typed_error():
    from thinfile.cli.engines import Engine, choose_engine

    assert choose_engine(" Spark ") is Engine.SPARK
    with pytest.raises(InvalidInputError):
        choose_engine("dask")


def test_a_missing_folder_is_named_on_spark(spark, folder):
    from thinfile.spark.frames import read_parquet

    with pytest.raises(DataContractError) as err:
        read_parquet(spark, str(folder / "nowhere"), field="--data")
    assert err.value.field == "--data"


def test_an_output_folder_holding_other_files_is_refused_and_left_whole(
    spark, folder, applicants, model_dir
):
    from thinfile.spark.scoring import score_parquet

    data, out = folder / "few.parquet", folder / "workdir"
    applicants.head(30).to_parquet(data)
    (out / "notes").mkdir(parents=True)
    (out / "notes" / "keep.txt").write_text("precious")
    with pytest.raises(InvalidInputError) as err:
        score_parquet(spark, model_dir, str(data), str(out), reasons=1)
    assert err.value.field == "--out" and "notes" in err.value.message
    assert (out / "notes" / "keep.txt").read_text() == "precious"
    as_spark = folder / "as-spark"  # a Spark output folder, as the input
    spark.read.parquet(str(data)).write.parquet(str(as_spark))
    for target in (as_spark, folder):
        with pytest.raises(InvalidInputError) as err:
            score_parquet(spark, model_dir, str(as_spark), str(target), reasons=1)
        assert err.value.field == "--out" and "data it is made from" in err.value.message
    assert len(pd.read_parquet(as_spark)) == 30 and (out / "notes" / "keep.txt").exists()


def test_a_failed_run_keeps_the_earlier_output_and_names_the_field(
    spark, folder, applicants, model_dir
):
    from thinfile.spark.scoring import score_parquet

    good, bad, out = folder / "good.parquet", folder / "bad.parquet", folder / "scores"
    applicants.head(40).to_parquet(good)
    applicants.head(40).assign(income_monthly_cv=float("inf")).to_parquet(bad)
    assert score_parquet(spark, model_dir, str(good), str(out), reasons=1) == 40
    before = read_parquet(out)
    with pytest.raises(DataContractError) as err:  # raised in a Python worker
        score_parquet(spark, model_dir, str(bad), str(out), reasons=1)
    assert err.value.field == "income_monthly_cv" and "infinite" in err.value.message
    pd.testing.assert_frame_equal(read_parquet(out), before)
    assert not [p for p in folder.iterdir() if ".writing-" in p.name]  # no staging left
    applicants.iloc[40:65].to_parquet(good)
    assert score_parquet(spark, model_dir, str(good), str(out), reasons=1) == 25  # replaced
    assert set(read_parquet(out)["id"]) == set(applicants.iloc[40:65]["applicant_id"])


def test_a_csv_file_and_a_mistyped_master_get_typed_errors(
    capsys, spark, folder, applicants, model_dir
):
    from thinfile.spark import SparkSettings, spark_session
    from thinfile.spark.scoring import score_parquet

    csv = folder / "applicants.csv"
    applicants.head(5).to_csv(csv, index=False)
    with pytest.raises(DataContractError) as err:
        score_parquet(spark, model_dir, str(csv), str(folder / "from-csv"), reasons=1)
    assert err.value.field == "DATA" and "footer" in err.value.message
    for master in ("bogus", "local[0]", "spark:/host"):
        with pytest.raises(InvalidInputError) as bad:
            spark_session(SparkSettings(master=master))
        assert bad.value.field == "--spark-master"
    code, _out, said = run(
        capsys, "model", "score", str(model_dir), str(csv), "--out", "x", "--engine", "spark",
        "--spark-master", "local[0]",
    )  # fmt: skip
    assert code == 2 and said.startswith("error: --spark-master:")


def test_a_simulation_whose_applicants_all_left_a_field_out_runs_on_spark(
    spark, folder, applicants, model_dir
):
    from thinfile.spark.simulate import simulate_parquet

    rows = applicants.iloc[30_000:30_060].assign(rent_on_time_ratio=None)
    data = folder / "no-rent.parquet"
    rows.to_parquet(data)
    policy, model = load_policy(), load_model(model_dir)
    on_spark = simulate_parquet(spark, str(data), policy=policy, model_dir=model_dir, on=ON)
    local = simulate(rows.to_dict("records"), policy=policy, model=model, on=ON)
    assert on_spark.as_dict() == local.as_dict()
    assert local.candidate.overall.applications == 60
