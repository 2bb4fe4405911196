"""Borrowers sign in with a mobile number and an SMS code, and verify their real name.

``/sign-in/phone`` asks for the number and sends a code; ``/sign-in/phone/code`` takes the
code and signs in (opening a borrower account the first time). In development mode with the
sandbox SMS provider the code page shows the sandbox's message, and ``/sandbox/sms`` lists
what the sandbox "delivered". ``/real-name`` is the step before a first application.
Each handler parses the form, calls one service and renders; the rules are the services'.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from thinfile.adapters import SandboxMessage, SandboxSmsSender
from thinfile.errors import (
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    RealNameMismatchError,
    SmsCodeRejectedError,
)
from thinfile.http import AppContext, Context, client_address
from thinfile.http.limits import limit_sign_in
from thinfile.http.phone_accounts import DEVICE_TOKEN, SmsCodeRequest, SmsSignIn
from thinfile.security.pii import mask_id_number
from thinfile.security.tokens import TokenClaims
from thinfile.services import applicants, phone_sign_in, real_name
from thinfile.text import normalize
from thinfile.web.access import Borrower, Form
from thinfile.web.config import get_web
from thinfile.web.formatting import when
from thinfile.web.i18n import language, translations
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

PHONE_PAGE = "account/sign_in_phone.html"
CODE_PAGE = "account/sign_in_code.html"


def _gettext(request: Request) -> Callable[[str], str]:
    return translations(language(request).code).gettext


def _sandbox(context: AppContext) -> SandboxSmsSender | None:
    """The sandbox SMS provider, when the pages may show its messages (development only)."""
    sms = context.sms
    if context.settings.is_development and isinstance(sms, SandboxSmsSender):
        return sms
    return None


def _sandbox_message(context: AppContext, phone: str) -> SandboxMessage | None:
    sandbox = _sandbox(context)
    found = sandbox.inbox(phone, limit=1) if sandbox else []
    return found[0] if found else None


def _refusal(request: Request, error: InvalidInputError | RateLimitedError) -> str:
    _ = _gettext(request)
    if isinstance(error, RateLimitedError) and error.extra.get("limit") == "sms_wrong_tries":
        return _paused(request, error)  # no code is sent while sign-in by code is paused
    if isinstance(error, RateLimitedError):
        wait = error.extra.get("retry_after_seconds", "")
        return _("Too many codes were asked for. Try again in %(n)s seconds.") % {"n": wait}
    return _("Enter an 11-digit mainland mobile number.")


def _code_refusal(request: Request, error: SmsCodeRejectedError) -> str:
    """A refused code in the reader's words. A number with no live code (none sent, used or
    expired) reads the same whatever the reason, so the page never tells whether the number
    has an account (the service gives one reason for all three)."""
    _ = _gettext(request)
    reason = error.extra.get("reason")
    if reason == "wrong":
        left = error.extra.get("tries_left", 0)
        return _("The code is wrong. %(n)s tries left.") % {"n": left}
    if reason == "exhausted":
        return _("This code was tried too many times. Ask for a new code.")
    return _("The code is wrong or has expired. Ask for a new code.")


def _paused(request: Request, error: RateLimitedError) -> str:
    """Sign-in by code paused for the day's wrong tries: when to come back (the reader's
    wall-clock time, to the minute after), or what else to do."""
    seconds = error.extra.get("retry_after_seconds")
    wait = timedelta(seconds=seconds if isinstance(seconds, int) else 60)
    back = datetime.now(UTC) + wait
    minute = back.replace(second=0, microsecond=0)
    if minute < back:  # to the minute after, never before
        minute += timedelta(minutes=1)
    shown = when(minute, get_web(request).display_zone)
    return _gettext(request)(
        "Too many wrong codes were entered for this number. Try again after %(time)s, "
        "or sign in with your e-mail address and password."
    ) % {"time": shown}


def _code_page(
    request: Request, context: AppContext, phone: str, *, errors: dict[str, str], status: int
) -> Response:
    return render(
        request,
        CODE_PAGE,
        {
            "phone": phone,
            "errors": errors,
            "sandbox": _sandbox_message(context, phone),
            "minutes": max(1, context.codes.ttl_seconds // 60),
        },
        status=status,
    )


@router.get("/sign-in/phone")
def phone_page(request: Request) -> Response:
    return render(request, PHONE_PAGE, {"errors": {}, "phone": ""})


@router.post("/sign-in/phone")
def send_code(request: Request, form: Form, context: Context) -> Response:
    phone = normalize(form.get("phone", ""))
    try:
        body = SmsCodeRequest.model_validate({"phone": phone})
        phone_sign_in.request_sign_in_code(
            context.engine,
            context.cipher,
            context.sms,
            phone=body.phone,
            client=client_address(request),
            policy=context.codes,
            device=_device(request),
        )
    except ValidationError:
        error = InvalidInputError("not a mobile number", field="phone")
        return render(
            request,
            PHONE_PAGE,
            {"errors": {"phone": _refusal(request, error)}, "phone": phone},
            status=422,
        )
    except (InvalidInputError, RateLimitedError) as error:
        errors = {"phone": _refusal(request, error)}
        return render(request, PHONE_PAGE, {"errors": errors, "phone": phone}, status=error.status)
    return _code_page(request, context, phone, errors={}, status=200)


@router.post("/sign-in/phone/code")
def sign_in_with_code(request: Request, form: Form, context: Context) -> Response:
    phone, code = normalize(form.get("phone", "")), normalize(form.get("code", ""))
    address = client_address(request)
    try:
        body = SmsSignIn.model_validate({"phone": phone, "code": code})
        number = phone_sign_in.phone_number(body.phone)
    except (ValidationError, InvalidInputError):
        errors = {"code": _gettext(request)("Enter the six digits from the SMS.")}
        return _code_page(request, context, phone, errors=errors, status=422)
    # The limit counts the number, not its spelling: "+86 139…" and "139-…" are one bucket.
    limit_sign_in(context, request, f"phone:{number}")
    try:
        signed_in = phone_sign_in.sign_in_with_code(
            context.engine,
            context.cipher,
            phone=number,
            code=body.code,
            client=address,
            policy=context.codes,
            device=_device(request),
        )
    except SmsCodeRejectedError as error:
        errors = {"code": _code_refusal(request, error)}
        return _code_page(request, context, phone, errors=errors, status=error.status)
    except RateLimitedError as error:  # the phone's wrong tries for the day are spent
        errors = {"code": _paused(request, error)}
        return _code_page(request, context, phone, errors=errors, status=error.status)
    user = signed_in.user
    response = redirect("/profile" if signed_in.is_new_account else "/home")
    claims = TokenClaims(user_id=user.id, role=user.role, version=user.token_version)
    token = context.tokens.issue(claims)
    get_web(request).cookies.set_session(response, token)
    get_web(request).cookies.set_device(response, signed_in.device_token)
    return response


def _device(request: Request) -> str | None:
    """The device token the browser keeps when it has the token's shape (else none)."""
    token = get_web(request).cookies.device(request)
    return token if token and re.fullmatch(DEVICE_TOKEN, token) else None


