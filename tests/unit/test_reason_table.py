"""Reasons of a whole table: the same words as one applicant's, and the fast points method."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.unit.test_scoring_model import thin_file_population
from thinfile.errors import InvalidInputError
from thinfile.scoring import ScoringModel, train_model
from thinfile.scoring.encoding import encode_frame
from thinfile.scoring.reason_table import ReasonMethod

REASONS = 4


def _train(kind: str) -> ScoringModel:
    return train_model(
        thin_file_population(),
        target="bad_12m",
        id_col="applicant_id",
        seed=3,
        kind=kind,
        monotone={"income": -1},
    )


@pytest.fixture(scope="module")
def blended() -> ScoringModel:
    return _train("both")


@pytest.fixture(scope="module")
def applicants() -> pd.DataFrame:
    fresh = thin_file_population(3000, seed=11)
    fresh.loc[fresh.index[:40], "platform"] = "kuaishou"  # a category the model never saw
    fresh.loc[fresh.index[40:80], "platform"] = None
    fresh.loc[fresh.index[80:120], "income"] = np.nan
    return fresh


def cells(table: pd.DataFrame) -> list[list[tuple[str, str]]]:
    return [
        [(row[f"reason_{k}"], row[f"reason_{k}_text"]) for k in range(1, REASONS + 1)]
        for row in table.to_dict("records")
    ]


@pytest.mark.parametrize("kind", ["both", "gbm"])
def test_a_table_gets_the_reasons_one_applicant_at_a_time_would(
    kind: str, blended: ScoringModel, applicants: pd.DataFrame
) -> None:
    """Bin labels where the input has scorecard bins; the value itself for trees alone."""
    blended = blended if kind == "both" else _train(kind)
    table = blended.explain_frame(applicants, reasons=REASONS)
    x = encode_frame(applicants, blended.schema)
    parts = blended.contributions(x)
    expected = []
    for i in range(len(x)):  # the row-at-a-time ranking and wording of the online path
        found = blended._reasons(parts[i].tolist(), x[i].tolist(), None, REASONS)
        words = [(r.code, r.description) for r in found]
        expected.append(words + [("", "")] * (REASONS - len(words)))
    assert cells(table) == expected
    assert any(t.endswith(": missing") for row in expected for _, t in row)
    online = [
        blended.score_one({str(c): v for c, v in r.items()}, reasons=REASONS)
        for r in applicants.head(100).to_dict("records")
    ]
    assert [[r.code for r in one.reasons] for one in online] == [
        [c for c, _ in row if c] for row in expected[:100]
    ]


def test_points_reasons_agree_with_exact_tree_shap_on_most_rows(
    blended: ScoringModel, applicants: pd.DataFrame
) -> None:
    exact = blended.explain_frame(applicants, reasons=REASONS)
    points = blended.explain_frame(applicants, reasons=REASONS, method=ReasonMethod.POINTS)
    assert points[["pd", "score"]].equals(exact[["pd", "score"]])
    top_same = float((points["reason_1"] == exact["reason_1"]).mean())
    top_in_three = float(
        np.mean(
            [
                p in {a, b, c}
                for p, a, b, c in zip(
                    points["reason_1"],
                    exact["reason_1"],
                    exact["reason_2"],
                    exact["reason_3"],
                    strict=True,
                )
            ]
        )
    )
    assert top_same >= 0.85, top_same
    assert top_in_three >= 0.97, top_in_three


def test_for_a_scorecard_points_are_the_exact_reasons(applicants: pd.DataFrame) -> None:
    card = _train("scorecard")
    exact = card.explain_frame(applicants, reasons=REASONS)
    points = card.explain_frame(applicants, reasons=REASONS, method=ReasonMethod.POINTS)
    assert cells(points) == cells(exact)
    assert (exact["reason_1"] != "").any()


def test_trees_alone_have_no_points_and_say_so(applicants: pd.DataFrame) -> None:
    trees = _train("gbm")
    with pytest.raises(InvalidInputError) as raised:
        trees.explain_frame(applicants.head(10), method=ReasonMethod.POINTS)
    assert raised.value.field == "reasons_method"
    assert "exact" in (raised.value.remedy or "")


def test_empty_tables_more_reasons_than_inputs_and_the_index_survive(
    blended: ScoringModel, applicants: pd.DataFrame
) -> None:
    empty = blended.explain_frame(applicants.head(0), reasons=2, method=ReasonMethod.POINTS)
    assert list(empty.columns) == [
        "pd",
        "score",
        "reason_1",
        "reason_1_text",
        "reason_2",
        "reason_2_text",
    ]
    assert len(empty) == 0
    some = applicants.head(30).set_index(pd.Index(["a"] * 30))
    table = blended.explain_frame(some, reasons=9, method=ReasonMethod.POINTS)
    assert list(table.index) == ["a"] * 30
    width = len(blended.feature_names)
    assert (table[[f"reason_{k}" for k in range(width + 1, 10)]] == "").all().all()
    assert table["reason_1"].dtype == pd.StringDtype(na_value=np.nan)


def test_a_large_frame_explained_in_parts_on_threads_is_the_frame_explained_whole(
    blended: ScoringModel, applicants: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Points reasons of a large frame are worked out in one part per core; every row's
    answer, and the frame's index and order, are those of the frame in one piece."""
    from thinfile.scoring import model as model_module

    shuffled = applicants.sample(frac=1.0, random_state=5)  # an index out of order
    whole = blended.explain_frame(shuffled, method=ReasonMethod.POINTS)
    monkeypatch.setattr(model_module, "PREDICT_THREADS", 3)
    monkeypatch.setattr(model_module, "EXPLAIN_PART_ROWS", 700)
    calls: list[int] = []
    explain = type(blended)._explain

    def counted(self: ScoringModel, frame: pd.DataFrame, reasons: int, method: ReasonMethod):
        calls.append(len(frame))
        return explain(self, frame, reasons, method)

    monkeypatch.setattr(type(blended), "_explain", counted)
    parted = blended.explain_frame(shuffled, method=ReasonMethod.POINTS)
    assert calls == [1000, 1000, 1000]
    pd.testing.assert_frame_equal(parted, whole)
    assert list(parted.index) == list(shuffled.index)
