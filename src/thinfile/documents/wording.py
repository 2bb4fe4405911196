"""The words and figures documents share: amounts, rates, repayment methods, default terms."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from thinfile.loanmath import CostStatement, RepaymentMethod
from thinfile.money import format_yuan

__all__ = ["LANGUAGES", "Language", "default_lines", "method_name", "percent", "yuan"]

Language = Literal["zh", "en"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")

_METHODS: dict[RepaymentMethod, tuple[str, str]] = {
    RepaymentMethod.EQUAL_INSTALLMENT: ("等额本息", "equal installments (annuity)"),
    RepaymentMethod.EQUAL_PRINCIPAL: ("等额本金", "equal principal"),
    RepaymentMethod.INTEREST_ONLY: ("先息后本", "interest only, principal at the end"),
    RepaymentMethod.BULLET: ("一次性还本付息", "principal and interest at maturity"),
    RepaymentMethod.FLAT: ("等本等息", "flat rate"),
    RepaymentMethod.FEE_INSTALLMENT: ("分期手续费", "installments with a fee"),
    RepaymentMethod.ZERO_INTEREST: ("免息分期", "interest-free installments"),
}


def yuan(fen: int) -> str:
    """``1234567`` → ``'12,345.67'`` (grouped, as people read an amount)."""
    return format_yuan(fen, grouped=True)


def percent(rate: Decimal, *, places: int | None = None) -> str:
    """``0.1234`` → ``'12.34%'``; with ``places``, rounded half up to that many decimals,
    otherwise exact (trailing zeros dropped, at least two decimals)."""
    value = rate * 100  # not money: a rate shown in percent
    if places is not None:
        return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"
    text = f"{value.normalize():f}"
    whole, _, part = text.partition(".")
    return f"{whole}.{part.ljust(2, '0')}%"


def method_name(method: RepaymentMethod, language: Language) -> str:
    zh, en = _METHODS[method]
    return zh if language == "zh" else f"{en} ({zh})"


def default_lines(
    statement: CostStatement, contract_rate: Decimal, language: Language
) -> list[str]:
    """The default terms (违约条款) as numbered paragraphs: grace, penalty interest, late fee,
    the all-in cap, and what installment 1 costs paid late — the figures the statement shows."""
    d, zh = statement.default_terms, language == "zh"
    penalty = percent(d.annual_penalty_rate(contract_rate), places=2)
    cap = percent(d.all_in_cap, places=2)
    lines = [
        f"1. 宽限期：每期还款日后 {d.grace_days} 天内还清的，不计罚息和滞纳金。"
        if zh
        else f"1. Grace: an installment paid within {d.grace_days} days after its due date "
        "costs no penalty interest and no late fee.",
        f"2. 罚息：宽限期后按逾期本金计收，年利率 {penalty}，按日计算。"
        if zh
        else f"2. Penalty interest: {penalty} a year on overdue principal, by the day, "
        "after the grace days.",
    ]
    if d.late_fee:
        fee, fee_cap = yuan(d.late_fee), yuan(d.late_fee_cap)
        lines.append(
            f"3. 滞纳金：每期逾期一次性收取 {fee} 元，整笔借款累计不超过 {fee_cap} 元。"
            if zh
            else f"3. Late fee: CNY {fee} once per overdue installment, at most CNY {fee_cap} "
            "over the loan."
        )
    else:
        lines.append("3. 滞纳金：不收取。" if zh else "3. Late fee: none.")
    lines.append(
        f"4. 上限：逾期金额上的利息、罚息和费用合计不超过年 {cap}，超出部分不予收取。"
        if zh
        else f"4. Cap: interest, penalty interest and fees on an overdue amount together never "
        f"exceed {cap} a year; anything above is not charged."
    )
    for e in statement.default_examples:
        total, pen, fee = yuan(e.total), yuan(e.penalty), yuan(e.late_fee)
        lines.append(
            f"示例：第1期逾期满 {e.days_late} 天（到期日后第 {e.days_late} 天日终仍未还清），"
            f"罚息 {pen} 元，滞纳金 {fee} 元，合计 {total} 元。"
            if zh
            else f"Example: installment 1 still unpaid {e.days_late} full "
            f"day{'' if e.days_late == 1 else 's'} after its due date costs CNY {total} "
            f"(penalty interest {pen}, late fee {fee})."
        )
    return lines
