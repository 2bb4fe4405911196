"""Limit decisions (调额决策): increase offers, decreases, freezes, from one limit policy.

``decide_limit`` is a pure function of a line's :class:`LimitInputs` (its behaviour
features, status, days since the last increase, a temporary limit in force, the borrower's
current income and the line's rate), one :class:`~thinfile.decisioning.limit_policy.
LimitPolicy` and, when a behaviour model is registered, the line's :class:`BehaviourScore`
(the model's PD of the same inputs); storing the inputs, the policy version and the model
version is enough to replay it.

The graph grades the behaviour (the policy's PD → grade table grades a scored line, its rule
table a line no model scored), names a risk action and lists what stops an increase. The
rules no policy can loosen are here, in code: a line past due is never offered more; a new
limit is never above the programme's ceiling nor above what the borrower's current income
can repay (:func:`affordable_limit`: equal installments over the policy's term within the
grade's debt-service ratio).
"""

from __future__ import annotations

import enum
import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from thinfile.decisioning.limit_policy import LimitPolicy
from thinfile.decisioning.limit_reasons import behaviour_reasons, limit_reasons

__all__ = [
    "BehaviourScore",
    "LimitAction",
    "LimitArm",
    "LimitDecision",
    "LimitInputs",
    "StaffBound",
    "affordable_limit",
    "assign_limit_arm",
    "decide_limit",
    "staff_bound",
]

_SCALE = 2**64
_Make = Callable[..., "LimitDecision"]
"""Builds one line's decision: action, new limit, reason codes, bounds."""


class LimitAction(enum.StrEnum):
    NONE = "none"
    INCREASE = "increase"
    """An offer: the limit changes only when the borrower accepts."""
    HELD_OUT = "held_out"
    """An increase the policy would offer, withheld from a control-group line."""
    DECREASE = "decrease"
    FREEZE = "freeze"
    UNFREEZE = "unfreeze"


