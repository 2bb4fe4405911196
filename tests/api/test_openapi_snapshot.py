"""The API served keeps the contract of the committed snapshot: nothing removed, nothing
narrowed (tests/api/breaking.py says what counts). Additions pass. To change the contract on
purpose, refresh the snapshot: ``python -m tests.api.snapshot`` (docs/api.md)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.api.breaking import breaking_changes
from tests.api.spec import SNAPSHOT, served_spec


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return served_spec(tmp_path_factory.mktemp("spec"))


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return spec


def test_the_served_api_breaks_nothing_of_the_committed_snapshot(committed, served):
    assert breaking_changes(committed, served) == [], (
        "the API changed incompatibly; if that is meant, it needs a new version "
        "(docs/api.md), then refresh the snapshot: python -m tests.api.snapshot"
    )


def test_the_snapshot_is_of_this_api(committed):
    assert committed["openapi"].startswith("3.") and "/v1/loans/{loan_id}" in committed["paths"]


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


def test_removals_and_narrowing_are_caught_additions_are_not(served):
    new = copy.deepcopy(served)
    new["paths"]["/v1/brand-new"] = {"get": {"responses": {}}}
    _schema(new, "LoanPublic")["properties"]["new_field"] = {"type": "string"}
    assert breaking_changes(served, new) == []

    gone = copy.deepcopy(served)
    del gone["paths"]["/v1/loans/{loan_id}/payoff"]
    del _schema(gone, "LoanPublic")["properties"]["bucket"]
    _schema(gone, "LoanStatus")["enum"].remove("written-off")
    _schema(gone, "PaymentCreate")["required"].append("note")
    _schema(gone, "PaymentCreate")["properties"]["note"] = {"type": "string"}
    _schema(gone, "LoanSummaryPublic")["properties"]["credit_line_id"] = {"type": "integer"}
    found = breaking_changes(served, gone)
    assert "path /v1/loans/{loan_id}/payoff removed" in found
    assert "LoanPublic.bucket removed" in found
    assert "LoanStatus no longer admits ['enum:written-off']" in found
    assert "PaymentCreate.note is now required in requests" in found
    assert "LoanSummaryPublic.credit_line_id no longer admits ['null']" in found


def test_a_new_required_header_breaks_callers(served):
    new = copy.deepcopy(served)
    operation = new["paths"]["/v1/loans/{loan_id}"]["get"]
    operation.setdefault("parameters", []).append(
        {"in": "header", "name": "X-New", "required": True, "schema": {"type": "string"}}
    )
    assert breaking_changes(served, new) == [
        "GET /v1/loans/{loan_id}: new required parameter x-new (header)"
    ]
