"""The payment gateway port (支付通道): bind a card, debit it by agreement, refund, reconcile.

The lender's side of a licensed payment provider (DOMAIN.md §15):

1. **Bind** (绑卡): :meth:`PaymentGateway.start_binding` sends the four elements — name, resident
   ID number, card number and the phone reserved at the bank — and the provider texts a code to
   that phone; :meth:`PaymentGateway.confirm_binding` returns the code and gets back an
   **agreement token** (协议号) plus the bank's name and the card's last four digits. The card
   number is never needed again, so it is never kept.
2. **Debit** (协议支付/代扣): :meth:`PaymentGateway.debit` asks for an amount in fen against an
   agreement token under the lender's own ``request_id`` (the provider's idempotency key). The
   synchronous answer says *accepted* (a gateway transaction id) or *failed* (a reason); an
   accepted debit is final only when the provider's **signed asynchronous notification**
   (:class:`PaymentNotification`) says succeeded or failed.
3. **Refund** (退款) a succeeded debit, wholly or in part, back to the card; its result also
   comes by notification.
4. **Notifications** are retried by the provider until acknowledged, so they come late,
   duplicated and out of order: :meth:`PaymentGateway.parse_notification` checks the signature
   and the timestamp and returns the notification; the caller acts on each gateway transaction
   id once.
5. **Status query** (查询): :meth:`PaymentGateway.debit_status` asks what became of the debit
   sent under a ``request_id`` — for a debit whose answer was lost (a timeout) or whose
   notification is late; ``None`` when the provider never received it (safe to send again).
6. **Reconciliation** (对账单): :meth:`PaymentGateway.reconciliation_file` is the provider's CSV
   of the transactions it completed on a date (China Standard Time), columns
   :data:`RECONCILIATION_COLUMNS`.

The full contract an adapter meets is in ``thinfile/adapters/docs.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

__all__ = [
    "RECONCILIATION_COLUMNS",
    "BindingChallenge",
    "BindingRefusal",
    "BoundCard",
    "DebitAnswer",
    "DebitFailure",
    "PaymentGateway",
    "PaymentNotification",
    "TransactionKind",
    "TransactionReport",
    "TransactionStatus",
]

RECONCILIATION_COLUMNS = (
    "gateway_txn_id",
    "request_id",
    "kind",
    "status",
    "amount_fen",
    "failure",
    "original_txn_id",
    "completed_at",
)
"""The header row of a reconciliation file, in order; ``completed_at`` is ISO 8601 in UTC."""


class BindingRefusal(StrEnum):
    """Why a provider refused to bind a card."""

    CARD_NUMBER_INVALID = "card_number_invalid"
    """Not 16 to 19 digits passing the Luhn check."""
    CARD_UNSUPPORTED = "card_unsupported"
    """The provider does not take this card (not a mainland debit card)."""
    IDENTITY_MISMATCH = "identity_mismatch"
    """The name and the ID number are not the card holder's."""
    PHONE_MISMATCH = "phone_mismatch"
    """The phone is not the one reserved at the bank (预留手机号)."""
    SMS_CODE_REJECTED = "sms_code_rejected"
    """The code is wrong, expired or tried too often."""


class DebitFailure(StrEnum):
    """Why a debit (or a refund) failed."""

    INSUFFICIENT_FUNDS = "insufficient_funds"
    CARD_FROZEN = "card_frozen"
    LIMIT_EXCEEDED = "limit_exceeded"
    """Over the card's single or daily limit for agreement payments."""
    TIMEOUT = "timeout"
    """The bank did not answer in time; nothing was taken."""
    AGREEMENT_INVALID = "agreement_invalid"
    """The agreement token is unknown or was unbound."""
    REFUND_EXCEEDS_PAYMENT = "refund_exceeds_payment"
    """A refund larger than what is left of the payment, or of a payment that did not succeed."""


class TransactionKind(StrEnum):
    DEBIT = "debit"
    REFUND = "refund"


