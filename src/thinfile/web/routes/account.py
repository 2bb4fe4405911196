"""Signing up and in and out, the applicant profile, and the language switch."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from thinfile.errors import (
    AuthenticationError,
    ConflictError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    ThinfileError,
)
from thinfile.http import Context, client_address, limit_sign_in, limit_sign_up
from thinfile.http.accounts import ApplicantCreate, SignIn, SignUp
from thinfile.security.roles import Role
from thinfile.security.tokens import TokenClaims
from thinfile.services import applicants, identity
from thinfile.services.identity_records import UserRecord
from thinfile.web.access import Borrower, Form, MaybeSignedIn
from thinfile.web.config import get_web
from thinfile.web.forms import N_, field_messages, invalid_from_pydantic, retry_minutes
from thinfile.web.i18n import LANG_COOKIE, LANGUAGES, language, translations
from thinfile.web.messages import page_message
from thinfile.web.pages import is_page_to_return_to, redirect, render, same_site_referer

router = APIRouter(include_in_schema=False)

RESERVED_ADDRESS = N_(  # thinfile.services.identity refuses the domain of phone accounts
    "This address cannot hold an account. Use your own e-mail address, or sign in with your "
    "mobile number."
)
PHONE_TAKEN = N_(  # thinfile.services.applicants: another account's phone
    "This mobile number belongs to another account. Enter your own number: the one you sign "
    "in with, if you sign in by SMS. If it is yours, contact us."
)


def _safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site: never ``//host`` or a full URL (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


def _page_to_return_to(request: Request, asked: str | None) -> str:
    """Where the language switch returns: the page asked for, else the one the switch was
    clicked on (``Referer``), when it is a page of this site served with GET; else home.
    Never a POST-only address (a form's), which a redirect would answer with 405."""
    for target in (asked, same_site_referer(request)):
        if target and is_page_to_return_to(request, target):
            return target
    return "/"


def _home_of(role: Role) -> str:
    if role is Role.MERCHANT:
        return "/merchant"
    if role is Role.COLLECTOR:
        return "/console/collections"
    return "/home" if role is Role.BORROWER else "/console"


def _gettext(request: Request) -> Callable[[str], str]:
    return translations(language(request).code).gettext


def _form_errors(request: Request, error: InvalidInputError) -> dict[str, str]:
    return field_messages(error, _gettext(request))


def _said(request: Request, error: ThinfileError) -> str:
    return page_message(error, _gettext(request))


def _signed_in(request: Request, context: Context, user: UserRecord, target: str) -> Response:
    response = redirect(_safe_next(target, _home_of(user.role)))
    claims = TokenClaims(user_id=user.id, role=user.role, version=user.token_version)
    token = context.tokens.issue(claims)
    get_web(request).cookies.set_session(response, token)
    return response


@router.get("/")
def home(request: Request, actor: MaybeSignedIn) -> Response:
    if actor is not None:
        return redirect(_home_of(actor.role))
    return render(request, "index.html")


@router.get("/sign-up")
def sign_up_page(request: Request) -> Response:
    return render(request, "account/sign_up.html", {"errors": {}, "email": ""})


@router.post("/sign-up")
def sign_up(request: Request, form: Form, context: Context) -> Response:
    """A new address gets its account; a taken one is left alone. Both get the same answer
    (sign in next), so the page never tells a stranger which addresses hold accounts."""
    limit_sign_up(context, request)
    email = form.get("email", "")
    try:
        body = SignUp.model_validate({"email": email, "password": form.get("password", "")})
    except ValidationError as error:
        errors = _form_errors(request, invalid_from_pydantic(error))
        return render(
            request, "account/sign_up.html", {"errors": errors, "email": email}, status=422
        )
    try:
        identity.sign_up(context.engine, context.hasher, email=body.email, password=body.password)
    except InvalidInputError as error:  # an address of the domain reserved for phone accounts
        errors = {"email": _gettext(request)(RESERVED_ADDRESS)}
        return render(
            request, "account/sign_up.html", {"errors": errors, "email": email}, status=error.status
        )
    return redirect("/sign-in?signed_up=1&next=/profile")


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "", signed_up: str = "") -> Response:
    return render(
        request,
        "account/sign_in.html",
        {"errors": {}, "email": "", "next": next, "signed_up": bool(signed_up)},
    )


