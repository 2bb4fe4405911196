"""The decision: knockouts, score, affordability, limit, price and product, with reasons.

``decide`` is a pure function of the application, the lender's history facts, the decision
date, one policy and one model; storing those inputs (and the two versions) is enough to
replay a decision exactly.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from thinfile.decisioning.application import Application
from thinfile.decisioning.buildup import BuildUp
from thinfile.decisioning.checks import (
    NO_HISTORY,
    Checks,
    History,
    id_birth_date,
    is_valid_id_number,
    is_valid_phone,
)
from thinfile.decisioning.policy import GraphMoney, NoOfferReasons, Policy
from thinfile.decisioning.pricing import (
    Affordability,
    Offer,
    Price,
    ProductRule,
    assess_affordability,
    price_offer,
)
from thinfile.decisioning.reasons import explain, is_borrower_reason
from thinfile.decisioning.risk_pricing import PricedOut, price_by_build_up
from thinfile.money import Rounding, round_fen

__all__ = ["NO_PRICE_UNDER_CAP", "Decision", "Finding", "Outcome", "Scorer", "decide"]

NO_PRICE_UNDER_CAP = "NO_PRICE_UNDER_CAP"
"""A product (and, when none is left, the decision) declined because no price under the cap
earns the target return of the price build-up."""
NO_PRODUCT_FOR_PURPOSE = "NO_PRODUCT_FOR_PURPOSE"
"""A decline: no product of the policy is eligible for the purpose asked."""
AMOUNT_BELOW_MINIMUM = "AMOUNT_BELOW_MINIMUM"
"""A product left out (and, when every eligible one is, the decline): the amount asked is
below its smallest loan."""


class ReasonLike(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def feature(self) -> str: ...
    @property
    def contribution(self) -> float: ...


class ScoreLike(Protocol):
    @property
    def pd(self) -> float: ...
    @property
    def score(self) -> int: ...
    @property
    def reasons(self) -> Sequence[ReasonLike]: ...


class Scorer(Protocol):
    """What the decision needs of a scoring model (``thinfile.scoring.ScoringModel``)."""

    @property
    def version(self) -> str: ...

    def score_one(self, record: Mapping[str, object], *, reasons: int = 4) -> ScoreLike: ...


class Outcome(enum.StrEnum):
    APPROVE = "approve"
    REFER = "refer"
    DECLINE = "decline"


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    kind: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    application: Application
    history: History
    decided_on: date
    pd: float
    score: int
    grade: str
    affordability: Affordability | None
    offers: tuple[Offer, ...]
    findings: tuple[Finding, ...]
    reason_codes: tuple[str, ...]
    model_version: str
    policy_version: str
    model_reasons: tuple[dict[str, object], ...] = field(default=())
    price_build_up: tuple[BuildUp, ...] = field(default=())
    """How each product's price was built (policies with ``pricing``): the offers', and
    those priced out. Stored as ``price_build_up`` for staff; absent when empty."""

    def borrower_reasons(self, language: str = "en") -> list[dict[str, str]]:
        """Plain-word reasons (and what to do) for the borrower, in ``en`` or ``zh``."""
        out = []
        for code in self.reason_codes:
            feature = next(
                (str(r["feature"]) for r in self.model_reasons if r["code"] == code), None
            )
            if feature is not None and not is_borrower_reason(feature):
                continue  # stored before such reasons were set aside: never shown
            reason = explain(code, feature)
            text, advice = (
                (reason.zh, reason.advice_zh) if language == "zh" else (reason.en, reason.advice_en)
            )
            out.append({"code": code, "text": text, "advice": advice})
        return out

    def as_dict(self) -> dict[str, object]:
        stored = self._as_dict()
        if self.price_build_up:
            stored["price_build_up"] = [b.as_dict() for b in self.price_build_up]
        return stored

    def _as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome.value,
            "decided_on": self.decided_on.isoformat(),
            "pd": round(self.pd, 6),
            "score": self.score,
            "grade": self.grade,
            "affordability": self.affordability.as_dict() if self.affordability else None,
            "offers": [o.as_dict() for o in self.offers],
            "findings": [f.as_dict() for f in self.findings],
            "reason_codes": list(self.reason_codes),
            "reasons": self.borrower_reasons("en"),
            "reasons_zh": self.borrower_reasons("zh"),
            "model_reasons": list(self.model_reasons),
            "model_version": self.model_version,
            "policy_version": self.policy_version,
            "inputs": {
                "application": self.application.as_json(),
                "history": self.history.as_dict(),
            },
        }


def model_record(app: Application, on: date) -> dict[str, object]:
    """The inputs the scoring model sees: the application's fields as given (``on``, the
    decision date, is no input: age, like sex, hukou and city, is no model's input —
    ``thinfile.scoring`` leaves protected attributes out of training and refuses a model that
    reads one).

    The model's income input ``income_monthly_mean`` is, as in the tables it learns from
    (``thinfile/sim/docs.md``), the mean of the observed months or, when no month was
    observed, the income the applicant declared. An applicant who only declared an income
    (the borrower form asks for nothing more) is therefore scored on that figure, not as one
    with no income at all; affordability still reads the two fields apart, with their own
    haircuts (:func:`~thinfile.decisioning.pricing.assess_affordability`)."""
    record: dict[str, object] = dict(app.as_record())
    declared, observed = app.declared_monthly_income, app.income_months_observed
    if app.income_monthly_mean is None and not observed and declared is not None:
        record["income_monthly_mean"] = declared
    return record


def _checks(app: Application, history: History) -> Checks:
    valid = is_valid_id_number(app.id_number)
    return Checks(
        id_valid=valid,
        id_matches_birth_date=valid and id_birth_date(app.id_number) == app.birth_date,
        phone_valid=is_valid_phone(app.phone),
        consent_credit=app.consent_credit,
        history=history,
    )


def _context(
    app: Application, checks: Checks, pd: float, score: int, on: date, money: GraphMoney
) -> dict[str, object]:
    """What the policy graph reads. Money goes in as the graph holds it (:class:`GraphMoney`:
    whole fen); a field the applicant left out goes in as 0 (no bureau history, no months)."""
    return {
        "applicant": {
            "age": app.age_on(on),
            "segment": app.segment,
            "bureau_history_months": app.bureau_history_months or 0,
            "income_verified": bool(app.income_verified),
            "months_in_city": app.months_in_city,
        },
        "request": {
            "purpose": app.purpose,
            money.key("amount"): money.to_graph(app.requested_amount),
            "term": app.requested_term_months,
        },
        "checks": checks.as_context(),
        "score": {"pd": pd, "score": score},
    }


def _findings(result: Mapping[str, Any], key: str, kind: str) -> list[Finding]:
    return [Finding(str(r["code"]), kind, str(r["message"])) for r in result.get(key) or []]


def decide(
    app: Application,
    *,
    policy: Policy,
    model: Scorer,
    on: date,
    history: History = NO_HISTORY,
    lender: str = "thinfile demo lender",
    scored: ScoreLike | None = None,
    first_offer_only: bool = False,
) -> Decision:
    """Decide ``app`` on date ``on`` with ``policy`` and ``model``.

    ``scored`` passes a score the model already computed in a batch (simulation); the
    decision is then the same as if ``decide`` had scored the application itself, with
    the reasons that ``scored`` carries.

    ``first_offer_only`` (a simulation, which counts the best offer alone) prices products
    by fit, best first, and stops after the first fit with an offer: the outcome, the
    reason codes of a decline and the first offer are those of the full decision; the
    offers of lower fits are left out, and so are the staff's notes on how an offer was
    priced (``PRICE_BUILD_UP``, ``PRICE_CAPPED``, ``PROGRAMME``; the offer keeps its
    build-up record).
    """
    if scored is None:
        scored = model.score_one(model_record(app, on), reasons=4)
    model_reasons = tuple(
        {
            "code": r.code,
            "feature": r.feature,
            "contribution": round(float(r.contribution), 6),  # float-ok: weight
        }
        for r in scored.reasons
    )
    result = policy.evaluate(
        _context(app, _checks(app, history), scored.pd, scored.score, on, policy.money)
    )
    grade = result["grade"]
    base = _Common(
        app,
        history,
        on,
        float(scored.pd),  # float-ok: a probability
        int(scored.score),
        str(grade["name"]),
        model_reasons,
        model.version,
        policy.version,
    )
    knockouts = _findings(result, "knockouts", "knockout")
    if knockouts:
        return _decline(base, None, knockouts, [f.code for f in knockouts])
    model_codes = [str(r["code"]) for r in model_reasons if is_borrower_reason(str(r["feature"]))]
    if not grade["lendable"]:
        finding = Finding("RISK_GRADE", "score", f"grade {grade['name']} is not lendable")
        return _decline(base, None, [finding], ["RISK_GRADE", *model_codes[:3]])
    room = assess_affordability(app, policy.settings, Decimal(str(grade["max_dsr"])))
    if room.max_installment <= 0:
        finding = Finding("AFFORDABILITY", "affordability", "no room for a new installment")
        return _decline(base, room, [finding], ["AFFORDABILITY"])
    pd = float(scored.pd)  # float-ok: a probability
    offers, notes, built = _offers(app, result, room, policy, on, lender, pd, first_offer_only)
    base = base.with_build_up(built)
    if not offers:
        by_cause = policy.settings.no_offer_reasons is NoOfferReasons.BY_CAUSE
        return _decline(base, room, *_no_offer(notes, by_cause=by_cause))
    referrals = _findings(result, "referrals", "referral")
    outcome = Outcome.REFER if referrals else Outcome.APPROVE
    codes = [f.code for f in referrals] + (["REFER"] if referrals else [])
    return base.decision(outcome, room, offers, [*referrals, *notes], codes)


def _no_offer(notes: list[Finding], *, by_cause: bool) -> tuple[list[Finding], list[str]]:
    """The findings and reason codes of a decline for want of an offer: no price under the
    cap meets the return (a reason of its own), or no product fits affordably; ``by_cause``
    (:attr:`NoOfferReasons.BY_CAUSE`): no product for the purpose, or an amount below every
    eligible product's smallest, said as such rather than as unaffordable."""
    priced_out = any(f.code == NO_PRICE_UNDER_CAP for f in notes)
    unaffordable = any(f.code == "PRODUCT_NOT_AFFORDABLE" for f in notes)
    if priced_out:
        return notes, [NO_PRICE_UNDER_CAP, *(["AFFORDABILITY"] if unaffordable else [])]
    if by_cause and not notes:
        finding = Finding(NO_PRODUCT_FOR_PURPOSE, "product", "no product for this purpose")
        return [finding], [NO_PRODUCT_FOR_PURPOSE]
    if by_cause and not unaffordable:  # every eligible product starts above the amount
        return notes, [AMOUNT_BELOW_MINIMUM]
    finding = Finding("NO_PRODUCT", "product", "no product fits affordably")
    return [*notes, finding], ["NO_PRODUCT", "AFFORDABILITY"]


