"""A model directory that could not score as it was trained is refused when it is loaded,
with a DataContractError naming the file and the key, even when its hashes are in order."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.scoring import applicants, reseal
from thinfile.errors import DataContractError
from thinfile.scoring import load_model, train_model

Edit = Callable[[dict[str, Any]], object]


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model") / "both"
    frame = applicants(1500, seed=31)
    train_model(frame, target="bad", id_col="applicant_id", kind="both", seed=1).save(folder)
    return folder


def _copy(saved: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(saved, folder)
    return folder


def _set(path: str, value: object) -> Edit:
    def edit(body: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value

    return edit


_DELETE = object()


def _reasons_reversed(body: dict[str, Any]) -> None:
    body["reasons"]["features"].reverse()


def _short_woe(body: dict[str, Any]) -> None:
    body["scorecard"]["bins"][0]["woe"].pop()


def _short_coef(body: dict[str, Any]) -> None:
    body["scorecard"]["coef"].pop()


MODEL_EDITS: list[tuple[str, Edit, str]] = [
    ("format", _set("format", "thinfile.scoring/99"), "format"),
    ("reasons out of order", _reasons_reversed, "reasons.features"),
    ("blend weight 7", _set("blend_weight", 7), "blend_weight"),
    ("blend weight -1", _set("blend_weight", -1.0), "blend_weight"),
    ("pdo 0", _set("scale.pdo", 0), "scale.pdo"),
    ("pdo negative", _set("scale.pdo", -20.0), "scale.pdo"),
    ("base odds 0", _set("scale.base_odds", 0), "scale.base_odds"),
    ("woe list short", _short_woe, "scorecard.bins[0].woe"),
    ("woe absurd", _set("scorecard.bins.0.woe_missing", 1e300), "scorecard.bins[0].woe_missing"),
    ("coef absurd", _set("scorecard.coef", [1e7] * 64), "scorecard.coef"),
    ("coef short", _short_coef, "scorecard.coef"),
    ("coef an object", _set("scorecard.coef", {"a": 1}), "scorecard.coef"),
    ("slope absurd", _set("calibration.slope", -2e6), "calibration.slope"),
    ("shift as text", _set("calibration.shift", "1e9"), "calibration.shift"),
    ("intercept absurd", _set("scorecard.intercept", 5e6), "scorecard.intercept"),
    ("no calibration", _set("calibration", _DELETE), "calibration"),
    ("no kind", _set("kind", _DELETE), "kind"),
    ("no coef", _set("scorecard.coef", _DELETE), "scorecard.coef"),
    ("calibration a list", _set("calibration", [1.0, 0.0]), "calibration"),
    ("bins text", _set("scorecard.bins", "x"), "scorecard.bins"),
    ("bin index out of range", _set("scorecard.bins.0.index", 999), "scorecard.bins[0].index"),
    ("trees dropped", _set("gbm", None), "gbm"),
    ("rounds negative", _set("gbm.rounds", -5), "gbm.rounds"),
]


@pytest.mark.parametrize(
    ("edit", "key"), [(e, k) for _, e, k in MODEL_EDITS], ids=[label for label, _, _ in MODEL_EDITS]
)
def test_an_edited_model_json_is_refused_naming_the_key(
    saved: Path, tmp_path: Path, edit: Edit, key: str
) -> None:
    folder = _copy(saved, tmp_path)
    body = json.loads((folder / "model.json").read_text())
    edit(body)
    (folder / "model.json").write_text(json.dumps(body))
    reseal(folder)
    with pytest.raises(DataContractError) as err:
        load_model(folder)
    assert f"model.json key {key} " in str(err.value)
    assert err.value.remedy


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"calibration": {"slope": NaN, "shift": 0}}', "calibration.slope"),
        ('{"calibration": {"slope": Infinity, "shift": 0}}', "calibration.slope"),
        ("[]", "must be a JSON object"),
        ("{not json", "not JSON"),
    ],
)
def test_a_model_json_that_is_not_numbers_or_not_an_object_is_refused(
    saved: Path, tmp_path: Path, text: str, problem: str
) -> None:
    folder = _copy(saved, tmp_path)
    if text.startswith('{"calibration"'):
        body = json.loads((folder / "model.json").read_text())
        body["calibration"] = {"slope": 0.0, "shift": 0.0}
        text = json.dumps(body).replace('"calibration": {"slope": 0.0, "shift": 0.0}', text[1:-1])
    (folder / "model.json").write_text(text)
    reseal(folder)
    with pytest.raises(DataContractError, match=r"model\.json") as err:
        load_model(folder)
    assert problem in str(err.value)


def test_a_schema_that_lost_an_input_is_refused(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    schema = json.loads((folder / "schema.json").read_text())
    schema["columns"] = [c for c in schema["columns"] if c["name"] != "tenure_months"]
    (folder / "schema.json").write_text(json.dumps(schema))
    reseal(folder)
    with pytest.raises(DataContractError, match=r"model\.json key reasons\.features"):
        load_model(folder)


def test_a_schema_with_an_unknown_role_is_refused(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    schema = json.loads((folder / "schema.json").read_text())
    schema["columns"][1]["role"] = "wat"
    (folder / "schema.json").write_text(json.dumps(schema))
    reseal(folder)
    with pytest.raises(DataContractError, match=r"schema\.json key columns\[1\]\.role"):
        load_model(folder)


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, 0.995])
def test_truncated_trees_are_refused(saved: Path, tmp_path: Path, keep: float) -> None:
    """LightGBM itself crashes the process on most of these."""
    folder = _copy(saved, tmp_path)
    text = (folder / "gbm.txt").read_bytes()
    (folder / "gbm.txt").write_bytes(text[: int(len(text) * keep)])
    reseal(folder)
    with pytest.raises(DataContractError, match=r"gbm\.txt is not a LightGBM model"):
        load_model(folder)


def test_a_tree_whose_child_lies_outside_it_is_refused(saved: Path, tmp_path: Path) -> None:
    folder = _copy(saved, tmp_path)
    text = (folder / "gbm.txt").read_text()
    line = text.index("\nleft_child=", text.index("\nTree=0\n")) + len("\nleft_child=")
    first = text[line : text.index(" ", line)]
    edited = text[:line] + "9999" + text[line + len(first) :]
    sizes = text[text.index("tree_sizes=") :].split("\n", 1)[0]
    numbers = [int(v) for v in sizes.removeprefix("tree_sizes=").split()]
    numbers[0] += 4 - len(first)  # tree 0 is that much longer: LightGBM finds the others
    edited = edited.replace(sizes, "tree_sizes=" + " ".join(map(str, numbers)), 1)
    (folder / "gbm.txt").write_text(edited)
    reseal(folder)
    with pytest.raises(DataContractError, match="child outside the tree"):
        load_model(folder)


def _manifest(folder: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    return manifest


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda m: json.dumps(m)[:40], "is not JSON"),
        (lambda m: "[]", "is not a JSON object"),
        (lambda m: json.dumps({k: v for k, v in m.items() if k != "files"}), "key files"),
        (lambda m: json.dumps({**m, "files": {**m["files"], "ghost.json": "0" * 64}}), "lacks"),
        (lambda m: json.dumps({**m, "version": 7}), "key version"),
    ],
    ids=["truncated", "a list", "no files", "a file it lacks", "version not text"],
)
def test_a_damaged_manifest_is_refused(
    saved: Path, tmp_path: Path, damage: Callable[[dict[str, Any]], str], problem: str
) -> None:
    folder = _copy(saved, tmp_path)
    (folder / "manifest.json").write_text(damage(_manifest(folder)))
    with pytest.raises(DataContractError, match=r"manifest\.json") as err:
        load_model(folder)
    assert problem in str(err.value)
    assert err.value.remedy


@pytest.mark.parametrize("name", ["../outside.json", "sub/inside.json", "..\\outside.json"])
def test_a_manifest_naming_a_path_is_refused_before_the_file_is_read(
    saved: Path, tmp_path: Path, name: str
) -> None:
    """Even when the named file exists and the hashes and version agree with it."""
    folder = _copy(saved, tmp_path)
    (folder / "sub").mkdir()
    for target in (tmp_path / "outside.json", folder / "sub" / "inside.json", folder / name):
        target.write_text("{}")
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    files.pop("manifest.json")
    files[name] = b"{}"
    digest = hashlib.sha256()
    for key in sorted(files):
        digest.update(key.encode() + b"\0")
        digest.update(hashlib.sha256(files[key]).digest())
    manifest = {
        "format": "thinfile.scoring/1",
        "version": "sha256:" + digest.hexdigest(),
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataContractError, match="not a file of the directory"):
        load_model(folder)
