"""The sandbox gateway's HTTP interface (an ASGI app run by ``thinfile gateway serve``).

Every request carries the :mod:`~thinfile.adapters.gateway_signature` header over its body
(an empty body for ``GET``); bodies are JSON. Routes:

=====================================  ==========================================================
``POST /v1/bindings``                  four elements + ``request_id`` → ``binding_id``, masked
                                       phone, ``sandbox_sms_code``; or 422 ``{"refusal": …}``
``POST /v1/bindings/{id}/confirm``     ``sms_code`` → ``agreement_token``, ``last_four``,
                                       ``bank_name``; or 422 ``{"refusal": …}``
``POST /v1/agreements/{token}/unbind`` ends the agreement
``POST /v1/debits``                    ``agreement_token``, ``amount_fen``, ``request_id`` →
                                       ``status`` (accepted/failed), ``gateway_txn_id``, ``failure``
``GET /v1/debits/{request_id}``        the debit's ``gateway_txn_id``, ``request_id``, final
                                       ``status``, ``amount_fen``, ``failure``,
                                       ``completed_at``; or 404
``POST /v1/refunds``                   ``gateway_txn_id``, ``amount_fen``, ``request_id`` → same
``GET /v1/reconciliation/{YYYY-MM-DD}`` the CSV of transactions completed that day (CST)
``GET /healthz``                       ``ok`` (unsigned)
=====================================  ==========================================================

A repeated ``request_id`` gets the first answer again. The rules are in
:mod:`~thinfile.adapters.sandbox_gateway.rules`.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from thinfile.adapters.gateway_signature import verify_signature
from thinfile.adapters.sandbox_gateway import rules
from thinfile.adapters.sandbox_gateway.notifier import Delivery, Notifier
from thinfile.adapters.sandbox_gateway.store import GatewayStore
from thinfile.errors import NotificationRejectedError
from thinfile.services.gateway_port import (
    RECONCILIATION_COLUMNS,
    DebitFailure,
    TransactionKind,
    TransactionStatus,
)

__all__ = ["GatewayConfig", "create_gateway_app"]

CODE_TTL_SECONDS = 300
CODE_MAX_ATTEMPTS = 3
CST = timedelta(hours=8)
MAX_BODY_BYTES = 16_384


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    database: Path
    key: bytes
    delivery: Delivery = field(default_factory=Delivery)
    tolerance_seconds: int = 300
    clock: Callable[[], datetime] = _utc_now
    """When a transaction completes (its ``completed_at``, so the date of the reconciliation
    file listing it): the wall clock, or a replay's clock in the demo (signatures always take
    the wall clock)."""


def _refused(refusal: str) -> JSONResponse:
    return JSONResponse({"refusal": refusal}, status_code=422)


class _Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.store = GatewayStore(config.database)
        self.notifier = Notifier(self.store, config.key, config.delivery)

    async def body(self, request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise NotificationRejectedError("the body is too large")
        verify_signature(
            self.config.key,
            dict(request.headers),
            raw,
            now=datetime.now(UTC),
            tolerance_seconds=self.config.tolerance_seconds,
        )
        parsed = json.loads(raw) if raw else {}
        if not isinstance(parsed, dict):
            raise NotificationRejectedError("the body is not a JSON object")
        return parsed

    async def start_binding(self, request: Request) -> Response:
        body = await self.body(request)
        card = str(body.get("card_number", ""))
        phone = str(body.get("phone", ""))
        refusal = rules.binding_refusal(
            str(body.get("name", "")), str(body.get("id_number", "")), card, phone
        )
        if refusal is not None:
            return _refused(refusal.value)
        binding_id, code = f"bnd_{uuid.uuid4().hex}", f"{secrets.randbelow(10**6):06d}"
        masked = f"{phone[:3]}****{phone[-4:]}"
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO bindings (id, phone_masked, code, created_at, last_four, bank_name)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (binding_id, masked, code, time.time(), card[-4:], rules.bank_name(card)),
            )
        return JSONResponse(
            {"binding_id": binding_id, "phone_masked": masked, "sandbox_sms_code": code}
        )

    async def confirm_binding(self, request: Request) -> Response:
        body = await self.body(request)
        binding_id, given = request.path_params["binding_id"], str(body.get("sms_code", ""))
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM bindings WHERE id = ?", (binding_id,)).fetchone()
            if row is None or row["agreement_token"] is not None:
                return _refused("sms_code_rejected")
            db.execute("UPDATE bindings SET attempts = attempts + 1 WHERE id = ?", (binding_id,))
            if (
                row["attempts"] >= CODE_MAX_ATTEMPTS
                or time.time() - row["created_at"] > CODE_TTL_SECONDS
                or not secrets.compare_digest(str(row["code"]), given)
            ):
                return _refused("sms_code_rejected")
            token = f"agr_{secrets.token_hex(16)}"
            db.execute("UPDATE bindings SET agreement_token = ? WHERE id = ?", (token, binding_id))
            db.execute(
                "INSERT INTO agreements (token, last_four, bank_name, is_active)"
                " VALUES (?, ?, ?, 1)",
                (token, row["last_four"], row["bank_name"]),
            )
        return JSONResponse(
            {"agreement_token": token, "last_four": row["last_four"], "bank_name": row["bank_name"]}
        )

    async def unbind(self, request: Request) -> Response:
        await self.body(request)
        with self.store.transaction() as db:
            db.execute(
                "UPDATE agreements SET is_active = 0 WHERE token = ?",
                (request.path_params["token"],),
            )
        return JSONResponse({"unbound": True})

    @staticmethod
    def _answer(row: Any) -> JSONResponse:
        """The synchronous answer: accepted, or failed at once with its reason."""
        is_failed = row["answer"] == TransactionStatus.FAILED.value
        return JSONResponse(
            {
                "gateway_txn_id": row["id"],
                "status": row["answer"],
                "failure": row["failure"] if is_failed else None,
            }
        )

    def _record(self, db: Any, fields: dict[str, Any]) -> None:
        """Store a transaction; an accepted one is queued for notification."""
        db.execute(
            "INSERT INTO transactions (id, request_id, kind, agreement_token, amount_fen, answer,"
            " status, failure, original_txn_id, completed_at) VALUES (:id, :request_id, :kind,"
            " :agreement_token, :amount_fen, :answer, :status, :failure, :original_txn_id,"
            " :completed_at)",
            fields,
        )

    async def debit(self, request: Request) -> Response:
        body = await self.body(request)
        return self._transact(
            TransactionKind.DEBIT, body, lambda db, amount: self._debit_failure(db, body, amount)
        )

    async def debit_status(self, request: Request) -> Response:
        """A status query: the debit's final status is known to the gateway before its
        notification goes out."""
        await self.body(request)
        with self.store.transaction() as db:
            row = db.execute(
                "SELECT * FROM transactions WHERE kind = 'debit' AND request_id = ?",
                (request.path_params["request_id"],),
            ).fetchone()
        if row is None:
            return JSONResponse({"error": "no such debit"}, status_code=404)
        return JSONResponse(
            {
                "gateway_txn_id": row["id"],
                "request_id": row["request_id"],
                "status": row["status"],
                "amount_fen": row["amount_fen"],
                "failure": row["failure"],
                "completed_at": row["completed_at"],
            }
        )

    async def refund(self, request: Request) -> Response:
        body = await self.body(request)
        return self._transact(
            TransactionKind.REFUND, body, lambda db, amount: self._refund_failure(db, body, amount)
        )

    def _debit_failure(self, db: Any, body: dict[str, Any], amount: int) -> DebitFailure | None:
        agreement = db.execute(
            "SELECT is_active FROM agreements WHERE token = ?", (str(body.get("agreement_token")),)
        ).fetchone()
        if agreement is None or not agreement["is_active"]:
            return DebitFailure.AGREEMENT_INVALID
        return rules.sync_failure(amount)

    def _refund_failure(self, db: Any, body: dict[str, Any], amount: int) -> DebitFailure | None:
        original = str(body.get("gateway_txn_id"))
        debit = db.execute(
            "SELECT amount_fen FROM transactions WHERE id = ? AND kind = 'debit'"
            " AND status = 'succeeded'",
            (original,),
        ).fetchone()
        refunded = db.execute(
            "SELECT COALESCE(SUM(amount_fen), 0) AS total FROM transactions WHERE"
            " original_txn_id = ? AND kind = 'refund' AND status != 'failed'",
            (original,),
        ).fetchone()["total"]
        if debit is None or refunded + amount > debit["amount_fen"]:
            return DebitFailure.REFUND_EXCEEDS_PAYMENT
        return None

    def _transact(self, kind: TransactionKind, body: dict[str, Any], refuse: Any) -> Response:
        amount, request_id = body.get("amount_fen"), str(body.get("request_id", ""))
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0 or not request_id:
            return JSONResponse({"error": "amount_fen and request_id are required"}, 400)
        with self.store.transaction() as db:
            earlier = db.execute(
                "SELECT * FROM transactions WHERE kind = ? AND request_id = ?",
                (kind.value, request_id),
            ).fetchone()
            if earlier is not None:
                return self._answer(earlier)
            failure = refuse(db, amount)
            is_debit = kind is TransactionKind.DEBIT
            later = rules.async_failure(amount) if is_debit and failure is None else None
            fields = {
                "id": f"txn_{uuid.uuid4().hex}",
                "request_id": request_id,
                "kind": kind.value,
                "agreement_token": body.get("agreement_token"),
                "amount_fen": amount,
                "answer": "failed" if failure else "accepted",
                "status": "failed" if failure or later else "succeeded",
                "failure": (failure or later),
                "original_txn_id": None if is_debit else body.get("gateway_txn_id"),
                "completed_at": self.config.clock().astimezone(UTC).isoformat(),
            }
            self._record(db, fields)
            if failure is None:
                self._notify(db, fields)
        return self._answer(fields)

    def _notify(self, db: Any, fields: dict[str, Any]) -> None:
        notification_id = f"ntf_{uuid.uuid4().hex}"
        payload = {**fields, "notification_id": notification_id}
        payload.pop("agreement_token")
        payload.pop("answer")
        payload["gateway_txn_id"] = payload.pop("id")
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        self.notifier.enqueue(db, notification_id, body)

    async def reconciliation(self, request: Request) -> Response:
        await self.body(request)
        day = date.fromisoformat(request.path_params["day"])
        start = datetime(day.year, day.month, day.day, tzinfo=UTC) - CST
        with self.store.transaction() as db:
            rows = db.execute(
                "SELECT * FROM transactions WHERE completed_at >= ? AND completed_at < ?"
                " ORDER BY completed_at, id",
                (start.isoformat(), (start + timedelta(days=1)).isoformat()),
            ).fetchall()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(RECONCILIATION_COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row["id"],
                    row["request_id"],
                    row["kind"],
                    row["status"],
                    row["amount_fen"],
                    row["failure"] or "",
                    row["original_txn_id"] or "",
                    row["completed_at"],
                ]
            )
        return PlainTextResponse(out.getvalue(), media_type="text/csv; charset=utf-8")


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_gateway_app(config: GatewayConfig) -> Starlette:
    """The sandbox gateway as an ASGI app; notifications are posted while it runs."""
    gateway = _Gateway(config)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        gateway.notifier.start()
        yield
        gateway.notifier.stop()
        gateway.store.close()

    async def rejected(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=401)

    return Starlette(
        routes=[
            Route("/healthz", _health),
            Route("/v1/bindings", gateway.start_binding, methods=["POST"]),
            Route("/v1/bindings/{binding_id}/confirm", gateway.confirm_binding, methods=["POST"]),
            Route("/v1/agreements/{token}/unbind", gateway.unbind, methods=["POST"]),
            Route("/v1/debits", gateway.debit, methods=["POST"]),
            Route("/v1/debits/{request_id}", gateway.debit_status, methods=["GET"]),
            Route("/v1/refunds", gateway.refund, methods=["POST"]),
            Route("/v1/reconciliation/{day}", gateway.reconciliation, methods=["GET"]),
        ],
        exception_handlers={NotificationRejectedError: rejected},
        lifespan=lifespan,
    )