@dataclass(frozen=True, slots=True)
class _Common:
    """What every outcome of one decision shares."""

    application: Application
    history: History
    decided_on: date
    pd: float
    score: int
    grade: str
    model_reasons: tuple[dict[str, object], ...]
    model_version: str
    policy_version: str
    price_build_up: tuple[BuildUp, ...] = ()

    def with_build_up(self, built: tuple[BuildUp, ...]) -> _Common:
        """These parts with the price build-ups (``dataclasses.replace``, field by field:
        a decision is made for every application of a simulation)."""
        return _Common(
            self.application,
            self.history,
            self.decided_on,
            self.pd,
            self.score,
            self.grade,
            self.model_reasons,
            self.model_version,
            self.policy_version,
            built,
        )

    def decision(
        self,
        outcome: Outcome,
        room: Affordability | None,
        offers: tuple[Offer, ...],
        findings: list[Finding],
        codes: list[str],
    ) -> Decision:
        return Decision(
            outcome=outcome,
            application=self.application,
            history=self.history,
            decided_on=self.decided_on,
            pd=self.pd,
            score=self.score,
            grade=self.grade,
            affordability=room,
            offers=offers,
            findings=tuple(findings),
            reason_codes=tuple(codes),
            model_version=self.model_version,
            policy_version=self.policy_version,
            model_reasons=self.model_reasons,
            price_build_up=self.price_build_up,
        )


