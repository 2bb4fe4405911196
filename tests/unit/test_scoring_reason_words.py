"""How reasons and bin labels word a value: money (fen) in yuan, other numbers rounded, and
never two bins of an input alike — words only, the bins, codes and scores unchanged."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import thinfile.sim
from thinfile.decisioning.application import MONEY_FIELDS
from thinfile.scoring import train_model
from thinfile.scoring.behaviour import BehaviourFeatures
from thinfile.scoring.binning import FeatureBins
from thinfile.scoring.contract import MONEY_INPUTS, is_money
from thinfile.scoring.reasons import describe_value


def _bins(name: str, splits: tuple[float, ...], specials: tuple[float, ...] = ()) -> FeatureBins:
    n = len(splits) + 1
    return FeatureBins(
        name=name,
        index=0,
        categorical=False,
        splits=splits,
        groups=(),
        special_codes=specials,
        woe=(0.0,) * n,
        woe_special=(0.0,) * len(specials),
        woe_missing=0.0,
        counts=((1, 0),) * (n + len(specials) + 1),
        iv=0.0,
    )


def test_money_bins_read_in_yuan_not_fen() -> None:
    """``requested_amount`` is fen: 1,575,000 fen reads ¥15,750 (the README's trial)."""
    bins = _bins("requested_amount", (1_575_000.0, 2_565_000.0, 5_925_000.0), (-9.0,))
    assert bins.labels() == (
        "< ¥15,750",
        "[¥15,750, ¥25,650)",
        "[¥25,650, ¥59,250)",
        ">= ¥59,250",
        "special -9",
        "missing",
    )


def test_a_cut_point_between_two_whole_yuan_reads_as_the_upper_one() -> None:
    """optbinning cuts half-way between observed values: 490,950 fen lies between ¥4,909 and
    ¥4,910, so the bin from it starts at ¥4,910."""
    income = _bins("declared_monthly_income", (406_600.0, 490_950.0))
    assert income.labels() == ("< ¥4,066", "[¥4,066, ¥4,910)", ">= ¥4,910", "missing")
    assert _bins("limit_fen", (5_850.0,)).labels() == ("< ¥59", ">= ¥59", "missing")


def test_other_cut_points_are_rounded_to_two_significant_digits() -> None:
    cv = _bins("income_monthly_cv", (0.120549999177, 0.256650000811, 0.535450011492))
    assert cv.labels() == ("< 0.12", "[0.12, 0.26)", "[0.26, 0.54)", ">= 0.54", "missing")
    months = _bins("months_in_city", (6.5, 12.5, 106.5))
    assert months.labels() == ("< 6.5", "[6.5, 12.5)", "[12.5, 106.5)", ">= 106.5", "missing")
    large = _bins("score_points", (2_095_000.0, 12_000_000.0))
    assert large.labels() == ("< 2,095,000", "[2,095,000, 12,000,000)", ">= 12,000,000", "missing")


def test_rounding_never_makes_two_bins_read_the_same() -> None:
    close = _bins("rent_on_time_ratio", (0.1201, 0.1204, 0.5))
    assert close.labels() == ("< 0.1201", "[0.1201, 0.1204)", "[0.1204, 0.5)", ">= 0.5", "missing")
    fen = _bins("requested_amount", (2_095_010.0, 2_095_040.0))
    assert fen.labels() == (
        "< ¥20,950.10",
        "[¥20,950.10, ¥20,950.40)",
        ">= ¥20,950.40",
        "missing",
    )
    half_fen = _bins("income_monthly_mean", (100.5, 101.0))
    assert half_fen.labels() == ("< ¥1.005", "[¥1.005, ¥1.01)", ">= ¥1.01", "missing")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    st.sampled_from(["requested_amount", "utility_on_time_ratio"]),
)
def test_no_two_bins_of_an_input_share_a_label(splits: list[float], name: str) -> None:
    labels = _bins(name, tuple(sorted(set(splits)))).labels()
    assert len(set(labels)) == len(labels)
    assert not any("e+" in label or "e-" in label for label in labels)


