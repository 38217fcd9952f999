"""The study clock: now is UTC-aware; the start of the day is the user's local midnight, in UTC."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from questions.study.clock import now_utc, start_of_day


def test_now_is_aware_utc():
    assert now_utc().tzinfo is timezone.utc


def test_start_of_day_is_local_midnight_in_utc():
    moment = datetime(2026, 3, 1, 2, 30, tzinfo=timezone.utc)
    assert start_of_day(moment, timezone.utc) == datetime(2026, 3, 1, tzinfo=timezone.utc)
    # 02:30 UTC is 10:30 in Shanghai (UTC+8): its day began at 16:00 UTC the day before
    assert start_of_day(moment, ZoneInfo("Asia/Shanghai")) == datetime(2026, 2, 28, 16, tzinfo=timezone.utc)
    # and 18:30 the day before in Los Angeles (UTC-8): that day began at 08:00 UTC on 28 February
    assert start_of_day(moment, ZoneInfo("America/Los_Angeles")) == datetime(2026, 2, 28, 8, tzinfo=timezone.utc)
    assert start_of_day(moment, ZoneInfo("Asia/Shanghai")).tzinfo is timezone.utc
