"""Documents without a database: the contract's text and PDF carry the borrower's figures
(checked against an equal-installment schedule computed here, month by month), the plan's CSV
is the serviced schedule, a settlement certificate needs a closed loan, and a missing font is
an error that names what to install."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from tests.support.pdf_text import compact_pdf_text
from thinfile.documents import (
    CONTRACT_TEMPLATE,
    LANGUAGES,
    PLAN_COLUMNS,
    Borrower,
    ContractFacts,
    find_font,
    plan_csv,
    render_contract,
    render_pdf,
    render_settlement,
    sha256_hex,
)
from thinfile.documents.document import blocks, table_row
from thinfile.documents.wording import percent
from thinfile.errors import ConflictError, DocumentFontMissingError
from thinfile.loanmath import (
    LoanTerms,
    RepaymentMethod,
    build_schedule,
    cost_statement,
    standard_default_terms,
)
from thinfile.money import Money
from thinfile.servicing import open_loan, standard_product

START = date(2026, 1, 15)
LENDER = "示例小额贷款有限公司"


def terms(amount="10000", rate="0.1234", periods=12, fee="100") -> LoanTerms:
    return LoanTerms(
        principal=Money.of(amount),
        annual_rate=Decimal(rate),
        periods=periods,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        start=START,
        monthly_fee_rate=Decimal(0),
        upfront_fee=Money.of(fee),
    )


def oracle_installments(principal_fen: int, annual: Decimal, n: int) -> list[int]:
    """等额本息 by hand: the level payment P·r/(1−(1+r)^−n) at r = annual/12, rounded half up
    to the fen; each month's interest on the balance rounded half up; the last pays off."""
    r = annual / 12
    level = (Decimal(principal_fen) * r / (1 - (1 + r) ** -n)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    balance, out = principal_fen, []
    for k in range(1, n + 1):
        interest = int((balance * r).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        part = balance if k == n else int(level) - interest
        out.append(part + interest)
        balance -= part
    return out


def grouped(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def facts(t: LoanTerms) -> ContractFacts:
    schedule = build_schedule(t)
    statement = cost_statement(
        schedule, default_terms=standard_default_terms(t.method), lender=LENDER
    )
    return ContractFacts(
        "TF-20260115-7", LENDER, "王小明", "1101**********1234", START, schedule, statement
    )


def test_the_oracle_agrees_with_a_hand_checked_installment():
    assert oracle_installments(1_000_000, Decimal("0.1234"), 12)[:2] == [89008, 89008]


def test_the_contract_pdf_shows_the_borrowers_figures_and_the_chinese_headings():
    t = terms()
    document = render_contract(facts(t), language="zh")
    text = compact_pdf_text(render_pdf(document, font=find_font()))
    for heading in (
        "借款合同",
        "合同当事人",
        "还款计划",
        "综合融资成本明示表",
        "逾期与违约",
        "提前还款",
        "第六百七十七条",
        "争议解决",
        "个人信息保护",
        "电子签名",
    ):
        assert heading in text, heading
    assert "借款本金：人民币10,000.00元" in text and "实际到手金额：人民币9,900.00元" in text
    assert "王小明" in text and "1101**********1234" in text and LENDER in text
    installments = oracle_installments(1_000_000, Decimal("0.1234"), 12)
    for k, total in enumerate(installments, start=1):
        assert grouped(total) in text, (k, total)
    assert (
        "年化利率（按内部收益率法计算）："
        + percent(facts(t).statement.annualized.nominal, places=2)
        in text
    )
    assert document.sha256 in text  # the footer names the text's hash
    assert sha256_hex(document.text) == document.sha256


def test_the_contract_states_every_installment_row_by_row():
    t = terms(amount="3600", rate="0.18", periods=6, fee="0")
    document = render_contract(facts(t), language="en")
    rows = next(b for b in blocks(document.text) if b.kind == "table").lines[1:]
    totals = [int(row.split("\t")[5].replace(",", "").replace(".", "")) for row in rows]
    assert totals == oracle_installments(360_000, Decimal("0.18"), 6)
    assert "article 677" in document.text and "no prepayment penalty" in document.text
    assert "Personal Information Protection Law" in document.text


@pytest.mark.parametrize(
    ("language", "rule"),
    [("en", "× days borrowed ÷ days in the period"), ("zh", "× 实际借款天数 ÷ 该期天数")],
)
def test_the_contract_states_how_part_of_a_period_is_charged(language, rule):
    """Servicing charges part of a period its interest and fee shared evenly over the
    period's days (``servicing.daily.accrued_to``): the contract says so, so a payoff in a
    28-day February charging 1/28 of the month's interest a day follows its own terms (the
    practice of 年利率/360 a day is only the default where a contract is silent)."""
    document = render_contract(
        facts(terms(amount="3600", rate="0.18", periods=6, fee="0")), language=language
    )
    assert rule in document.text and "1/28" in document.text


def test_the_annualized_rate_with_a_fee_is_above_the_contract_rate():
    statement = facts(terms()).statement
    assert statement.annualized.nominal > Decimal("0.1234")


def test_the_plan_csv_is_the_serviced_schedule():
    t = terms()
    account = open_loan(0, build_schedule(t), standard_product(t.method)).loan
    rows = list(csv.reader(io.StringIO(plan_csv(account))))
    assert tuple(rows[0]) == PLAN_COLUMNS
    oracle = oracle_installments(1_000_000, Decimal("0.1234"), 12)
    owed, left = PLAN_COLUMNS.index("outstanding"), PLAN_COLUMNS.index("principal_balance_after")
    lent = 1_000_000
    for row, total in zip(rows[1:], oracle, strict=True):
        due = sum(round(Decimal(v) * 100) for v in row[2:6])
        assert due == total and row[owed] == f"{total // 100}.{total % 100:02d}"
        lent -= round(Decimal(row[2]) * 100)
        assert round(Decimal(row[left]) * 100) == lent  # what is still lent after it
    assert lent == 0 and rows[-1][left] == "0.00"


def test_a_settlement_certificate_is_refused_for_an_open_loan():
    t = terms()
    account = open_loan(0, build_schedule(t), standard_product(t.method)).loan
    with pytest.raises(ConflictError, match="repaid in full") as refused:
        render_settlement(
            account,
            lender=LENDER,
            borrower=Borrower("王小明", "1101**********1234"),
            contract_number="TF-1",
            issued_on=START,
            language="zh",
        )
    assert refused.value.field == "loan_id"


def test_a_missing_font_names_the_package_to_install(tmp_path: Path):
    with pytest.raises(DocumentFontMissingError) as missing:
        find_font(tmp_path / "no-such-font.ttc")
    assert "fonts-noto-cjk" in (missing.value.remedy or "")
    assert missing.value.status == 503


def test_a_pipe_in_a_cell_cannot_break_the_table():
    row = table_row("a|b", "c\nd")
    assert row == "| a/b | c d |"
    assert blocks(row)[0].lines == ("a/b\tc d",)


@pytest.mark.parametrize(
    ("rate", "places", "shown"),
    [
        (Decimal("0.1234"), None, "12.34%"),
        (Decimal("0.07875"), None, "7.875%"),
        (Decimal("0.1"), None, "10.00%"),
        (Decimal("0.142549"), 2, "14.25%"),
        (Decimal("0.011879"), 4, "1.1879%"),
    ],
)
def test_rates_are_shown_as_percentages(rate, places, shown):
    assert percent(rate, places=places) == shown


PUBLISHED_TEMPLATES = {
    "loan-contract-1.en.txt": "0ac5eced371e0b5e1a70bc794374996bb9d331b299cb4cb0e1fb21c6f5d1c178",
    "loan-contract-1.zh.txt": "2562d04037966151c848444ca21982dd5a13a0a99649420267497f89965dc938",
    "loan-contract-2.en.txt": "2fb48e03e24095400d54a958f960011e7354dd99fc0422d31aba00e9fc063612",
    "loan-contract-2.zh.txt": "688ca23814d247966e967cb702562f18a2aeb7b85b2f0ce344819d41a126600c",
    "loan-contract-3.en.txt": "b97e5e2aa60fffc5638b0b8588d8e82cdbbfb7e3d9a1c758a69c19335580ee75",
    "loan-contract-3.zh.txt": "9b2013529cf56599b7e0b101a53382abdfadb866b7126445e6ecc599e608a4a3",
}
"""A template version, once borrowers have signed it, never changes: new wording is a new
version (``loan-contract-3.*.txt`` and ``CONTRACT_TEMPLATE``), and its hash is added here."""


def test_a_published_contract_template_is_never_edited_in_place():
    folder = files("thinfile.documents").joinpath("templates")
    for name, digest in PUBLISHED_TEMPLATES.items():
        text = folder.joinpath(name).read_bytes()
        assert hashlib.sha256(text).hexdigest() == digest, f"{name} changed: add a new version"


def test_every_language_of_the_current_template_exists_and_fills_completely():
    for language in LANGUAGES:
        document = render_contract(facts(terms()), language=language)
        assert document.template == CONTRACT_TEMPLATE and "$" not in document.text


def _yuan_fen(text: str) -> int:
    whole, _, cents = text.replace(",", "").partition(".")
    return int(whole) * 100 + int(cents)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_totals_line_adds_up_and_states_the_service_fee_apart(language):
    """10,000 at 12.34% over 12 months with a 100.00 service fee: the installments repay the
    principal, the interest and the installment fees (the oracle's level installments); the
    service fee is deducted at disbursement, stated on its own."""
    t = terms()
    text = render_contract(facts(t), language=language).text
    line = next(x for x in text.splitlines() if x.startswith(("合计", "Totals")))
    amounts = [_yuan_fen(a) for a in re.findall(r"\d[\d,]*\.\d\d", line)]
    principal, interest, installment_fees, repaid, service_fee = amounts
    installments = oracle_installments(1_000_000, Decimal("0.1234"), 12)
    assert principal == 1_000_000 and installment_fees == 0 and service_fee == 10_000
    assert repaid == sum(installments) == principal + interest + installment_fees


def test_both_languages_state_a_fee_and_a_rate_as_contracted():
    """A fee of 0.345% a month and a rate of 23.9876% a year are stated as they are in both
    languages' charge rows, not 0.34% and 23.99% in one of them."""
    fee_plan = replace(terms(rate="0"), monthly_fee_rate=Decimal("0.00345"))
    rated = terms(rate="0.239876", fee="0")
    for t, shown in ((fee_plan, "0.345%"), (rated, "23.9876%")):
        for language in LANGUAGES:
            text = render_contract(facts(t), language=language).text
            assert shown in text, (language, shown)
        if t.monthly_fee_rate:  # the fee's charge row states it exactly
            statement = facts(t).statement
            assert any(shown in i.standard for i in statement.items)
