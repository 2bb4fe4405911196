"""The borrower's pages: home, consent, apply, the decision, an offer and its cost statement."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from thinfile.decisioning.interest_coupons import InterestCouponTerms
from thinfile.errors import (
    ConflictError,
    ConsentRequiredError,
    CouponBudgetExhaustedError,
    CouponUnavailableError,
    InvalidInputError,
    NotFoundError,
    ProgrammeBudgetExhaustedError,
    RateLimitedError,
    RealNameRequiredError,
)
from thinfile.http import AppContext, Context, limit_applications, signing_of
from thinfile.security.roles import Role
from thinfile.services import (
    acceptance,
    applicants,
    applications,
    consent,
    promotions,
    real_name,
)
from thinfile.services.acceptance import MIN_READING_SECONDS
from thinfile.services.consent import Purpose
from thinfile.services.identity_records import Actor, ApplicantRecord, ConsentRecord
from thinfile.services.policies import decision_runtime
from thinfile.web.access import Borrower, Form, OwnerOrStaff
from thinfile.web.config import get_web
from thinfile.web.forms import N_, application_form, field_messages, retry_minutes
from thinfile.web.i18n import language, translations
from thinfile.web.loan_views import business_date
from thinfile.web.notices import NOTICE_VERSION, NOTICES, consent_title, has_active, notice
from thinfile.web.offers import OfferView, offer_view, priced_view
from thinfile.web.pages import redirect, render

router = APIRouter(include_in_schema=False)

CREDIT_CONSENT = f"{applications.CREDIT_CONSENT.value}:{Purpose.CREDIT_ASSESSMENT.value}"
"""The consent the application service requires (``category:purpose``): without it the apply
page says so before the borrower fills the form."""


@dataclass(frozen=True, slots=True)
class Applicant:
    profile: ApplicantRecord
    consents: list[ConsentRecord]
    may_apply: bool = True
    """Real name verified (or applied before); else the apply page sends them to verify."""


def _applicant(context: AppContext, actor: Actor) -> Applicant:
    """The borrower's own profile and consents; NotFoundError sends them to make a profile."""
    applicant_id = applicants.applicant_id_of_user(context.engine, actor.user_id)
    profile = applicants.get_applicant(
        context.engine, context.cipher, applicant_id=applicant_id, actor=actor
    )
    return Applicant(
        profile,
        consent.list_consents(context.engine, applicant_id=applicant_id, actor=actor),
        real_name.may_apply(context.engine, applicant_id=applicant_id),
    )


@router.get("/home")
def home(request: Request, actor: Borrower, context: Context) -> Response:
    mine = applications.list_applications(context.engine, user_id=actor.user_id, limit=20)
    return render(request, "borrower/home.html", {"applications": mine}, actor=actor)


SEPARATE_NEEDED = N_(
    "Nothing was saved: a sensitive use you ticked needs its own second tick, the separate "
    "consent. Tick both boxes of that use, or untick it."
)


@router.get("/consent")
def consent_page(request: Request, actor: Borrower, context: Context) -> Response:
    try:
        return _consent_page(request, actor, context)
    except NotFoundError:
        return redirect("/profile")


def _consent_page(
    request: Request, actor: Actor, context: AppContext, error: str = "", status: int = 200
) -> Response:
    applicant = _applicant(context, actor)
    active = {f"{c.data_category}:{c.purpose}": c for c in applicant.consents if c.is_active}
    return render(
        request,
        "borrower/consent.html",
        {
            "notices": NOTICES,
            "active": active,
            "history": applicant.consents,
            "consent_title": consent_title,
            "error": error,
            "saved": request.query_params.get("saved") == "1",
        },
        actor=actor,
        status=status,
    )