class TransactionStatus(StrEnum):
    ACCEPTED = "accepted"
    """Taken by the provider; the final status comes by notification."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class BindingChallenge:
    """A binding waiting for the SMS code the provider sent to the reserved phone."""

    binding_id: str
    phone_masked: str
    sandbox_sms_code: str | None = None
    """The code, shown only by a sandbox provider (a real one sends it to the phone alone)."""


@dataclass(frozen=True, slots=True)
class BoundCard:
    """A card bound for agreement payments: all thinfile keeps of it."""

    agreement_token: str
    last_four: str
    bank_name: str


@dataclass(frozen=True, slots=True)
class DebitAnswer:
    """The provider's synchronous answer to a debit or a refund."""

    status: TransactionStatus
    """:attr:`TransactionStatus.ACCEPTED` or :attr:`TransactionStatus.FAILED`."""
    gateway_txn_id: str | None
    """The provider's transaction id (also on a synchronous failure, when it gave one)."""
    failure: DebitFailure | None = None


@dataclass(frozen=True, slots=True)
class PaymentNotification:
    """A provider's signed, final word on one transaction."""

    gateway_txn_id: str
    request_id: str
    kind: TransactionKind
    status: TransactionStatus
    """:attr:`TransactionStatus.SUCCEEDED` or :attr:`TransactionStatus.FAILED`."""
    amount_fen: int
    failure: DebitFailure | None
    original_txn_id: str | None
    """For a refund, the debit it gives back."""
    completed_at: datetime
    notification_id: str
    """One per notification; every retry or duplicate delivery repeats it."""


@dataclass(frozen=True, slots=True)
class TransactionReport:
    """The provider's answer to a status query: what it knows of one transaction now."""

    gateway_txn_id: str
    request_id: str
    status: TransactionStatus
    """:attr:`TransactionStatus.ACCEPTED` while not final, else succeeded or failed."""
    amount_fen: int
    failure: DebitFailure | None
    completed_at: datetime | None = None
    """When the transaction became final, if it has and the provider says."""


class PaymentGateway(Protocol):
    """A payment provider taking agreement payments from bank cards."""

    provider: str

    @property
    def request_expiry(self) -> timedelta:
        """How long after a request is signed the provider may still act on it: past this, a
        request it never received is refused as stale should it arrive (the provider's window
        on a request's time, with the adapter's timeout and the clocks' difference counted)."""
        ...

    def start_binding(
        self, *, name: str, id_number: str, card_number: str, phone: str, request_id: str
    ) -> BindingChallenge:
        """Check the four elements and text a code to the reserved phone.

        Raises :class:`~thinfile.errors.CardVerificationFailedError` (``details.reason`` a
        :class:`BindingRefusal`) or :class:`~thinfile.errors.PaymentGatewayUnavailableError`.
        """
        ...

    def confirm_binding(self, binding_id: str, sms_code: str) -> BoundCard:
        """Bind the card with the code; same errors as :meth:`start_binding`."""
        ...

    def unbind(self, agreement_token: str) -> None:
        """End the agreement: later debits on it fail with ``agreement_invalid``."""
        ...

    def debit(self, agreement_token: str, amount_fen: int, request_id: str) -> DebitAnswer:
        """Ask to take ``amount_fen`` from the card; a repeated ``request_id`` gets the first
        answer again."""
        ...

    def debit_status(self, request_id: str) -> TransactionReport | None:
        """What became of the debit asked under ``request_id``; ``None`` when the provider
        never received it."""
        ...

    def refund(self, gateway_txn_id: str, amount_fen: int, request_id: str) -> DebitAnswer:
        """Give back ``amount_fen`` of a succeeded debit to its card."""
        ...

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> PaymentNotification:
        """The notification in ``body`` if its signature and timestamp hold up at ``now``,
        else :class:`~thinfile.errors.NotificationRejectedError`."""
        ...

    def reconciliation_file(self, day: date) -> bytes:
        """The provider's CSV (UTF-8) of the transactions completed on ``day`` (CST)."""
        ...
