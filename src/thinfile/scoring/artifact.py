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
RESTORE = "restore the model directory from a copy, or retrain the model"


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
    """The version and the files of a model directory, checked against its manifest.

    The manifest is checked before any file it names is opened: a JSON object of this
    ``format`` with a ``version`` and ``files`` (plain file names, each with its SHA-256;
    never a path), each of which exists.
    """
    folder = Path(path)
    version, listed = _read_manifest(folder, str(path))
    files: dict[str, bytes] = {}
    for name, digest in listed.items():
        data = (folder / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise DataContractError(
                "model file does not match its hash",
                field="MODEL",
                value=name,
                remedy=RESTORE,
            )
        files[name] = data
    if content_version(files) != version:
        raise DataContractError(
            "model version does not match its files", field="MODEL", value=version, remedy=RESTORE
        )
    return version, files


def _read_manifest(folder: Path, source: str) -> tuple[str, dict[str, str]]:
    """The version and the files (name → SHA-256) a manifest lists."""
    manifest_file = folder / MANIFEST
    if not manifest_file.is_file():
        raise DataContractError(
            "not a thinfile model directory (no manifest.json)",
            field="MODEL",
            value=source,
            remedy="give the --out directory of `thinfile model train`",
        )
    manifest = _manifest_json(manifest_file, source)
    if manifest.get("format") != FORMAT:
        raise DataContractError(
            "unsupported model format",
            field="MODEL",
            value=manifest.get("format"),
            remedy=f"expected {FORMAT}",
        )
    version = manifest.get("version")
    if not isinstance(version, str):
        raise _bad_manifest(source, "key version must be text")
    return version, _listed_files(folder, manifest.get("files"), source)


def _manifest_json(file: Path, source: str) -> dict[str, object]:
    try:
        manifest = json.loads(file.read_bytes())
    except ValueError as exc:
        raise _bad_manifest(source, f"is not JSON ({exc})") from None
    if not isinstance(manifest, dict):
        raise _bad_manifest(source, "is not a JSON object")
    return manifest


def _listed_files(folder: Path, listed: object, source: str) -> dict[str, str]:
    """The manifest's ``files``: plain names of files the directory has, each with a hash."""
    if not isinstance(listed, dict) or not listed:
        raise _bad_manifest(source, "key files must be a JSON object naming the files")
    for name, digest in listed.items():
        if not _is_plain_name(name) or not isinstance(digest, str):
            raise _bad_manifest(source, f"key files names {name!r}, not a file of the directory")
    for name in listed:
        if not (folder / name).is_file():
            raise _bad_manifest(source, f"key files names {name!r}, which the directory lacks")
    return listed


def _is_plain_name(name: str) -> bool:
    """A file name within the directory itself: no path separator, no ``..``, no NUL."""
    return bool(name) and not any(c in name for c in "/\\\0:") and ".." not in name


def _bad_manifest(source: str, problem: str) -> DataContractError:
    return DataContractError(f"{MANIFEST} {problem}", field="MODEL", value=source, remedy=RESTORE)
