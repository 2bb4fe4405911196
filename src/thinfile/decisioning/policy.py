"""Policies are data: a folder with a GoRules decision graph (JDM) and its settings.

``decision.json`` holds the knockout rules, grade cut-offs, limit and pricing tables and the
product rules as decision tables a lender can edit in the GoRules visual editor; it is evaluated
by ``zen-engine``. ``policy.json`` holds the settings that are not tables (cap, income
haircuts). A policy's version is the SHA-256 of both files' canonical JSON.

Money crosses into and out of the graph as whole fen (integers), never as a float: in format 2
(``"format_version": 2`` in ``policy.json``) the graph reads ``request.amount_fen`` and writes
``grade.max_limit_fen``, ``min_amount_fen`` and ``max_amount_fen``. Policies stored in format 1
wrote those amounts in yuan (``request.amount``, ``grade.max_limit``, ``min_amount``,
``max_amount``); they load, decide and replay as they did (:class:`GraphMoney`).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import zen

from thinfile.decisioning.buildup import PricingParameters
from thinfile.decisioning.programmes import Programme, programmes_from_json
from thinfile.errors import InvalidInputError
from thinfile.loanmath import DEFAULT_CAP, CapBasis
from thinfile.money import Money

__all__ = [
    "DEFAULT_POLICY_DIR",
    "FORMAT_VERSION",
    "GraphMoney",
    "LineLimit",
    "NoOfferReasons",
    "Policy",
    "PolicySettings",
    "load_policy",
    "policy_from_json",
]

DEFAULT_POLICY_DIR = Path(__file__).parent / "default_policy"
FORMAT_VERSION = 2
"""The policy format written today: money in the decision graph in whole fen."""
YUAN_FORMAT_VERSION = 1
"""The format of policies stored before money in the graph moved to fen: amounts in yuan."""
_FORMATS = (YUAN_FORMAT_VERSION, FORMAT_VERSION)
_GRAPH_KEY = "decision"
"""The graph's name in its engine. A decision is evaluated through an engine holding the
parsed graph (a static loader) rather than through ``ZenDecision.evaluate``: in zen-engine
2.1 the latter starts a runtime with its own threads on every call (two thread creations and
about 150 µs of CPU a decision, measured), the former evaluates in place (about 30 µs)."""


class LineLimit(enum.StrEnum):
    """How a revolving line's limit is set."""

    INCOME_MULTIPLE = "income_multiple"
    """The grade's limit: income × the grade's multiple, at most the grade's maximum (as
    policies written before ``line_limit`` set it, so their decisions replay)."""
    AFFORDABLE = "affordable"
    """The grade's limit, at most the product's maximum amount and the principal whose
    largest installment over the offer's term, at the offered price, fits the applicant's
    room (DOMAIN §12: limits within the debt-service ratio): the whole line drawn at once
    is a loan the borrower can repay."""


class NoOfferReasons(enum.StrEnum):
    """What a decline for want of an offer tells the borrower."""

    AFFORDABILITY = "affordability"
    """Every product left without an offer counts as unaffordable: ``NO_PRODUCT`` with
    ``AFFORDABILITY`` (as policies written before ``no_offer_reasons`` said, so their
    decisions replay)."""
    BY_CAUSE = "by_cause"
    """The cause: no product for the purpose asked (``NO_PRODUCT_FOR_PURPOSE``), an amount
    below every eligible product's smallest (``AMOUNT_BELOW_MINIMUM``), or, when a product
    was left out for its installment, ``NO_PRODUCT`` with ``AFFORDABILITY``."""


