"""Alerts (预警): a measure of the report past its threshold, amber to watch, red to act.

The thresholds are data, in a versioned JSON file (``alert_thresholds.json`` beside this module
is the default; ``thinfile portfolio alerts --thresholds FILE`` reads another), numbers exact
(read as ``Decimal``), so a change of threshold is a reviewed change of a file:

- ``psi``: the score's PSI, each feature's CSI and each week's and month's score PSI above
  ``amber`` / ``red`` (0.10 / 0.25, DOMAIN §14); a week or month of fewer than ``min_rows``
  scores raises none (optional, 0 when absent): over ten bins, a few hundred scores drawn
  from the baseline itself give a PSI near the amber line by chance alone;
- ``roll_rate_rise_points``: a bucket's forward roll rate in the book's latest month up on the
  calendar month before by more than ``amber`` / ``red`` percentage points, where the bucket
  held at least ``min_loans`` loans in both (optional, 0 when absent): a bucket with no
  loans in either month has nothing to compare, and a rate over a handful of loans moves
  tens of points on one loan;
- ``observed_to_predicted``: a grade's (or the whole book's) realised bad rate ÷ its mean
  predicted PD outside the ``amber`` / ``red`` band, for groups of at least ``min_loans``;
- ``impact_ratio``: a protected group's adverse impact ratio below ``amber`` / ``red`` (0.8,
  the four-fifths rule), red only where the two-proportion test against the most-approved
  group is significant at 5 % (DOMAIN §14 pairs the ratio with it): below the red line by
  chance alone — a reference group of one application approved — is amber.

:func:`evaluate_alerts` reads the report as ``build_report`` makes it (rates as decimal
strings), so the command, the HTML report and the console give the same alerts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from thinfile.errors import InvalidInputError

__all__ = [
    "AMBER",
    "DEFAULT_THRESHOLDS",
    "RED",
    "Alert",
    "Thresholds",
    "evaluate_alerts",
    "has_red",
    "load_thresholds",
]

AMBER = "amber"
RED = "red"
DEFAULT_THRESHOLDS = Path(__file__).with_name("alert_thresholds.json")
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """One version of the alert thresholds (see the module docstring for each)."""

    version: str
    psi_amber: Decimal
    psi_red: Decimal
    psi_min_rows: int
    roll_amber_points: Decimal
    roll_red_points: Decimal
    roll_min_loans: int
    ratio_amber: tuple[Decimal, Decimal]
    ratio_red: tuple[Decimal, Decimal]
    min_loans: int
    impact_amber: Decimal
    impact_red: Decimal


@dataclass(frozen=True, slots=True)
class Alert:
    """``measure`` (``psi``, ``roll_rate``, ``backtest``, ``fairness``) of ``subject`` at
    ``value``, past ``limit``; ``level`` amber or red. Values are decimal strings."""

    level: str
    measure: str
    subject: str
    value: str
    limit: str

    def as_dict(self) -> dict[str, str]:
        return {
            "level": self.level,
            "measure": self.measure,
            "subject": self.subject,
            "value": self.value,
            "limit": self.limit,
        }


def _problem(key: str, why: str, source: Path) -> InvalidInputError:
    return InvalidInputError(
        f"the alert thresholds {key} {why}",
        field=key,
        value=str(source),
        remedy=f"start from {DEFAULT_THRESHOLDS.name} shipped with thinfile",
    )


def _number(content: Mapping[str, object], path: str, source: Path) -> Decimal:
    value: object = content
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise _problem(path, "is missing or not a number", source)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _problem(path, "is not a number", source) from None
    if not number.is_finite() or number < 0:
        raise _problem(path, "must be a number of at least 0", source)
    return number


def _whole(content: Mapping[str, object], path: str, source: Path) -> int:
    """An optional whole number (0 when absent)."""
    section, _, name = path.partition(".")
    outer = content.get(section)
    if not isinstance(outer, Mapping) or name not in outer:
        return 0
    number = _number(content, path, source)
    if number != number.to_integral_value():
        raise _problem(path, "must be a whole number", source)
    return int(number)


def _band(content: Mapping[str, object], path: str, source: Path) -> tuple[Decimal, Decimal]:
    section, _, name = path.partition(".")
    outer = content.get(section)
    raw = outer.get(name) if isinstance(outer, Mapping) else None
    if not isinstance(raw, list) or len(raw) != 2:
        raise _problem(path, "must be a list of two numbers, low and high", source)
    low, high = (_number({"v": v}, "v", source) for v in raw)
    if low > high:
        raise _problem(path, "must list the low end first", source)
    return low, high


def load_thresholds(path: Path | None = None) -> Thresholds:
    """The thresholds in ``path`` (the shipped default when None); a typed error names the
    first key that is missing or wrong."""
    source = path or DEFAULT_THRESHOLDS
    try:
        content = json.loads(source.read_text(encoding="utf-8"), parse_float=Decimal)
    except FileNotFoundError:
        raise _problem("file", "does not exist", source) from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _problem("file", "is not JSON", source) from None
    if not isinstance(content, dict) or not isinstance(content.get("version"), str):
        raise _problem("version", "must be a text naming this version", source)
    thresholds = Thresholds(
        version=content["version"],
        psi_amber=_number(content, "psi.amber", source),
        psi_red=_number(content, "psi.red", source),
        psi_min_rows=_whole(content, "psi.min_rows", source),
        roll_amber_points=_number(content, "roll_rate_rise_points.amber", source),
        roll_red_points=_number(content, "roll_rate_rise_points.red", source),
        roll_min_loans=_whole(content, "roll_rate_rise_points.min_loans", source),
        ratio_amber=_band(content, "observed_to_predicted.amber", source),
        ratio_red=_band(content, "observed_to_predicted.red", source),
        min_loans=int(_number(content, "observed_to_predicted.min_loans", source)),
        impact_amber=_number(content, "impact_ratio.amber", source),
        impact_red=_number(content, "impact_ratio.red", source),
    )
    if thresholds.psi_red < thresholds.psi_amber:
        raise _problem("psi.red", "must be at least psi.amber", source)
    if thresholds.impact_red > thresholds.impact_amber:
        raise _problem("impact_ratio.red", "must be at most impact_ratio.amber", source)
    return thresholds


def has_red(alerts: Sequence[Alert]) -> bool:
    return any(a.level == RED for a in alerts)


def evaluate_alerts(report: Mapping[str, object], thresholds: Thresholds) -> list[Alert]:
    """Every alert of ``report`` (the shape of ``build_report``), red ones first."""
    found = [
        *_psi_alerts(report, thresholds),
        *_roll_alerts(report, thresholds),
        *_backtest_alerts(report, thresholds),
        *_fairness_alerts(report, thresholds),
    ]
    return sorted(found, key=lambda a: a.level != RED)


def _rate(value: object) -> Decimal | None:
    return Decimal(value) if isinstance(value, str) else None


def _rows(value: object) -> list[Mapping[str, object]]:
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _above(subject: str, value: Decimal | None, t: Thresholds) -> list[Alert]:
    if value is None or value <= t.psi_amber:
        return []
    if value > t.psi_red:
        return [Alert(RED, "psi", subject, str(value), str(t.psi_red))]
    return [Alert(AMBER, "psi", subject, str(value), str(t.psi_amber))]


def _psi_alerts(report: Mapping[str, object], t: Thresholds) -> list[Alert]:
    drift = report.get("psi")
    found: list[Alert] = []
    if isinstance(drift, Mapping):
        score = drift.get("score")
        if isinstance(score, Mapping):
            found += _above("score", _rate(score.get("value")), t)
        features = drift.get("features")
        for name, figure in features.items() if isinstance(features, Mapping) else ():
            if isinstance(figure, Mapping):
                found += _above(str(name), _rate(figure.get("value")), t)
    windows = report.get("psi_windows")
    for kind in ("week", "month"):
        for row in _rows(windows.get(kind) if isinstance(windows, Mapping) else None):
            rows = row.get("rows")
            if isinstance(rows, int) and rows < t.psi_min_rows:
                continue  # too few scores for their PSI to mean drift
            found += _above(f"score {row.get('window')}", _rate(row.get("psi")), t)
    return found


def _roll_alerts(report: Mapping[str, object], t: Thresholds) -> list[Alert]:
    """Each bucket's forward roll in the book's latest month against the calendar month
    before, where the bucket held at least ``roll_min_loans`` loans in both."""
    rows = {(str(r.get("bucket")), str(r.get("month"))): r for r in _rows(report.get("roll_trend"))}
    if not rows:
        return []
    latest = max(month for _, month in rows)
    before = _month_before(latest)
    found = []
    for bucket in dict.fromkeys(b for b, _ in rows):
        now_row, then_row = rows.get((bucket, latest)), rows.get((bucket, before))
        if now_row is None or then_row is None:
            continue
        if not all(_loans(r) >= t.roll_min_loans for r in (now_row, then_row)):
            continue
        now, then = _rate(now_row.get("rate")), _rate(then_row.get("rate"))
        if now is None or then is None:
            continue
        rise = (now - then) * _HUNDRED
        subject = f"{bucket} {before}→{latest}"
        if rise > t.roll_red_points:
            found.append(Alert(RED, "roll_rate", subject, str(rise), str(t.roll_red_points)))
        elif rise > t.roll_amber_points:
            found.append(Alert(AMBER, "roll_rate", subject, str(rise), str(t.roll_amber_points)))
    return found


def _month_before(month: str) -> str:
    """``YYYY-MM`` of the calendar month before ``month``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def _loans(row: Mapping[str, object]) -> int:
    loans = row.get("loans")
    return loans if isinstance(loans, int) else 0


