"""The lender's adapter for the sandbox gateway: a :class:`~thinfile.services.ports.PaymentGateway`
over HTTP (httpx), every request signed with the shared key.

A real provider's adapter is one more class like this one: the same methods, its own wire
format, signature and refusal codes mapped onto the port's types (``adapters/docs.md``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from thinfile.adapters.gateway_signature import SIGNATURE_HEADER, sign, verify_signature
from thinfile.errors import (
    CardVerificationFailedError,
    NotificationRejectedError,
    PaymentGatewayUnavailableError,
)
from thinfile.services.gateway_port import (
    BindingChallenge,
    BindingRefusal,
    BoundCard,
    DebitAnswer,
    DebitFailure,
    PaymentNotification,
    TransactionKind,
    TransactionReport,
    TransactionStatus,
)

__all__ = ["SandboxGatewayClient", "parse_notification_body"]

REFUSAL_REMEDIES = {
    BindingRefusal.CARD_NUMBER_INVALID: "check the card number",
    BindingRefusal.CARD_UNSUPPORTED: "bind a debit card of a mainland bank",
    BindingRefusal.IDENTITY_MISMATCH: "bind a card in your own name",
    BindingRefusal.PHONE_MISMATCH: "use the mobile number you gave the bank for this card",
    BindingRefusal.SMS_CODE_REJECTED: "type the latest code, or start the binding again",
}


class SandboxGatewayClient:
    """Talks to ``thinfile gateway serve`` at ``base_url``."""

    provider = "sandbox"

    def __init__(
        self, base_url: str, key: bytes, *, tolerance_seconds: int = 300, timeout: float = 10.0
    ) -> None:
        self._key = key
        self._tolerance = tolerance_seconds
        self._base_url, self._timeout = base_url, timeout

    @property
    def request_expiry(self) -> timedelta:
        """The sandbox refuses a request signed more than its tolerance ago (the same
        tolerance as this adapter's, ``THINFILE_PAYMENT_NOTIFICATION_TOLERANCE_SECONDS``):
        twice it, for clocks apart by as much, and this adapter's timeout."""
        return timedelta(seconds=2 * self._tolerance + self._timeout)

    @property
    def base_url(self) -> str:
        """Where the sandbox serves (``THINFILE_PAYMENT_GATEWAY_URL``)."""
        return self._base_url

    def close(self) -> None:
        """Nothing to release: each call opens and closes its own connection, so an app
        holding the adapter needs no shutdown step."""

    def _call(
        self,
        method: str,
        path: str,
        payload: Mapping[str, object] | None = None,
        *,
        accept: tuple[int, ...] = (200, 422),
    ) -> httpx.Response:
        body = b"" if payload is None else json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._key, body, at=datetime.now(UTC)),
        }
        try:
            with httpx.Client(base_url=self._base_url, timeout=self._timeout) as http:
                response = http.request(method, path, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise PaymentGatewayUnavailableError(
                f"the payment gateway did not answer ({type(exc).__name__})",
                remedy="try again in a minute",
            ) from None
        if response.status_code not in accept:
            raise PaymentGatewayUnavailableError(
                f"the payment gateway answered {response.status_code}",
                remedy="try again in a minute",
            )
        return response

    def _bound(self, response: httpx.Response) -> dict[str, Any]:
        data: dict[str, Any] = response.json()
        if response.status_code == 422:
            refusal = BindingRefusal(data["refusal"])
            raise CardVerificationFailedError(
                "the bank did not verify this card",
                field="sms_code" if refusal is BindingRefusal.SMS_CODE_REJECTED else "card_number",
                remedy=REFUSAL_REMEDIES[refusal],
                extra={"reason": refusal.value},
            )
        return data

    def start_binding(
        self, *, name: str, id_number: str, card_number: str, phone: str, request_id: str
    ) -> BindingChallenge:
        data = self._bound(
            self._call(
                "POST",
                "/v1/bindings",
                {
                    "name": name,
                    "id_number": id_number,
                    "card_number": card_number,
                    "phone": phone,
                    "request_id": request_id,
                },
            )
        )
        return BindingChallenge(
            binding_id=str(data["binding_id"]),
            phone_masked=str(data["phone_masked"]),
            sandbox_sms_code=str(data["sandbox_sms_code"]),
        )

    def confirm_binding(self, binding_id: str, sms_code: str) -> BoundCard:
        data = self._bound(
            self._call("POST", f"/v1/bindings/{binding_id}/confirm", {"sms_code": sms_code})
        )
        return BoundCard(
            agreement_token=str(data["agreement_token"]),
            last_four=str(data["last_four"]),
            bank_name=str(data["bank_name"]),
        )

    def unbind(self, agreement_token: str) -> None:
        self._call("POST", f"/v1/agreements/{agreement_token}/unbind", {})

    @staticmethod
    def _answer(response: httpx.Response) -> DebitAnswer:
        data = response.json()
        failure = data.get("failure")
        return DebitAnswer(
            status=TransactionStatus(data["status"]),
            gateway_txn_id=data.get("gateway_txn_id"),
            failure=None if failure is None else DebitFailure(failure),
        )

    def debit(self, agreement_token: str, amount_fen: int, request_id: str) -> DebitAnswer:
        payload = {
            "agreement_token": agreement_token,
            "amount_fen": amount_fen,
            "request_id": request_id,
        }
        return self._answer(self._call("POST", "/v1/debits", payload))

    def debit_status(self, request_id: str) -> TransactionReport | None:
        response = self._call("GET", f"/v1/debits/{request_id}", accept=(200, 404))
        if response.status_code == 404:
            return None
        data = response.json()
        failure, completed = data.get("failure"), data.get("completed_at")
        return TransactionReport(
            gateway_txn_id=str(data["gateway_txn_id"]),
            request_id=str(data["request_id"]),
            status=TransactionStatus(data["status"]),
            amount_fen=int(data["amount_fen"]),
            failure=None if failure is None else DebitFailure(failure),
            completed_at=None if completed is None else datetime.fromisoformat(completed),
        )

    def refund(self, gateway_txn_id: str, amount_fen: int, request_id: str) -> DebitAnswer:
        payload = {
            "gateway_txn_id": gateway_txn_id,
            "amount_fen": amount_fen,
            "request_id": request_id,
        }
        return self._answer(self._call("POST", "/v1/refunds", payload))

    def parse_notification(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> PaymentNotification:
        verify_signature(self._key, headers, body, now=now, tolerance_seconds=self._tolerance)
        return parse_notification_body(body)

    def reconciliation_file(self, day: date) -> bytes:
        return self._call("GET", f"/v1/reconciliation/{day.isoformat()}").content


def parse_notification_body(body: bytes) -> PaymentNotification:
    """The notification in a (verified) body, or :class:`NotificationRejectedError`."""
    try:
        data = json.loads(body)
        failure = data.get("failure")
        amount = data["amount_fen"]
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError("amount_fen")
        return PaymentNotification(
            gateway_txn_id=str(data["gateway_txn_id"]),
            request_id=str(data["request_id"]),
            kind=TransactionKind(data["kind"]),
            status=TransactionStatus(data["status"]),
            amount_fen=amount,
            failure=None if failure is None else DebitFailure(failure),
            original_txn_id=data.get("original_txn_id"),
            completed_at=datetime.fromisoformat(data["completed_at"]),
            notification_id=str(data["notification_id"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise NotificationRejectedError(
            "the notification body is not one the gateway sends",
            remedy="send the gateway's JSON notification unchanged",
        ) from None
