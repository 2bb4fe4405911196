"""Inclusion against a bureau-only policy, counted by hand on eight applicants; the report
in Chinese."""

from __future__ import annotations

import html
import math
import re
from html import escape

import pandas as pd
import pytest

from tests.unit.portfolio_books import small_book
from thinfile.errors import DataContractError
from thinfile.portfolio import (
    build_report,
    bureau_only_approvals,
    cutoff_at_same_expected_loss,
    inclusion,
)
from thinfile.services.portfolio_report import render_portfolio_report
from thinfile.services.portfolio_sections import (
    COLUMN_LABELS,
    RETRAIN_FOR_BASELINE,
    SECTIONS,
    VALUE_LABELS,
    report_sections,
)
from thinfile.web.i18n import translations

NAN = math.nan


def decisions() -> pd.DataFrame:
    """a, b: 征信白户 and one record (thin), approved; c: two records (thin) with a good
    bureau score, declined; d, e, g thick and approved; f, h thick and declined."""
    return pd.DataFrame(
        {
            "id": list("abcdefgh"),
            "approved": [True, True, False, True, True, False, True, False],
            "bureau_records": [0, 1, 2, 5, 4, 6, 3, 3],
            "bureau_score": [NAN, NAN, 700, 720, 650, 600, 680, 620],
            "pd": [0.10, 0.05, 0.30, 0.02, 0.08, 0.20, 0.05, 0.15],
            "bad": [1, 0, NAN, 0, 0, 1, NAN, 0],
        }
    )


def test_the_cutoff_at_the_same_expected_loss_is_found_by_hand() -> None:
    # the model approves a, b, d, e, g: mean PD 0.30 / 5 = 0.06. Thick files by bureau score:
    # 720 (0.02) → 0.02; 680 (0.05) → 0.035; 650 (0.08) → 0.05; 620 (0.15) → 0.075 > 0.06
    assert cutoff_at_same_expected_loss(decisions()) == 650.0
    approved = bureau_only_approvals(decisions(), 650.0)
    assert list(decisions()["id"][approved]) == ["d", "e", "g"]  # c is thin: declined at 700


def test_inclusion_counts_every_policy_and_group_by_hand() -> None:
    found = inclusion(decisions())
    assert (found.cutoff, found.cutoff_rule) == (650.0, "same_expected_loss")
    # the thin files the model approves (a, b): the bureau-only rule declines them all
    assert found.included == 2
    assert found.included_expected_bad_rate == pytest.approx(0.075)
    assert found.included_observed_bad_rate == pytest.approx(0.5)
    rows = {(r.policy, r.group): r for r in found.table.itertuples(index=False)}
    expected = {
        ("model", "thin_file"): (3, 2, 2 / 3, 0.075, 0.5, 2),
        ("model", "thick_file"): (5, 3, 0.6, 0.05, 0.0, 2),
        ("model", "all"): (8, 5, 0.625, 0.06, 0.25, 4),
        ("bureau_only", "thin_file"): (3, 0, 0.0, NAN, NAN, 0),
        ("bureau_only", "thick_file"): (5, 3, 0.6, 0.05, 0.0, 2),
        ("bureau_only", "all"): (8, 3, 0.375, 0.05, 0.0, 2),
    }
    for key, figures in expected.items():
        row = rows[key]
        got = (row.applications, row.approvals, row.approval_rate, row.expected_bad_rate,
               row.observed_bad_rate, row.outcomes)  # fmt: skip
        assert got == pytest.approx(figures, nan_ok=True), key


def test_a_given_cutoff_is_used_as_given() -> None:
    found = inclusion(decisions(), cutoff=700)
    assert found.cutoff_rule == "given"
    bureau_all = found.table[(found.table.policy == "bureau_only") & (found.table.group == "all")]
    assert int(bureau_all["approvals"].iloc[0]) == 1  # d only


