"""The French retail calendar: public holidays, closed days, shopping peaks, UTC offsets."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

# Most French stores close on these public holidays; on the others they open with fewer shoppers.
CLOSED_HOLIDAYS = {(1, 1), (5, 1), (12, 25)}
HOLIDAY_DEMAND = 0.75


@lru_cache(maxsize=64)
def french_holidays(year: int) -> dict[dt.date, str]:
    return dict(holidays.France(years=[year]).items())


def is_public_holiday(day: dt.date) -> bool:
    return day in french_holidays(day.year)


def is_closed_holiday(day: dt.date) -> bool:
    return (day.month, day.day) in CLOSED_HOLIDAYS


def is_logistics_day(day: dt.date) -> bool:
    """Warehouses and plants work Monday to Saturday, except on the closed holidays."""
    return day.weekday() < 6 and not is_closed_holiday(day)


def next_logistics_day(day: dt.date) -> dt.date:
    while not is_logistics_day(day):
        day += dt.timedelta(days=1)
    return day


def calendar_demand_factor(day: dt.date) -> float:
    """Chain-wide effect of the calendar on food demand (holidays, pre-holiday and Christmas peaks)."""
    if is_closed_holiday(day):
        return 0.0
    factor = HOLIDAY_DEMAND if is_public_holiday(day) else 1.0
    tomorrow = day + dt.timedelta(days=1)
    if is_public_holiday(tomorrow) and not is_public_holiday(day):
        factor *= 1.2
    if day.month == 12 and 20 <= day.day <= 24:
        factor *= 1.25 + 0.08 * (day.day - 20)
    if day.month == 12 and day.day == 31:
        factor *= 1.4
    return factor


@lru_cache(maxsize=4096)
def utc_offset(day: dt.date) -> str:
    """``+01:00`` in winter, ``+02:00`` in summer (Paris, taken at noon)."""
    offset = dt.datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds() // 60)
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def local_timestamp(day: dt.date, seconds: int) -> str:
    """ISO 8601 local time with offset, ``seconds`` after midnight of ``day``."""
    hours, rest = divmod(int(seconds), 3600)
    return f"{day.isoformat()}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}{utc_offset(day)}"