@router.post("/consent")
def grant(request: Request, actor: Borrower, form: Form, context: Context) -> Response:
    """Grant each ticked consent; a sensitive one only with its own separate confirmation —
    a sensitive one ticked without it saves nothing and says so."""
    applicant_id = applicants.applicant_id_of_user(context.engine, actor.user_id)
    ticked = [notice(k.removeprefix("grant:")) for k in form if k.startswith("grant:")]
    chosen = [item for item in ticked if item is not None]
    if any(i.is_sensitive and form.get(f"separate:{i.key}") != "yes" for i in chosen):
        gettext = translations(language(request).code).gettext
        return _consent_page(request, actor, context, gettext(SEPARATE_NEEDED), status=422)
    for item in chosen:
        separate = form.get(f"separate:{item.key}") == "yes"
        consent.grant_consent(
            context.engine,
            applicant_id=applicant_id,
            category=item.category,
            purpose=item.purpose,
            notice_version=NOTICE_VERSION,
            separate=separate,
            actor=actor,
        )
    return redirect("/consent?saved=1")


@router.post("/consent/{consent_id}/revoke")
def revoke(consent_id: str, actor: OwnerOrStaff, _form: Form, context: Context) -> Response:
    applicant_id = applicants.applicant_id_of_user(context.engine, actor.user_id)
    consent.revoke_consent(
        context.engine, applicant_id=applicant_id, consent_id=consent_id, actor=actor
    )
    return redirect("/consent?revoked=1")


def _apply_page(
    request: Request,
    actor: Actor,
    applicant: Applicant,
    *,
    errors: dict[str, str],
    fields: dict[str, str],
    status: int = 200,
    retry_minutes: int | None = None,
) -> Response:
    return render(
        request,
        "borrower/apply.html",
        {
            "errors": errors,
            "fields": fields,
            "has_credit_consent": has_active(applicant.consents, CREDIT_CONSENT),
            "has_real_name": applicant.may_apply,
            "retry_minutes": retry_minutes,
        },
        actor=actor,
        status=status,
    )


@router.get("/apply")
def apply_page(request: Request, actor: Borrower, context: Context) -> Response:
    try:
        applicant = _applicant(context, actor)
    except NotFoundError:
        return redirect("/profile")
    return _apply_page(request, actor, applicant, errors={}, fields={})


@router.post("/apply")
def apply(request: Request, actor: Borrower, form: Form, context: Context) -> Response:
    """Decide at once: parse the form, call the application use case the API calls (the
    consent flags come from the recorded consents), show the decision. Over the limit, the
    form comes back as the borrower filled it, with when to send it again."""
    applicant = _applicant(context, actor)
    try:
        limit_applications(
            context, request, user_id=actor.user_id, applicant_id=applicant.profile.id
        )
    except RateLimitedError as error:
        return _apply_page(
            request,
            actor,
            applicant,
            errors={},
            fields=_kept(form),
            status=error.status,
            retry_minutes=retry_minutes(error),
        )
    data = application_form(form, id_number=applicant.profile.id_number)
    runtime = decision_runtime(context.engine, get_web(request).load_model)
    try:
        record = applications.apply_for_credit(
            context.engine,
            context.cipher,
            runtime,
            actor=actor,
            applicant_id=applicant.profile.id,
            form=data,
        )
    except (ConsentRequiredError, RealNameRequiredError) as error:  # the page says which
        return _apply_page(
            request, actor, applicant, errors={}, fields=dict(form), status=error.status
        )
    except InvalidInputError as error:
        errors = field_messages(error, translations(language(request).code).gettext)
        return _apply_page(request, actor, applicant, errors=errors, fields=dict(form), status=422)
    return redirect(f"/applications/{record.id}")


def _kept(form: dict[str, str]) -> dict[str, str]:
    """The borrower's answers, to fill the form again (never the CSRF token)."""
    return {k: v for k, v in form.items() if k != "csrf_token"}