def test_a_value_read_without_bins_is_worded_in_yuan_or_rounded() -> None:
    assert describe_value(1_216_500.0, (), money=True) == "¥12,165"
    assert describe_value(123_456.0, (), money=True) == "¥1,234.56"
    assert describe_value(0.123456, ()) == "0.12"
    assert describe_value(17.0, ()) == "17"
    assert describe_value(2_500_000.0, ()) == "2,500,000"  # never 2.5e+06
    assert describe_value(float("nan"), (), money=True) == "missing"
    assert describe_value(1e30, (), money=True).startswith("¥10,000,000,000,000,000,")


def test_the_money_inputs_are_those_the_data_holds_in_fen() -> None:
    """Every money field of an application, money column of the synthetic applicants table
    and fen sum of a line's behaviour is a money input; counts, months and ratios are not."""
    assert all(is_money(name) for name in MONEY_FIELDS)
    assert set(MONEY_FIELDS) <= set(MONEY_INPUTS)
    docs = (Path(thinfile.sim.__file__).parent / "docs.md").read_text("utf-8")
    applicants = docs.split("## The applicants table")[1].split("\n## ")[0]
    in_fen = re.findall(r"^\| `(\w+)` \| int64 \| fen(?:/month)? \|", applicants, re.MULTILINE)
    assert len(in_fen) == 5 and all(is_money(name) for name in in_fen)
    behaviour = {f.name for f in fields(BehaviourFeatures)}
    assert {n for n in behaviour if is_money(n)} == {
        "drawn_12m",
        "repaid_12m",
        "prepaid_12m",
        "limit_fen",
        "balance_fen",
    }
    for other in (
        "income_monthly_cv",
        "requested_term_months",
        "utilization_bps",
        "bureau_records",
    ):
        assert not is_money(other)
    assert is_money("Requested_Amount")


def _applicants(n: int = 3000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    amount = rng.integers(10, 2000, n) * 100 * 100  # whole hundreds of yuan, in fen
    income = rng.integers(2000, 20000, n) * 100
    cv = rng.random(n) * 0.8
    logit = -2.0 + amount / 1e7 - (income - 800_000) / 600_000 + 2.0 * cv
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "requested_amount": amount,
            "income_monthly_mean": income,
            "income_monthly_cv": cv,
            "bad_12m": bad,
        }
    )


YUAN = re.compile(r"¥[0-9]{1,3}(?:,[0-9]{3})*(?:\.[0-9]{2})?")


def _check_words(texts: list[str]) -> None:
    assert texts
    for text in texts:
        name, _, value = text.partition(": ")
        numbers = re.findall(r"-?[0-9][0-9,]*(?:\.[0-9]+)?", YUAN.sub("", value))
        if name in {"Requested amount", "Income monthly mean"}:
            amounts = YUAN.findall(value)
            assert amounts and not numbers, text  # every figure in yuan, none in bare fen
            yuan = [float(a[1:].replace(",", "")) for a in amounts]
            assert all(0 <= y <= 200_000 for y in yuan), text
        else:
            assert name == "Income monthly cv", text
            assert all(len(n.partition(".")[2]) <= 3 for n in numbers), text


@pytest.mark.parametrize("kind", ["scorecard", "gbm", "both"])
def test_reasons_of_a_trained_model_show_yuan_and_rounded_numbers(kind: str) -> None:
    """The batch and the one-applicant path word reasons alike: money in yuan (bin labels of
    a scorecard, raw values of trees), other numbers rounded."""
    frame = _applicants()
    model = train_model(frame, target="bad_12m", kind=kind, seed=1)
    table = model.explain_frame(frame, reasons=3)
    batch = [t for k in (1, 2, 3) for t in table[f"reason_{k}_text"].dropna() if t]
    _check_words(batch)
    records = [{str(k): v for k, v in r.items()} for r in frame.head(50).to_dict("records")]
    one = [r.description for record in records for r in model.score_one(record, reasons=3).reasons]
    _check_words(one)
    assert set(one) <= set(batch)
