"""Commerce: merchants, their contracts and the money of installment purchases (no I/O).

Data flow::

    credit code ──validate_credit_code──► the merchant's identity (统一社会信用代码)
    MerchantContract ──pricing(periods)──► TermPricing
    price, TermPricing, Coupon ──purchase_money──► PurchaseMoney (financed, subsidy, settlement)
    financed ──borrower_plan──► BorrowerPlan (loanmath schedule, annualized rate, statement)
    schedule, net investment ──recognise_income──► IncomeRecognition (effective-interest method)
    all three ──quote_checkout──► CheckoutQuote
"""

from thinfile.commerce.contract import (
    ALLOWED_TERMS,
    MAX_SETTLEMENT_DAYS,
    MerchantContract,
    TermPricing,
    UnearnedSubsidy,
    term_problems,
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
from thinfile.commerce.plan import BorrowerPlan, borrower_plan
from thinfile.commerce.purchase import Coupon, CouponFunder, PurchaseMoney, purchase_money
from thinfile.commerce.quote import CheckoutQuote, quote_checkout
from thinfile.commerce.recognition import IncomeRecognition, RecognitionPeriod, recognise_income

__all__ = [
    "ALLOWED_TERMS",
    "CREDIT_CODE_ALPHABET",
    "CREDIT_CODE_WEIGHTS",
    "MAX_SETTLEMENT_DAYS",
    "REGISTRATION_AUTHORITIES",
    "BorrowerPlan",
    "CheckoutQuote",
    "Coupon",
    "CouponFunder",
    "CreditCode",
    "IncomeRecognition",
    "MerchantCategory",
    "MerchantContract",
    "MerchantStatus",
    "PurchaseMoney",
    "RecognitionPeriod",
    "TermPricing",
    "UnearnedSubsidy",
    "activated",
    "borrower_plan",
    "credit_code_check_character",
    "is_valid_credit_code",
    "mask_account_number",
    "organisation_code_check_character",
    "parse_credit_code",
    "purchase_money",
    "quote_checkout",
    "recognise_income",
    "settlement_account_number",
    "term_problems",
    "validate_credit_code",
]
