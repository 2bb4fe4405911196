"""A decision just made is shown with the schedules priced with it: exactly what a stored one
rebuilds from each offer's terms."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from tests.support.decisioning import DECIDED_ON, ChosenPD, application
from thinfile.api.mappers import application_public
from thinfile.decisioning import decide, load_policy, parse_application
from thinfile.services.applications_records import STATUS, ApplicationRecord


@pytest.mark.parametrize("pd", [0.005, 0.02, 0.05, 0.09])
@pytest.mark.parametrize(
    "amount,term,purpose",
    [
        ("6000.00", 12, "phone_purchase"),
        ("30000.00", 24, "business_working_capital"),
        ("1999.99", 6, "consumption"),
        ("15000.00", 36, "education"),
    ],
)
def test_priced_schedules_give_the_same_response_as_rebuilt_ones(pd, amount, term, purpose):
    decision = decide(
        parse_application(
            application(requested_amount=amount, requested_term_months=term, purpose=purpose)
        ),
        policy=load_policy(),
        model=ChosenPD(pd),
        on=DECIDED_ON,
    )
    fresh = ApplicationRecord(
        "app-1",
        "A0000000001",
        STATUS[decision.outcome],
        decision.outcome,
        datetime(2026, 11, 25, tzinfo=UTC),
        decision.as_dict(),
        None,
        None,
        schedules=tuple(o.schedule for o in decision.offers),
    )
    stored = dataclasses.replace(fresh, schedules=())
    shown = application_public(fresh)
    assert shown == application_public(stored)
    assert len(shown.offers) == len(decision.offers)
    assert all(len(o.schedule) == o.term_months for o in shown.offers)