@dataclass(frozen=True, slots=True)
class PolicySettings:
    """Policy settings that are not decision tables."""

    name: str
    cap: Decimal = DEFAULT_CAP
    cap_basis: CapBasis = CapBasis.STRICTER
    income_haircut: Decimal = Decimal("0.10")
    """Taken off observed platform income before affordability."""
    volatility_haircut: Decimal = Decimal("0.50")
    """Further haircut per unit of income coefficient of variation."""
    declared_income_haircut: Decimal = Decimal("0.40")
    """Haircut on income the applicant declares without evidence."""
    amount_step: int = 10000
    """Offered amounts are rounded down to this many fen (100 yuan)."""
    max_offers: int = 3
    min_segment_share: Decimal | None = None
    """A simulation flags an occupation whose approval rate is below this share of the
    overall approval rate (None: :data:`~thinfile.decisioning.simulate.MIN_SEGMENT_SHARE`)."""
    target_bad_rate: Decimal | None = None
    """The 12-month bad rate of approved loans the policy is built to stay under; a
    simulation flags an occupation above it (None: no target)."""
    pricing: PricingParameters | None = None
    """The price build-up's parameters (:mod:`~thinfile.decisioning.buildup`); None: offers
    are priced from the grade table, as policies written before the build-up were."""
    programmes: tuple[Programme, ...] = ()
    """Preferential programmes (:mod:`~thinfile.decisioning.programmes`); they need
    ``pricing``."""
    line_limit: LineLimit = LineLimit.INCOME_MULTIPLE
    """How a revolving line's limit is set (``"line_limit"`` in ``policy.json``)."""
    no_offer_reasons: NoOfferReasons = NoOfferReasons.AFFORDABILITY
    """What a decline for want of an offer says (``"no_offer_reasons"``)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PolicySettings:
        try:
            return cls(
                name=str(data["name"]),
                cap=Decimal(str(data.get("cap", DEFAULT_CAP))),
                cap_basis=CapBasis(data.get("cap_basis", CapBasis.STRICTER.value)),
                income_haircut=Decimal(str(data.get("income_haircut", "0.10"))),
                volatility_haircut=Decimal(str(data.get("volatility_haircut", "0.50"))),
                declared_income_haircut=Decimal(str(data.get("declared_income_haircut", "0.40"))),
                amount_step=int(data.get("amount_step", 10000)),
                max_offers=int(data.get("max_offers", 3)),
                min_segment_share=_share(data.get("min_segment_share"), "min_segment_share"),
                target_bad_rate=_share(data.get("target_bad_rate"), "target_bad_rate"),
                pricing=_pricing(data),
                programmes=_programmes(data),
                line_limit=LineLimit(data.get("line_limit", LineLimit.INCOME_MULTIPLE.value)),
                no_offer_reasons=NoOfferReasons(
                    data.get("no_offer_reasons", NoOfferReasons.AFFORDABILITY.value)
                ),
            )
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise InvalidInputError(
                f"policy.json is not valid: {exc}",
                field="policy.json",
                remedy="compare it with the default policy",
            ) from None


def _pricing(data: Mapping[str, Any]) -> PricingParameters | None:
    if "pricing" not in data:
        return None
    return PricingParameters.from_json(data["pricing"])


def _programmes(data: Mapping[str, Any]) -> tuple[Programme, ...]:
    if "programmes" not in data:
        return ()
    if "pricing" not in data:
        raise InvalidInputError(
            "policy.json has programmes but no pricing to discount",
            field="programmes",
            remedy='add a "pricing" object (the price build-up) or remove the programmes',
        )
    return programmes_from_json(data["programmes"])


def _share(value: object, name: str) -> Decimal | None:
    """An optional share from 0 to 1 of ``policy.json``, written as text (``"0.8"``)."""
    if value is None:
        return None
    share = Decimal(str(value))
    if not 0 <= share <= 1:
        raise ValueError(f"{name} must be from 0 to 1")
    return share


@dataclass(frozen=True, slots=True)
class GraphMoney:
    """How a policy's decision graph holds money: whole fen under keys ending ``_fen``
    (format 2), or yuan under the bare keys (format 1, kept so stored policies replay)."""

    in_fen: bool

    def key(self, name: str) -> str:
        """The graph's key for the amount ``name`` (``"max_limit"`` → ``"max_limit_fen"``)."""
        return f"{name}_fen" if self.in_fen else name

    def to_graph(self, fen: int) -> int | float:
        """An amount as the graph compares it: fen, or (format 1) yuan as a number."""
        if self.in_fen:
            return fen
        return float(Money(fen).yuan)  # float-ok: format-1 graphs compare yuan, as stored

    def from_graph(self, row: Mapping[str, Any], name: str) -> int:
        """The amount ``name`` of a graph output ``row``, in fen; never rounded: a fraction
        of a fen (or a float, in fen) is refused."""
        key = self.key(name)
        value = row[key]
        if not self.in_fen:
            return Money.of(str(value), field=f"decision.json: {key}").fen
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInputError(
                f"the decision graph gave {key} = {value!r}, not whole fen",
                field="decision.json",
                value=value,
                remedy=f"write {key} as an integer number of fen",
            )
        return value


