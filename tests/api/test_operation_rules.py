"""Every operation of the spec has a summary and a description that says who may call it;
idempotent operations say how a repeat behaves and declare the replay header; the rules come
from the routes' own checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.spec import served_spec

_METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return served_spec(tmp_path_factory.mktemp("spec"))


def _operations(spec):
    for path, item in spec["paths"].items():
        for method in _METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def test_every_operation_has_a_summary_and_says_who_may_call_it(spec):
    missing = [name for name, op in _operations(spec) if not op.get("summary")]
    assert missing == []
    silent = [name for name, op in _operations(spec) if "**Who**" not in op.get("description", "")]
    assert silent == []


def test_idempotent_operations_say_so_and_declare_their_headers(spec):
    checked = 0
    for name, op in _operations(spec):
        takes_key = any(p["name"].lower() == "idempotency-key" for p in op.get("parameters", []))
        described = "**Idempotency**" in op.get("description", "")
        assert takes_key == described, name
        if takes_key:
            checked += 1
            success = next(v for k, v in op["responses"].items() if k.startswith("2"))
            assert "Idempotent-Replayed" in success.get("headers", {}), name
        if "429" in op["responses"]:
            assert "Retry-After" in op["responses"]["429"].get("headers", {}), name
    assert checked >= 10


def test_the_rules_name_roles_consents_and_the_reading_pause(spec):
    ops = dict(_operations(spec))
    apply = ops["POST /v1/applicants/{applicant_id}/applications"]["description"]
    assert "the owner of `applicant_id`" in apply and "consent_required" in apply
    assert "**Rate limit**" in apply
    accept = ops["POST /v1/applications/{application_id}/acceptance"]["description"]
    assert "10 seconds" in accept and "`seconds_read`" in accept
    journal = ops["GET /v1/staff/loans/{loan_id}/journal"]["description"]
    assert "`admin`, `servicing_agent`, `underwriter`" in journal
    assert "anyone; no sign-in" in ops["POST /v1/auth/sign-up"]["description"]
    assert "GatewaySignature" in ops["POST /v1/gateway/notifications"]["description"]


def test_request_bodies_have_examples(spec):
    schemas = spec["components"]["schemas"]
    bare = []
    for name, op in _operations(spec):
        for media in op.get("requestBody", {}).get("content", {}).values():
            ref = media.get("schema", {}).get("$ref", "")
            target = schemas.get(ref.rsplit("/", 1)[-1], {})
            if ref and not target.get("examples") and not media.get("example"):
                bare.append(f"{name} ({ref.rsplit('/', 1)[-1]})")
    assert bare == []


def test_the_contact_example_names_an_approved_script() -> None:
    """The documented example of logging a contact was refused by the API it documents."""
    from thinfile.api.models_collections import ContactCreate
    from thinfile.services.collection_contacts import SCRIPTS

    extra: Any = ContactCreate.model_config.get("json_schema_extra")
    (example,) = extra["examples"]
    assert example["script"] in SCRIPTS
    assert ContactCreate.model_validate(example).script in SCRIPTS
