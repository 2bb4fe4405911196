"""The merchant-sales feed and working-capital decisions on SQLite and PostgreSQL: a file is
loaded whole or not at all, loading it again changes nothing, a changed day is a conflict,
consent is needed per kind of data, and a decision comes from what was stored."""

from __future__ import annotations

import json
import os
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.support.cli import run
from tests.support.decisioning import DECIDED_ON, ChosenPD, application, id_number
from thinfile.adapters import SandboxRealNameVerifier
from thinfile.decisioning import PolicyBook, load_policy
from thinfile.errors import (
    ConflictError,
    ConsentRequiredError,
    InvalidSalesFeedError,
    NotFoundError,
    SalesDayConflictError,
)
from thinfile.money import Money
from thinfile.security.crypto import PiiCipher
from thinfile.security.passwords import PasswordHasher
from thinfile.security.roles import Role
from thinfile.services import applicants, consent, identity, real_name
from thinfile.services import applications as apps
from thinfile.services.consent import DataCategory, Purpose
from thinfile.services.identity_records import Actor
from thinfile.services.policies import DecisionRuntime, ensure_default_policy
from thinfile.services.sales_feed import ingest_sales, ingest_sales_csv, sales_features_of
from thinfile.services.uow import UnitOfWork
from thinfile.services.working_capital_decisions import (
    approved_terms_in,
    decide_working_capital,
    replay_working_capital,
    working_capital_decisions,
)

TODAY = date(2026, 12, 3)
HEADER = "date,gross_sales,refunds,transactions,channel"
UNDERWRITER = Actor("staff-1", Role.UNDERWRITER)
CIPHER = PiiCipher({"k1": os.urandom(32)}, active_key_id="k1", lookup_key=b"L" * 32)
_PII = ("name", "id_number", "phone", "applicant_id")


def _grant(engine, owner, applicant_id, category):
    return consent.grant_consent(
        engine,
        applicant_id=applicant_id,
        category=category,
        purpose=Purpose.CREDIT_ASSESSMENT,
        notice_version="v1",
        separate=False,
        actor=owner,
    )


@pytest.fixture
def shop(engine):
    """A shop owner with a profile and consent to use their sales for credit assessment."""
    cipher = CIPHER
    hasher = PasswordHasher(time_cost=1, memory_kib=8)
    user = identity.create_user(engine, hasher, email="shop@example.com", password="pw-123456!")
    owner = Actor(user.id, Role.BORROWER)
    profile = applicants.register_applicant(
        engine, cipher, actor=owner, name="李小店", id_number=id_number(), phone="13800138001"
    )
    _grant(engine, owner, profile.id, DataCategory.MERCHANT_SALES)
    return engine, owner, profile.id


def csv_of(rows):
    return "\n".join([HEADER, *(",".join(str(v) for v in r) for r in rows)]) + "\n"


def steady(days, *, end=TODAY, gross="1000.00", count=40):
    """``days`` days of QR sales up to the day before ``end``."""
    return [
        ((end - timedelta(days=k)).isoformat(), gross, "10.00", count, "qr")
        for k in range(days, 0, -1)
    ]


def stored_days(engine, applicant_id):
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT COUNT(*) FROM sales_days WHERE applicant_id = :a"), {"a": applicant_id}
        ).scalar_one()