class LimitArm(enum.StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"
    CONTROL = "control"


def assign_limit_arm(line_id: int, control_share: Decimal, challenger_share: Decimal) -> LimitArm:
    """The line's arm, by a deterministic hash of its id: the same line always meets the same
    arm, and a larger share keeps every line already in it."""
    digest = hashlib.sha256(f"thinfile-limits:{line_id}".encode()).digest()
    u = Decimal(int.from_bytes(digest[:8], "big")) / _SCALE
    if u < control_share:
        return LimitArm.CONTROL
    if u < control_share + challenger_share:
        return LimitArm.CHALLENGER
    return LimitArm.CHAMPION


@dataclass(frozen=True, slots=True)
class LimitInputs:
    """Everything a limit decision reads (stored with it, so it replays)."""

    line_id: int
    kind: str
    """``review`` (the nightly review) or ``request`` (the borrower asked)."""
    status: str
    limit_fen: int
    behaviour: Mapping[str, int | None]
    annual_rate: Decimal
    income_fen: int | None = None
    days_since_increase: int | None = None
    """Days since the line's limit last changed, up or down (None: never): an increase waits
    90 of them (DOMAIN §12, "≥ 90 days since the last change")."""
    temporary: bool = False
    application_score: int | None = None
    """The score of the application that opened the line (a behaviour model input)."""

    @property
    def balance_fen(self) -> int:
        return int(self.behaviour.get("balance_fen") or 0)

    @property
    def current_dpd(self) -> int:
        return int(self.behaviour.get("current_dpd") or 0)

    def context(self) -> dict[str, object]:
        """What the graph reads."""
        return {
            "kind": self.kind,
            "line": {
                "status": self.status,
                "limit_fen": self.limit_fen,
                "days_since_increase": self.days_since_increase,
                "temporary": self.temporary,
            },
            "behaviour": dict(self.behaviour),
        }

    def as_json(self) -> dict[str, object]:
        return {
            "line_id": self.line_id,
            "kind": self.kind,
            "status": self.status,
            "limit_fen": self.limit_fen,
            "behaviour": dict(self.behaviour),
            "annual_rate": str(self.annual_rate),
            "income_fen": self.income_fen,
            "days_since_increase": self.days_since_increase,
            "temporary": self.temporary,
            "application_score": self.application_score,
        }

    def model_record(self) -> dict[str, object]:
        """What a behaviour model reads: the behaviour features and the application score."""
        return {**self.behaviour, "application_score": self.application_score}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LimitInputs:
        return cls(
            line_id=int(data["line_id"]),
            kind=str(data["kind"]),
            status=str(data["status"]),
            limit_fen=int(data["limit_fen"]),
            behaviour=dict(data["behaviour"]),
            annual_rate=Decimal(str(data["annual_rate"])),
            income_fen=None if data.get("income_fen") is None else int(data["income_fen"]),
            days_since_increase=(
                None
                if data.get("days_since_increase") is None
                else int(data["days_since_increase"])
            ),
            temporary=bool(data.get("temporary")),
            application_score=(
                None if data.get("application_score") is None else int(data["application_score"])
            ),
        )


@dataclass(frozen=True, slots=True)
class BehaviourScore:
    """A behaviour model's view of one line: its version, the probability of default (a
    decimal string of six places, as stored) and the top reasons that raised it
    (``{"code", "feature", "contribution"}``)."""

    model_version: str
    pd: str
    reasons: tuple[Mapping[str, object], ...] = ()


@dataclass(frozen=True, slots=True)
class LimitDecision:
    action: LimitAction
    old_limit: int
    new_limit: int
    reason_codes: tuple[str, ...]
    grade: str
    policy_version: str
    model_version: str | None = None
    """The behaviour model that graded the line; None: the policy's rules graded it."""
    details: Mapping[str, int] = field(default_factory=dict)
    """The bounds behind an increase: ``target``, ``affordable``, ``ceiling`` (fen)."""
    pd: str | None = None
    model_reasons: tuple[Mapping[str, object], ...] = ()

    def reasons(self, language: str = "en") -> list[dict[str, str]]:
        """The decision's reasons in plain words; when the behaviour grade stopped an
        increase, followed by what the model weighed against the line."""
        words = limit_reasons(self.reason_codes, language)
        if "BEHAVIOUR_GRADE" in self.reason_codes:
            words += self.model_reason_words(language)
        return words

    def model_reason_words(self, language: str = "en") -> list[dict[str, str]]:
        """The behaviour model's reasons a borrower may be given, in plain words."""
        return behaviour_reasons(self.model_reasons, language)

    def held_out(self) -> LimitDecision:
        """This increase withheld (a control-group line): no offer, the limit unchanged."""
        return LimitDecision(
            LimitAction.HELD_OUT,
            self.old_limit,
            self.old_limit,
            (*self.reason_codes, "CONTROL_GROUP"),
            self.grade,
            self.policy_version,
            self.model_version,
            {**self.details, "would_offer": self.new_limit},
            self.pd,
            self.model_reasons,
        )


@functools.lru_cache(maxsize=256)
def _annuity_factor(annual_rate: Decimal, months: int) -> Decimal:
    """Principal repaid by one fen a month over ``months`` equal installments."""
    r = annual_rate / 12
    if r <= 0:
        return Decimal(months)
    return (1 - (1 + r) ** -months) / r


def affordable_limit(income_fen: int, max_dsr: Decimal, annual_rate: Decimal, months: int) -> int:
    """The largest limit whose full draw, repaid in ``months`` equal installments at
    ``annual_rate``, costs at most ``max_dsr`` of the monthly income (fen, rounded down)."""
    if income_fen <= 0 or months <= 0:
        return 0
    room = Decimal(income_fen) * max_dsr
    return int((room * _annuity_factor(annual_rate, months)).to_integral_value(ROUND_FLOOR))


def _down(fen: Decimal | int, step: int) -> int:
    return int(Decimal(fen).to_integral_value(ROUND_FLOOR)) // step * step


def _up(fen: int, step: int) -> int:
    return -(-fen // step) * step


def _graded(
    inputs: LimitInputs, policy: LimitPolicy, score: BehaviourScore | None
) -> Mapping[str, Any]:
    """The graph's answer for the line: its grade (from the model's PD when a behaviour
    model scored it), risk action and blockers."""
    context = inputs.context()
    model_grade = None if score is None else policy.settings.grade_for_pd(Decimal(score.pd))
    context["model"] = {"grade": model_grade}
    return policy.evaluate(context)


def _affordable(inputs: LimitInputs, policy: LimitPolicy, grade: Mapping[str, Any]) -> int:
    """The largest limit, in steps, the line's income repays within the grade's DSR."""
    s = policy.settings
    return _down(
        affordable_limit(
            inputs.income_fen or 0,
            Decimal(str(grade.get("max_dsr", "0"))),
            inputs.annual_rate,
            s.affordability_term_months,
        ),
        s.step_fen,
    )


@dataclass(frozen=True, slots=True)
class StaffBound:
    """The most a staff member may raise a line to: what the borrower's recorded income
    repays at the line's grade today (``affordable``, fen; None when no income is recorded),
    and the grade and debt-service ratio it was measured with."""

    affordable: int | None
    grade: str
    max_dsr: Decimal
    income_fen: int | None


def staff_bound(
    inputs: LimitInputs, policy: LimitPolicy, score: BehaviourScore | None = None
) -> StaffBound:
    """The affordability bound of a staff increase: the same measure the policy's own
    increases are capped by (:func:`affordable_limit` at the grade the graph gives the
    line's behaviour today). A staff member may lift what the policy only advises against
    (a recent increase, low use, a grade too weak for an automatic offer) but not what the
    borrower can repay."""
    grade = _graded(inputs, policy, score).get("grade") or {}
    max_dsr = Decimal(str(grade.get("max_dsr", "0")))
    affordable = None if inputs.income_fen is None else _affordable(inputs, policy, grade)
    return StaffBound(affordable, str(grade.get("name", "")), max_dsr, inputs.income_fen)


def decide_limit(
    inputs: LimitInputs, policy: LimitPolicy, score: BehaviourScore | None = None
) -> LimitDecision:
    """The limit decision for one line under ``policy``: graded by ``score`` through the
    policy's PD → grade table when a behaviour model scored the line, else by the rules."""
    result = _graded(inputs, policy, score)
    grade = result.get("grade") or {}
    name = str(grade.get("name", ""))

    def decision(action: LimitAction, new: int, codes: list[str], **details: int) -> LimitDecision:
        return LimitDecision(
            action,
            inputs.limit_fen,
            new,
            tuple(codes),
            name,
            policy.version,
            None if score is None else score.model_version,
            details,
            None if score is None else score.pd,
            () if score is None else score.reasons,
        )

    risk = result.get("risk")
    if isinstance(risk, dict) and risk.get("action"):
        return _risk_action(inputs, policy, risk, decision)
    blockers = [str(b["code"]) for b in result.get("blockers") or []]
    if inputs.current_dpd > 0 and "PAST_DUE_NOW" not in blockers:
        blockers.append("PAST_DUE_NOW")  # never more credit to a line past due, whatever the graph
    if blockers:
        return decision(LimitAction.NONE, inputs.limit_fen, blockers)
    if inputs.income_fen is None:
        return decision(LimitAction.NONE, inputs.limit_fen, ["INCOME_UNKNOWN"])
    return _increase(inputs, policy, grade, decision)


def _risk_action(
    inputs: LimitInputs, policy: LimitPolicy, risk: Mapping[str, Any], decision: _Make
) -> LimitDecision:
    action, code, limit = str(risk["action"]), str(risk["code"]), inputs.limit_fen
    if action == "freeze" and inputs.status == "active":
        return decision(LimitAction.FREEZE, limit, [code])
    if action == "unfreeze" and inputs.status == "frozen":
        return decision(LimitAction.UNFREEZE, limit, [code])
    if action == "decrease" and inputs.status == "active":
        step = policy.settings.step_fen
        kept = _down(Decimal(limit) * Decimal(str(risk["factor"])), step)
        new = min(limit, max(_up(inputs.balance_fen, step), kept))
        if new < limit:
            return decision(LimitAction.DECREASE, new, [code])
    if action == "decrease":  # nothing lowered (a balance at the limit, a line not active):
        code = "HOLD_" + code.removeprefix("DECREASE_")  # a reason that says it is kept
    return decision(LimitAction.NONE, limit, [code])


def _increase(
    inputs: LimitInputs, policy: LimitPolicy, grade: Mapping[str, Any], decision: _Make
) -> LimitDecision:
    s, limit = policy.settings, inputs.limit_fen
    target = _down(Decimal(limit) * Decimal(str(grade.get("step", "1"))), s.step_fen)
    affordable = _affordable(inputs, policy, grade)
    new = min(target, s.ceiling_fen, affordable)
    bounds = {"target": target, "affordable": affordable, "ceiling": s.ceiling_fen}
    if new <= limit:
        code = (
            "AT_CEILING"
            if s.ceiling_fen <= limit
            else "AFFORDABILITY"
            if affordable <= limit
            else "BEHAVIOUR_GRADE"
        )
        return decision(LimitAction.NONE, limit, [code], **bounds)
    codes = ["INCREASE_GOOD_REPAYMENT"]
    if new == affordable < target:
        codes.append("CAPPED_AFFORDABILITY")
    if new == s.ceiling_fen < target:
        codes.append("CAPPED_CEILING")
    return decision(LimitAction.INCREASE, new, codes, **bounds)