def _decline(
    base: _Common, room: Affordability | None, findings: list[Finding], codes: list[str]
) -> Decision:
    return base.decision(Outcome.DECLINE, room, (), findings, codes)


def _offers(
    app: Application,
    result: Mapping[str, Any],
    room: Affordability,
    policy: Policy,
    on: date,
    lender: str,
    pd: float,
    first_offer_only: bool = False,
) -> tuple[tuple[Offer, ...], list[Finding], tuple[BuildUp, ...]]:
    grade = result["grade"]
    limit = min(
        round_fen(room.income * Decimal(str(grade["income_multiple"])), Rounding.DOWN),
        policy.money.from_graph(grade, "max_limit"),
    )
    offers: list[Offer] = []
    notes: list[Finding] = []
    built: list[BuildUp] = []
    money = policy.money
    rules = [_rule_of(row, money) for row in result.get("products") or []]
    if first_offer_only:
        rules.sort(key=lambda r: -r.fit)  # stable: the graph's order within a fit
    by_cause = policy.settings.no_offer_reasons is NoOfferReasons.BY_CAUSE
    step = policy.settings.amount_step
    for rule in rules:
        if first_offer_only and offers and rule.fit < offers[-1].fit:
            break
        if by_cause and min(app.requested_amount, rule.max_amount) // step * step < rule.min_amount:
            notes.append(Finding(AMOUNT_BELOW_MINIMUM, "product", rule.code))
            continue
        offer = _price(rule, app, grade, limit, room, policy, on, lender, pd)
        if isinstance(offer, PricedOut):
            built.append(offer.build_up)
            notes.append(_priced_out(offer, policy))
            continue
        if offer is None:
            notes.append(Finding("PRODUCT_NOT_AFFORDABLE", "product", rule.code))
            continue
        if not first_offer_only:  # staff read these with a stored decision; a count does not
            notes.extend(_pricing_notes(offer, policy))
        offers.append(offer)
    offers.sort(key=lambda o: (-o.fit, o.annualized.nominal, o.total_cost))
    kept = tuple(offers[: policy.settings.max_offers])
    built.extend(o.build_up for o in kept if o.build_up is not None)
    return kept, notes, tuple(built)


