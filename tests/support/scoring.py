"""Builders for scoring tests: a small applicant table with a known default process, a model
directory sealed again after a test edits it, and an oracle that scores a model directory
from its JSON and LightGBM text alone (written here from the file formats, not with
``thinfile.scoring``)."""

from __future__ import annotations

import bisect
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["applicants", "oracle_pd", "records", "reseal"]


def applicants(n: int = 2000, seed: int = 7, *, protected: bool = False) -> pd.DataFrame:
    """Applicants whose default rises with late payments (0–3) and falls with income, months
    on a platform and rent paid on time; ``rent_share`` is missing for a third of them. With
    ``protected``, age, hukou, city tier and gender are columns too, and age and hukou move
    the default rate (a model allowed to read them would)."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(8.5, 0.4, n))
    late = rng.choice([0, 1, 2, 3], n, p=[0.6, 0.2, 0.12, 0.08])
    tenure = rng.integers(0, 48, n)
    rent_on_time = rng.random(n) < 0.6
    rent_share = np.round(rng.random(n), 3)
    rent_share[rng.random(n) < 0.33] = np.nan
    platform = rng.choice(["meituan", "didi", "none"], n, p=[0.4, 0.3, 0.3])
    logit = (
        -2.0
        - 0.7 * (np.log(income) - 8.5) / 0.4
        + 0.7 * late
        - 0.03 * tenure
        - 0.6 * rent_on_time
        + 0.5 * (platform == "none")
    )
    frame = pd.DataFrame(
        {
            "applicant_id": np.arange(n),
            "income": income,
            "late_payments": late,
            "tenure_months": tenure,
            "rent_on_time": rent_on_time,
            "rent_share": rent_share,
            "platform": platform,
        }
    )
    if protected:
        age = rng.integers(18, 61, n)
        local = rng.random(n) < 0.4
        logit = logit + 0.05 * (35 - age) - 0.8 * local
        frame = frame.assign(
            age=age,
            is_local_hukou=local,
            city_tier=rng.integers(1, 5, n),
            Gender=rng.choice(["F", "M"], n),
        )
    bad = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame.assign(bad=bad)


def records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """The rows of ``frame`` as one applicant's records (column name → value)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def reseal(model_dir: Path) -> None:
    """Write the manifest again over the directory's files as they now are."""
    files = {p.name: p.read_bytes() for p in model_dir.iterdir() if p.name != "manifest.json"}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    manifest = {
        "format": "thinfile.scoring/1",
        "version": "sha256:" + digest.hexdigest(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    (model_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def oracle_pd(model_dir: Path, frame: pd.DataFrame) -> np.ndarray:
    """Each row's probability of default, from ``model.json``, ``schema.json`` and
    ``gbm.txt``: scorecard log-odds (intercept plus coefficient × WoE of each input's bin)
    and LightGBM's raw score, blended, then ``sigmoid(slope × z + shift)``."""
    import lightgbm as lgb

    body = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    schema = json.loads((model_dir / "schema.json").read_text(encoding="utf-8"))
    columns = {c["name"]: c for c in schema["columns"]}
    names = body["reasons"]["features"]
    x = np.column_stack([_column(frame[name], columns[name]) for name in names])
    weight, raw = body["blend_weight"], np.zeros(len(frame))
    if body["scorecard"] and weight > 0:
        raw += weight * _card_logit(body["scorecard"], x)
    if body["gbm"] and weight < 1:
        booster = lgb.Booster(model_file=str(model_dir / "gbm.txt"))
        raw += (1 - weight) * np.asarray(booster.predict(x, raw_score=True))
    calibration = body["calibration"]
    logit = calibration["slope"] * raw + calibration["shift"]
    pd_: np.ndarray = 1 / (1 + np.exp(-logit))
    return pd_


def _column(col: pd.Series, spec: dict[str, Any]) -> np.ndarray:
    def one(value: object) -> float:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return math.nan
        if spec["role"] == "categorical":
            labels = spec["categories"]
            return float(labels.index(str(value))) if str(value) in labels else -1.0
        return float(value)  # type: ignore[arg-type]

    values = np.array([one(v) for v in col.astype(object)], dtype=float)
    if spec.get("missing_as") is not None:
        values[np.isnan(values)] = spec["missing_as"]
    return values


def _card_logit(card: dict[str, Any], x: np.ndarray) -> np.ndarray:
    out = np.full(len(x), card["intercept"])
    for bins, coef in zip(card["bins"], card["coef"], strict=True):
        out += coef * np.array([_woe(bins, v) for v in x[:, bins["index"]]])
    return out


def _woe(bins: dict[str, Any], value: float) -> float:
    if math.isnan(value):
        return float(bins["woe_missing"])
    if value in bins["special_codes"]:
        return float(bins["woe_special"][bins["special_codes"].index(value)])
    if not bins["categorical"]:
        return float(bins["woe"][bisect.bisect_right(bins["splits"], value)])
    for k, group in enumerate(bins["groups"]):
        if value in group:
            return float(bins["woe"][k])
    return 0.0
