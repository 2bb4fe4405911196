"""The model directory: plain JSON and text files, a manifest, and one content hash.

A model directory holds ``model.json`` (scorecard bins and weights, calibration, scaling),
``schema.json`` (the input columns), ``evaluation.json`` (validation figures for the report),
``gbm.txt`` (LightGBM's own text format) when the model has trees, and ``manifest.json`` with
each file's SHA-256 and the model ``version``: the SHA-256 of all the other files together.
There is no pickle: loading executes nothing. A tampered file fails the hash check.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path

from thinfile.errors import DataContractError

__all__ = ["FORMAT", "content_version", "dumps", "read_artifact", "write_artifact"]

FORMAT = "thinfile.scoring/1"
MANIFEST = "manifest.json"


def dumps(data: object) -> bytes:
    """Canonical JSON: sorted keys, no NaN (written as null), UTF-8."""
    return json.dumps(
        _clean(data), sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _clean(value: object) -> object:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def content_version(files: Mapping[str, bytes]) -> str:
    """``sha256:<hex>`` over every file's name and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return "sha256:" + digest.hexdigest()


def write_artifact(path: str | Path, files: Mapping[str, bytes]) -> str:
    """Write the files and the manifest; returns the version."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*"):
        if stale.is_file() and stale.name not in files and stale.name != MANIFEST:
            stale.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    version = content_version(files)
    manifest = {
        "format": FORMAT,
        "version": version,
        "files": {n: hashlib.sha256(files[n]).hexdigest() for n in sorted(files)},
    }
    (folder / MANIFEST).write_bytes(dumps(manifest))
    return version


def read_artifact(path: str | Path) -> tuple[str, dict[str, bytes]]:
    """The version and the files of a model directory, checked against its manifest."""
    folder = Path(path)
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file():
        raise DataContractError(
            "not a thinfile model directory (no manifest.json)",
            field="MODEL",
            value=str(path),
            remedy="give the --out directory of `thinfile model train`",
        )
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise DataContractError(
            "unsupported model format",
            field="MODEL",
            value=manifest.get("format"),
            remedy=f"expected {FORMAT}",
        )
    files: dict[str, bytes] = {}
    for name, digest in manifest["files"].items():
        data = (folder / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise DataContractError(
                "model file does not match its hash",
                field="MODEL",
                value=name,
                remedy="retrain or restore the model directory",
            )
        files[name] = data
    version = content_version(files)
    if version != manifest["version"]:
        raise DataContractError(
            "model version does not match its files", field="MODEL", value=manifest["version"]
        )
    return version, files
