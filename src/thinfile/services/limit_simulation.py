"""Limit-policy simulation (额度策略模拟): months 1–18 of a synthetic book under a limit policy,
before it ships. Pure computation over two tables; no database.

Each loan of a performance table (``thinfile synth performance``) up to the policy's ceiling
is a credit line opened at its principal (larger loans are not lines of the programme and are
left out, counted), its borrower's income the applicants table's ``income_monthly_mean`` and its
rate the loan's. Every month k (a month-end review, as close of business runs it):

1. the line's month-k snapshot joins its line months: the loan's row with its money scaled
   by ``highest limit ÷ opening limit`` — **the assumption**: a borrower uses the same share
   of a raised limit as of the first loan, so a raise brings proportionally more balance
   (the incremental balance) and a default loses the balance of the raised line; a decrease
   or freeze stops new draws but leaves what is owed;
2. a line whose loan defaults at k is charged off at its balance; one that closes or prepays
   leaves the book; every other line is decided by the real limit decision
   (``thinfile.decisioning.limits.decide_limit``) on the behaviour features of the one
   definition (``thinfile.scoring.behaviour.behaviour_sums``), its arm by the same hash as
   the live review: the control group's increases are held out;
3. an increase is accepted by ``take_up`` of the borrowers (a deterministic hash of line and
   month) and takes effect at once; decreases, freezes and unfreezes take effect at once.

Figures per month, overall and per segment: the lines on the book, the share in each limit
band and at the ceiling (after the month's decisions), utilization (Σ balance ÷ Σ limit at
the snapshot) and the month's decisions. **Loss**: lines raised (accepted, outside the control
group) against control lines held out — the same rules chose both, so the difference is the
effect of the increase. A group's balance-weighted loss rate is the balance charged off after
a line's first (would-be) increase ÷ its balance at that review.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from thinfile.decisioning.limit_policy import LimitPolicy
from thinfile.decisioning.limits import (
    LimitAction,
    LimitArm,
    LimitDecision,
    LimitInputs,
    assign_limit_arm,
    decide_limit,
)
from thinfile.errors import InvalidInputError
from thinfile.money import format_yuan
from thinfile.scoring.behaviour import LINE_MONTH_COLUMNS, BehaviourFeatures, behaviour_sums
from thinfile.services.limit_simulation_book import SimulatedBook, simulated_book

__all__ = [
    "DEFAULT_BANDS_FEN",
    "Increase",
    "LimitSimulation",
    "RunResult",
    "simulate_limit_policy",
    "simulate_limits",
]

DEFAULT_BANDS_FEN: tuple[int, ...] = (500_000, 1_000_000, 2_000_000)
"""Lower edges of the limit bands above the first (5,000, 10,000, 20,000 yuan); the ceiling
is a band of its own."""
MONTH_DAYS = 30
_Q = Decimal("0.0001")
_SCALE = 2**64


def _share(part: int, whole: int) -> str | None:
    return None if whole <= 0 else str((Decimal(part) / Decimal(whole)).quantize(_Q))


def _accepts(line: int, month: int, take_up: Decimal) -> bool:
    digest = hashlib.sha256(f"thinfile-limit-take-up:{line}:{month}".encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big")) / _SCALE < take_up


@dataclass(frozen=True, slots=True)
class Increase:
    """One accepted increase (or held-out one): for the checks a reader makes."""

    line: int
    month: int
    old_limit: int
    new_limit: int
    affordable: int
    ceiling: int
    held_out: bool


@dataclass(slots=True)
class _Tally:
    lines: int = 0
    bands: list[int] = field(default_factory=list)
    at_ceiling: int = 0
    limit_sum: int = 0
    balance_sum: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def as_dict(self, labels: Sequence[str]) -> dict[str, object]:
        return {
            "lines": self.lines,
            "band_shares": {
                label: _share(n, self.lines) for label, n in zip(labels, self.bands, strict=True)
            },
            "at_ceiling_share": _share(self.at_ceiling, self.lines),
            "average_limit_fen": self.limit_sum // self.lines if self.lines else None,
            "utilization": _share(self.balance_sum, self.limit_sum),
            "decisions": dict(sorted(self.actions.items())),
        }


@dataclass(slots=True)
class _Group:
    lines: int = 0
    entry_balance: int = 0
    charged_off: int = 0
    defaulted: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "balance_at_entry_fen": self.entry_balance,
            "charged_off_fen": self.charged_off,
            "defaulted_lines": self.defaulted,
            "loss_rate": _share(self.charged_off, self.entry_balance),
        }


@dataclass(frozen=True, slots=True)
class RunResult:
    """One policy's run: figures by month (overall and per segment), loss groups, events."""

    policy_version: str
    ceiling_fen: int
    by_month: list[dict[str, object]]
    by_segment: dict[str, list[dict[str, object]]]
    loss: dict[str, dict[str, object]]
    increases: tuple[Increase, ...]
    final_limits: Mapping[int, int]

    def as_dict(self) -> dict[str, object]:
        return {
            "policy_version": self.policy_version,
            "ceiling_fen": self.ceiling_fen,
            "by_month": self.by_month,
            "by_segment": self.by_segment,
            "loss": self.loss,
        }


