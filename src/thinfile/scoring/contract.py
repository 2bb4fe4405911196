"""The data contract of a training or scoring table: column roles, the input schema, checks.

A table arrives as CSV or Parquet (read by :mod:`thinfile.scoring.tables`). Each column
gets a role — numeric, boolean, categorical, date, identifier, target or ignored — inferred
from its values and overridable by the user.
Only numeric, boolean and categorical columns become model features; dates and identifiers
(names, phone numbers, ID numbers) never do, nor do the protected attributes
(:data:`PROTECTED_INPUTS`: sex, age, hukou, region), which are kept for fairness reports
only. Every problem is a
:class:`~thinfile.errors.DataContractError` that names the column and says what to do.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from thinfile.errors import DataContractError

__all__ = [
    "MONEY_INPUTS",
    "PROTECTED_INPUTS",
    "ColumnRole",
    "ColumnSpec",
    "InputSchema",
    "binary_target",
    "check_class_counts",
    "infer_schema",
    "is_money",
    "is_protected",
]

MAX_CATEGORIES = 200
MIN_CLASS_COUNT = 20

PROTECTED_INPUTS: tuple[str, ...] = (
    "gender",
    "sex",
    "age",
    "age_band",
    "birth_date",
    "ethnicity",
    "hukou_province",
    "hukou_status",
    "is_local_hukou",
    "region",
    "province",
    "city",
    "city_tier",
)
"""Columns no model may read (compared without regard to case): sex, age, ethnicity, hukou
and where the applicant lives. A lender may hold them lawfully and report approval rates by
them (fairness, DOMAIN.md §14), never score on them."""

_PROTECTED = frozenset(PROTECTED_INPUTS)


def is_protected(name: str) -> bool:
    """Whether ``name`` is one of :data:`PROTECTED_INPUTS`, in any case."""
    return name.strip().lower() in _PROTECTED


MONEY_INPUTS: tuple[str, ...] = (
    "requested_amount",
    "income_monthly_mean",
    "declared_monthly_income",
    "ecommerce_monthly_spend",
    "existing_debt_payment_monthly",
    "drawn_12m",
    "repaid_12m",
    "prepaid_12m",
)
"""Inputs that hold money in whole fen (分), compared without regard to case, as do columns
whose name ends in ``_fen``: the money columns of the applicants table (``thinfile/sim/docs.md``)
and of an application (``decisioning.application.MONEY_FIELDS``), and a credit line's
behaviour sums (``behaviour``: ``drawn_12m``, ``limit_fen``…). A schema records no unit, so
this is how scoring knows one: reasons and bin labels show these inputs in yuan (¥), never
their fen as a plain number. They are read by the model as plain numbers like any other."""

_MONEY = frozenset(MONEY_INPUTS)


def is_money(name: str) -> bool:
    """Whether the input ``name`` holds money in fen: one of :data:`MONEY_INPUTS` or named
    ``…_fen``, in any case."""
    key = name.strip().lower()
    return key in _MONEY or key.endswith("_fen")


class ColumnRole(enum.StrEnum):
    NUMERIC = "numeric"
    BOOLEAN = "boolean"
    CATEGORICAL = "categorical"
    DATE = "date"
    IDENTIFIER = "id"
    IGNORED = "ignored"

    @property
    def is_feature(self) -> bool:
        return self in {ColumnRole.NUMERIC, ColumnRole.BOOLEAN, ColumnRole.CATEGORICAL}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One input column: its role and, for categoricals, the categories seen in training.

    ``missing_as`` is the value a missing entry is scored as, for a number that was never
    missing in training (None: a missing entry is scored as missing).
    """

    name: str
    role: ColumnRole
    categories: tuple[str, ...] = ()
    special_codes: tuple[float, ...] = ()
    monotone: int = 0
    missing_as: float | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "name": self.name,
            "role": self.role.value,
            "categories": list(self.categories),
            "special_codes": list(self.special_codes),
            "monotone": self.monotone,
        }
        if self.missing_as is not None:
            out["missing_as"] = self.missing_as
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ColumnSpec:
        return cls(
            name=str(data["name"]),
            role=ColumnRole(str(data["role"])),
            categories=tuple(str(c) for c in _seq(data.get("categories"))),
            special_codes=tuple(float(str(c)) for c in _seq(data.get("special_codes"))),
            monotone=int(str(data.get("monotone", 0))),
            missing_as=None if data.get("missing_as") is None else float(str(data["missing_as"])),
        )


