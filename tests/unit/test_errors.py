"""Every error thinfile raises on purpose is a ThinfileError with its own stable code."""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import thinfile
from thinfile import errors
from thinfile.errors import ThinfileError

SRC = Path(thinfile.__file__).parent

PRIVATE_EXCEPTIONS = {
    "thinfile.decisioning.application._Bad": (
        "a field parser's signal, turned into a FieldProblem before it leaves the module"
    ),
    "thinfile.api.json_body._Twice": (
        "the JSON parser's hook signalling a repeated key, turned into an InvalidInputError"
        " before it leaves the module"
    ),
}
"""Exception classes outside the ThinfileError tree, each with the reason it may be."""

_BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def _module_names() -> list[str]:
    names = ["thinfile"]
    for info in pkgutil.walk_packages([str(SRC)], prefix="thinfile."):
        # Alembic scripts run only under Alembic; a __main__ runs its command when imported.
        if ".migrations" not in info.name and not info.name.endswith(".__main__"):
            names.append(info.name)
    return names


def _all_errors() -> list[type[ThinfileError]]:
    for name in _module_names():
        importlib.import_module(name)
    found: list[type[ThinfileError]] = []
    pending = [ThinfileError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("thinfile.")]


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_module_of_the_package_is_walked():
    names = _module_names()
    assert "thinfile.services.idempotency" in names and "thinfile.api.errors" in names
    assert len(names) > 150


def _shared_codes(classes: list[type[ThinfileError]]) -> dict[str, list[str]]:
    by_code: dict[str, list[str]] = {}
    for cls in classes:
        by_code.setdefault(cls.code, []).append(_qualified(cls))
    return {code: names for code, names in by_code.items() if len(names) > 1}


def test_every_error_has_a_code_of_its_own_and_an_http_status():
    classes = _all_errors()
    for cls in classes:
        assert re.fullmatch(r"[a-z][a-z_]*[a-z]", cls.code), (_qualified(cls), cls.code)
        assert 400 <= cls.status <= 599, (_qualified(cls), cls.status)
    assert _shared_codes(classes) == {}


def test_a_subclass_that_forgets_its_code_shares_its_parents_and_is_caught():
    class Forgetful(errors.ConflictError):
        pass

    assert _shared_codes([errors.ConflictError, Forgetful, errors.NotFoundError]) == {
        "conflict": ["thinfile.errors.ConflictError", _qualified(Forgetful)]
    }


def _hierarchy_drawn() -> dict[str, tuple[str, str, int]]:
    """``{class name: (parent name, code, status)}`` from the errors module's docstring."""
    drawn: dict[str, tuple[str, str, int]] = {}
    parents: list[str] = []
    for line in (errors.__doc__ or "").splitlines():
        match = re.fullmatch(r"    ([│├└─ ]*?)(\w+)\s+(\w+)\s+(\d{3})\b.*", line)
        if not match:
            continue
        depth = len(match[1]) // 4
        del parents[depth:]
        drawn[match[2]] = (parents[-1] if parents else "", match[3], int(match[4]))
        parents.append(match[2])
    return drawn


def test_the_docstring_draws_every_error_with_its_parent_code_and_status():
    actual = {
        cls.__name__: (
            cls.__mro__[1].__name__ if cls is not ThinfileError else "",
            cls.code,
            cls.status,
        )
        for cls in _all_errors()
    }
    assert _hierarchy_drawn() == actual


def _exception_classes_outside_the_tree() -> list[str]:
    outside = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        if ".migrations" in module:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and _is_exception_outside(module, node):
                outside.append(f"{module}.{node.name}")
    return outside


def _is_exception_outside(module: str, node: ast.ClassDef) -> bool:
    cls = getattr(importlib.import_module(module), node.name, None)
    if isinstance(cls, type) and cls.__module__ == module:
        return issubclass(cls, BaseException) and not issubclass(cls, ThinfileError)
    # A class defined inside a function: judge it by the names of its bases.
    names = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    return bool(names & _BUILTIN_EXCEPTIONS)


def test_no_exception_class_lives_outside_the_tree_unless_documented_private():
    outside = _exception_classes_outside_the_tree()
    assert sorted(outside) == sorted(PRIVATE_EXCEPTIONS)


@pytest.mark.parametrize("name", sorted(PRIVATE_EXCEPTIONS))
def test_documented_private_exceptions_are_private(name):
    assert name.rsplit(".", 1)[1].startswith("_")


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("thinfile.api.errors", "PayloadTooLargeError"),
        ("thinfile.security.crypto", "DecryptionError"),
        ("thinfile.servicing", "InvariantViolation"),
        ("thinfile.servicing.invariants", "InvariantViolation"),
        ("thinfile.services.applications", "ConsentRequiredError"),
    ],
)
def test_errors_moved_into_the_tree_are_still_importable_where_they_were(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(errors, name)


def test_an_error_renders_its_code_message_and_details():
    error = errors.ConsentRequiredError(
        "consent first", field="consent_credit", remedy="record consent"
    )
    assert error.status == 403 and isinstance(error, errors.PermissionDeniedError)
    assert error.as_dict() == {
        "code": "consent_required",
        "message": "consent first",
        "details": {"field": "consent_credit", "remedy": "record consent"},
    }