@dataclass(slots=True)
class _State:
    """Where each line stands during a run."""

    limit: np.ndarray
    peak: np.ndarray
    frozen: np.ndarray
    open_: np.ndarray
    last_increase: np.ndarray
    entered: np.ndarray
    """0: in no loss group; 1: raised; 2: control held out."""
    entry_balance: np.ndarray


def _snapshot(book: SimulatedBook, state: _State, k: int, rows: np.ndarray) -> pd.DataFrame:
    """The month-k snapshot of ``rows`` (lines), money scaled by the highest limit."""
    scale_num, scale_den = state.peak[rows], book.principal[rows]

    def scaled(values: np.ndarray) -> np.ndarray:
        out: np.ndarray = values[rows, k] * scale_num // scale_den
        return out

    prepaid = np.where(book.status[rows, k] == 1, book.paid[rows, k], 0)
    drawn = book.principal[rows] if k == 1 else np.zeros(len(rows), dtype=np.int64)
    return pd.DataFrame(
        {
            "line_id": rows,
            "day": np.int64(k * MONTH_DAYS),
            "month_end": np.int64(1),
            "opened_day": np.int64(0),
            "limit_amount": state.limit[rows],
            "balance": scaled(book.balance),
            "days_past_due": book.dpd[rows, k],
            "worst_dpd": book.dpd[rows, k],
            "amount_due": scaled(book.due),
            "amount_paid": scaled(book.paid),
            "drawn": drawn * scale_num // scale_den,
            "prepaid": prepaid * scale_num // scale_den,
        },
        columns=list(LINE_MONTH_COLUMNS),
    )


