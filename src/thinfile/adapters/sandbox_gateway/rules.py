"""The sandbox gateway's fixed rules: how it verifies a card and how each debit ends.

Binding (four elements, checked in this order):

* card number not 16–19 digits passing Luhn → ``card_number_invalid``;
* card number not starting with ``6`` (not a mainland UnionPay debit card) → ``card_unsupported``;
* ID number not a valid resident ID, or a name that is empty or contains ``不符`` or
  ``mismatch`` → ``identity_mismatch``;
* phone not 11 digits starting with ``1``, or ending in ``0000`` → ``phone_mismatch``;
* otherwise a six-digit code is "texted" — and shown in the answer, this being a sandbox. A wrong
  code, a code older than five minutes, or a fourth try → ``sms_code_rejected``.

Debits, by the last two digits of the amount in fen:

=====  ======================================================================
``51`` failed at once: ``insufficient_funds``
``52`` failed at once: ``card_frozen``
``53`` failed at once: ``limit_exceeded`` (as is any amount over 50,000.00 yuan)
``54`` accepted, then notified failed: ``timeout``
``55`` accepted, then notified failed: ``insufficient_funds``
other  accepted, then notified succeeded
=====  ======================================================================

A debit on an unknown or unbound agreement fails at once with ``agreement_invalid``.
"""

from __future__ import annotations

from thinfile.bank_card import MAX_DIGITS, MIN_DIGITS, is_luhn_valid
from thinfile.resident_id import is_valid_id_number
from thinfile.services.gateway_port import BindingRefusal, DebitFailure

__all__ = [
    "BANKS",
    "SINGLE_DEBIT_LIMIT_FEN",
    "async_failure",
    "bank_name",
    "binding_refusal",
    "sync_failure",
]

BANKS = {
    "622202": "中国工商银行",
    "621226": "中国工商银行",
    "622848": "中国农业银行",
    "621700": "中国建设银行",
    "621661": "中国银行",
    "622588": "招商银行",
    "622262": "交通银行",
}
"""Card prefixes (BIN) the sandbox names; any other ``6…`` card is 沙箱银行 (Sandbox Bank)."""

SINGLE_DEBIT_LIMIT_FEN = 5_000_000
MISMATCH_MARKERS = ("不符", "mismatch")


def binding_refusal(
    name: str, id_number: str, card_number: str, phone: str
) -> BindingRefusal | None:
    """Why the four elements are refused, or ``None`` when they verify."""
    if not MIN_DIGITS <= len(card_number) <= MAX_DIGITS or not is_luhn_valid(card_number):
        return BindingRefusal.CARD_NUMBER_INVALID
    if not card_number.startswith("6"):
        return BindingRefusal.CARD_UNSUPPORTED
    name = name.strip()
    if (
        not name
        or not is_valid_id_number(id_number.strip().upper())
        or any(marker in name.lower() for marker in MISMATCH_MARKERS)
    ):
        return BindingRefusal.IDENTITY_MISMATCH
    if not (len(phone) == 11 and phone.isascii() and phone.isdigit() and phone[0] == "1"):
        return BindingRefusal.PHONE_MISMATCH
    if phone.endswith("0000"):
        return BindingRefusal.PHONE_MISMATCH
    return None


def bank_name(card_number: str) -> str:
    return BANKS.get(card_number[:6], "沙箱银行")


def sync_failure(amount_fen: int) -> DebitFailure | None:
    """The reason a debit of ``amount_fen`` is refused at once, if it is."""
    if amount_fen > SINGLE_DEBIT_LIMIT_FEN:
        return DebitFailure.LIMIT_EXCEEDED
    return {
        51: DebitFailure.INSUFFICIENT_FUNDS,
        52: DebitFailure.CARD_FROZEN,
        53: DebitFailure.LIMIT_EXCEEDED,
    }.get(amount_fen % 100)


def async_failure(amount_fen: int) -> DebitFailure | None:
    """The reason an accepted debit of ``amount_fen`` is later notified as failed, if it is."""
    return {54: DebitFailure.TIMEOUT, 55: DebitFailure.INSUFFICIENT_FUNDS}.get(amount_fen % 100)
