"""Past applications posted as CSV text for a policy simulation, validated row by row.

Columns as in :mod:`thinfile.sim` tables (and ``thinfile policy simulate --data``): the
application fields with money in fen, plus an optional outcome column ``bad_12m`` (0/1).
Every row must pass the same validation as a real application; the first bad row is named.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import date

from thinfile.decisioning import parse_application
from thinfile.decisioning.application import FIELD_TYPES, MONEY_FIELDS
from thinfile.errors import InvalidInputError, ThinfileError
from thinfile.money import format_yuan
from thinfile.services.policies import MAX_SIMULATION_ROWS

__all__ = ["MONEY_FIELDS", "csv_applications"]

OUTCOME = "bad_12m"
_IGNORED = {"name", "age", "true_pd"}
_TEXT = frozenset(name for name, kind in FIELD_TYPES.items() if kind in (str, date))
"""The columns read as text (an ID number or a phone of digits only is still text)."""


def _cell(text: str) -> object:
    value = text.strip()
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    if re.fullmatch(r"-?[0-9]{1,15}", value):
        return int(value)
    if re.fullmatch(r"-?[0-9]{0,15}\.[0-9]{1,15}", value):
        return float(value)  # float-ok: ratio columns; a float in a money column is refused
    return value


def _row(raw: Mapping[str | None, str | list[str] | None], n: int) -> dict[str, object]:
    values: dict[str, object] = {}
    for key, text in raw.items():
        if not key or key in _IGNORED or not isinstance(text, str) or not text.strip():
            continue
        values[key] = text.strip() if key in _TEXT else _cell(text)
    outcome = values.pop(OUTCOME, None)
    for name in MONEY_FIELDS:
        if isinstance(values.get(name), int):
            values[name] = format_yuan(int(str(values[name])))
    values.setdefault("applicant_id", f"row-{n}")
    values.setdefault("consent_credit", True)
    try:
        app = parse_application(values)
    except ThinfileError as error:
        raise InvalidInputError(
            f"row {n}: {error.message}",
            field="csv",
            value=n,
            extra={"row": n, "problem": error.details()},
        ) from None
    record: dict[str, object] = dict(app.as_record())
    record[OUTCOME] = outcome if outcome in (0, 1) else None
    return record


def csv_applications(text: str) -> list[dict[str, object]]:
    """The rows of ``text`` (a header row first) as validated application records."""
    try:
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as error:
        raise InvalidInputError(f"the CSV cannot be read: {error}", field="csv") from None
    if not 1 <= len(rows) <= MAX_SIMULATION_ROWS:
        raise InvalidInputError(
            f"the CSV needs 1 to {MAX_SIMULATION_ROWS} rows", field="csv", value=len(rows)
        )
    return [_row(raw, n) for n, raw in enumerate(rows, start=1)]
