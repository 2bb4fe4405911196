"""The public API of each package is pinned: adding or removing a name is a decision,
made here on purpose, not a side effect of an import (as httpx pins its exports).

Each listed name must also exist and be defined or re-exported by the package."""

from __future__ import annotations

import importlib

import pytest

EXPORTS: dict[str, list[str]] = {
    "thinfile.money": [
        "FEN_PER_YUAN", "MAX_YUAN_DIGITS", "Money", "Rate", "Rounding", "format_yuan",
        "parse_rate", "round_fen",
    ],
    "thinfile.errors": [
        "AuthenticationError", "ConflictError", "ConsentRequiredError", "CurrencyMismatchError",
        "DataContractError", "DecryptionError", "FieldProblem", "InvalidInputError",
        "InvariantViolation", "MoneyTypeError", "NoSolutionError", "NotFoundError",
        "PayloadTooLargeError", "PermissionDeniedError", "RateCapExceededError",
        "RateLimitedError", "ThinfileError",
    ],
    "thinfile.loanmath": [
        "AnnualizedRate", "CapBasis", "ChargeItem", "CostStatement", "DEFAULT_CAP", "DayCount",
        "DefaultCharges", "DefaultCost", "DefaultTerms", "Frequency", "Installment",
        "InterestBasis", "LoanTerms", "RepaymentMethod", "Schedule", "add_months",
        "annualize_daily_rate", "annualized_rate", "annuity_payment", "annuity_split",
        "broken_period_irr", "build_schedule", "cap_measure", "check_cap", "cost_statement",
        "days_between", "default_charges", "due_dates", "leap_year_basis", "level_installment",
        "period_rates", "periodic_irr", "periods_between", "standard_default_terms", "xirr",
        "year_basis", "year_fraction",
    ],
    "thinfile.servicing": [
        "Account", "Allocation", "BeyondPayoff", "BucketMove", "Component", "Components",
        "CreditLine", "DEFAULT_ALLOCATION", "DEFAULT_BUCKETS", "DelinquencyRange", "EntryBuilder",
        "Event", "EventKind", "ExtraPayment", "InstallmentState", "InvariantViolation",
        "JournalEntry", "JournalLine", "LimitChange", "LineStatus", "LoanAccount", "LoanStatus",
        "Outcome", "PrepaymentMode", "ServicingProduct", "Timing", "WaiverTarget",
        "account_balances", "accrued_to", "allocate", "apply_event", "apply_held_credit",
        "balances_from_account", "change_limit", "charge_off", "check_draw", "check_loan",
        "close_day", "close_through", "daily_allowance", "daily_penalty", "merchant_refund",
        "open_loan", "pay", "payoff_quote", "prepay", "recover", "refund_overpayment", "replay",
        "reversal_entries", "reversal_of", "standard_product", "timing_of", "waivable",
        "waive_fees", "write_off",
    ],
    "thinfile.scoring": [
        "ColumnRole", "ColumnSpec", "InputSchema", "KINDS", "ReasonCode", "ScoreResult",
        "ScoreScale", "ScoringModel", "load_model", "read_table", "train_model",
    ],
    "thinfile.decisioning": [
        "Affordability", "Application", "Arm", "ChallengerDecision", "DEFAULT_POLICY_DIR",
        "Decision", "Finding", "History", "Offer", "Outcome", "Policy", "PolicyBook",
        "PolicySettings", "Scorer", "SimulationReport", "application_from_record", "assign_arm",
        "decide", "is_valid_id_number", "is_valid_phone", "load_policy", "parse_application",
        "replay", "same_as_stored", "simulate",
    ],
    "thinfile.sim": [
        "APPLICANT_COLUMNS", "Behaviour", "DEFAULT_AS_OF", "GENERATION_STEPS", "MAX_APPLICANTS",
        "MAX_MONTHS", "NOT_MODEL_INPUTS", "PERFORMANCE_COLUMNS", "PURPOSES", "SEGMENTS",
        "STATUSES", "Segment", "TERMS", "build_schedules", "generate_applicants",
        "price_monthly_bps", "read_table", "simulate_performance", "write_table",
    ],
    "thinfile.security": [
        "ApiKey", "PasswordHasher", "PiiCipher", "RateLimiter", "Role", "STAFF_ROLES",
        "TokenClaims", "TokenSigner", "hash_api_key", "mask_id_number", "mask_name", "mask_phone",
        "new_api_key", "normalize_id_number", "normalize_phone",
    ],
    "thinfile.http": [
        "AppContext", "Context", "OWNED_RESOURCES", "OwnedResource", "Ownership", "POOL_SIZE",
        "actor_of_token", "build_context", "client_address", "context_dependency",
        "ensure_owner_or_role", "get_context", "path_ids",
    ],
    "thinfile.store": [
        "database_url", "make_engine", "metadata", "upgrade",
    ],
    "thinfile.api": [
        "API_DESCRIPTION", "API_PREFIX", "Idempotent", "IdempotentRequest", "LimitApplications",
        "Principal", "V1_ROUTERS", "count_decision", "current_principal", "install_api",
        "require_owner_or_role", "require_roles",
    ],
}


@pytest.mark.parametrize("package", sorted(EXPORTS))
def test_each_package_exports_exactly_the_pinned_names(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == EXPORTS[package]
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"