def test_a_model_riskier_than_every_bureau_file_leaves_the_baseline_approving_nobody() -> None:
    table = decisions().assign(approved=[True, False, False, False, False, False, False, False])
    table.loc[0, "pd"] = 0.01  # the model approves only a, at 1%: no thick file is that safe
    assert cutoff_at_same_expected_loss(table) == math.inf
    assert inclusion(table).table["approvals"].iloc[3:].tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("en", "1 thin-file applicants approved by the model would be declined by the "
               "bureau-only policy, which approves nobody at the model's expected loss"),
        ("zh", "模型批准的 1 名薄征信申请人会被仅用征信的策略拒绝；"
               "在模型的预期损失下，该策略不批准任何人"),
    ],
)  # fmt: skip
def test_a_baseline_approving_nobody_is_said_so_not_given_a_cutoff(
    lang: str, sentence: str
) -> None:
    table = decisions().assign(approved=[True, False, False, False, False, False, False, False])
    table.loc[0, "pd"] = 0.01
    report = build_report(small_book(), decisions=table)
    assert report["inclusion"]["baseline"]["cutoff"] is None  # type: ignore[index]
    section = next(s for s in report_sections(report, translations(lang).gettext)
                   if s.key == "inclusion")  # fmt: skip
    assert sentence in html.unescape(section.html) and "at least –" not in section.html


def test_a_live_report_whose_model_has_no_baseline_asks_to_retrain_it() -> None:
    report = build_report(small_book(), decisions=decisions().drop(columns="bureau_score"))
    report["inclusion"]["needs_bureau_baseline"] = True  # type: ignore[index]
    for lang in ("en", "zh"):
        gettext = translations(lang).gettext
        section = next(s for s in report_sections(report, gettext) if s.key == "inclusion")
        assert escape(gettext(RETRAIN_FOR_BASELINE)) in section.html
        assert gettext("thin file") in section.html
    plain = build_report(small_book(), decisions=decisions().drop(columns="bureau_score"))
    section = next(s for s in report_sections(plain, str) if s.key == "inclusion")
    assert 'class="note"' not in section.html  # a file report without scores: no note


def test_a_decisions_table_without_bureau_scores_is_refused_naming_the_column() -> None:
    with pytest.raises(DataContractError) as error:
        inclusion(decisions().drop(columns="bureau_score"))
    assert error.value.value == "bureau_score"


def test_the_report_carries_the_baseline_comparison() -> None:
    report = build_report(small_book(), decisions=decisions())
    baseline = report["inclusion"]["baseline"]  # type: ignore[index]
    assert baseline["cutoff"] == "650" and baseline["included"] == 2
    assert baseline["included_expected_bad_rate"] == "0.075000"
    assert baseline["included_observed_bad_rate"] == "0.500000"
    assert baseline["policies"][0] == {
        "policy": "model", "group": "thin_file", "applications": 3, "approvals": 2,
        "approval_rate": "0.666667", "expected_bad_rate": "0.075000",
        "observed_bad_rate": "0.500000", "outcomes": 2,
    }  # fmt: skip


def _visible_text(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def test_the_report_reads_in_chinese_with_every_heading_and_label_translated() -> None:
    zh = translations("zh").gettext
    for message in (
        [t for _, t in SECTIONS] + list(COLUMN_LABELS.values()) + list(VALUE_LABELS.values())
    ):
        if message not in {"AUC", "Gini", "KS", "z", "p", "PSI"}:  # names kept as they are
            assert zh(message) != message, message
    report = build_report(small_book(), decisions=decisions())
    page = render_portfolio_report(report, gettext=zh, lang="zh")
    assert '<html lang="zh-Hans">' in page
    for heading in ("资产组合报告", "账龄曲线", "迁徙率", "普惠：与仅用征信的策略对比", "预警"):
        assert heading in page
    assert "模型批准的 2 名薄征信申请人会被仅用征信的策略拒绝（征信评分不低于 650" in page
    # no English word is left in what a reader sees, apart from names kept as they are
    words = set(re.findall(r"[A-Za-z]{3,}", _visible_text(page)))
    assert words <= {"PSI", "AUC", "Gini", "KS", "Vintage", "portfolio", "alerts"}, words


def test_the_report_command_writes_chinese_with_lang_zh(
    capsys: pytest.CaptureFixture[str], tmp_path
) -> None:
    from tests.support.cli import run

    book = tmp_path / "book.csv"
    small_book().to_csv(book, index=False)
    out = tmp_path / "r.html"
    code, _, _ = run(capsys, "portfolio", "report", "--loan-months", str(book), "--out", str(out),
                     "--lang", "zh")  # fmt: skip
    assert code == 0 and "资产组合报告" in out.read_text(encoding="utf-8")
    code, _, error = run(capsys, "portfolio", "report", "--loan-months", str(book), "--out",
                         str(out), "--lang", "fr")  # fmt: skip
    assert code == 2 and "--lang" in error
