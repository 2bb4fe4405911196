"""Commerce: merchants, their contracts and the money of installment purchases (no I/O).

Data flow::

    credit code ──validate_credit_code──► the merchant's identity (统一社会信用代码)
    MerchantContract ──pricing(periods)──► TermPricing
    price, TermPricing, Coupon ──purchase_money──► PurchaseMoney (financed, subsidy, settlement)
    financed ──borrower_plan──► BorrowerPlan (loanmath schedule, annualized rate, statement)
    schedule, net investment ──recognise_income──► IncomeRecognition (effective-interest method)
    all three ──quote_checkout──► CheckoutQuote
    order lines, total ──check_order──► a session's amount; CheckoutAmounts ──authorize,
        capture, void, refund──► the next state (refusals name the field)
    Campaign.covers(merchant, order, day) + budget ──campaign_subsidy──► CampaignSubsidy
    CouponRules.refusal(order, merchant, day) ──.coupon──► Coupon (into purchase_money)
    captures, refunds of a date ──settlement_of──► MerchantSettlement ──settlement_csv──► file
"""

from thinfile.commerce.campaign import (
    MAX_CAMPAIGN_DAYS,
    MAX_CAMPAIGN_MERCHANTS,
    BudgetState,
    Campaign,
    CampaignStatus,
    CampaignSubsidy,
    budget_state,
    campaign_subsidy,
)
from thinfile.commerce.checkout import (
    MAX_LINES,
    MAX_ORDER_TOTAL,
    MAX_QUANTITY,
    CheckoutAmounts,
    CheckoutStatus,
    OrderLine,
    allowed_terms,
    check_order,
    redirect_url,
    split_refund,
    status_at,
)
from thinfile.commerce.contract import (
    ALLOWED_TERMS,
    MAX_SETTLEMENT_DAYS,
    MerchantContract,
    TermPricing,
    UnearnedSubsidy,
    term_problems,
)
from thinfile.commerce.coupon_rules import (
    MAX_COUPON_DAYS,
    MAX_PER_BORROWER,
    BorrowerCouponStatus,
    CouponRules,
    CouponStatus,
    status_after_return,
)
from thinfile.commerce.credit_code import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_WEIGHTS,
    REGISTRATION_AUTHORITIES,
    CreditCode,
    credit_code_check_character,
    is_valid_credit_code,
    organisation_code_check_character,
    parse_credit_code,
    validate_credit_code,
)
from thinfile.commerce.merchant import (
    MerchantCategory,
    MerchantStatus,
    activated,
    mask_account_number,
    settlement_account_number,
)
from thinfile.commerce.plan import BorrowerPlan, borrower_plan, part_rounding
from thinfile.commerce.purchase import (
    Captured,
    Coupon,
    CouponFunder,
    PurchaseMoney,
    purchase_money,
)
from thinfile.commerce.quote import CheckoutQuote, quote_checkout
from thinfile.commerce.recognition import IncomeRecognition, RecognitionPeriod, recognise_income
from thinfile.commerce.settlement import (
    SETTLEMENT_CSV_HEADER,
    MerchantSettlement,
    SettlementLine,
    SettlementLineKind,
    settlement_csv,
    settlement_of,
)

__all__ = [
    "ALLOWED_TERMS",
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_WEIGHTS",
    "MAX_CAMPAIGN_DAYS",
    "MAX_CAMPAIGN_MERCHANTS",
    "MAX_COUPON_DAYS",
    "MAX_LINES",
    "MAX_ORDER_TOTAL",
    "MAX_PER_BORROWER",
    "MAX_QUANTITY",
    "MAX_SETTLEMENT_DAYS",
    "REGISTRATION_AUTHORITIES",
    "SETTLEMENT_CSV_HEADER",
    "BorrowerCouponStatus",
    "BorrowerPlan",
    "BudgetState",
    "Campaign",
    "CampaignStatus",
    "CampaignSubsidy",
    "Captured",
    "CheckoutAmounts",
    "CheckoutQuote",
    "CheckoutStatus",
    "Coupon",
    "CouponFunder",
    "CouponRules",
    "CouponStatus",
    "CreditCode",
    "IncomeRecognition",
    "MerchantCategory",
    "MerchantContract",
    "MerchantSettlement",
    "MerchantStatus",
    "OrderLine",
    "PurchaseMoney",
    "RecognitionPeriod",
    "SettlementLine",
    "SettlementLineKind",
    "TermPricing",
    "UnearnedSubsidy",
    "activated",
    "allowed_terms",
    "borrower_plan",
    "budget_state",
    "campaign_subsidy",
    "check_order",
    "credit_code_check_character",
    "is_valid_credit_code",
    "mask_account_number",
    "organisation_code_check_character",
    "parse_credit_code",
    "part_rounding",
    "purchase_money",
    "quote_checkout",
    "recognise_income",
    "redirect_url",
    "settlement_account_number",
    "settlement_csv",
    "settlement_of",
    "split_refund",
    "status_after_return",
    "status_at",
    "term_problems",
    "validate_credit_code",
]
