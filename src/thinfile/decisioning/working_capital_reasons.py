"""Reasons of working-capital decisions in plain words (English and Chinese).

The shop owner reads these beside every answer (PIPL art. 24: an explanation of an automated
decision); staff see the codes. An unknown code is shown as itself, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WorkingCapitalReason", "explain_working_capital", "working_capital_reasons"]


@dataclass(frozen=True, slots=True)
class WorkingCapitalReason:
    code: str
    en: str
    zh: str


_WORDS = {
    r.code: r
    for r in (
        WorkingCapitalReason(
            "NO_SALES_CONSENT",
            "We need your consent to use your sales records before we can decide.",
            "需要您授权我们使用经营流水，才能为您审批。",
        ),
        WorkingCapitalReason(
            "NO_SALES_DATA",
            "We have no sales records for your business yet. Upload or connect them first.",
            "我们还没有您店铺的经营流水，请先上传或接入。",
        ),
        WorkingCapitalReason(
            "SALES_HISTORY_SHORT",
            "Your sales records cover less than three months. Come back when they cover more.",
            "您的经营流水不足三个月，满三个月后可再申请。",
        ),
        WorkingCapitalReason(
            "SALES_COLLAPSING",
            "Your sales in the last 30 days fell to less than half of what they were before.",
            "您近30天的销售额不到此前平均水平的一半。",
        ),
        WorkingCapitalReason(
            "SALES_GAPS",
            "Your records show too many days without any sales.",
            "您的经营流水中无销售的天数过多。",
        ),
        WorkingCapitalReason(
            "SALES_STOPPED",
            "Your records show no sales in the last two weeks. Upload your latest sales.",
            "近两周没有销售记录，请上传最新的经营流水。",
        ),
        WorkingCapitalReason(
            "REFUNDS_HIGH",
            "Too large a share of your sales was refunded.",
            "您的退款占销售额的比例过高。",
        ),
        WorkingCapitalReason(
            "CREDIT_GRADE",
            "Your application does not meet our credit criteria at present.",
            "您的申请暂不符合我们的信贷标准。",
        ),
        WorkingCapitalReason(
            "LIMIT_TOO_SMALL",
            "Your sales would support less than our smallest line of 1,000 yuan.",
            "按您的销售额核算的额度低于最低额度1000元。",
        ),
        WorkingCapitalReason(
            "LIMIT_FROM_TURNOVER",
            "Your limit is a share of your verified monthly sales.",
            "您的额度按已核实的月销售额的一定比例核定。",
        ),
        WorkingCapitalReason(
            "CAPPED_MAX_LIMIT",
            "Your limit is our highest working-capital limit.",
            "您的额度已达经营贷最高额度。",
        ),
        *(
            WorkingCapitalReason(
                f"PRICE_GRADE_{g}",
                "The daily rate follows how steady your sales are and your credit record.",
                "日利率依据您销售的稳定程度和信用记录确定。",
            )
            for g in "ABCDE"
        ),
    )
}


def explain_working_capital(code: str) -> WorkingCapitalReason:
    """The plain words of ``code`` (the code itself for both languages when unknown)."""
    return _WORDS.get(code) or WorkingCapitalReason(code, code, code)


def working_capital_reasons(codes: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """``[{"code", "text", "text_zh"}]`` for ``codes``."""
    return [
        {"code": c, "text": explain_working_capital(c).en, "text_zh": explain_working_capital(c).zh}
        for c in codes
    ]
