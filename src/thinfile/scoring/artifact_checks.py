"""Checks of a model directory's JSON before any of it is used.

A model directory is data from outside: its hashes prove it is the directory that was
written, not that whoever wrote it wrote a model thinfile can score with. Before a model is
built, :func:`check_model_files` reads ``schema.json``, ``model.json`` and ``evaluation.json``
as a loaded model will: every key there, of the JSON type it must have; every number finite
and of a plausible size (weights of evidence, coefficients, intercept, calibration within
±``LIMIT``); lists as long as what they describe (a weight per bin, a coefficient per
scorecard input, a reason per input); bins that point at an input the schema has, under its
name; a blend weight within [0, 1] and a points-to-double-the-odds above 0; the inner
``format`` the one this version writes; no protected attribute among the inputs. Every
problem is a :class:`~thinfile.errors.DataContractError` naming the file and the key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from thinfile.errors import DataContractError
from thinfile.scoring.artifact import FORMAT
from thinfile.scoring.contract import ColumnRole, is_protected
from thinfile.scoring.gbm import GradientBoostedModel
from thinfile.scoring.tree_text import tree_text_problem

__all__ = ["KINDS", "LIMIT", "PARTS", "check_model_files", "parse_part", "read_trees"]

KINDS = ("scorecard", "gbm", "both")
LIMIT = 1e6
"""The largest size a weight, coefficient, intercept or calibration figure may have."""

REMEDY = "retrain the model (thinfile model train) or restore its directory from a copy"
PARTS = ("model.json", "schema.json", "evaluation.json")
"""The JSON files every model directory has."""


@dataclass(frozen=True, slots=True)
class _In:
    """Where a value sits: the model directory, the file, the key path within it."""

    source: str
    file: str
    key: str = ""

    def at(self, key: str | int) -> _In:
        if isinstance(key, int):
            return _In(self.source, self.file, f"{self.key}[{key}]")
        return _In(self.source, self.file, f"{self.key}.{key}" if self.key else key)

    def refuse(self, problem: str, *, remedy: str = REMEDY) -> DataContractError:
        where = f"{self.file} key {self.key}" if self.key else self.file
        return DataContractError(
            f"{where} {problem}", field="MODEL", value=self.source, remedy=remedy
        )


def _get(data: Mapping[str, object], where: _In, key: str) -> object:
    if key not in data:
        raise where.at(key).refuse("is missing")
    return data[key]


def _object(data: Mapping[str, object], where: _In, key: str) -> Mapping[str, object]:
    value = _get(data, where, key)
    if not isinstance(value, dict):
        raise where.at(key).refuse(f"must be a JSON object, not {_kind(value)}")
    return value


def _list(
    data: Mapping[str, object], where: _In, key: str, length: int | None = None
) -> list[object]:
    value = _get(data, where, key)
    if not isinstance(value, list):
        raise where.at(key).refuse(f"must be a JSON list, not {_kind(value)}")
    if length is not None and len(value) != length:
        raise where.at(key).refuse(f"has {len(value)} entries where {length} are needed")
    return value


def _number(value: object, where: _In, *, low: float = -LIMIT, high: float = LIMIT) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise where.refuse(f"must be a number, not {_kind(value)}")
    if not math.isfinite(value) or not low <= value <= high:
        raise where.refuse(f"is {value}, outside [{low:g}, {high:g}]")
    return float(value)


def _numbers(
    data: Mapping[str, object],
    where: _In,
    key: str,
    *,
    length: int | None = None,
    limit: float = LIMIT,
) -> list[float]:
    items = _list(data, where, key, length)
    return [_number(v, where.at(key).at(i), low=-limit, high=limit) for i, v in enumerate(items)]


def _integer(value: object, where: _In, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise where.refuse(f"must be a whole number in [{low}, {high}], not {value!r}")
    return value


def _text(value: object, where: _In) -> str:
    if not isinstance(value, str):
        raise where.refuse(f"must be text, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false"}
    return "null" if value is None else names.get(type(value), "a number")


@dataclass(frozen=True, slots=True)
class _Input:
    name: str
    role: ColumnRole
    categories: int


def parse_part(files: Mapping[str, bytes], name: str, *, source: str) -> Any:
    """The JSON of the file ``name`` of a model directory (as :mod:`json` reads it)."""
    where = _In(source, name)
    if name not in files:
        raise where.refuse("is missing from the model directory")
    try:
        return json.loads(files[name])
    except ValueError as exc:
        raise where.refuse(f"is not JSON ({exc})") from None


def check_model_files(model: object, schema: object, evaluation: object, *, source: str) -> None:
    """Refuse the parsed JSON of a model directory unless a model can be built from it and
    scores with it as it was trained (see the module's docstring)."""
    inputs = _check_schema(schema, _In(source, "schema.json"))
    if not isinstance(evaluation, dict):
        raise _In(source, "evaluation.json").refuse("must be a JSON object")
    where = _In(source, "model.json")
    if not isinstance(model, dict):
        raise where.refuse(f"must be a JSON object, not {_kind(model)}")
    if model.get("format") != FORMAT:
        raise where.at("format").refuse(
            f"is {model.get('format')!r}: this version reads {FORMAT} only",
            remedy="score with the thinfile version that wrote the model, or retrain it",
        )
    _check_body(model, where, inputs)


def _check_schema(schema: object, where: _In) -> list[_Input]:
    if not isinstance(schema, dict):
        raise where.refuse(f"must be a JSON object, not {_kind(schema)}")
    _text(_get(schema, where, "target"), where.at("target"))
    if schema.get("id_col") is not None:
        _text(schema["id_col"], where.at("id_col"))
    inputs: list[_Input] = []
    for i, column in enumerate(_list(schema, where, "columns")):
        found = _check_column(column, where.at("columns").at(i))
        if found is not None:
            inputs.append(found)
    names = [c.name for c in inputs]
    if not inputs or len(set(names)) != len(names):
        raise where.at("columns").refuse("must name each input once, and at least one")
    protected = [n for n in names if is_protected(n)]
    if protected:
        raise DataContractError(
            f"the model reads protected attribute(s) {', '.join(protected)}: a model may "
            "report on them, never score on them",
            field=protected[0],
            value=where.source,
            remedy="retrain it without them (thinfile model train leaves them out)",
        )
    return inputs


def _check_column(column: object, where: _In) -> _Input | None:
    if not isinstance(column, dict):
        raise where.refuse(f"must be a JSON object, not {_kind(column)}")
    name = _text(_get(column, where, "name"), where.at("name"))
    roles = {r.value: r for r in ColumnRole}
    role = roles.get(str(_get(column, where, "role")))
    if role is None:
        raise where.at("role").refuse(f"must be one of: {', '.join(roles)}")
    categories = _list(column, where, "categories") if "categories" in column else []
    for k, label in enumerate(categories):
        _text(label, where.at("categories").at(k))
    if "special_codes" in column:
        _numbers(column, where, "special_codes", limit=math.inf)
    if "monotone" in column:
        _integer(column["monotone"], where.at("monotone"), low=-1, high=1)
    if column.get("missing_as") is not None:
        _number(column["missing_as"], where.at("missing_as"), low=-math.inf, high=math.inf)
    return _Input(name, role, len(categories)) if role.is_feature else None


def _check_body(model: Mapping[str, object], where: _In, inputs: Sequence[_Input]) -> None:
    kind = _text(_get(model, where, "kind"), where.at("kind"))
    if kind not in KINDS:
        raise where.at("kind").refuse(f"must be one of: {', '.join(KINDS)}")
    weight = _number(_get(model, where, "blend_weight"), where.at("blend_weight"), low=0, high=1)
    calibration = _object(model, where, "calibration")
    for key in ("slope", "shift"):
        _number(_get(calibration, where.at("calibration"), key), where.at("calibration").at(key))
    _check_scale(_object(model, where, "scale"), where.at("scale"))
    _check_reasons(_object(model, where, "reasons"), where.at("reasons"), inputs)
    _object(model, where, "training")
    card, trees = _get(model, where, "scorecard"), _get(model, where, "gbm")
    if card is None and (kind != "gbm" or weight > 0):
        raise where.at("scorecard").refuse(f"is missing from a {kind} model of weight {weight}")
    if trees is None and (kind != "scorecard" or weight < 1):
        raise where.at("gbm").refuse(f"is missing from a {kind} model of weight {weight}")
    if card is not None:
        _check_scorecard(_object(model, where, "scorecard"), where.at("scorecard"), inputs)
    if trees is not None:
        _check_trees(_object(model, where, "gbm"), where.at("gbm"), inputs)


def _check_scale(scale: Mapping[str, object], where: _In) -> None:
    _number(_get(scale, where, "base_score"), where.at("base_score"))
    for key in ("base_odds", "pdo"):
        value = _number(_get(scale, where, key), where.at(key), low=0, high=LIMIT)
        if value <= 0:
            raise where.at(key).refuse("must be above 0")


def _check_reasons(reasons: Mapping[str, object], where: _In, inputs: Sequence[_Input]) -> None:
    features = _list(reasons, where, "features")
    if features != [c.name for c in inputs]:
        raise where.at("features").refuse("must list the schema's inputs, in its order")
    for k, name in enumerate(_list(reasons, where, "names", len(inputs))):
        _text(name, where.at("names").at(k))


def _check_scorecard(card: Mapping[str, object], where: _In, inputs: Sequence[_Input]) -> None:
    _number(_get(card, where, "min_iv"), where.at("min_iv"))
    if _number(_get(card, where, "c"), where.at("c")) <= 0:
        raise where.at("c").refuse("must be above 0")
    _number(_get(card, where, "intercept"), where.at("intercept"))
    bins = _list(card, where, "bins")
    if not bins:
        raise where.at("bins").refuse("must hold at least one input's bins")
    _numbers(card, where, "coef", length=len(bins))
    _numbers(card, where, "woe_means", length=len(bins))
    iv = _object(card, where, "iv")
    for name, value in iv.items():
        _number(value, where.at("iv").at(name), low=-math.inf, high=math.inf)
    for k, one in enumerate(bins):
        if not isinstance(one, dict):
            raise where.at("bins").at(k).refuse(f"must be a JSON object, not {_kind(one)}")
        _check_bins(one, where.at("bins").at(k), inputs)


def _check_bins(bins: Mapping[str, object], where: _In, inputs: Sequence[_Input]) -> None:
    name = _text(_get(bins, where, "name"), where.at("name"))
    index = _integer(_get(bins, where, "index"), where.at("index"), low=0, high=len(inputs) - 1)
    spec = inputs[index]
    if spec.name != name:
        raise where.at("index").refuse(f"points at input {spec.name!r}, not {name!r}")
    categorical = _get(bins, where, "categorical")
    if categorical is not (spec.role is ColumnRole.CATEGORICAL):
        raise where.at("categorical").refuse(f"does not match the role of {name!r}")
    splits = _numbers(bins, where, "splits", limit=math.inf)
    if splits != sorted(splits):
        raise where.at("splits").refuse("must be in ascending order")
    groups = _check_groups(_list(bins, where, "groups"), where.at("groups"), spec.categories)
    specials = _numbers(bins, where, "special_codes", limit=math.inf)
    regular = groups if categorical else len(splits) + 1
    _numbers(bins, where, "woe", length=regular)
    _numbers(bins, where, "woe_special", length=len(specials))
    _number(_get(bins, where, "woe_missing"), where.at("woe_missing"))
    _number(_get(bins, where, "iv"), where.at("iv"), low=-math.inf, high=math.inf)
    for k, pair in enumerate(_list(bins, where, "counts", regular + len(specials) + 1)):
        at = where.at("counts").at(k)
        if not isinstance(pair, list) or len(pair) != 2:
            raise at.refuse("must be a pair [rows, bads]")
        for count in pair:
            _integer(count, at, low=0, high=2**53)


def _check_groups(groups: list[object], where: _In, categories: int) -> int:
    """Each group of a categorical input's bins: indexes of its categories. The groups."""
    for k, group in enumerate(groups):
        if not isinstance(group, list):
            raise where.at(k).refuse(f"must be a JSON list, not {_kind(group)}")
        for i, code in enumerate(group):
            value = _number(code, where.at(k).at(i), low=0, high=max(categories - 1, 0))
            if not value.is_integer():
                raise where.at(k).at(i).refuse(f"must be the index of a category, not {value}")
    return len(groups)


def _check_trees(trees: Mapping[str, object], where: _In, inputs: Sequence[_Input]) -> None:
    _integer(_get(trees, where, "num_leaves"), where.at("num_leaves"), low=2, high=131_072)
    _integer(_get(trees, where, "rounds"), where.at("rounds"), low=1, high=1_000_000)
    rate = _number(_get(trees, where, "learning_rate"), where.at("learning_rate"))
    if rate <= 0:
        raise where.at("learning_rate").refuse("must be above 0")
    _integer(_get(trees, where, "seed"), where.at("seed"), low=-(2**63), high=2**63 - 1)
    categorical = [j for j, c in enumerate(inputs) if c.role is ColumnRole.CATEGORICAL]
    if _list(trees, where, "categorical") != categorical:
        raise where.at("categorical").refuse(f"must be the schema's categories, {categorical}")


def read_trees(
    files: Mapping[str, bytes], settings: Mapping[str, object], width: int, *, source: str
) -> GradientBoostedModel:
    """The trees of ``gbm.txt`` (settings checked by :func:`check_model_files`), refused
    unless the text holds whole trees of ``width`` inputs (:mod:`~thinfile.scoring.tree_text`)
    and LightGBM reads it."""
    import lightgbm as lgb

    where = _In(source, "gbm.txt")
    if "gbm.txt" not in files:
        raise where.refuse("is missing from a model with trees")
    problem = tree_text_problem(files["gbm.txt"], width)
    if problem is not None:
        raise where.refuse(f"is not a LightGBM model: it {problem}")
    try:
        trees = GradientBoostedModel.from_text(files["gbm.txt"].decode("utf-8"), settings)
    except (UnicodeDecodeError, lgb.basic.LightGBMError) as exc:
        raise where.refuse(f"is not a LightGBM model ({exc})") from None
    if trees.booster_.num_feature() != width:
        raise where.refuse(f"reads {trees.booster_.num_feature()} inputs, the schema {width}")
    return trees
