"""The study clock: the current time in UTC, and where the user's local day starts ("reviewed today")."""
from __future__ import annotations

from datetime import datetime, timezone, tzinfo


def now_utc() -> datetime:
    """The current time, timezone-aware in UTC (what the scheduler and the store take)."""
    return datetime.now(timezone.utc)


def start_of_day(now: datetime, zone: tzinfo) -> datetime:
    """Midnight of `now`'s day in `zone`, as a UTC datetime: "today" means the user's local today."""
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(timezone.utc)