@router.get("/applications/{application_id}")
def decision_page(
    request: Request, application_id: str, actor: OwnerOrStaff, context: Context
) -> Response:
    record = applications.get_application(
        context.engine, context.cipher, application_id, reveal=False
    )
    reasons_key = "reasons_zh" if language(request).code == "zh" else "reasons"
    offers = record.decision.get("offers") or []
    lapsed = None
    if (
        actor.role is Role.BORROWER
        and record.status is applications.ApplicationStatus.APPROVED
        and record.accepted_offer is None
    ):  # the prices accepting signs today, as each offer's page shows them
        try:
            prices = applications.quote_offers_today(context.engine, application_id, actor=actor)
            offers = [priced_view(record.decision, i, p).offer for i, p in enumerate(prices)]
        except ConflictError as error:  # the offers stood until a date now past
            lapsed, offers = error.extra.get("lapsed_after"), []
            if lapsed is None:
                raise
    return render(
        request,
        "borrower/decision.html",
        {
            "application": record,
            "decision": record.decision,
            "offers": offers,
            "lapsed": lapsed,
            "reasons": record.decision.get(reasons_key) or [],
        },
        actor=actor,
    )


@dataclass(frozen=True, slots=True)
class PriceChoice:
    """The interest coupon the borrower chose and whether the standard price is asked."""

    coupon_id: str | None = None
    standard: bool = False

    @property
    def key(self) -> str:
        """What the reading receipt binds: the statement confirmed is the one signed."""
        if self.coupon_id is None and not self.standard:
            return ""
        return f"{self.coupon_id or ''}|{'standard' if self.standard else ''}"


_REFUSED_PRICE = (CouponUnavailableError, CouponBudgetExhaustedError, NotFoundError)


def _application(context: AppContext, application_id: str) -> applications.ApplicationRecord:
    return applications.get_application(
        context.engine, context.cipher, application_id, reveal=False
    )


def _offer_context(
    request: Request,
    context: AppContext,
    actor: Actor,
    record: applications.ApplicationRecord,
    offer: int,
    choice: PriceChoice,
    errors: dict[str, str],
) -> dict[str, object]:
    """The offer page's figures: for its borrower, as accepting it today signs it (the
    coupon chosen taken off, or left off with the reason when it cannot be used; the
    standard price once the programme's budget is spent); for staff, as decided."""
    application_id = record.id
    if record.status is not applications.ApplicationStatus.APPROVED or (
        record.accepted_offer is not None
    ):
        raise NotFoundError("this application has no open offer", field="application_id")
    view: OfferView = offer_view(record.decision, offer)
    coupons: list[object] = []
    if actor.role is Role.BORROWER:  # OwnerOrStaff: their own application
        gettext = translations(language(request).code).gettext
        try:
            price = _quote(context, actor, application_id, offer, choice)
        except _REFUSED_PRICE:
            errors = {**errors, "coupon_id": gettext("This coupon cannot be used on this offer.")}
            choice = PriceChoice(None, choice.standard)
            price = _quote(context, actor, application_id, offer, choice)
        if price.reasons:
            choice = PriceChoice(choice.coupon_id, True)
        view = priced_view(record.decision, offer, price)
        today = business_date(context.engine)
        zh = language(request).code == "zh"
        coupons = [
            {
                "id": c.id,
                "name": c.name,
                "words": terms.describe_zh() if zh else terms.describe(),
                "valid_to": c.valid_to,
            }
            for c in promotions.my_interest_coupons(context.engine, actor=actor)
            if c.status == "issued" and c.valid_from <= today <= c.valid_to
            for terms in [InterestCouponTerms.from_dict(json.loads(c.terms_json))]
        ]
    receipt = get_web(request).receipts.issue(
        user_id=actor.user_id, application_id=application_id, offer=offer, price=choice.key
    )
    return {
        "application": record,
        "view": view,
        "receipt": receipt,
        "min_seconds": MIN_READING_SECONDS,
        "errors": errors,
        "choice": choice,
        "coupons": coupons,
    }