@dataclass(frozen=True, slots=True)
class Policy:
    """A loaded policy: settings, the compiled decision graph and the content hash."""

    settings: PolicySettings
    graph_json: str
    version: str
    _engine: Any
    format_version: int = FORMAT_VERSION

    @property
    def money(self) -> GraphMoney:
        """How this policy's graph holds money (format 1: yuan; format 2: fen)."""
        return GraphMoney(in_fen=self.format_version != YUAN_FORMAT_VERSION)

    def settings_json(self) -> str:
        """``policy.json`` as text; the optional targets only when set, so a policy written
        without them keeps its content (and version) when stored and read back."""
        s = self.settings
        data: dict[str, object] = {
            "format_version": self.format_version,
            "name": s.name,
            "cap": str(s.cap),
            "cap_basis": s.cap_basis.value,
            "income_haircut": str(s.income_haircut),
            "volatility_haircut": str(s.volatility_haircut),
            "declared_income_haircut": str(s.declared_income_haircut),
            "amount_step": s.amount_step,
            "max_offers": s.max_offers,
        }
        for key in ("min_segment_share", "target_bad_rate"):
            value = getattr(s, key)
            if value is not None:
                data[key] = str(value)
        if s.pricing is not None:
            data["pricing"] = s.pricing.as_json()
        if s.programmes:
            data["programmes"] = [p.as_json() for p in s.programmes]
        if s.line_limit is not LineLimit.INCOME_MULTIPLE:
            data["line_limit"] = s.line_limit.value
        if s.no_offer_reasons is not NoOfferReasons.AFFORDABILITY:
            data["no_offer_reasons"] = s.no_offer_reasons.value
        return json.dumps(data, indent=1) + "\n"

    def evaluate(self, context: Mapping[str, object]) -> dict[str, Any]:
        """Run the decision graph on ``context`` and return its result object."""
        given = context if type(context) is dict else dict(context)  # zen takes a dict
        result: dict[str, Any] = self._engine.evaluate(_GRAPH_KEY, given)["result"]
        return result

    @property
    def name(self) -> str:
        return self.settings.name

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "decision.json").write_text(self.graph_json, encoding="utf-8")
        (folder / "policy.json").write_text(self.settings_json(), encoding="utf-8")


def _canonical(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{what} is not valid JSON: {exc}", field=what) from None


def load_policy(folder: Path | str | None = None) -> Policy:
    """Load, validate and compile the policy in ``folder`` (default: the shipped policy)."""
    path = Path(folder) if folder else DEFAULT_POLICY_DIR
    files = {name: path / name for name in ("policy.json", "decision.json")}
    for name, file in files.items():
        if not file.is_file():
            raise InvalidInputError(
                f"{file} does not exist",
                field=name,
                remedy="a policy folder holds policy.json and decision.json",
            )
    return policy_from_json(
        files["policy.json"].read_text("utf-8"), files["decision.json"].read_text("utf-8")
    )


def policy_from_json(settings_text: str, graph_text: str) -> Policy:
    """A policy from the text of its two files (as stored in the policy registry)."""
    settings_data = _canonical(settings_text, "policy.json")
    graph = _canonical(graph_text, "decision.json")
    form = settings_data.get("format_version") if isinstance(settings_data, dict) else None
    if type(form) is not int or form not in _FORMATS:
        raise InvalidInputError(
            "unsupported policy format_version",
            field="policy.json",
            remedy=f'policy.json needs "format_version": {FORMAT_VERSION}',
        )
    canonical = json.dumps([settings_data, graph], sort_keys=True, separators=(",", ":"))
    version = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
    try:
        zen.ZenEngine().create_decision(graph_text).validate()
    except Exception as exc:  # zen raises plain exceptions for invalid graphs
        raise InvalidInputError(
            f"decision.json is not a valid decision graph: {exc}", field="decision.json"
        ) from None
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {_GRAPH_KEY: graph}}})
    return Policy(
        PolicySettings.from_json(settings_data), graph_text, version, engine, format_version=form
    )
