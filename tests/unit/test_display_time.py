"""Times are stored in UTC and shown to people in the display zone (one setting)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from thinfile.errors import InvalidInputError
from thinfile.settings import Settings
from thinfile.web.formatting import when

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_display_zone_defaults_to_shanghai_and_is_set_by_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().display_zone == SHANGHAI
    monkeypatch.setenv("THINFILE_DISPLAY_TIMEZONE", "Europe/Berlin")
    assert Settings.from_environment().display_zone == ZoneInfo("Europe/Berlin")


def test_a_zone_that_does_not_exist_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THINFILE_DISPLAY_TIMEZONE", "Asia/Atlantis")
    with pytest.raises(InvalidInputError) as refused:
        Settings.from_environment()
    assert refused.value.problems[0].field == "THINFILE_DISPLAY_TIMEZONE"


@pytest.mark.parametrize(
    "stored",
    [
        datetime(2026, 12, 3, 16, 30, tzinfo=UTC),
        datetime(2026, 12, 3, 16, 30),  # a naive value read back from SQLite is UTC
        "2026-12-03T16:30:00+00:00",
    ],
)
def test_a_stored_moment_is_shown_in_the_display_zone(stored: object) -> None:
    assert when(stored, SHANGHAI) == "2026-12-04 00:30"


def test_a_day_is_shown_as_that_day_in_any_zone() -> None:
    assert when(date(2026, 12, 3), SHANGHAI) == "2026-12-03"
    assert when("2026-12-03", SHANGHAI) == "2026-12-03"