def _seq(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else ()


@dataclass(frozen=True, slots=True)
class InputSchema:
    """Every column a model knows about, in order; features are the columns it reads."""

    columns: tuple[ColumnSpec, ...]
    target: str
    id_col: str | None = None

    @property
    def features(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.role.is_feature)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.features)

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "id_col": self.id_col,
            "columns": [c.as_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> InputSchema:
        cols = tuple(ColumnSpec.from_dict(c) for c in _seq(data["columns"]) if isinstance(c, dict))
        id_col = data.get("id_col")
        return cls(
            columns=cols, target=str(data["target"]), id_col=None if id_col is None else str(id_col)
        )

    def check_columns(self, frame: pd.DataFrame) -> None:
        """Raise if a feature column is absent from ``frame``."""
        missing = [name for name in self.feature_names if name not in frame.columns]
        if missing:
            raise DataContractError(
                f"the model needs {len(missing)} column(s) the data lacks: {', '.join(missing)}",
                field=missing[0],
                remedy="score a table with the columns the model was trained on",
            )


def binary_target(frame: pd.DataFrame, target: str, *, bad_value: object = None) -> np.ndarray:
    """The target as 0/1 (1 = bad), or a DataContractError naming the column."""
    if target not in frame.columns:
        raise DataContractError(
            "target column not found",
            field=target,
            remedy=f"columns are: {', '.join(map(str, frame.columns[:30]))}",
        )
    col = frame[target]
    if col.isna().any():
        raise DataContractError(
            f"target has {int(col.isna().sum())} missing value(s)",
            field=target,
            remedy="drop rows without an outcome",
        )
    if bad_value is not None:
        return (col.astype(str) == str(bad_value)).to_numpy(dtype=np.int8)
    values = set(pd.unique(col).tolist())
    if not values <= {0, 1}:
        shown = ", ".join(sorted(map(str, values))[:5])
        raise DataContractError(
            f"target must be binary 0/1 (1 = bad), found: {shown}",
            field=target,
            value=shown,
            remedy="map the outcome to 0/1 or name the bad value",
        )
    return col.astype(int).to_numpy(dtype=np.int8)


def check_class_counts(y: np.ndarray, target: str, *, minimum: int = MIN_CLASS_COUNT) -> None:
    bads = int(y.sum())
    goods = len(y) - bads
    if bads < minimum or goods < minimum:
        raise DataContractError(
            f"too few outcomes to learn from: {bads} bad, {goods} good",
            field=target,
            remedy=f"need at least {minimum} of each",
        )


def infer_schema(
    frame: pd.DataFrame,
    *,
    target: str,
    id_col: str | None = None,
    exclude: Sequence[str] = (),
    roles: Mapping[str, str] | None = None,
    special_codes: Mapping[str, Sequence[float]] | None = None,
    monotone: Mapping[str, int] | None = None,
) -> InputSchema:
    """Give each column a role; the user's ``roles`` win over inference."""
    overrides = dict(roles or {})
    specials = dict(special_codes or {})
    trends = dict(monotone or {})
    named = [id_col] if id_col else []
    for name in (*named, *exclude, *overrides, *specials, *trends):
        if name not in frame.columns:
            raise DataContractError(
                "column not found",
                field=name,
                remedy="check the spelling against the file's header",
            )
    specs = []
    for name in frame.columns:
        if name == target:
            continue
        role = _role_for(frame[name], name, id_col=id_col, exclude=exclude, overrides=overrides)
        cats = _categories(frame[name], name) if role is ColumnRole.CATEGORICAL else ()
        codes = tuple(float(c) for c in specials.get(name, ())) if role.is_feature else ()
        specs.append(ColumnSpec(str(name), role, cats, codes, _trend(trends.get(name, 0), name)))
    schema = InputSchema(tuple(specs), target=target, id_col=id_col)
    if not schema.features:
        raise DataContractError(
            "no usable feature columns", field=target, remedy="check --exclude and the column roles"
        )
    return schema


def _trend(value: int, name: str) -> int:
    if value not in (-1, 0, 1):
        raise DataContractError("monotone direction must be +1 or -1", field=name, value=value)
    return value


def _role_for(
    col: pd.Series,
    name: str,
    *,
    id_col: str | None,
    exclude: Sequence[str],
    overrides: Mapping[str, str],
) -> ColumnRole:
    if name == id_col:
        return ColumnRole.IDENTIFIER
    if name in exclude:
        return ColumnRole.IGNORED
    if name in overrides:
        try:
            role = ColumnRole(overrides[name])
        except ValueError:
            allowed = ", ".join(r.value for r in ColumnRole)
            raise DataContractError(
                f"unknown role, use one of: {allowed}", field=name, value=overrides[name]
            ) from None
        if role is ColumnRole.NUMERIC:
            _check_numeric(col, name)
        return role
    return infer_role(col)


def infer_role(col: pd.Series) -> ColumnRole:
    """Guess a column's role from its values."""
    values = col.dropna()
    if values.empty:
        return ColumnRole.IGNORED
    if pd.api.types.is_bool_dtype(col) or _is_boolean_object(values):
        return ColumnRole.BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(col):
        return ColumnRole.DATE
    if pd.api.types.is_numeric_dtype(col):
        return ColumnRole.NUMERIC
    if isinstance(col.dtype, pd.CategoricalDtype):
        return ColumnRole.CATEGORICAL
    unique = values.nunique()
    if _looks_like_dates(values):
        return ColumnRole.DATE
    if unique > MAX_CATEGORIES and unique > 0.2 * len(values):
        return ColumnRole.IDENTIFIER
    return ColumnRole.CATEGORICAL


def _is_boolean_object(values: pd.Series) -> bool:
    return values.dtype == object and all(isinstance(v, bool | np.bool_) for v in values[:1000])


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.astype(str).head(200)
    if not sample.str.match(r"^\d{4}-\d{2}-\d{2}").all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().all())


def _check_numeric(col: pd.Series, name: str) -> None:
    converted = pd.to_numeric(col, errors="coerce")
    bad = converted.isna() & col.notna()
    if bad.any():
        example = col[bad].iloc[0]
        raise DataContractError(
            f"{int(bad.sum())} value(s) are not numbers",
            field=name,
            value=example,
            remedy="fix the values or declare it categorical",
        )


def _categories(col: pd.Series, name: str) -> tuple[str, ...]:
    labels = sorted({str(v) for v in col.dropna().unique()})
    if len(labels) > MAX_CATEGORIES:
        raise DataContractError(
            f"{len(labels)} categories is too many for a category",
            field=name,
            remedy="group the values or exclude the column",
        )
    return tuple(labels)
