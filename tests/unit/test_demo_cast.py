"""The demo's cast leaves a referral in the underwriter's queue whatever the model: the
year's last applicant is swapped for a spare one the live policy refers."""

from __future__ import annotations

from datetime import date

from tests.support.decisioning import ChosenPD
from thinfile.decisioning import Outcome, PolicyBook, application_from_record, decide, load_policy
from thinfile.services.demo_cast import with_a_referral
from thinfile.services.policies import DecisionRuntime
from thinfile.sim import generate_applicants

ON = date(2026, 6, 1)


def _outcome(record, runtime):
    app = application_from_record(record)
    return decide(app, policy=runtime.book.champion, model=runtime.model, on=ON).outcome


def test_the_last_applicant_is_swapped_for_the_first_spare_one_the_policy_refers():
    records = generate_applicants(40, seed=5).to_dict("records")
    weak = dict(records[30])  # grade E (PD 10%) asking for 8,000 yuan: referred
    weak["requested_amount"] = 800_000
    runtime = DecisionRuntime(
        PolicyBook(load_policy()),
        ChosenPD(0.01, {str(weak["applicant_id"]): 0.10}),
        ("test",),
    )
    plain = [r for r in records[:30] if _outcome(r, runtime) is not Outcome.REFER]
    assert len(plain) >= 7 and _outcome(weak, runtime) is Outcome.REFER
    cast, spare = plain[:4], [plain[4], plain[5], weak, plain[6]]

    swapped = with_a_referral(cast, spare, runtime, ON)
    assert swapped[:-1] == cast[:-1] and swapped[-1] is weak
    # a cast that already ends with a referral, or no spare one the policy refers: unchanged
    assert with_a_referral(swapped, spare, runtime, ON) == swapped
    assert with_a_referral(cast, spare[:2], runtime, ON) == cast
    assert with_a_referral([], spare, runtime, ON) == []