@router.post("/sign-in")
def sign_in(request: Request, form: Form, context: Context) -> Response:
    email, target = form.get("email", "").strip(), form.get("next", "")
    page: dict[str, object] = {"email": email, "next": target}
    try:
        limit_sign_in(context, request, email)
    except RateLimitedError as error:
        page |= {"errors": {"form": "limited"}, "retry_minutes": retry_minutes(error)}
        return render(request, "account/sign_in.html", page, status=error.status)
    try:
        body = SignIn.model_validate({"email": email, "password": form.get("password", "")})
        user = identity.sign_in(
            context.engine,
            context.hasher,
            email=body.email,
            password=body.password,
            client=client_address(request),
        )
    except (ValidationError, AuthenticationError):
        return render(
            request, "account/sign_in.html", page | {"errors": {"form": "wrong"}}, status=401
        )
    return _signed_in(request, context, user, target)


@router.post("/sign-out")
def sign_out(request: Request, _form: Form, actor: MaybeSignedIn, context: Context) -> Response:
    """Signing out ends the session on the server, not only in this browser: the account's
    tokens are revoked (:func:`identity.sign_out`), so a copy of the cookie stops working
    too. Without a valid session there is nothing to end; the cookie is dropped all the same."""
    if actor is not None:
        identity.sign_out(context.engine, actor=actor)
    response = redirect("/")
    get_web(request).cookies.clear_session(response)
    return response


@router.post("/language")
def choose_language(request: Request, form: Form) -> Response:
    code = form.get("lang", "")
    response = redirect(_page_to_return_to(request, form.get("next")))
    if code in LANGUAGES:
        get_web(request).cookies.set_preference(response, LANG_COOKIE, code)
    return response


@router.get("/profile")
def profile_page(request: Request, actor: Borrower, context: Context) -> Response:
    try:
        applicant_id = applicants.applicant_id_of_user(context.engine, actor.user_id)
    except NotFoundError:
        return render(request, "account/profile.html", {"errors": {}, "fields": {}}, actor=actor)
    profile = applicants.get_applicant(
        context.engine, context.cipher, applicant_id=applicant_id, actor=actor
    )
    return render(request, "account/profile_done.html", {"profile": profile}, actor=actor)


@router.post("/profile")
def register_profile(request: Request, actor: Borrower, form: Form, context: Context) -> Response:
    limit_sign_up(context, request)
    fields = {k: form.get(k, "") for k in ("name", "id_number", "phone")}
    try:
        body = ApplicantCreate.model_validate(fields)
        applicants.register_applicant(
            context.engine,
            context.cipher,
            actor=actor,
            name=body.name,
            id_number=body.id_number,
            phone=body.phone,
        )
    except ValidationError as error:
        errors = _form_errors(request, invalid_from_pydantic(error))
        return render(
            request,
            "account/profile.html",
            {"errors": errors, "fields": fields},
            actor=actor,
            status=422,
        )
    except InvalidInputError as error:
        return render(
            request,
            "account/profile.html",
            {"errors": _form_errors(request, error), "fields": fields},
            actor=actor,
            status=error.status,
        )
    except ConflictError as error:
        said = _gettext(request)(PHONE_TAKEN) if error.field == "phone" else _said(request, error)
        errors = {error.field or "form": said}
        return render(
            request,
            "account/profile.html",
            {"errors": errors, "fields": fields},
            actor=actor,
            status=error.status,
        )
    return redirect("/consent")