def _rule_of(row: Mapping[str, Any], money: GraphMoney) -> ProductRule:
    """A row of the policy's product table as its rule: a graph returns the same few rows
    for thousands of applications, so each is read once (a row holding a list or an object
    is read every time; a bad row is refused every time, as errors are not cached)."""
    values = row.values()
    items = tuple(zip(row.keys(), map(type, values), values, strict=True))  # 1, 1.0: two rows
    try:
        return _cached_rule(items, money)
    except TypeError:  # unhashable: a value that is a list or an object
        return ProductRule.from_policy(row, money)


@functools.lru_cache(maxsize=512)
def _cached_rule(items: tuple[tuple[str, type, Any], ...], money: GraphMoney) -> ProductRule:
    return ProductRule.from_policy({k: v for k, _, v in items}, money)


def _price(
    rule: ProductRule,
    app: Application,
    grade: Mapping[str, Any],
    limit: int,
    room: Affordability,
    policy: Policy,
    on: date,
    lender: str,
    pd: float,
) -> Offer | PricedOut | None:
    """The product's offer: by the build-up when the policy has one, else from the grade
    table (policies written before it)."""
    if policy.settings.pricing is not None:
        return price_by_build_up(
            rule,
            app,
            pd=pd,
            limit=limit,
            room=room.max_installment,
            settings=policy.settings,
            start=on,
            lender=lender,
        )
    base = Price(
        Decimal(str(grade["annual_rate"])), Decimal(str(grade["monthly_fee_rate"])), Decimal(0)
    )
    return price_offer(
        rule,
        app,
        base=base,
        limit=limit,
        room=room.max_installment,
        settings=policy.settings,
        start=on,
        lender=lender,
    )


def _priced_out(out: PricedOut, policy: Policy) -> Finding:
    return Finding(
        NO_PRICE_UNDER_CAP,
        "pricing",
        f"{out.product}: no price up to the {policy.settings.cap:.0%} cap earns the target "
        f"return ({out.build_up.required_points} points asked)",
    )


def _pricing_notes(offer: Offer, policy: Policy) -> list[Finding]:
    notes = []
    if offer.capped:
        notes.append(
            Finding(
                "PRICE_CAPPED",
                "pricing",
                f"{offer.product} re-priced to the {policy.settings.cap:.0%} cap",
            )
        )
    if offer.build_up is not None:
        notes.append(Finding("PRICE_BUILD_UP", "pricing", offer.build_up.summary()))
    if offer.programme is not None:
        p = offer.programme
        notes.append(
            Finding(
                "PROGRAMME",
                "pricing",
                f"{offer.product}: programme {p.programme.code} −{p.programme.discount_bps} bp, "
                f"{p.price_kind} {p.price_before} → {p.price_after}",
            )
        )
    return notes