@router.get("/sandbox/sms")
def sandbox_inbox(request: Request, context: Context) -> Response:
    """What the sandbox SMS provider "delivered" (development mode only)."""
    sandbox = _sandbox(context)
    if sandbox is None:
        raise NotFoundError("there is no sandbox inbox here")
    return render(request, "account/sandbox_sms.html", {"messages": sandbox.inbox(limit=20)})


def _real_name_page(
    request: Request, actor: Borrower, context: AppContext, *, error: str = "", status: int = 200
) -> Response:
    applicant_id = applicants.applicant_id_of_user(context.engine, actor.user_id)
    profile = applicants.get_applicant(
        context.engine, context.cipher, applicant_id=applicant_id, actor=actor
    )
    status_now = real_name.real_name_status(context.engine, applicant_id=applicant_id, actor=actor)
    values = {
        "name": profile.name,
        "id_number": mask_id_number(profile.id_number),
        "status": status_now,
        "error": error,
    }
    return render(request, "account/real_name.html", values, actor=actor, status=status)


@router.get("/real-name")
def real_name_page(request: Request, actor: Borrower, context: Context) -> Response:
    try:
        return _real_name_page(request, actor, context)
    except NotFoundError:
        return redirect("/profile")


@router.post("/real-name")
def verify_real_name(request: Request, actor: Borrower, _form: Form, context: Context) -> Response:
    applicant_id = applicants.applicant_id_of_user(context.engine, actor.user_id)
    try:
        real_name.verify_real_name(
            context.engine,
            context.cipher,
            context.real_name,
            applicant_id=applicant_id,
            actor=actor,
        )
    except RealNameMismatchError as error:
        message = _gettext(request)(
            "The identity check says your name and ID number do not match. "
            "Check them against your ID card."
        )
        return _real_name_page(request, actor, context, error=message, status=error.status)
    return redirect("/apply")
