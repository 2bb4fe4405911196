"""Every error thinfile raises on purpose.

Each error carries a stable ``code`` (for programs), an HTTP ``status`` (for the API),
the ``field`` and ``value`` that caused it, and a ``remedy`` (what the user should do).
Interfaces render all of them the same way: ``{"code", "message", "details"}``. Codes are
unique across the tree and never change once published (a test keeps them so).

Hierarchy::

    ThinfileError                    error                    400
    ├── InvalidInputError            invalid_input            422
    │   ├── MoneyTypeError           money_type               422
    │   ├── CurrencyMismatchError    currency_mismatch        422
    │   ├── DataContractError        data_contract            422
    │   ├── NonAsciiTextError        non_ascii_text           422
    │   ├── InvalidIdNumberError     invalid_id_number        422
    │   ├── InvalidMobileError       invalid_mobile           422
    │   ├── InvalidNameError         invalid_name             422
    │   ├── InvalidBirthDateError    invalid_birth_date       422
    │   │   └── UnderageError        under_minimum_age        422
    │   ├── InvalidCreditCodeError   invalid_credit_code      422
    │   ├── InvalidMerchantContractError  invalid_merchant_contract  422
    │   ├── InvalidSettlementAccountError  invalid_settlement_account  422
    │   ├── InvalidCardNumberError   invalid_card_number      422
    │   ├── InvalidCampaignError     invalid_campaign         422
    │   ├── InvalidCouponError       invalid_coupon           422
    │   ├── InvalidSalesFeedError    invalid_sales_feed       422
    │   ├── PayloadTooLargeError     payload_too_large        413
    │   └── UnsupportedMediaTypeError  unsupported_media_type  415
    ├── RateCapExceededError         rate_cap_exceeded        422
    ├── NoSolutionError              no_solution              422
    ├── NotFoundError                not_found                404
    ├── ConflictError                conflict                 409
    │   ├── DuplicateRequest         duplicate_request        409  (services.idempotency)
    │   ├── BusinessDateClosedError  business_date_closed     409
    │   ├── MerchantExistsError      merchant_exists          409
    │   ├── MerchantStatusError      merchant_status          409
    │   ├── CheckoutStateError       checkout_state           409
    │   ├── CampaignUnavailableError  campaign_unavailable    409
    │   ├── CampaignBudgetExhaustedError  campaign_budget_exhausted  409
    │   ├── CouponUnavailableError   coupon_unavailable       409
    │   ├── CouponBudgetExhaustedError  coupon_budget_exhausted  409
    │   ├── ProgrammeBudgetExhaustedError  programme_budget_exhausted  409
    │   ├── SalesDayConflictError    sales_day_conflict       409
    │   ├── TermsMismatchError       terms_mismatch           409
    │   └── CloseOfBusinessRunning   close_of_business_running 503 (Retry-After)
    ├── PermissionDeniedError        permission_denied        403
    │   ├── ConsentRequiredError     consent_required         403
    │   ├── ConductRuleBrokenError   conduct_rule_broken      403
    │   └── RealNameRequiredError    real_name_required       403
    ├── AuthenticationError          authentication_required  401
    │   ├── SmsCodeRejectedError     sms_code_rejected        401
    │   └── NotificationRejectedError  notification_rejected  401
    │       └── NotificationReplayedError  notification_replayed  401
    ├── RealNameMismatchError        real_name_mismatch       422
    ├── CardVerificationFailedError  card_verification_failed 422
    ├── PaymentGatewayUnavailableError  payment_gateway_unavailable  503
    ├── ChannelError             notification_channel_failed  503  (services.notification_ports)
    ├── DocumentFontMissingError     document_font_missing    503
    ├── RateLimitedError             rate_limited             429
    ├── InvariantViolation           invariant_violation      500
    └── DecryptionError              decryption_failed        500

Every class is defined here except ``DuplicateRequest``, which carries the first response to
an idempotency key (a type of :mod:`thinfile.services.idempotency`) and is defined beside it.
Modules that raised an error before it moved here re-export it, so their imports keep working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

__all__ = [
    "AuthenticationError",
    "BusinessDateClosedError",
    "CampaignBudgetExhaustedError",
    "CampaignUnavailableError",
    "CardVerificationFailedError",
    "CheckoutStateError",
    "CloseOfBusinessRunning",
    "ConductRuleBrokenError",
    "ConflictError",
    "ConsentRequiredError",
    "CouponBudgetExhaustedError",
    "CouponUnavailableError",
    "CurrencyMismatchError",
    "DataContractError",
    "DecryptionError",
    "DocumentFontMissingError",
    "FieldProblem",
    "InvalidBirthDateError",
    "InvalidCampaignError",
    "InvalidCardNumberError",
    "InvalidCouponError",
    "InvalidCreditCodeError",
    "InvalidIdNumberError",
    "InvalidInputError",
    "InvalidMerchantContractError",
    "InvalidMobileError",
    "InvalidNameError",
    "InvalidSalesFeedError",
    "InvalidSettlementAccountError",
    "InvariantViolation",
    "MerchantExistsError",
    "MerchantStatusError",
    "MoneyTypeError",
    "NoSolutionError",
    "NonAsciiTextError",
    "NotFoundError",
    "NotificationRejectedError",
    "NotificationReplayedError",
    "PayloadTooLargeError",
    "PaymentGatewayUnavailableError",
    "PermissionDeniedError",
    "ProgrammeBudgetExhaustedError",
    "RateCapExceededError",
    "RateLimitedError",
    "RealNameMismatchError",
    "RealNameRequiredError",
    "RowProblem",
    "SalesDayConflictError",
    "SmsCodeRejectedError",
    "TermsMismatchError",
    "ThinfileError",
    "UnderageError",
    "UnsupportedMediaTypeError",
]


class FieldProblem:
    """One bad field: where it is, what was wrong, and what to do."""

    __slots__ = ("field", "message", "value")

    def __init__(self, field: str, message: str, value: object = None) -> None:
        self.field = field
        self.message = message
        self.value = value

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "message": self.message, "value": _printable(self.value)}

    def __repr__(self) -> str:
        return f"FieldProblem({self.field!r}, {self.message!r})"


class RowProblem(FieldProblem):
    """One bad field of one row of a file: the row's number (1 is the first row after the
    header), the field, what was wrong and what to do about it."""

    __slots__ = ("remedy", "row")

    def __init__(
        self, row: int, field: str, message: str, value: object = None, *, remedy: str = ""
    ) -> None:
        super().__init__(field, message, value)
        self.row = row
        self.remedy = remedy

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, **super().as_dict(), "remedy": self.remedy}

    def __repr__(self) -> str:
        return f"RowProblem({self.row}, {self.field!r}, {self.message!r})"


def _printable(value: object) -> object:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


class ThinfileError(Exception):
    """Base of every error thinfile raises deliberately."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        remedy: str | None = None,
        problems: Sequence[FieldProblem] = (),
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.value = value
        self.remedy = remedy
        self.problems = tuple(problems)
        self.extra = dict(extra or {})

    def details(self) -> dict[str, object]:
        """Machine-readable details for API bodies and JSON output."""
        out: dict[str, object] = {}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = _printable(self.value)
        if self.remedy:
            out["remedy"] = self.remedy
        if self.problems:
            out["problems"] = [p.as_dict() for p in self.problems]
        out.update(self.extra)
        return out

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "details": self.details()}

    def one_line(self) -> str:
        """The single line a command-line user sees."""
        where = f"{self.field}: " if self.field else ""
        text = f"{where}{self.message}"
        if self.problems and not self.field:
            text += " (" + "; ".join(f"{p.field}: {p.message}" for p in self.problems) + ")"
        if self.remedy:
            text += f" — {self.remedy}"
        return text


