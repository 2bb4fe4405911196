"""Reason codes in plain words, for borrowers (English and Chinese) and for lenders.

PIPL art. 24 gives borrowers a right to an explanation of automated decisions; the decline
page shows these words and what the applicant can do next.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BORROWER_REASON_FEATURES",
    "Reason",
    "catalogued",
    "explain",
    "is_borrower_reason",
]


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    en: str
    zh: str
    advice_en: str = ""
    advice_zh: str = ""


_CATALOG = {
    r.code: r
    for r in (
        Reason("KO_AGE_MIN", "You must be at least 18 to borrow.", "借款人须年满18周岁。"),
        Reason(
            "KO_AGE_MAX",
            "This product is for borrowers up to 60 years old.",
            "本产品适用于60周岁及以下的借款人。",
        ),
        Reason(
            "KO_ID_INVALID",
            "The ID number could not be verified.",
            "身份证号码未能通过校验。",
            "Check the ID number and apply again.",
            "请核对身份证号码后重新申请。",
        ),
        Reason(
            "KO_ID_BIRTH_MISMATCH",
            "The birth date does not match the ID number.",
            "出生日期与身份证号码不一致。",
            "Correct the birth date and apply again.",
            "请更正出生日期后重新申请。",
        ),
        Reason(
            "KO_PHONE_INVALID",
            "The mobile number is not a valid mainland China number.",
            "手机号码不是有效的中国大陆手机号。",
            "Check the mobile number and apply again.",
            "请核对手机号码后重新申请。",
        ),
        Reason(
            "KO_DENY_LIST",
            "We cannot offer credit to this applicant at present.",
            "目前无法向该申请人提供贷款。",
            "Ask for a human review.",
            "可申请人工复核。",
        ),
        Reason(
            "KO_VELOCITY_ID",
            "There were too many recent applications with this ID.",
            "近期使用该身份证的申请次数过多。",
            "Wait 30 days before applying again.",
            "请30天后再申请。",
        ),
        Reason(
            "KO_VELOCITY_PHONE",
            "There were too many recent applications with this phone.",
            "近期使用该手机号的申请次数过多。",
            "Wait 30 days before applying again.",
            "请30天后再申请。",
        ),
        Reason(
            "KO_VELOCITY_DEVICE",
            "There were too many applications from this device today.",
            "该设备今日申请次数过多。",
            "Try again tomorrow.",
            "请明天再试。",
        ),
        Reason(
            "KO_NO_CONSENT",
            "We need your consent to check credit information.",
            "需要您授权查询征信信息。",
            "Give consent and apply again.",
            "授权后重新申请。",
        ),
        Reason(
            "AFFORDABILITY",
            "The repayments would be too high for your income.",
            "还款额相对您的收入过高。",
            "Add income evidence (platform statements, payslips) or ask for a smaller amount.",
            "补充收入证明（平台流水、工资单）或申请较小金额。",
        ),
        Reason(
            "RISK_GRADE",
            "Your application does not meet our credit criteria at present.",
            "您的申请暂不符合我们的信贷标准。",
            "Adding rent, utility or platform income history can help.",
            "补充房租、水电缴费或平台收入记录可能有帮助。",
        ),
        Reason(
            "NO_PRODUCT",
            "None of our products fits the amount and term requested.",
            "没有适合所申请金额和期限的产品。",
            "Try a smaller amount or another term.",
            "可尝试较小金额或其他期限。",
        ),
        Reason(
            "NO_PRODUCT_FOR_PURPOSE",
            "We have no loan for the purpose you chose.",
            "我们暂无适合您所选借款用途的产品。",
            "Choose the purpose that best describes what the loan is for.",
            "请选择最符合借款实际用途的选项。",
        ),
        Reason(
            "AMOUNT_BELOW_MINIMUM",
            "The amount requested is below the smallest loan we offer for this purpose.",
            "申请金额低于该用途产品的最低借款金额。",
            "If you need a larger amount later, you can apply again.",
            "如日后需要更高金额，可再次申请。",
        ),
        Reason(
            "NO_PRICE_UNDER_CAP",
            "No price within the legal rate limit covers the cost and risk of this loan.",
            "在法定利率上限以内，没有能覆盖本笔贷款成本和风险的价格。",
            "Adding rent, utility or platform income records can lower the assessed risk.",
            "补充房租、水电缴费或平台收入记录可降低风险评估。",
        ),
        Reason(
            "REF_HIGH_RISK_LARGE",
            "The amount needs an underwriter's review at your grade.",
            "以您目前的评级，该金额需人工审核。",
        ),
        Reason(
            "REF_THIN_FILE_LARGE",
            "A large first loan needs an underwriter's review.",
            "首次大额借款需人工审核。",
        ),
        Reason(
            "REF_UNVERIFIED_INCOME",
            "A large amount needs verified income.",
            "大额借款需核实收入。",
            "Upload income evidence.",
            "请上传收入证明。",
        ),
        Reason(
            "REFER",
            "An underwriter will review your application.",
            "您的申请将由信贷人员审核。",
            "We will contact you within one working day.",
            "我们将在一个工作日内联系您。",
        ),
        Reason(
            "DECLINED_ON_REVIEW",
            "An underwriter reviewed your application and cannot approve it this time.",
            "信贷人员已审核您的申请，本次无法批准。",
            "You may ask us for the reasons, or apply again when your circumstances change.",
            "您可以向我们询问具体原因，或在情况变化后重新申请。",
        ),
    )
}

_FEATURES = {
    "income_monthly_mean": ("your income", "您的收入"),
    "income_monthly_cv": ("how much your income varies", "收入波动程度"),
    "income_months_observed": ("how many months of income we could see", "可查的收入月数"),
    "platform_tenure_months": ("time working on your platform", "平台从业时长"),
    "rent_on_time_ratio": ("your rent payment record", "房租按时缴纳记录"),
    "rent_months_reported": ("how much rent history we have", "房租记录时长"),
    "utility_on_time_ratio": ("your utility and phone bill record", "水电通讯缴费记录"),
    "utility_months_reported": ("how much bill history we have", "缴费记录时长"),
    "social_insurance_months": ("months of social insurance", "社保缴纳月数"),
    "bureau_history_months": ("length of your credit history", "征信记录时长"),
    "bureau_delinquencies_24m": ("recent late payments on your credit report", "近两年征信逾期"),
    "bureau_records": ("accounts on your credit report", "征信账户数"),
    "months_in_city": ("time living in this city", "在本市居住时长"),
    "device_tenure_months": ("how long you have used this phone", "设备使用时长"),
    "address_changes_24m": ("recent address changes", "近期地址变更"),
    "existing_debt_payment_monthly": ("your existing loan repayments", "现有贷款月供"),
    "ecommerce_months_active": ("your online shopping history", "网购记录时长"),
    "ecommerce_monthly_spend": ("your online spending", "网购消费"),
    "requested_amount": ("the amount requested", "申请金额"),
    "requested_term_months": ("the term requested", "申请期限"),
    "age": ("your age", "年龄"),
    "declared_monthly_income": ("the monthly income you declared", "您申报的月收入"),
    "income_verified": ("whether your income could be verified", "收入是否已核实"),
    "segment": ("the kind of work you do", "您的职业类型"),
    "occupation": ("the kind of work you do", "您的职业类型"),
    "purpose": ("what the loan is for", "借款用途"),
    "city": ("the city you live in", "所在城市"),
    "city_tier": ("the city you live in", "所在城市"),
    "hukou_province": ("where your household is registered", "户籍所在地"),
    "is_local_hukou": ("where your household is registered", "户籍所在地"),
    "gender": ("personal details", "个人信息"),
    "birth_date": ("your age", "年龄"),
    "consent_alt_data": ("which records you let us see", "您授权查询的记录"),
}
_OTHER = ("other information", "其他信息")
"""Said for a feature without a label of its own: never the raw column name."""


BORROWER_REASON_FEATURES: frozenset[str] = frozenset(
    {
        "income_monthly_mean",
        "declared_monthly_income",
        "income_monthly_cv",
        "income_months_observed",
        "platform_tenure_months",
        "rent_on_time_ratio",
        "rent_months_reported",
        "utility_on_time_ratio",
        "utility_months_reported",
        "social_insurance_months",
        "bureau_history_months",
        "bureau_delinquencies_24m",
        "bureau_records",
        "months_in_city",
        "device_tenure_months",
        "address_changes_24m",
        "existing_debt_payment_monthly",
        "ecommerce_months_active",
        "ecommerce_monthly_spend",
        "requested_amount",
        "requested_term_months",
    }
)
"""The model inputs a borrower may be given as a reason: what they earn and how steadily, how
they have paid (rent, bills, credit), how long they have stayed (city, platform, phone,
address), what they owe and what they ask for — things the borrower can show more of or
change. Who the borrower is (occupation, age, sex, hukou, city) is never a reason shown to
them; nor is any input not listed here, such as a column of a lender's own model."""


def is_borrower_reason(feature: str) -> bool:
    """Whether a model reason about ``feature`` may be shown to the borrower."""
    return feature in BORROWER_REASON_FEATURES


def explain(code: str, feature: str | None = None) -> Reason:
    """Plain words for a reason code; model reasons are named after their input feature."""
    if code in _CATALOG:
        return _CATALOG[code]
    if feature:
        en, zh = _FEATURES.get(feature, _OTHER)
        return Reason(
            code,
            f"Our assessment weighed {en} against this application.",
            f"评估中{zh}对本次申请产生了不利影响。",
        )
    return Reason(code, _CATALOG["RISK_GRADE"].en, _CATALOG["RISK_GRADE"].zh)


def catalogued(code: str) -> Reason | None:
    """The words for a reason or finding code the catalogue knows, else None."""
    return _CATALOG.get(code)
