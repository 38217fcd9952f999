"""The stored time format: what utc_iso writes, read_time reads back; a time without an offset is refused."""
from datetime import datetime, timedelta, timezone

import pytest

from questions.store.values import read_time, utc_iso


def test_read_time_reads_what_utc_iso_writes():
    moment = datetime(2026, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert read_time(utc_iso(moment)) == moment
    assert read_time(utc_iso(moment)).utcoffset() == timedelta(0)


def test_read_time_refuses_a_time_without_offset():
    with pytest.raises(ValueError, match=r"'2026-03-01T08:00:00' must carry a UTC offset"):
        read_time("2026-03-01T08:00:00")
