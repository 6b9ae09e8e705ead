"""Moments in messages read one way: local time to the minute, with the zone's name."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone, translation

from marketplace.timefmt import shown


def test_a_moment_reads_in_the_platforms_zone_to_the_minute_in_every_language():
    moment = datetime(2026, 12, 12, 4, 40, 1, 62520, tzinfo=UTC)
    with timezone.override(ZoneInfo("Europe/Brussels")):
        for language in ("en", "zh-hans"):
            with translation.override(language):
                assert shown(moment) == "2026-12-12 05:40 CET"
        assert shown(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "2026-07-01 14:00 CEST"
    assert shown(moment) == "2026-12-12 04:40 UTC"  # the default zone
