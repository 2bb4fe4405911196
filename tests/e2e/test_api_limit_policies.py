"""The staff routes over the limit-policy registry: underwriters and admins list, admins
register, activate and set the challenger; the active version is never its own challenger."""

from __future__ import annotations

import json
from decimal import Decimal

from thinfile.decisioning.limit_policy import DEFAULT_LIMIT_POLICY_DIR

URL = "/v1/staff/limit-policies"


def _files(ceiling: int | None = None) -> dict[str, object]:
    settings = json.loads((DEFAULT_LIMIT_POLICY_DIR / "policy.json").read_text("utf-8"))
    if ceiling is not None:
        settings["ceiling_fen"] = ceiling
    graph = json.loads((DEFAULT_LIMIT_POLICY_DIR / "decision.json").read_text("utf-8"))
    return {"policy_json": json.dumps(settings), "decision_json": json.dumps(graph)}


def test_admins_register_activate_and_set_a_challenger_and_others_may_not(api, world):
    admin, underwriter, alice = world.admin, world.underwriter, world.alice
    assert api.get(URL, headers=alice.headers).status_code == 403
    listed = api.get(URL, headers=underwriter.headers)
    assert listed.status_code == 200, listed.text
    (default,) = listed.json()  # the shipped policy, registered as the champion
    assert (default["status"], default["ceiling"]) == ("active", "30000.00")
    # registering is for admins; the same content is the same version
    assert api.post(URL, headers=underwriter.headers, json=_files(2_000_000)).status_code == 403
    made = api.post(URL, headers=admin.headers, json=_files(2_000_000))
    assert made.status_code == 201, made.text
    lower = made.json()
    assert (lower["status"], lower["ceiling"]) == ("candidate", "20000.00")
    assert lower["version"].startswith("limits-sha256:") and lower["version"] != default["version"]
    again = api.post(URL, headers=admin.headers, json=_files(2_000_000))
    assert again.json()["version"] == lower["version"]
    # a copy of the champion is the champion: refused as challenger with a conflict
    same = api.post(URL, headers=admin.headers, json=_files()).json()
    assert same["version"] == default["version"]
    refused = api.post(
        f"{URL}/challenger",
        headers=admin.headers,
        json={"version": default["version"], "share": "0.2"},
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "conflict" and "active" in refused.json()["message"]
    body = {"version": lower["version"], "share": "0.2"}
    assert api.post(f"{URL}/challenger", headers=underwriter.headers, json=body).status_code == 403
    too_much = api.post(f"{URL}/challenger", headers=admin.headers, json={**body, "share": "0.6"})
    assert too_much.status_code == 422
    assert api.post(f"{URL}/challenger", headers=admin.headers, json=body).status_code == 204
    statuses = {
        v["version"]: (v["status"], v["share"]) for v in api.get(URL, headers=admin.headers).json()
    }
    assert statuses == {
        default["version"]: ("active", "0"),
        lower["version"]: ("challenger", "0.2"),
    }
    # activation: admins only, an unknown version is not found
    activate = f"{URL}/{lower['version']}/activate"
    assert api.post(activate, headers=underwriter.headers).status_code == 403
    assert (
        api.post(f"{URL}/limits-sha256:unknown/activate", headers=admin.headers).status_code == 404
    )
    assert api.post(activate, headers=admin.headers).status_code == 204
    after = {v["version"]: v["status"] for v in api.get(URL, headers=admin.headers).json()}
    assert after == {default["version"]: "retired", lower["version"]: "active"}
    # a policy file that is not valid is refused, naming the file
    bad = _files()
    bad["policy_json"] = json.dumps({"format_version": 2})
    invalid = api.post(URL, headers=admin.headers, json=bad)
    assert invalid.status_code == 422 and "policy.json" in invalid.text


def test_underwriters_simulate_a_registered_version_against_a_baseline(api, world):
    admin, underwriter, alice = world.admin, world.underwriter, world.alice
    sims = f"{URL}/simulations"
    body = {"applicants": 300, "seed": 3, "months": 12}
    assert api.post(sims, headers=alice.headers, json=body).status_code == 403
    alone = api.post(sims, headers=underwriter.headers, json=body)
    assert alone.status_code == 200, alone.text
    report = alone.json()
    (default,) = api.get(URL, headers=underwriter.headers).json()
    assert report["lines"] > 0 and report["months"] == 12 and report["take_up"] == "0.8"
    assert [m["month"] for m in report["candidate"]["by_month"]] == list(range(1, 13))
    assert report["baseline"] is None and report["change"] is None
    # the same book again gives the same figures (the seed makes it)
    assert api.post(sims, headers=underwriter.headers, json=body).json() == report
    # a lower ceiling against the active policy: fewer lines at the top band, the change shown
    lower = api.post(URL, headers=admin.headers, json=_files(1_000_000)).json()
    compared = api.post(
        sims,
        headers=underwriter.headers,
        json={**body, "policy_version": lower["version"], "baseline_version": default["version"]},
    )
    assert compared.status_code == 200, compared.text
    both = compared.json()
    assert len(both["change"]["by_month"]) == 12
    last_candidate = both["candidate"]["by_month"][-1]
    last_baseline = both["baseline"]["by_month"][-1]
    assert Decimal(last_candidate["average_limit"]) <= Decimal(last_baseline["average_limit"])
    assert Decimal(both["change"]["by_month"][-1]["average_limit"]) == Decimal(
        last_candidate["average_limit"]
    ) - Decimal(last_baseline["average_limit"])
    assert both["candidate"]["ceiling"] == "10000.00"
    # a policy against itself changes nothing
    itself = api.post(
        sims, headers=underwriter.headers, json={**body, "baseline_version": default["version"]}
    ).json()
    assert all(Decimal(m["average_limit"]) == 0 for m in itself["change"]["by_month"])
    losses = itself["change"]["loss_rate"].values()
    assert all(v is None or Decimal(v) == 0 for v in losses)
    # bounds and unknown versions: clear errors, nothing run
    tiny = api.post(sims, headers=underwriter.headers, json={**body, "applicants": 50})
    assert tiny.status_code == 422 and "applicants" in tiny.text
    unknown = api.post(
        sims, headers=underwriter.headers, json={**body, "policy_version": "limits-sha256:none"}
    )
    assert unknown.status_code == 404 and unknown.json()["details"]["field"] == "policy_version"


def test_the_live_book_by_arm_is_for_underwriters_and_empty_before_a_review(api, world):
    arms = f"{URL}/arms"
    assert (
        api.get(arms, params={"review_on": "2025-04-30"}, headers=world.alice.headers).status_code
        == 403
    )
    none = api.get(arms, params={"review_on": "2025-04-30"}, headers=world.underwriter.headers)
    assert none.status_code == 200, none.text
    assert none.json() == {"review_on": "2025-04-30", "observed_on": None, "arms": []}
    bad = api.get(arms, params={"review_on": "30/04/2025"}, headers=world.underwriter.headers)
    assert bad.status_code == 422
