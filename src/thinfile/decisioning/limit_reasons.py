"""Reason codes of limit decisions in plain words (English and Chinese).

The borrower sees these beside every change of their limit, every offer and every answer to
a request; staff see the codes. An unknown code is shown as itself, never hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "BEHAVIOUR_REASON_FEATURES",
    "LimitReason",
    "behaviour_reasons",
    "explain_limit",
    "limit_reasons",
]


@dataclass(frozen=True, slots=True)
class LimitReason:
    code: str
    en: str
    zh: str


_WORDS = {
    r.code: r
    for r in (
        LimitReason(
            "INCREASE_GOOD_REPAYMENT",
            "You have repaid on time, so we can raise your limit.",
            "您按时还款，我们可以为您提高额度。",
        ),
        LimitReason(
            "CAPPED_AFFORDABILITY",
            "The new limit is kept to what your current income can repay.",
            "新额度以您当前收入可承担的还款为限。",
        ),
        LimitReason(
            "CAPPED_CEILING",
            "The new limit is the programme's highest limit.",
            "新额度已达本产品的最高额度。",
        ),
        LimitReason(
            "AT_CEILING", "Your limit is already the highest we offer.", "您的额度已是最高额度。"
        ),
        LimitReason(
            "AFFORDABILITY",
            "A higher limit would be more than your current income can repay.",
            "更高的额度将超出您当前收入的还款能力。",
        ),
        LimitReason(
            "INCOME_UNKNOWN",
            "We have no current income on record to check a higher limit against.",
            "我们没有您当前的收入信息，无法评估更高的额度。",
        ),
        LimitReason(
            "MOB_UNDER_3",
            "Your line is less than three months old.",
            "您的额度开通未满三个月。",
        ),
        LimitReason("PAST_DUE_NOW", "A repayment is past due.", "您有逾期未还的款项。"),
        LimitReason(
            "PAST_DUE_6M",
            "A repayment was past due in the last six months.",
            "近六个月内您有过逾期。",
        ),
        LimitReason(
            "UTILIZATION_LOW",
            "You have used little of your current limit.",
            "您当前额度的使用较少。",
        ),
        LimitReason(
            "BEHAVIOUR_GRADE",
            "Your repayment record does not yet support a higher limit.",
            "您的还款记录暂不支持提高额度。",
        ),
        LimitReason(
            "RECENT_INCREASE",
            "Your limit was changed less than 90 days ago.",
            "您的额度在90天内已调整过。",
        ),
        LimitReason(
            "RECENT_REQUEST",
            "You asked for an increase less than 30 days ago.",
            "您在30天内已申请过提额。",
        ),
        LimitReason("LINE_NOT_ACTIVE", "Your line is not active.", "您的额度当前不可用。"),
        LimitReason(
            "TEMPORARY_LIMIT",
            "A temporary limit is in force until its end date.",
            "您的临时额度尚未到期。",
        ),
        LimitReason(
            "FREEZE_PAST_DUE_30",
            "Your line is frozen because a repayment is 30 or more days past due; it reopens "
            "once you are up to date.",
            "因逾期30天以上，您的额度已冻结；还清逾期款项后可恢复。",
        ),
        LimitReason(
            "UNFREEZE_CURED",
            "You are up to date again, so your line is open again.",
            "您已还清逾期款项，额度已恢复使用。",
        ),
        LimitReason(
            "DECREASE_REPEATED_PAST_DUE",
            "Your limit is lowered because repayments were past due in two of the last three "
            "months.",
            "因近三个月内有两个月逾期，您的额度已下调。",
        ),
        LimitReason(
            "HOLD_REPEATED_PAST_DUE",
            "Your limit stays as it is: repayments were past due in two of the last three "
            "months, so it cannot be raised now.",
            "因近三个月内有两个月逾期，本次额度维持不变，暂不能提额。",
        ),
        LimitReason(
            "CONTROL_GROUP",
            "No automatic increase this time.",
            "本次无自动提额。",
        ),
        LimitReason(
            "TEMPORARY_ENDED",
            "Your temporary limit has ended; your limit is back to what it was.",
            "您的临时额度已到期，额度恢复为原额度。",
        ),
        LimitReason("MANUAL", "Changed by our staff.", "由工作人员调整。"),
        LimitReason(
            "STAFF_OFFER",
            "Our staff offer you this limit; it applies only if you accept it.",
            "工作人员为您提供此额度，您接受后方生效。",
        ),
        LimitReason("OFFER_ACCEPTED", "You accepted the offered limit.", "您已接受新额度。"),
    )
}


def explain_limit(code: str) -> LimitReason:
    """The plain words of ``code`` (the code itself for both languages when unknown)."""
    return _WORDS.get(code) or LimitReason(code, code, code)


def limit_reasons(codes: tuple[str, ...] | list[str], language: str = "en") -> list[dict[str, str]]:
    """``[{"code", "text"}]`` for ``codes`` in ``en`` or ``zh``."""
    return [
        {"code": c, "text": explain_limit(c).zh if language == "zh" else explain_limit(c).en}
        for c in codes
    ]


BEHAVIOUR_REASON_FEATURES: dict[str, tuple[str, str]] = {
    "months_on_book": ("how long you have had the line", "额度开通时长"),
    "current_dpd": ("a repayment past due now", "当前逾期"),
    "worst_dpd_12m": ("late repayments in the last year", "近一年的逾期"),
    "delinquent_months_3m": ("late repayments in the last three months", "近三个月的逾期"),
    "delinquent_months_6m": ("late repayments in the last six months", "近六个月的逾期"),
    "delinquent_months_12m": ("late repayments in the last year", "近一年的逾期"),
    "on_time_share_bps": ("how often you repaid on time", "按时还款的比例"),
    "utilization_bps": ("how much of your limit you use now", "当前额度使用率"),
    "utilization_avg_bps": ("how much of your limit you have used", "平均额度使用率"),
    "payment_to_due_bps": ("how much of what fell due you repaid", "已还金额占应还金额的比例"),
}
"""The behaviour model's inputs a borrower may be given as a reason: their own repayment and
use of the line. The application score (the lender's own model) is never one."""


def behaviour_reasons(
    reasons: tuple[Mapping[str, object], ...] | list[Mapping[str, object]], language: str = "en"
) -> list[dict[str, str]]:
    """``[{"code", "text"}]`` for a behaviour model's reasons (``{"code", "feature", …}``),
    in ``en`` or ``zh``, leaving out inputs a borrower is not given as a reason."""
    out = []
    for r in reasons:
        words = BEHAVIOUR_REASON_FEATURES.get(str(r.get("feature")))
        if words is None:
            continue
        en, zh = words
        text = (
            f"评估中{zh}对提高额度产生了不利影响。"
            if language == "zh"
            else f"Our assessment weighed {en} against a higher limit."
        )
        out.append({"code": str(r.get("code")), "text": text})
    return out
