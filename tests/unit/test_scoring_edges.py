"""Edges of scoring: tied contributions, and a table with no rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import run
from tests.support.scoring import applicants, records
from thinfile.scoring import ScoringModel, train_model

REASONS = 4


@pytest.fixture(scope="module")
def twins() -> tuple[ScoringModel, pd.DataFrame]:
    """A scorecard with one input twice: the two copies always contribute the same."""
    frame = applicants(3000, seed=11).drop(columns=["rent_share"])
    frame.insert(1, "income_copy", frame["income"])
    model = train_model(frame, target="bad", id_col="applicant_id", kind="scorecard", seed=1)
    return model, frame


def _batch_reasons(table: pd.DataFrame, k: int) -> list[tuple[str, str]]:
    return [
        (table[f"reason_{j}"].iloc[0], table[f"reason_{j}_text"].iloc[0])
        for j in range(1, k + 1)
        if isinstance(table[f"reason_{j}"].iloc[0], str) and table[f"reason_{j}"].iloc[0]
    ]


def test_tied_contributions_give_the_same_worded_reasons_online_and_in_a_batch(
    twins: tuple[ScoringModel, pd.DataFrame],
) -> None:
    model, frame = twins
    card = model.scorecard
    assert card is not None
    assert {"income", "income_copy"} <= {b.name for b in card.bins_}
    tied = 0
    for record in records(frame.head(150)):
        for k in (1, 2, 3):
            one = [(r.code, r.description) for r in model.score_one(record, reasons=k).reasons]
            batch = _batch_reasons(model.explain_frame(pd.DataFrame([record]), reasons=k), k)
            assert one == batch, (record, k)
            assert not any(text.endswith(": ") for _, text in one)
            tied += sum(code in {"R01", "R02"} for code, _ in one) == 2
    assert tied > 0  # both copies were among the reasons, so their tie was broken


@pytest.mark.parametrize("kind", ["both", "gbm"])
def test_a_table_with_no_rows_scores_to_an_empty_table_with_trees_too(kind: str) -> None:
    frame = applicants(1500, seed=12)
    model = train_model(frame, target="bad", id_col="applicant_id", kind=kind, seed=1)
    empty = frame.iloc[:0]
    scored = model.explain_frame(empty, reasons=REASONS)
    reason_columns = [f"reason_{k}{s}" for k in range(1, REASONS + 1) for s in ("", "_text")]
    assert list(scored.columns) == ["pd", "score", *reason_columns]
    assert len(scored) == 0
    assert model.score_frame(empty).shape == (0, 2)


def test_scoring_a_file_with_only_a_header_writes_only_a_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = applicants(1500, seed=12)
    train_model(frame, target="bad", id_col="applicant_id", kind="both", seed=1).save(
        tmp_path / "model"
    )
    data = tmp_path / "empty.csv"
    frame.iloc[:0].to_csv(data, index=False)
    for out in (tmp_path / "scores.csv", tmp_path / "scores.parquet"):
        code, said, _ = run(
            capsys, "model", "score", str(tmp_path / "model"), str(data), "--out", str(out)
        )
        assert code == 0 and said.startswith("0 rows scored")
        written = pd.read_parquet(out) if out.suffix == ".parquet" else pd.read_csv(out)
        assert len(written) == 0
        assert list(written.columns)[:3] == ["id", "pd", "score"]
        assert list(written.columns)[3:] == [
            f"reason_{k}{s}" for k in range(1, REASONS + 1) for s in ("", "_text")
        ]


def test_a_parquet_file_written_with_its_id_as_the_index_is_scored_under_those_ids(
    twins: tuple[ScoringModel, pd.DataFrame], tmp_path: Path
) -> None:
    """pandas writes an index it was given (``set_index("applicant_id")``) into the file;
    read back as the index, the id column was gone and the scores were written under row
    positions 0, 1, 2 … (Spark, reading every column as a column, gave the ids)."""
    from thinfile.scoring.batch import score_file
    from thinfile.scoring.tables import read_table

    model, frame = twins
    frame = frame.head(40).assign(applicant_id=[f"A{n:04d}" for n in range(7, 47)])
    data, out = tmp_path / "indexed.parquet", tmp_path / "scores.csv"
    frame.set_index("applicant_id").to_parquet(data)
    score_file(model, data, out, reasons=1)
    written = pd.read_csv(out)
    assert written["id"].tolist() == frame["applicant_id"].tolist()
    plain = tmp_path / "plain.parquet"
    frame.to_parquet(plain, index=False)
    score_file(model, plain, tmp_path / "plain.csv", reasons=1)
    pd.testing.assert_frame_equal(written, pd.read_csv(tmp_path / "plain.csv"))
    assert read_table(data)["applicant_id"].tolist() == frame["applicant_id"].tolist()


def test_row_labels_pandas_wrote_are_not_read_as_a_column(tmp_path: Path) -> None:
    """An unnamed index (a sample's row labels) is not data: it never becomes a column a
    model could be trained on; a named one (an id) is a column."""
    from thinfile.scoring.tables import iter_table, read_table

    frame = pd.DataFrame({"income": [3, 1, 2], "bad": [0, 1, 0]}, index=[10, 4, 7])
    data = tmp_path / "sample.parquet"
    frame.to_parquet(data)
    assert list(read_table(data).columns) == ["income", "bad"]
    assert [list(f.columns) for f in iter_table(data)] == [["income", "bad"]]