class InvalidInputError(ThinfileError):
    """Input that cannot be used as given."""

    code = "invalid_input"
    status = 422


class MoneyTypeError(InvalidInputError):
    """A float, or another unsupported type, was passed where money is expected."""

    code = "money_type"


class CurrencyMismatchError(InvalidInputError):
    """Two amounts in different currencies were combined."""

    code = "currency_mismatch"


class DataContractError(InvalidInputError):
    """A training or scoring table breaks its data contract (wrong column, type, target)."""

    code = "data_contract"


class NonAsciiTextError(InvalidInputError):
    """An identifier that still holds characters other than ASCII once normalised (NFKC):
    digits of another script (Arabic-Indic ``١٠٠``, Devanagari), letters that only look alike."""

    code = "non_ascii_text"


class InvalidIdNumberError(InvalidInputError):
    """Not a resident ID number: wrong length, a wrong check character, or no real birth date."""

    code = "invalid_id_number"


class InvalidMobileError(InvalidInputError):
    """Not a mainland mobile number: wrong length, or a number segment (号段) never assigned."""

    code = "invalid_mobile"


class InvalidNameError(InvalidInputError):
    """A person's name that is empty, or holds control or invisible formatting characters."""

    code = "invalid_name"


class InvalidBirthDateError(InvalidInputError):
    """A birth date no living applicant can have: before 1900, or after today."""

    code = "invalid_birth_date"