def batches(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT COUNT(*) FROM sales_batches")).scalar_one()


def ingest(world, rows, **options):
    engine, owner, applicant_id = world
    return ingest_sales_csv(
        engine, csv_of(rows), applicant_id=applicant_id, actor=owner, today=TODAY, **options
    )


def test_a_file_is_stored_with_its_batch_and_the_consent_it_was_loaded_under(shop):
    engine, _owner, applicant_id = shop
    report = ingest(shop, [*steady(5), (steady(1)[0][0], "200", "0", 5, "card")], file_name="a.csv")
    assert (report.received, report.added, report.unchanged) == (6, 6, 0)
    assert report.first_day == TODAY - timedelta(days=5)
    assert stored_days(engine, applicant_id) == 6
    with engine.connect() as conn:
        batch = conn.execute(sa.text("SELECT * FROM sales_batches")).mappings().one()
    assert batch["source"] == "csv" and batch["file_name"] == "a.csv"
    assert batch["rows_added"] == 6 and batch["consent_ids"]
    with engine.connect() as conn:
        gross = conn.execute(
            sa.text("SELECT gross_sales FROM sales_days WHERE channel = 'card'")
        ).scalar_one()
    assert gross == 20_000  # fen


def test_sending_the_same_file_again_changes_nothing(shop):
    engine, _owner, applicant_id = shop
    ingest(shop, steady(30))
    again = ingest(shop, steady(30))
    assert (again.added, again.unchanged, again.batch_id) == (0, 30, None)
    assert stored_days(engine, applicant_id) == 30
    assert batches(engine) == 1


def test_a_file_overlapping_stored_days_adds_only_the_new_ones(shop):
    engine, _owner, applicant_id = shop
    ingest(shop, steady(10, end=TODAY - timedelta(days=5)))
    report = ingest(shop, steady(15))
    assert (report.added, report.unchanged) == (5, 10)
    assert stored_days(engine, applicant_id) == 15


def test_a_stored_day_sent_with_other_figures_is_a_conflict_and_nothing_is_stored(shop):
    engine, _owner, applicant_id = shop
    ingest(shop, steady(10, end=TODAY - timedelta(days=3)))
    changed = steady(12)
    day, _gross, refunds, count, channel = changed[4]
    changed[4] = (day, "999.99", refunds, count, channel)
    with pytest.raises(SalesDayConflictError) as caught:
        ingest(shop, changed)
    (problem,) = caught.value.problems
    assert (problem.row, problem.field) == (5, "date")  # type: ignore[attr-defined]
    assert "1000.00" in problem.message
    assert stored_days(engine, applicant_id) == 10  # the two new days were not stored either
    assert batches(engine) == 1


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (("2026-11-30", "-5", "0", 1, "qr"), "gross_sales"),
        (("2026-12-04", "5", "0", 1, "qr"), "date"),
        (("2026-12-03", "5", "0", 1, "qr"), "date"),  # today, not over yet
        (("2026-11-30", "5", "0", 1, "alipay"), "channel"),
        (("2026-11-30", "five", "0", 1, "qr"), "gross_sales"),
        (("2026-12-01", "5", "0", 1, "qr"), "date"),  # repeats a day of steady(3)
    ],
)
def test_a_file_with_one_bad_row_stores_nothing(shop, bad, field):
    engine, _owner, applicant_id = shop
    rows = [*steady(3), bad]
    with pytest.raises(InvalidSalesFeedError) as caught:
        ingest(shop, rows)
    assert [(p.row, p.field) for p in caught.value.problems] == [(4, field)]  # type: ignore[attr-defined]
    assert stored_days(engine, applicant_id) == 0 and batches(engine) == 0


@pytest.mark.parametrize("text", ["", "date,gross,refunds,transactions,channel\n"])
def test_an_empty_file_or_a_wrong_header_stores_nothing(shop, text):
    engine, owner, applicant_id = shop
    with pytest.raises(InvalidSalesFeedError):
        ingest_sales_csv(engine, text, applicant_id=applicant_id, actor=owner, today=TODAY)
    assert stored_days(engine, applicant_id) == 0


def test_each_kind_of_data_needs_its_own_consent(shop):
    engine, owner, applicant_id = shop
    rows = [{"date": "2026-12-01", "gross_sales": "300", "transactions": 20, "channel": "platform"}]
    with pytest.raises(ConsentRequiredError) as caught:
        ingest_sales(engine, rows, applicant_id=applicant_id, actor=owner, today=TODAY)
    assert caught.value.value == "gig_platform_income:credit_assessment"
    _grant(engine, owner, applicant_id, DataCategory.GIG_PLATFORM_INCOME)
    report = ingest_sales(engine, rows, applicant_id=applicant_id, actor=owner, today=TODAY)
    assert report.added == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT source FROM sales_batches")).scalar_one() == "api"


