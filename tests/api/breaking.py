"""What in a new OpenAPI spec breaks a client built from an old one.

Breaking: a path or operation removed; a parameter removed, or a new or newly required one; a
request body newly required; a component schema removed; a property removed, or its type
narrowed (a type, a referenced schema or an enum value the old spec allowed is gone); a
property newly required in a request schema, or no longer required in a response schema.

Not breaking (other work adds them freely): new paths, operations, optional parameters,
schemas, optional request properties and response properties, wider types, new enum values
of request fields, descriptions and examples. See docs/api.md, "Versioning".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["breaking_changes"]

Spec = dict[str, Any]
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_REF = "#/components/schemas/"


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF):
            yield ref[len(_REF) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _closure(spec: Spec, roots: set[str]) -> set[str]:
    schemas = spec.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo.extend(_refs(schemas[name]))
    return seen


def _operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def _directions(spec: Spec) -> tuple[set[str], set[str]]:
    """The schemas reachable from request bodies and parameters, and from responses."""
    sent: set[str] = set()
    received: set[str] = set()
    for _, _, operation in _operations(spec):
        sent.update(_refs(operation.get("requestBody", {})))
        sent.update(_refs(operation.get("parameters", [])))
        received.update(_refs(operation.get("responses", {})))
    return _closure(spec, sent), _closure(spec, received)


def _tokens(schema: object) -> set[str]:
    """What values a schema admits, as comparable tokens (types, refs, enum values)."""
    if not isinstance(schema, dict) or not schema:
        return {"any"}
    if "$ref" in schema:
        return {f"ref:{schema['$ref'].removeprefix(_REF)}"}
    for union in ("anyOf", "oneOf"):
        if union in schema:
            return set().union(*(_tokens(option) for option in schema[union]))
    if "enum" in schema:
        return {f"enum:{value}" for value in schema["enum"]}
    if "const" in schema:
        return {f"enum:{schema['const']}"}
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    out: set[str] = set()
    for k in kinds:
        if k == "array":
            out.update(f"array<{t}>" for t in _tokens(schema.get("items", {})))
        elif k == "integer":
            out.add("number:int")
        else:
            out.add(str(k))
    return out


def _narrowed(old: object, new: object) -> set[str]:
    before, after = _tokens(old), _tokens(new)
    if "any" in after:
        return set()
    if "number" in after:  # a number admits integers
        after = after | {"number:int"}
    enum_kinds = {t for t in after if not t.startswith("enum:")}
    # an enum over strings still admits what a plain string admitted only if it is a string
    return {t for t in before - after if not (t.startswith("enum:") and "string" in enum_kinds)}


def _parameters(operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"].lower()): p for p in operation.get("parameters", [])}


def _operation_changes(where: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[str]:
    before, after = _parameters(old), _parameters(new)
    for key, parameter in before.items():
        if key not in after:
            yield f"{where}: parameter {key[1]} ({key[0]}) removed"
            continue
        if after[key].get("required") and not parameter.get("required"):
            yield f"{where}: parameter {key[1]} ({key[0]}) is now required"
        lost = _narrowed(parameter.get("schema"), after[key].get("schema"))
        if lost:
            yield f"{where}: parameter {key[1]} no longer admits {sorted(lost)}"
    for key, parameter in after.items():
        if key not in before and parameter.get("required"):
            yield f"{where}: new required parameter {key[1]} ({key[0]})"
    body_before = old.get("requestBody", {}).get("required", False)
    if new.get("requestBody", {}).get("required") and not body_before and "requestBody" not in old:
        yield f"{where}: a request body is now required"


def _schema_changes(
    name: str, old: dict[str, Any], new: dict[str, Any], *, sent: bool, received: bool
) -> Iterator[str]:
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for prop, schema in old_props.items():
        if prop not in new_props:
            yield f"{name}.{prop} removed"
            continue
        lost = _narrowed(schema, new_props[prop])
        if lost:
            yield f"{name}.{prop} no longer admits {sorted(lost)}"
    required_before, required_after = set(old.get("required", [])), set(new.get("required", []))
    if sent:
        for prop in sorted(required_after - required_before):
            yield f"{name}.{prop} is now required in requests"
    if received:
        for prop in sorted((required_before - required_after) & set(new_props)):
            yield f"{name}.{prop} may now be missing from responses"
    lost_values = _narrowed({"enum": old["enum"]}, new) if "enum" in old else set()
    if lost_values:
        yield f"{name} no longer admits {sorted(lost_values)}"


def breaking_changes(old: Spec, new: Spec) -> list[str]:
    """Every change from ``old`` to ``new`` that breaks a client of ``old``, in words."""
    found: list[str] = []
    new_paths = new.get("paths", {})
    for path, method, operation in _operations(old):
        if path not in new_paths:
            found.append(f"path {path} removed")
        elif method not in new_paths[path]:
            found.append(f"{method.upper()} {path} removed")
        else:
            found.extend(
                _operation_changes(f"{method.upper()} {path}", operation, new_paths[path][method])
            )
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    sent, received = _directions(old)
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            found.append(f"schema {name} removed")
            continue
        found.extend(
            _schema_changes(
                name, schema, new_schemas[name], sent=name in sent, received=name in received
            )
        )
    return sorted(set(found))