class UnderageError(InvalidBirthDateError):
    """The person is younger than the minimum age to borrow."""

    code = "under_minimum_age"


class InvalidCreditCodeError(InvalidInputError):
    """Not a unified social credit code (统一社会信用代码, GB 32100-2015): wrong length or
    characters, an unknown registration authority or organisation type, no administrative
    division, or a check character (the organisation code's or the code's own) that does not
    match. ``extra["part"]`` names the part of the code that is wrong."""

    code = "invalid_credit_code"


class InvalidMerchantContractError(InvalidInputError):
    """Merchant contract terms that cannot be used: a rate outside [0, 1), a term not offered,
    a settlement cycle out of range. ``problems`` lists every bad term."""

    code = "invalid_merchant_contract"


class InvalidSettlementAccountError(InvalidInputError):
    """A merchant's settlement account number that is not 8 to 30 digits."""

    code = "invalid_settlement_account"


class InvalidCardNumberError(InvalidInputError):
    """A bank card number that is not 16 to 19 digits passing the Luhn check."""

    code = "invalid_card_number"


class InvalidCampaignError(InvalidInputError):
    """A campaign that cannot run: its window ends before it starts, a term not allowed, a
    minimum above the maximum, a warning threshold above the budget. ``problems`` lists every
    bad field."""

    code = "invalid_campaign"


class InvalidCouponError(InvalidInputError):
    """A coupon that cannot be used as defined: nothing off, a threshold not above the amount
    off, a budget below one coupon, a window that ends before it starts."""

    code = "invalid_coupon"


class InvalidSalesFeedError(InvalidInputError):
    """A merchant-sales file or upload that cannot be loaded: a wrong header, no rows, or rows
    with bad values. ``problems`` holds a :class:`RowProblem` for every bad field of every row
    (row number, field, what to do); nothing of the file was stored."""

    code = "invalid_sales_feed"


class PayloadTooLargeError(InvalidInputError):
    """The request body is larger than ``THINFILE_MAX_BODY_BYTES``."""

    code = "payload_too_large"
    status = 413


class UnsupportedMediaTypeError(InvalidInputError):
    """A request body sent as something other than JSON (no ``Content-Type``, text, a
    form) to an API that reads JSON only."""

    code = "unsupported_media_type"
    status = 415


class RateCapExceededError(ThinfileError):
    """The annualized all-in cost of a loan is above the configured cap."""

    code = "rate_cap_exceeded"
    status = 422


class NoSolutionError(ThinfileError):
    """A numeric solve (IRR, XIRR, annuity) has no solution for the given cash flows."""

    code = "no_solution"
    status = 422


class NotFoundError(ThinfileError):
    code = "not_found"
    status = 404


class ConflictError(ThinfileError):
    """The request conflicts with the current state (stale version, wrong status)."""

    code = "conflict"
    status = 409


class BusinessDateClosedError(ConflictError):
    """A posting into a business date close of business has finished: post on the current
    business date (``details.current_business_date``) instead."""

    code = "business_date_closed"


class MerchantExistsError(ConflictError):
    """A merchant with this unified social credit code is onboarded already."""

    code = "merchant_exists"


class MerchantStatusError(ConflictError):
    """A merchant's status does not allow this (activation without a contract)."""

    code = "merchant_status"


class CheckoutStateError(ConflictError):
    """A checkout session's state does not allow this (capturing an expired session …)."""

    code = "checkout_state"