def _quote(
    context: AppContext, actor: Actor, application_id: str, offer: int, choice: PriceChoice
) -> promotions.OfferPrice:
    return applications.quote_today(
        context.engine,
        application_id,
        actor=actor,
        offer=offer,
        coupon_id=choice.coupon_id,
        standard_price=choice.standard,
    )


def _choice(values: dict[str, str]) -> PriceChoice:
    coupon = (values.get("coupon_id") or "").strip()
    return PriceChoice(coupon or None, values.get("standard") == "yes")


@router.get("/applications/{application_id}/offers/{offer}")
def offer_page(
    request: Request, application_id: str, offer: int, actor: OwnerOrStaff, context: Context
) -> Response:
    """The offer and its all-in cost statement, at today's price with the interest coupon
    chosen (``?coupon_id=``); the moment it is shown, and the price, are signed into the
    confirmation form, and the server refuses a confirmation before the reading pause. Once
    an offer is accepted (the browser's Back after signing) the page is the decision's."""
    record = _application(context, application_id)
    if record.accepted_offer is not None:
        return redirect(f"/applications/{application_id}")
    choice = _choice(dict(request.query_params))
    page = _offer_context(request, context, actor, record, offer, choice, {})
    return render(request, "borrower/offer.html", page, actor=actor)


@router.post("/applications/{application_id}/offers/{offer}/accept")
def accept(
    request: Request,
    application_id: str,
    offer: int,
    actor: OwnerOrStaff,
    form: Form,
    context: Context,
) -> Response:
    """Accept an offer: only with the box ticked and after the statement's reading pause, at
    the price the statement was shown with."""
    receipts = get_web(request).receipts
    gettext = translations(language(request).code).gettext
    choice = _choice(dict(form))
    try:
        if actor.role is not Role.BORROWER:
            raise InvalidInputError("only the applicant can accept an offer", field="confirm")
        shown = receipts.shown_at(
            form.get("receipt", ""),
            user_id=actor.user_id,
            application_id=application_id,
            offer=offer,
            price=choice.key,
        )
        read = acceptance.seconds_read(shown_at=shown, now=receipts.now())
        confirmed = form.get("confirm") == "yes"
        acceptance.ensure_confirmed(confirmed=confirmed, seconds_read=read)
    except InvalidInputError as error:
        errors = {error.field or "form": _confirm_message(error, gettext)}
        record = _application(context, application_id)
        page = _offer_context(request, context, actor, record, offer, choice, errors)
        return render(request, "borrower/offer.html", page, actor=actor, status=422)
    try:
        applications.accept_offer(
            context.engine,
            application_id,
            actor=actor,
            offer=offer,
            seconds_read=read,
            confirmed=confirmed,
            on=business_date(context.engine),
            signing=signing_of(request, language="en" if language(request).code == "en" else "zh"),
            coupon_id=choice.coupon_id,
            standard_price=choice.standard,
        )
    except (ProgrammeBudgetExhaustedError, *_REFUSED_PRICE) as error:
        # the price changed since it was read: show the new one to be read again
        if isinstance(error, NotFoundError) and error.field != "coupon_id":
            raise
        if isinstance(error, ProgrammeBudgetExhaustedError):
            choice = PriceChoice(choice.coupon_id, True)
        errors = {"form": gettext("The price has changed. Please read the statement again.")}
        record = _application(context, application_id)
        page = _offer_context(request, context, actor, record, offer, choice, errors)
        return render(request, "borrower/offer.html", page, actor=actor, status=409)
    return redirect(f"/applications/{application_id}?accepted=1")


def _confirm_message(error: InvalidInputError, gettext: Callable[[str], str]) -> str:
    if error.field in ("statement_receipt", "seconds_read"):
        return gettext(
            "Please read the cost statement for at least %(n)s seconds, then confirm."
        ) % {"n": MIN_READING_SECONDS}
    return gettext("Tick the box to confirm that you have read the statement.")
