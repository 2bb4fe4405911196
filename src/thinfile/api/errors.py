"""One error shape for every failure: ``{"code", "message", "details"}``, never a stack trace.

Errors raised as :class:`~thinfile.errors.ThinfileError` keep their code and status; request
validation errors become ``invalid_input`` (422) with one problem per bad field; unknown paths
and methods become ``not_found`` (404) and ``method_not_allowed`` (405); anything unexpected is
logged and answered with ``internal_error`` (500).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from datetime import date
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from thinfile.api.models_applications import YUAN, YUAN_HINT
from thinfile.errors import (
    FieldProblem,
    InvalidInputError,
    PayloadTooLargeError,
    RateLimitedError,
    ThinfileError,
)
from thinfile.security.roles import Role

__all__ = [
    "ERROR_RESPONSES",
    "RETRY_AFTER_HEADER",
    "ErrorBody",
    "ErrorDetails",
    "FieldProblemPublic",
    "PayloadTooLargeError",
    "install_error_handlers",
]

log = logging.getLogger("thinfile.api")


Printable = str | int | bool | None
"""A value as an error repeats it (other values are sent as their text)."""


class FieldProblemPublic(BaseModel):
    """One bad field of a request."""

    field: str = Field(examples=["requested_amount"], description="Dotted path of the field")
    message: str = Field(description="What is wrong with it")
    value: Printable = Field(
        default=None, description="The value refused, when it is safe to repeat"
    )


class ErrorDetails(BaseModel):
    """What an error knows beyond its message. Every key is optional: each error sends
    those that apply (a test keeps this list equal to the keys thinfile raises)."""

    field: str | None = Field(default=None, description="The field that caused the error")
    value: Printable = Field(default=None, description="The value refused, when safe to repeat")
    remedy: str | None = Field(default=None, description="What to do about it")
    problems: list[FieldProblemPublic] | None = Field(
        default=None, description="invalid_input: one entry per bad field"
    )
    allowed_roles: list[Role] | None = Field(
        default=None, description="permission_denied: the roles that may do this"
    )
    retry_after_seconds: float | None = Field(
        default=None, description="rate_limited, close_of_business_running: as Retry-After"
    )
    limit: str | None = Field(default=None, description="rate_limited: which limit")
    closing: date | None = Field(
        default=None, description="close_of_business_running: the date being closed"
    )
    current_business_date: date | None = Field(
        default=None, description="business_date_closed: the date open for postings"
    )
    violations: list[str] | None = Field(
        default=None, description="invariant_violation: what did not hold"
    )
    reason: str | None = Field(default=None, description="Why a provider refused")
    tries_left: int | None = Field(default=None, description="sms_code_rejected")
    reference: str | None = Field(default=None, description="The provider's reference")
    budget: str | None = Field(default=None, description="coupon_budget_exhausted: yuan")
    issued: str | None = Field(default=None, description="coupon_budget_exhausted: yuan")
    spent: str | None = Field(
        default=None,
        description="coupon_budget_exhausted: yuan an interest coupon batch's coupons took",
    )
    remaining: str | None = Field(default=None, description="campaign_budget_exhausted: yuan")
    reason_codes: list[str] | None = Field(default=None, description="Limit request refusals")
    ask_again_from: date | None = Field(default=None, description="Limit request refusals")
    lapsed_after: date | None = Field(
        default=None, description="An application's offers: the last day they stood"
    )
    owed: str | None = Field(
        default=None, description="Closing a credit line: yuan of principal still owed on it"
    )
    held: str | None = Field(
        default=None, description="Closing a credit line: yuan authorized purchases hold on it"
    )
    affordable: str | None = Field(
        default=None, description="A staff increase beyond affordability: the most, yuan"
    )
    grade: str | None = Field(
        default=None, description="The line's behaviour grade it was measured at"
    )
    owed_fen: int | None = Field(default=None, description="Payment intents: owed, in fen")
    in_flight_fen: int | None = Field(
        default=None, description="Payment intents: already in flight, in fen"
    )
    row: int | None = Field(default=None, description="Simulation CSV: the bad row")
    problem: ErrorDetails | None = Field(
        default=None, description="Simulation CSV: the bad row's own error details"
    )
    part: str | None = Field(default=None, description="invalid_credit_code: the wrong part")
    annualized: str | None = Field(default=None, description="rate_cap_exceeded: measured")
    cap: str | None = Field(default=None, description="rate_cap_exceeded: the cap")
    basis: str | None = Field(default=None, description="rate_cap_exceeded: the cap's basis")
    rule: str | None = Field(default=None, description="conduct_rule_broken: the first rule")
    rules: list[str] | None = Field(
        default=None, description="conduct_rule_broken: every rule the attempt broke"
    )
    problem_count: int | None = Field(
        default=None, description="invalid_sales_feed: how many rows are wrong"
    )
    conflict_count: int | None = Field(
        default=None, description="sales_day_conflict: how many stored days differ"
    )


class ErrorBody(BaseModel):
    """Every error response."""

    code: str = Field(examples=["not_found"], description="Stable, never changes once published")
    message: str = Field(examples=["no such applicant"])
    details: ErrorDetails = Field(default_factory=ErrorDetails)


_DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in, or the token or API key is not valid",
    403: "Signed in, but this role may not do this",
    404: "No such resource (or not yours)",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Request body not sent as JSON (Content-Type: application/json)",
    422: "Invalid input",
    429: "Too many requests",
}
RETRY_AFTER_HEADER: dict[str, Any] = {
    "Retry-After": {
        "description": "Whole seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
"""The header of a 429 (and of a 503 while close of business runs)."""
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text} for status, text in _DESCRIPTIONS.items()
}
ERROR_RESPONSES[429]["headers"] = RETRY_AFTER_HEADER

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    400: "bad_request",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def render(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"code": code, "message": message, "details": details or {}}
    return JSONResponse(body, status_code=status, headers=headers)


def retry_after(exc: ThinfileError) -> dict[str, str] | None:
    """The ``Retry-After`` header of an error that says when to retry (rate limited, close of
    business running), in whole seconds; ``None`` for the others."""
    retry = exc.extra.get("retry_after_seconds")
    if retry is None and isinstance(exc, RateLimitedError):
        retry = 1
    if retry is None:
        return None
    return {"Retry-After": str(max(1, round(float(str(retry)))))}  # float-ok: seconds


async def _thinfile_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(ThinfileError, exc)
    headers = retry_after(exc)
    if exc.status >= 500:
        log.error("%s: %s", exc.code, exc.message)
    return render(exc.status, exc.code, exc.message, exc.details(), headers)


def _field(location: tuple[int | str, ...] | list[int | str]) -> str:
    """The field a validation error names, written as the services name theirs: an item of a
    list by its index in brackets (``lines[0].quantity``, ``allowed_terms[1]``)."""
    parts = list(location)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name = f"{name}.{part}" if name else str(part)
    return name or "body"


_LENGTHS = {"too_long": ("at most", "max_length"), "too_short": ("at least", "min_length")}
"""Pydantic's length errors of a list-like value: a text field checked after a validator
(:data:`~thinfile.api.models_applications.PlainText`) gets them too, worded for items."""


def _message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, or, for a yuan field that does not match :data:`YUAN`, what to
    write instead (the pattern itself tells a caller little); a text field's length is
    counted in characters, not items."""
    context = error.get("ctx") or {}
    if error.get("type") == "string_pattern_mismatch" and context.get("pattern") == YUAN:
        return YUAN_HINT
    if error.get("type") == "bool_type":
        return "must be true or false (a JSON boolean; not 0, 1 or a string)"
    if error.get("type") in _LENGTHS and isinstance(error.get("input"), str):
        bound, limit = _LENGTHS[str(error["type"])]
        count = context.get(limit)
        return f"String should have {bound} {count} character{'' if count == 1 else 's'}"
    return str(error.get("msg", "invalid"))


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    # Input values are not echoed back: they may be passwords or ID numbers.
    problems = [FieldProblem(_field(e.get("loc", ())), _message(e)) for e in exc.errors()]
    error = InvalidInputError(
        "the request is not valid",
        problems=problems,
        remedy="fix the fields listed in details.problems",
    )
    return render(error.status, error.code, error.message, error.details())


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path.

    Starlette answers a 405 with the ``Allow`` of the first route whose path matched; where a
    path has several routes (a page's GET and its form's POST, an API's list and create) that
    names only one of them. Asking every route, once per method, names them all.
    """
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(HTTPException, exc)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = {404: "no such endpoint", 405: "this method is not allowed here"}.get(
        exc.status_code, str(exc.detail)
    )
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return render(exc.status_code, code, message, {}, headers)


async def _unstorable(_request: Request, exc: Exception) -> JSONResponse:
    # The database refused a value the request carried (e.g. a NUL character in a text
    # field on PostgreSQL); the transaction was rolled back. Not echoed back.
    log.warning("the database refused a request value: %s", type(exc.__cause__).__name__)
    error = InvalidInputError(
        "a value in the request cannot be stored",
        remedy="remove control characters such as NUL from text fields",
    )
    return render(error.status, error.code, error.message, error.details())


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DBAPIError):  # the server's DETAIL can quote values (a lookup hash)
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else ""
        where = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled database error (%s: %s)\n%s", type(exc).__name__, reason, where)
    else:
        log.exception("unhandled error", exc_info=exc)
    return render(500, "internal_error", "internal server error; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ThinfileError, _thinfile_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(Exception, _unexpected)