class CampaignUnavailableError(ConflictError):
    """The campaign offers nothing now: paused, ended, or outside its window."""

    code = "campaign_unavailable"


class CampaignBudgetExhaustedError(ConflictError):
    """The campaign's budget left is less than this purchase's subsidy: its plan is no longer
    offered (offer the plans without it)."""

    code = "campaign_budget_exhausted"


class CouponUnavailableError(ConflictError):
    """The coupon cannot be used on this order: used already, expired, below its threshold, not
    accepted by the merchant, or the borrower holds as many as allowed."""

    code = "coupon_unavailable"


class CouponBudgetExhaustedError(ConflictError):
    """The coupon's budget cannot cover one more issued coupon."""

    code = "coupon_budget_exhausted"


class ProgrammeBudgetExhaustedError(ConflictError):
    """A preferential programme's budget cannot pay one more loan's discount: the offer is
    quoted again at the standard price (reason ``PROGRAMME_BUDGET_EXHAUSTED``)."""

    code = "programme_budget_exhausted"


class SalesDayConflictError(ConflictError):
    """A sales day (and channel) already stored with other figures: stored days are never
    overwritten. ``problems`` names every conflicting row; nothing of the file was stored."""

    code = "sales_day_conflict"


class TermsMismatchError(ConflictError):
    """Terms asked for differ from those a decision approved (a working-capital line is
    opened only with the approved limit and daily rate): ``field`` names the first that
    differs, ``value`` what was asked, the remedy what was approved."""

    code = "terms_mismatch"


class CloseOfBusinessRunning(ConflictError):
    """Close of business is closing a date, so postings wait: retry after
    ``details.retry_after_seconds`` (the API also sends ``Retry-After``)."""

    code = "close_of_business_running"
    status = 503


class PermissionDeniedError(ThinfileError):
    code = "permission_denied"
    status = 403


class ConductRuleBrokenError(PermissionDeniedError):
    """A collection contact would break a conduct rule (催收行为规范); ``value`` names the rule.
    The attempt is refused and recorded as refused."""

    code = "conduct_rule_broken"


class ConsentRequiredError(PermissionDeniedError):
    """The applicant has not consented to the use of their data for a credit assessment."""

    code = "consent_required"


class RealNameRequiredError(PermissionDeniedError):
    """The borrower has not passed real-name verification (实名认证) before a first application."""

    code = "real_name_required"


class RealNameMismatchError(ThinfileError):
    """The identity provider says the name and the ID number do not belong together."""

    code = "real_name_mismatch"
    status = 422


class CardVerificationFailedError(ThinfileError):
    """The payment gateway refused to bind a card: the four elements (name, ID number, card
    number, reserved phone) do not match the bank's records, or the SMS code was wrong."""

    code = "card_verification_failed"
    status = 422


class PaymentGatewayUnavailableError(ThinfileError):
    """The payment gateway could not be reached or gave no usable answer; nothing was bound."""

    code = "payment_gateway_unavailable"
    status = 503


class DocumentFontMissingError(ThinfileError):
    """A PDF document needs a font with Chinese characters and none is installed; the remedy
    names the package to install (or the setting naming a font file)."""

    code = "document_font_missing"
    status = 503


class AuthenticationError(ThinfileError):
    code = "authentication_required"
    status = 401


class SmsCodeRejectedError(AuthenticationError):
    """A one-time SMS code that is wrong, expired, used or spent on too many tries."""

    code = "sms_code_rejected"


class NotificationRejectedError(AuthenticationError):
    """A payment notification whose signature, timestamp or body does not hold up."""

    code = "notification_rejected"


class NotificationReplayedError(NotificationRejectedError):
    """A notification delivery received before, byte for byte with its signature: a replay
    of a captured request, refused (a provider's own retry is signed afresh)."""

    code = "notification_replayed"


class RateLimitedError(ThinfileError):
    code = "rate_limited"
    status = 429


class InvariantViolation(ThinfileError):
    """A posting would break a ledger or account invariant; nothing was written."""

    code = "invariant_violation"
    status = 500


class DecryptionError(ThinfileError):
    """A stored ciphertext could not be opened: unknown key id, or tampered data."""

    code = "decryption_failed"
    status = 500
