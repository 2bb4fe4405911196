"""An application is a typed, frozen record that matches its field table."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import get_type_hints

import pytest

from tests.support.decisioning import application
from thinfile.decisioning import Application, parse_application
from thinfile.decisioning.application import FIELD_TYPES, MONEY_FIELDS, OPTIONAL, REQUIRED
from thinfile.decisioning.simulate import application_from_record
from thinfile.errors import InvalidInputError


def test_the_record_declares_the_field_table_in_order_with_the_parsers_types():
    fields = dataclasses.fields(Application)
    assert [f.name for f in fields] == [*REQUIRED, *OPTIONAL]
    hints = get_type_hints(Application)
    for f in fields:
        if f.name in REQUIRED:
            assert f.default is dataclasses.MISSING, f.name
            assert hints[f.name] is FIELD_TYPES[f.name], f.name
        else:
            assert f.default is None, f.name
            assert hints[f.name] == FIELD_TYPES[f.name] | None, f.name


def test_money_fields_are_whole_fen():
    assert all(FIELD_TYPES[name] is int for name in MONEY_FIELDS)


def test_a_parsed_application_has_typed_values_and_none_for_what_was_left_out():
    app = parse_application(application(requested_amount="12,000.50", gender=None))
    assert app.requested_amount == 1200050 and app.birth_date == date(1990, 3, 7)
    assert app.income_monthly_cv == 0.3 and app.consent_credit is True
    assert app.gender is None and app.declared_monthly_income is None
    assert app.age_on(date(2026, 3, 6)) == 35 and app.age_on(date(2026, 3, 7)) == 36
    with pytest.raises(dataclasses.FrozenInstanceError):
        app.requested_amount = 1  # type: ignore[misc]


def test_the_stored_form_is_what_was_given_and_parses_back_to_the_same_record():
    app = parse_application(application(declared_monthly_income="9000.00"))
    stored = app.as_json()
    assert stored["requested_amount"] == "6000.00" and stored["birth_date"] == "1990-03-07"
    assert "gender" not in stored and list(stored)[:3] == ["applicant_id", "id_number", "phone"]
    assert parse_application(stored) == app
    assert app.as_record()["declared_monthly_income"] == 900000


def test_a_table_row_becomes_a_record_with_whole_floats_read_as_integers():
    row = parse_application(application()).as_record()
    row.update(
        income_monthly_mean=800000.0,
        bureau_history_months=24.0,
        bad_12m=1,
        birth_date="1990-03-07T00:00:00",
        income_monthly_cv=0,
    )
    app = application_from_record(row)
    assert app.income_monthly_mean == 800000 and type(app.income_monthly_mean) is int
    assert app.bureau_history_months == 24 and type(app.bureau_history_months) is int
    assert app.income_monthly_cv == 0.0 and type(app.income_monthly_cv) is float
    assert app.birth_date == date(1990, 3, 7)


def test_a_table_row_with_values_of_the_wrong_type_lists_every_one():
    row = parse_application(application()).as_record()
    row.update(income_monthly_mean=800000.5, months_in_city="24", consent_alt_data="yes")
    with pytest.raises(InvalidInputError) as refused:
        Application.from_values(row)
    assert {p.field for p in refused.value.problems} == {
        "income_monthly_mean",
        "months_in_city",
        "consent_alt_data",
    }


def test_values_missing_a_required_field_or_carrying_an_unknown_one_are_refused():
    row = parse_application(application()).as_record()
    del row["purpose"]
    row["shoe_size"] = 42
    with pytest.raises(InvalidInputError) as refused:
        Application.from_values(row)
    assert {p.field: p.message for p in refused.value.problems} == {
        "purpose": "is required",
        "shoe_size": "is not a known field",
    }


def test_values_already_of_their_fields_type_are_kept_as_the_parsers_would_return_them():
    from thinfile.decisioning.application import _AS_TYPE
    from thinfile.sim import generate_applicants

    records: list[dict[str, object]] = generate_applicants(300, seed=3).to_dict("records")  # type: ignore[assignment]
    for record in records:
        app = application_from_record(record)
        values = app.as_record()
        parsed = {name: _AS_TYPE[FIELD_TYPES[name]](raw) for name, raw in values.items()}
        again = Application.from_values(values)
        assert again == Application(**parsed)  # type: ignore[arg-type]
        for name, value in parsed.items():
            assert type(getattr(again, name)) is type(value), name