class _Run:
    def __init__(
        self, book: SimulatedBook, policy: LimitPolicy, take_up: Decimal, bands: Sequence[int]
    ) -> None:
        self.book, self.policy, self.take_up = book, policy, take_up
        self.edges = np.array(bands, dtype=np.int64)
        n = len(book.lines)
        self.state = _State(
            limit=book.principal.copy(),
            peak=book.principal.copy(),
            frozen=np.zeros(n, dtype=bool),
            open_=np.ones(n, dtype=bool),
            last_increase=np.full(n, -1, dtype=np.int64),
            entered=np.zeros(n, dtype=np.int64),
            entry_balance=np.zeros(n, dtype=np.int64),
        )
        control = policy.settings.control_share
        self.control = np.array(
            [assign_limit_arm(int(x), control, Decimal(0)) is LimitArm.CONTROL for x in book.lines]
        )
        self.groups = {"increased": _Group(), "control": _Group()}
        self.increases: list[Increase] = []
        self.history: list[pd.DataFrame] = []

    def month(self, k: int) -> tuple[dict[int, str], pd.DataFrame]:
        """Month k: snapshot, charge-offs and exits, decisions; the actions and snapshot."""
        b, s = self.book, self.state
        rows = np.flatnonzero(s.open_ & b.present[:, k])
        snap = _snapshot(b, s, k, rows)
        ended = b.status[rows, k]
        self._charge_off(rows[ended == 3], snap["balance"].to_numpy()[ended == 3])
        s.open_[rows[ended > 0]] = False
        s.open_[np.flatnonzero(s.open_ & ~b.present[:, k])] = False  # no longer observed
        self.history = [*self.history[-12:], snap]
        reviewed = snap[ended == 0]
        table = pd.concat([*self.history[:-1], reviewed], ignore_index=True)
        sums = behaviour_sums(table, k * MONTH_DAYS)
        actions: dict[int, str] = {}
        balance = dict(zip(snap["line_id"].tolist(), snap["balance"].tolist(), strict=True))
        records: list[dict[str, Any]] = sums.to_dict(orient="records")  # type: ignore[assignment]
        for record in records:
            line = int(record["line_id"])
            decision = self._decide(line, BehaviourFeatures.from_sums(record, k * MONTH_DAYS), k)
            actions[line] = self._apply(line, decision, k, balance[line])
        return actions, snap

    def _decide(self, line: int, features: BehaviourFeatures, k: int) -> LimitDecision:
        b, s = self.book, self.state
        last = int(s.last_increase[line])
        inputs = LimitInputs(
            line_id=int(b.lines[line]),
            kind="review",
            status="frozen" if s.frozen[line] else "active",
            limit_fen=int(s.limit[line]),
            behaviour=features.as_context(),
            annual_rate=b.rate[line],
            income_fen=int(b.income[line]),
            days_since_increase=None if last < 0 else (k - last) * MONTH_DAYS,
        )
        decision = decide_limit(inputs, self.policy)
        if self.control[line] and decision.action is LimitAction.INCREASE:
            decision = decision.held_out()
        return decision

    def _apply(self, line: int, d: LimitDecision, k: int, balance: int) -> str:
        s = self.state
        action = d.action
        if action in (LimitAction.INCREASE, LimitAction.HELD_OUT):
            held = action is LimitAction.HELD_OUT
            new = int(d.details.get("would_offer", d.new_limit)) if held else d.new_limit
            accepted = held or _accepts(int(self.book.lines[line]), k, self.take_up)
            if not accepted:
                return "offer_declined"
            self.increases.append(
                Increase(
                    int(self.book.lines[line]),
                    k,
                    d.old_limit,
                    new,
                    int(d.details["affordable"]),
                    int(d.details["ceiling"]),
                    held,
                )
            )
            if s.entered[line] == 0:
                s.entered[line] = 2 if held else 1
                s.entry_balance[line] = balance
                group = self.groups["control" if held else "increased"]
                group.lines += 1
                group.entry_balance += balance
            if held:
                return "held_out"
            s.limit[line] = new
            s.peak[line] = max(int(s.peak[line]), new)
            s.last_increase[line] = k
            return "increase_accepted"
        if action is LimitAction.DECREASE:
            s.limit[line] = d.new_limit
            s.last_increase[line] = k  # the last change, either way: the 90 days run again
        elif action is LimitAction.FREEZE:
            s.frozen[line] = True
        elif action is LimitAction.UNFREEZE:
            s.frozen[line] = False
        return action.value

    def _charge_off(self, rows: np.ndarray, balances: np.ndarray) -> None:
        for line, balance in zip(rows.tolist(), balances.tolist(), strict=True):
            entered = int(self.state.entered[line])
            if entered:
                group = self.groups["increased" if entered == 1 else "control"]
                group.charged_off += int(balance)
                group.defaulted += 1

    def tally(self, rows: np.ndarray, snap: pd.DataFrame, actions: dict[int, str]) -> _Tally:
        """Lines on the book after month k's decisions (``rows``), their bands and ceiling."""
        limits = self.state.limit[rows]
        ceiling = self.policy.settings.ceiling_fen
        band = np.searchsorted(self.edges, limits, side="right")
        band = np.where(limits >= ceiling, len(self.edges) + 1, band)
        at = snap.set_index("line_id").loc[rows]
        counts: dict[str, int] = {}
        for line in rows.tolist():
            name = actions.get(line, "none")
            counts[name] = counts.get(name, 0) + 1
        return _Tally(
            lines=len(rows),
            bands=np.bincount(band, minlength=len(self.edges) + 2).tolist(),
            at_ceiling=int((limits >= ceiling).sum()),
            limit_sum=int(at["limit_amount"].sum()),
            balance_sum=int(at["balance"].sum()),
            actions=counts,
        )


def _labels(bands: Sequence[int], ceiling: int) -> list[str]:
    """``< 5,000``, ``5,000 to < 10,000``, …, ``30,000 (ceiling)`` (yuan)."""

    def yuan(fen: int) -> str:
        return format_yuan(fen, grouped=True).removesuffix(".00")

    uppers = [*bands, ceiling]
    middle = [f"{yuan(lo)} to < {yuan(hi)}" for lo, hi in zip(bands, uppers[1:], strict=True)]
    return [f"< {yuan(bands[0])}", *middle, f"{yuan(ceiling)} (ceiling)"]


