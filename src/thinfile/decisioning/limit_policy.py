"""Limit policies are data, like decision policies: a folder with a GoRules graph (JDM) and
its settings, versioned by the SHA-256 of both files' canonical JSON.

``decision.json`` grades the line's behaviour (the step and the debt-service ratio of each
grade; by the behaviour model's grade, ``model.grade``, when one scored the line, else by its
rules), names a risk action (freeze, unfreeze, decrease with the share of the limit kept) and
collects what stops an increase; ``policy.json`` holds the programme's ceiling, the rounding
step, the affordability term, the behaviour model's PD → grade table
(``behaviour_pd_grades``), how long an offer stands, the intervals between increases and
between borrower requests, the control group's share and the staff change above which a
second staff member must approve (maker-checker). Money is whole fen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import zen

from thinfile.errors import InvalidInputError

__all__ = [
    "DEFAULT_LIMIT_POLICY_DIR",
    "LimitPolicy",
    "LimitPolicySettings",
    "limit_policy_from_json",
    "load_limit_policy",
]

DEFAULT_LIMIT_POLICY_DIR = Path(__file__).parent / "default_limit_policy"
FORMAT_VERSION = 1
_GRAPH_KEY = "limits"


@dataclass(frozen=True, slots=True)
class LimitPolicySettings:
    """A limit policy's settings that are not decision tables."""

    name: str
    ceiling_fen: int = 3_000_000
    """The programme's largest limit (30,000 yuan for new-citizen borrowers)."""
    step_fen: int = 10_000
    """New limits are rounded down to this many fen (100 yuan)."""
    affordability_term_months: int = 12
    """A new limit must be repayable in equal installments over this many months within the
    grade's debt-service ratio of the borrower's current income."""
    offer_days: int = 30
    increase_interval_days: int = 90
    request_interval_days: int = 30
    control_share: Decimal = Decimal("0.05")
    """Lines held out of automatic increases (a deterministic hash of the line id)."""
    manual_approval_above_fen: int = 500_000
    """A staff change of the limit by more than this needs a second staff member."""
    income_haircut: Decimal = Decimal("0.10")
    """Taken off the monthly platform earnings of the sales feed when they refresh a line's
    income (the decision policy's haircut on observed income)."""
    behaviour_grades: tuple[tuple[str, Decimal | None], ...] = ()
    """The behaviour model's PD → grade table (``behaviour_pd_grades``): each grade with the
    PD it is below, the last one for any PD. Empty: the graph grades every line by its rules."""

    def grade_for_pd(self, pd: Decimal) -> str | None:
        """The grade of a behaviour PD (None when the policy has no PD table)."""
        for name, below in self.behaviour_grades:
            if below is None or pd < below:
                return name
        return None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LimitPolicySettings:
        try:
            settings = cls(
                name=str(data["name"]),
                ceiling_fen=_whole(data, "ceiling_fen", 3_000_000),
                step_fen=_whole(data, "step_fen", 10_000),
                affordability_term_months=_whole(data, "affordability_term_months", 12),
                offer_days=_whole(data, "offer_days", 30),
                increase_interval_days=_whole(data, "increase_interval_days", 90),
                request_interval_days=_whole(data, "request_interval_days", 30),
                control_share=Decimal(str(data.get("control_share", "0.05"))),
                manual_approval_above_fen=_whole(data, "manual_approval_above_fen", 500_000),
                income_haircut=Decimal(str(data.get("income_haircut", "0.10"))),
                behaviour_grades=_pd_grades(data.get("behaviour_pd_grades") or []),
            )
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise InvalidInputError(
                f"the limit policy.json is not valid: {exc}",
                field="policy.json",
                remedy="compare it with the default limit policy",
            ) from None
        if (
            not 0 <= settings.control_share < 1
            or settings.step_fen < 1
            or not 0 <= settings.income_haircut < 1
        ):
            raise InvalidInputError(
                "control_share and income_haircut must be from 0 to below 1 and step_fen positive",
                field="policy.json",
            )
        return settings

    def as_json(self) -> dict[str, object]:
        return {
            "format_version": FORMAT_VERSION,
            "name": self.name,
            "ceiling_fen": self.ceiling_fen,
            "step_fen": self.step_fen,
            "affordability_term_months": self.affordability_term_months,
            "offer_days": self.offer_days,
            "increase_interval_days": self.increase_interval_days,
            "request_interval_days": self.request_interval_days,
            "control_share": str(self.control_share),
            "manual_approval_above_fen": self.manual_approval_above_fen,
            "income_haircut": str(self.income_haircut),
            "behaviour_pd_grades": [
                {"grade": name} if below is None else {"grade": name, "pd_below": str(below)}
                for name, below in self.behaviour_grades
            ],
        }


def _pd_grades(rows: object) -> tuple[tuple[str, Decimal | None], ...]:
    """``[{"grade": "A", "pd_below": "0.03"}, …, {"grade": "D"}]``: PD bounds rising from 0
    to 1, the last grade without one (it takes every PD above the others)."""
    if not isinstance(rows, list):
        raise ValueError("behaviour_pd_grades must be a list")
    grades: list[tuple[str, Decimal | None]] = []
    for n, row in enumerate(rows):
        if not isinstance(row, dict) or not str(row.get("grade") or ""):
            raise ValueError("each behaviour_pd_grades row names a grade")
        last = n == len(rows) - 1
        if last != ("pd_below" not in row):
            raise ValueError("every behaviour grade but the last has a pd_below")
        below = None if last else Decimal(str(row["pd_below"]))
        floor = grades[-1][1] if grades else Decimal(0)
        if below is not None and not (floor is not None and floor < below <= 1):
            raise ValueError("behaviour_pd_grades' pd_below must rise from above 0 to 1")
        grades.append((str(row["grade"]), below))
    return tuple(grades)