def test_sales_cannot_be_loaded_after_the_consent_is_revoked(shop):
    engine, owner, applicant_id = shop
    (given,) = consent.list_consents(engine, applicant_id=applicant_id, actor=owner)
    consent.revoke_consent(engine, applicant_id=applicant_id, consent_id=given.id, actor=owner)
    with pytest.raises(ConsentRequiredError):
        ingest(shop, steady(3))
    assert stored_days(engine, applicant_id) == 0


def test_an_unknown_business_is_not_found(shop):
    engine, owner, _applicant_id = shop
    with pytest.raises(NotFoundError):
        ingest_sales_csv(engine, csv_of(steady(2)), applicant_id="nobody", actor=owner, today=TODAY)


def test_a_steady_shop_is_approved_from_its_stored_sales(shop):
    engine, owner, applicant_id = shop
    ingest(shop, steady(200))
    features = sales_features_of(engine, applicant_id, TODAY)
    assert features.history_days == 200
    assert features.monthly_turnover_fen == 2_970_000  # (1,000 − 10) yuan a day × 30
    stored = decide_working_capital(engine, applicant_id, actor=UNDERWRITER, on=TODAY)
    d = stored.decision
    assert d.is_approved and d.grade == "A"
    assert d.limit == Money.of("29500")  # 29,700 yuan down to a 500-yuan step
    assert stored.valid_until == TODAY + timedelta(days=30)
    (listed,) = working_capital_decisions(engine, applicant_id)
    assert listed.id == stored.id and listed.decision == d
    assert listed.features["monthly_turnover_fen"] == 2_970_000
    with UnitOfWork(engine) as uow:
        terms = approved_terms_in(uow, stored.id, TODAY + timedelta(days=30), owner=owner.user_id)
    assert (terms.applicant_id, terms.limit, terms.daily_rate) == (
        applicant_id,
        Money.of("29500"),
        d.daily_rate,
    )


def test_an_expired_or_declined_decision_opens_no_line(shop):
    engine, owner, applicant_id = shop
    ingest(shop, steady(200))
    approved = decide_working_capital(engine, applicant_id, actor=UNDERWRITER, on=TODAY)
    with UnitOfWork(engine) as uow, pytest.raises(ConflictError):
        approved_terms_in(uow, approved.id, TODAY + timedelta(days=31), owner=owner.user_id)
    declined = decide_working_capital(
        engine, applicant_id, actor=UNDERWRITER, on=TODAY + timedelta(days=40)
    )
    assert "SALES_STOPPED" in declined.decision.reason_codes  # nothing sold for 40 days
    with UnitOfWork(engine) as uow, pytest.raises(ConflictError):
        approved_terms_in(uow, declined.id, TODAY + timedelta(days=40), owner=owner.user_id)
    with UnitOfWork(engine) as uow, pytest.raises(NotFoundError):
        approved_terms_in(uow, 999_999, TODAY, owner=owner.user_id)
    for decision_id in (approved.id, declined.id):  # another's: as if there were none
        with UnitOfWork(engine) as uow, pytest.raises(NotFoundError):
            approved_terms_in(uow, decision_id, TODAY + timedelta(days=40), owner="someone-else")


def test_collapsing_sales_are_declined_with_the_reason(shop):
    engine, _owner, applicant_id = shop
    early = steady(170, end=TODAY - timedelta(days=30))
    late = steady(30, gross="300.00", count=12)
    ingest(shop, early + late)
    stored = decide_working_capital(engine, applicant_id, actor=UNDERWRITER, on=TODAY)
    assert not stored.decision.is_approved
    assert stored.decision.reason_codes == ("SALES_COLLAPSING",)
    assert replay_working_capital(engine, stored.id)[1] == stored.decision
    with pytest.raises(ConflictError):
        replay_working_capital(engine, stored.id, policies={})


def test_sales_kept_back_by_a_revoked_consent_are_not_used(shop):
    engine, owner, applicant_id = shop
    ingest(shop, steady(200))
    (given,) = consent.list_consents(engine, applicant_id=applicant_id, actor=owner)
    consent.revoke_consent(engine, applicant_id=applicant_id, consent_id=given.id, actor=owner)
    stored = decide_working_capital(engine, applicant_id, actor=UNDERWRITER, on=TODAY)
    assert stored.decision.reason_codes == ("NO_SALES_CONSENT",)
    assert replay_working_capital(engine, stored.id)[1] == stored.decision