def simulate_limit_policy(
    applicants: pd.DataFrame,
    performance: pd.DataFrame,
    policy: LimitPolicy,
    *,
    months: int = 18,
    take_up: Decimal = Decimal("0.8"),
    bands_fen: Sequence[int] = DEFAULT_BANDS_FEN,
    programme_ceiling_fen: int | None = None,
) -> RunResult:
    """One policy over the book (see the module's docstring); the book holds the loans up to
    ``programme_ceiling_fen`` (default: the policy's ceiling)."""
    _check_options(months, take_up, bands_fen, policy)
    ceiling = programme_ceiling_fen or policy.settings.ceiling_fen
    book = simulated_book(applicants, performance, months, ceiling)
    run = _Run(book, policy, take_up, bands_fen)
    labels = _labels(bands_fen, policy.settings.ceiling_fen)
    by_month: list[dict[str, object]] = []
    by_segment: dict[str, list[dict[str, object]]] = {
        str(seg): [] for seg in sorted(set(book.segments.tolist()))
    }
    for k in range(1, months + 1):
        actions, snap = run.month(k)
        rows = np.array(sorted(actions), dtype=np.int64)
        by_month.append({"month": k, **run.tally(rows, snap, actions).as_dict(labels)})
        for seg, figures in by_segment.items():
            part = rows[book.segments[rows] == seg]
            figures.append({"month": k, **run.tally(part, snap, actions).as_dict(labels)})
    loss = {name: g.as_dict() for name, g in run.groups.items()}
    return RunResult(
        policy.version,
        policy.settings.ceiling_fen,
        by_month,
        by_segment,
        loss,
        tuple(run.increases),
        {int(book.lines[i]): int(run.state.limit[i]) for i in range(len(book.lines))},
    )


def _check_options(
    months: int, take_up: Decimal, bands: Sequence[int], policy: LimitPolicy
) -> None:
    if not 1 <= months <= 60:
        raise InvalidInputError("simulate 1 to 60 months", field="months", value=months)
    if not Decimal(0) <= take_up <= Decimal(1):
        raise InvalidInputError(
            "the take-up is a share from 0 to 1", field="take_up", value=str(take_up)
        )
    edges = list(bands)
    if edges != sorted(set(edges)) or not edges or edges[0] <= 0:
        raise InvalidInputError("band edges rise from above zero", field="bands")
    if edges[-1] >= policy.settings.ceiling_fen:
        raise InvalidInputError(
            "band edges lie below the policy's ceiling",
            field="bands",
            value=",".join(map(str, edges)),
        )


@dataclass(frozen=True, slots=True)
class LimitSimulation:
    """A policy's run, and the baseline's with the change between them when one is given."""

    candidate: RunResult
    baseline: RunResult | None
    months: int
    take_up: Decimal
    lines: int
    above_ceiling: int
    """Loans larger than the candidate's ceiling: not lines of the programme, left out."""

    def change(self) -> dict[str, object] | None:
        """Candidate minus baseline: at-ceiling share, average limit, utilization by month;
        loss rates of the two groups."""
        if self.baseline is None:
            return None
        rows = []
        for c, b in zip(self.candidate.by_month, self.baseline.by_month, strict=True):
            rows.append(
                {
                    "month": c["month"],
                    "at_ceiling_share": _minus(c["at_ceiling_share"], b["at_ceiling_share"]),
                    "average_limit_fen": _minus(c["average_limit_fen"], b["average_limit_fen"]),
                    "utilization": _minus(c["utilization"], b["utilization"]),
                }
            )
        loss = {
            name: _minus(
                self.candidate.loss[name]["loss_rate"], self.baseline.loss[name]["loss_rate"]
            )
            for name in self.candidate.loss
        }
        return {"by_month": rows, "loss_rate": loss}

    def as_dict(self) -> dict[str, object]:
        return {
            "lines": self.lines,
            "left_out_above_ceiling": self.above_ceiling,
            "months": self.months,
            "take_up": str(self.take_up),
            "candidate": self.candidate.as_dict(),
            "baseline": None if self.baseline is None else self.baseline.as_dict(),
            "change": self.change(),
        }


def _minus(a: Any, b: Any) -> str | int | None:
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    return str(Decimal(str(a)) - Decimal(str(b)))


def simulate_limits(
    applicants: pd.DataFrame,
    performance: pd.DataFrame,
    *,
    policy: LimitPolicy,
    baseline: LimitPolicy | None = None,
    months: int = 18,
    take_up: Decimal = Decimal("0.8"),
    bands_fen: Sequence[int] = DEFAULT_BANDS_FEN,
) -> LimitSimulation:
    """The candidate ``policy`` and, when given, the ``baseline`` over the same book (the
    loans up to the candidate's ceiling)."""
    options: dict[str, Any] = {
        "months": months,
        "take_up": take_up,
        "bands_fen": bands_fen,
        "programme_ceiling_fen": policy.settings.ceiling_fen,
    }
    candidate = simulate_limit_policy(applicants, performance, policy, **options)
    base = (
        simulate_limit_policy(applicants, performance, baseline, **options)
        if baseline is not None
        else None
    )
    loans = performance.drop_duplicates("loan_id")
    above = int((loans["principal"] > policy.settings.ceiling_fen).sum())
    lines = len(candidate.final_limits)
    return LimitSimulation(candidate, base, months, take_up, lines, above)