def _outside(ratio: Decimal, band: tuple[Decimal, Decimal]) -> bool:
    return ratio < band[0] or ratio > band[1]


def _backtest_alerts(report: Mapping[str, object], t: Thresholds) -> list[Alert]:
    found = []
    for row in _rows(report.get("backtest")):
        loans, said, seen = (
            row.get("loans"),
            _rate(row.get("predicted_pd")),
            _rate(row.get("bad_rate")),
        )
        if not isinstance(loans, int) or loans < t.min_loans or not said or seen is None:
            continue
        ratio = (seen / said).quantize(Decimal("0.000001"))
        subject = f"grade {row.get('grade')}"
        if _outside(ratio, t.ratio_red):
            limit = f"{t.ratio_red[0]}–{t.ratio_red[1]}"
            found.append(Alert(RED, "backtest", subject, str(ratio), limit))
        elif _outside(ratio, t.ratio_amber):
            limit = f"{t.ratio_amber[0]}–{t.ratio_amber[1]}"
            found.append(Alert(AMBER, "backtest", subject, str(ratio), limit))
    return found


def _fairness_alerts(report: Mapping[str, object], t: Thresholds) -> list[Alert]:
    found = []
    for row in _rows(report.get("fairness")):
        ratio = _rate(row.get("impact_ratio"))
        if ratio is None:
            continue
        subject = f"{row.get('attribute')} {row.get('group')}"
        if ratio < t.impact_red and row.get("significant") is True:
            found.append(Alert(RED, "fairness", subject, str(ratio), str(t.impact_red)))
        elif ratio < t.impact_amber:  # a breach a two-proportion test does not confirm: watch
            found.append(Alert(AMBER, "fairness", subject, str(ratio), str(t.impact_amber)))
    return found