def test_a_decision_for_a_business_without_sales_says_so(shop):
    engine, _owner, applicant_id = shop
    stored = decide_working_capital(engine, applicant_id, actor=UNDERWRITER, on=TODAY)
    assert stored.decision.reason_codes == ("NO_SALES_DATA",)


def test_the_command_loads_a_file_reports_bad_rows_and_decides(shop, tmp_path, capsys, monkeypatch):
    engine, _owner, applicant_id = shop
    monkeypatch.setenv(
        "THINFILE_DATABASE_URL", str(engine.url.render_as_string(hide_password=False))
    )
    good = tmp_path / "sales.csv"
    good.write_text(csv_of(steady(120)), encoding="utf-8")
    code, out, _err = run(
        capsys, "sales", "ingest", str(good), "--applicant", applicant_id, "--today", "2026-12-03"
    )
    assert code == 0 and "120 added" in out
    code, out, _err = run(
        capsys, "sales", "ingest", str(good), "--applicant", applicant_id, "--today", "2026-12-03"
    )
    assert code == 0 and "0 added, 120 already stored" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_of([("2026-12-01", "-1", "0", 1, "qr")]), encoding="utf-8")
    code, _out, err = run(
        capsys, "sales", "ingest", str(bad), "--applicant", applicant_id, "--today", "2026-12-03"
    )
    assert code == 2
    assert "row 1, gross_sales: -1 is negative" in err
    code, out, _err = run(
        capsys, "sales", "decide", "--applicant", applicant_id, "--on", "2026-12-03"
    )
    assert code == 0
    decided = json.loads(out)
    # 120 days of history is not yet seasoned: grade B, 80% of 29,700 yuan, down to 23,500
    assert (decided["outcome"], decided["grade"], decided["limit"]) == ("approve", "B", "23500.00")
    assert Decimal(decided["annual_rate"]) == Decimal(decided["daily_rate"]) * 365


def test_the_same_file_sent_four_times_at_once_is_stored_once(shop):
    engine, owner, applicant_id = shop
    text = csv_of(steady(60))
    start = threading.Barrier(4)
    outcomes: list[BaseException | int] = []

    def send() -> None:
        start.wait()
        try:
            report = ingest_sales_csv(
                engine, text, applicant_id=applicant_id, actor=owner, today=TODAY
            )
            outcomes.append(report.added)
        except BaseException as error:  # the test inspects what it was
            outcomes.append(error)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes, key=repr) == [0, 0, 0, 60], outcomes
    assert stored_days(engine, applicant_id) == 60
    assert batches(engine) == 1


def test_the_worse_of_the_sales_grade_and_the_latest_credit_grade_prices_the_line(shop):
    engine, owner, applicant_id = shop
    cipher = CIPHER
    real_name.verify_real_name(
        engine, cipher, SandboxRealNameVerifier(), applicant_id=applicant_id, actor=owner
    )
    ensure_default_policy(engine, actor=UNDERWRITER)
    _grant(engine, owner, applicant_id, DataCategory.CREDIT_REPORT)
    form = {k: v for k, v in application().items() if k not in _PII}
    decided = apps.apply_for_credit(
        engine,
        cipher,
        DecisionRuntime(PolicyBook(load_policy()), ChosenPD(0.06), ("test",)),
        actor=owner,
        applicant_id=applicant_id,
        form=form,
        on=DECIDED_ON,
        consents_recorded=False,
    )
    assert decided.decision["grade"] == "D"  # a probability of default of 6%
    ingest(shop, steady(200))
    stored = decide_working_capital(engine, applicant_id, actor=UNDERWRITER, on=TODAY)
    assert (stored.credit_grade, stored.decision.grade) == ("D", "D")
    assert stored.decision.limit == Money.of("11500")  # 40% of 29,700 yuan, to 500
    assert stored.decision.daily_rate == Decimal("0.00045")
    replayed_from, again = replay_working_capital(engine, stored.id)
    assert again == replayed_from.decision == stored.decision
