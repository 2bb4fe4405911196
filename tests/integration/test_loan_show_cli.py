"""``thinfile loan show``: a loan's installments and what it still owes, as text and as JSON
(the text had no balances and the JSON no installments)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine

from tests.integration.servicing_helpers import terms
from tests.support.cli import run
from thinfile.loanmath import build_schedule
from thinfile.services.loans import open_and_disburse


def test_loan_show_prints_installments_and_balances_both_ways(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    loan_terms = terms("6000", 6)
    loan_id = open_and_disburse(engine, loan_terms).loan_id
    rows = build_schedule(loan_terms).installments
    monkeypatch.setenv("THINFILE_DATABASE_URL", database_url)
    code, out, err = run(capsys, "loan", "show", str(loan_id), "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["outstanding"]["principal"] == "6000.00"
    assert [i["due_date"] for i in shown["installments"]] == [r.due_date.isoformat() for r in rows]
    assert [i["principal"] for i in shown["installments"]] == [
        f"{r.principal // 100}.{r.principal % 100:02d}" for r in rows
    ]
    code, out, err = run(capsys, "loan", "show", str(loan_id))
    assert code == 0, err
    assert "outstanding: principal 6000.00" in out and rows[0].due_date.isoformat() in out