def _whole(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{key} must be a whole non-negative number")
    return value


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """A loaded limit policy: settings, the compiled graph and the content hash."""

    settings: LimitPolicySettings
    settings_text: str
    graph_json: str
    version: str
    _engine: Any
    reads: tuple[str, ...] | None = None
    """The context fields the graph reads, when it is made of decision tables only (their
    input fields); None when another kind of node may read anything."""
    _results: dict[tuple[object, ...], dict[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.settings.name

    def evaluate(self, context: Mapping[str, object]) -> dict[str, Any]:
        """Run the graph on one line's context and return its result object (read-only).

        A graph of decision tables is a function of the fields it reads: it is evaluated on
        those fields only, once per distinct combination (many lines of a book share one), so
        a review of a million lines runs the graph far fewer times with the same results."""
        if self.reads is None:
            result: dict[str, Any] = self._engine.evaluate(_GRAPH_KEY, dict(context))["result"]
            return result
        key = _key(context, self.reads)
        cached = self._results.get(key)
        if cached is None:
            if len(self._results) >= _MAX_REMEMBERED:
                self._results.clear()
            narrow: dict[str, Any] = {}
            for path, value in zip(self.reads, key, strict=True):
                _place(narrow, path, value)
            cached = self._engine.evaluate(_GRAPH_KEY, narrow)["result"]
            self._results[key] = cached
        return cached

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "decision.json").write_text(self.graph_json, encoding="utf-8")
        (folder / "policy.json").write_text(self.settings_text, encoding="utf-8")


_MAX_REMEMBERED = 500_000
_TABLE_GRAPH = {"inputNode", "outputNode", "decisionTableNode"}


def _key(context: Mapping[str, object], reads: tuple[str, ...]) -> tuple[object, ...]:
    """The values of ``reads`` in ``context`` (one or two levels deep, as graphs read)."""
    values: list[object] = []
    for path in reads:
        head, _, rest = path.partition(".")
        value = context.get(head)
        if rest:
            if "." in rest:
                value = _lookup(context, path)
            else:
                value = value.get(rest) if isinstance(value, dict) else None
        values.append(value)
    return tuple(values)


def _lookup(context: Mapping[str, object], path: str) -> object:
    head, _, rest = path.partition(".")
    value = context.get(head)
    if not rest:
        return value
    if isinstance(value, Mapping):
        return _lookup(value, rest)
    return None


def _place(target: dict[str, Any], path: str, value: object) -> None:
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def _fields_read(graph: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The input fields of a graph of decision tables (sorted), or None for other graphs."""
    nodes = graph.get("nodes") or []
    if any(n.get("type") not in _TABLE_GRAPH for n in nodes):
        return None
    fields: set[str] = set()
    for node in nodes:
        content = node.get("content") or {}
        if content.get("inputField"):
            return None
        fields.update(str(i["field"]) for i in content.get("inputs") or [] if i.get("field"))
    return tuple(sorted(fields))


def load_limit_policy(folder: Path | str | None = None) -> LimitPolicy:
    """Load, validate and compile the limit policy in ``folder`` (default: the shipped one)."""
    path = Path(folder) if folder else DEFAULT_LIMIT_POLICY_DIR
    texts = {}
    for name in ("policy.json", "decision.json"):
        file = path / name
        if not file.is_file():
            raise InvalidInputError(
                f"{file} does not exist",
                field=name,
                remedy="a limit policy folder holds policy.json and decision.json",
            )
        texts[name] = file.read_text("utf-8")
    return limit_policy_from_json(texts["policy.json"], texts["decision.json"])


def limit_policy_from_json(settings_text: str, graph_text: str) -> LimitPolicy:
    """A limit policy from the text of its two files (as stored in the registry)."""
    try:
        settings_data = json.loads(settings_text)
        graph = json.loads(graph_text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"a limit policy file is not JSON: {exc}", field="policy") from None
    if not isinstance(settings_data, dict) or settings_data.get("format_version") != 1:
        raise InvalidInputError(
            "unsupported limit policy format_version",
            field="policy.json",
            remedy=f'policy.json needs "format_version": {FORMAT_VERSION}',
        )
    settings = LimitPolicySettings.from_json(settings_data)
    canonical = json.dumps([settings_data, graph], sort_keys=True, separators=(",", ":"))
    version = "limits-sha256:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]
    try:
        zen.ZenEngine().create_decision(graph_text).validate()
    except Exception as exc:  # zen raises plain exceptions for invalid graphs
        raise InvalidInputError(
            f"decision.json is not a valid decision graph: {exc}", field="decision.json"
        ) from None
    engine = zen.ZenEngine({"loader": {"type": "static", "content": {_GRAPH_KEY: graph}}})
    return LimitPolicy(
        settings, settings_text, graph_text, version, engine, reads=_fields_read(graph)
    )
