"""A reason a borrower reads names what weighed against them in words, in both languages —
never a raw column name such as ``segment`` inside a translated sentence."""

from __future__ import annotations

import dataclasses
import re

import pytest

from thinfile.decisioning.application import Application
from thinfile.decisioning.reasons import explain
from thinfile.sim import APPLICANT_COLUMNS, NOT_MODEL_INPUTS

MODEL_INPUTS = sorted(
    {c for c in APPLICANT_COLUMNS if c not in {*NOT_MODEL_INPUTS, "applicant_id", "bad_12m"}}
    | {"age"}
)
EVERY_FIELD = sorted(
    {f.name for f in dataclasses.fields(Application)} | set(APPLICANT_COLUMNS) | {"occupation"}
)


@pytest.mark.parametrize("feature", MODEL_INPUTS)
def test_every_input_a_model_may_learn_from_has_its_own_words(feature: str) -> None:
    reason = explain("M_TEST", feature)
    assert "other information" not in reason.en
    assert "其他信息" not in reason.zh


@pytest.mark.parametrize("feature", EVERY_FIELD)
def test_no_reason_shows_a_raw_feature_name(feature: str) -> None:
    reason = explain("M_TEST", feature)
    assert "_" not in reason.en and feature not in reason.zh
    assert re.search(r"[A-Za-z]", reason.zh) is None, reason.zh


def test_an_unknown_feature_reads_as_other_information_in_both_languages() -> None:
    reason = explain("M_TEST", "x_new_bureau_flag")
    assert "other information" in reason.en
    assert reason.zh == "评估中其他信息对本次申请产生了不利影响。"


def test_an_unknown_reason_code_without_a_feature_is_not_shown_as_its_code() -> None:
    reason = explain("X_UNHEARD_OF")
    assert "X_UNHEARD_OF" not in reason.zh and "X_UNHEARD_OF" not in reason.en
    assert re.search(r"[A-Za-z]", reason.zh) is None
