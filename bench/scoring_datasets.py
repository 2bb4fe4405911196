"""The real credit datasets of ../shared/data, loaded as BASELINES.md prescribes.

Each loader returns the features (identifier columns dropped, text columns as text), the 0/1
target (1 = bad), the special codes and, where BASELINES.md defines them, the thin-file segment
and the bureau columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HELOC_SPECIAL = (-9.0, -8.0, -7.0)


@dataclass
class Dataset:
    name: str
    x: pd.DataFrame
    y: np.ndarray
    special_codes: tuple[float, ...] = ()
    thin: Callable[[pd.DataFrame], np.ndarray] | None = None
    bureau: tuple[str, ...] = ()
    categorical: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.categorical = [
            c for c in self.x.columns if not pd.api.types.is_numeric_dtype(self.x[c])
        ]


def _taiwan(root: Path) -> Dataset:
    df = pd.read_csv(root / "taiwan_default" / "UCI_Credit_Card.csv").drop(columns="ID")
    y = df.pop("default.payment.next.month").to_numpy()
    return Dataset("taiwan_default", df, y)


def _german(root: Path) -> Dataset:
    df = pd.read_csv(root / "german_credit" / "germancredit.csv")
    y = (df.pop("creditability") == "bad").astype(int).to_numpy()
    return Dataset("german_credit", df, y)


def _south_german(root: Path) -> Dataset:
    df = pd.read_csv(root / "south_german_credit" / "south_german_credit.csv")
    y = (df.pop("credit_risk") == 0).astype(int).to_numpy()
    return Dataset("south_german_credit", df, y)


def _credit_risk(root: Path) -> Dataset:
    df = pd.read_csv(root / "credit_risk_kaggle" / "credit_risk_dataset.csv")
    y = df.pop("loan_status").to_numpy()
    return Dataset(
        "credit_risk_kaggle",
        df,
        y,
        thin=lambda f: (f["cb_person_cred_hist_length"] <= 3).to_numpy(),
        bureau=("cb_person_default_on_file", "cb_person_cred_hist_length"),
    )


def _heloc(root: Path) -> Dataset:
    df = pd.read_csv(root / "heloc" / "heloc_dataset_v1.csv")
    y = (df.pop("RiskPerformance") == "Bad").astype(int).to_numpy()
    return Dataset(
        "heloc",
        df,
        y,
        special_codes=HELOC_SPECIAL,
        thin=lambda f: (f["NumTotalTrades"] < 6).to_numpy(),
    )


def _give_me_some_credit(root: Path) -> Dataset:
    df = pd.read_csv(root / "give_me_some_credit" / "cs-training.csv.gz")
    df = df.drop(columns=df.columns[0])
    y = df.pop("SeriousDlqin2yrs").to_numpy()
    return Dataset(
        "give_me_some_credit",
        df,
        y,
        thin=lambda f: (f["NumberOfOpenCreditLinesAndLoans"] <= 2).to_numpy(),
    )


LOADERS: dict[str, Callable[[Path], Dataset]] = {
    "taiwan_default": _taiwan,
    "german_credit": _german,
    "south_german_credit": _south_german,
    "credit_risk_kaggle": _credit_risk,
    "heloc": _heloc,
    "give_me_some_credit": _give_me_some_credit,
}


def load(name: str, root: Path = DATA) -> Dataset:
    return LOADERS[name](root)


def split(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """The BASELINES.md split: 70/30, stratified, random_state=42, in file order."""
    from sklearn.model_selection import train_test_split

    xtr, xte, ytr, yte = train_test_split(
        ds.x, ds.y, test_size=0.30, stratify=ds.y, random_state=42
    )
    return xtr, xte, ytr, yte
