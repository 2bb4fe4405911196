"""The demo's limit story over a year of close of business: the shop owner's line grows by
accepted offers towards the ceiling, one borrower declines an offer with its reasons on record,
one is frozen after going past due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
import sqlalchemy as sa

from thinfile.services import business_date
from thinfile.services.cob import run_cob
from thinfile.services.demo_limits import limit_story_day, open_limit_story
from thinfile.services.limits import line_limits
from thinfile.store import make_engine, upgrade

START = date(2025, 1, 1)


@pytest.fixture(autouse=True)
def _book_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(business_date, "now_utc", lambda: datetime(2025, 1, 1, tzinfo=UTC))


@pytest.mark.slow
def test_the_shop_owner_grows_one_declines_and_one_is_frozen(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    story = open_limit_story(engine, START)
    limits = [line_limits(engine, story.shop_owner).limit]
    for month in range(2, 13):
        first = date(2025, month, 1)
        run_cob(engine, first - timedelta(days=1))
        limit_story_day(engine, story, first)
        limits.append(line_limits(engine, story.shop_owner).limit)
    owner = line_limits(engine, story.shop_owner)
    assert limits[0] == 300_000 and owner.limit >= 4 * limits[0]
    assert all(b >= a for a, b in pairwise(limits)) and max(limits) <= 3_000_000
    assert story.accepted and {h.reason_codes for h in owner.history} == {("OFFER_ACCEPTED",)}
    decliner = line_limits(engine, story.decliner)
    assert story.declined and decliner.limit == 500_000 and decliner.history == ()
    stopped = line_limits(engine, story.freezer)
    # frozen at 30 days past due (the notice below), then stopped when the draw charged off
    assert stopped.status == "charged-off" and stopped.available == 0
    with engine.connect() as conn:
        notices = conn.execute(
            sa.text("SELECT kind, reason_codes FROM limit_notices WHERE line_id = :i"),
            {"i": story.freezer},
        ).all()
        declined = (
            conn.execute(
                sa.text(
                    "SELECT d.reason_codes FROM limit_offers o JOIN limit_decisions d "
                    "ON d.id = o.decision_id WHERE o.status = 'declined'"
                )
            )
            .scalars()
            .all()
        )
    assert ("freeze", "FREEZE_PAST_DUE_30") in [tuple(n) for n in notices]
    assert declined and all("INCREASE" in codes for codes in declined)
    engine.dispose()
