"""The working-day calendar (hari kerja) shared by report deadlines (SP4N-LAPOR!)
and information-request deadlines (UU KIP Pasal 22, 36).

Holidays are data, not code: national public holidays and cuti bersama come
from the maintained `holidays` package (Indonesia, categories public and
government); regional additions or corrections go in
common/data/holidays_extra.csv (date,name,kind) where kind is `holiday` (a
non-working day) or `workday` (a day the package lists that is worked).
Weekends are Saturday and Sunday. Days are calendar days in Asia/Pontianak.
"""
import csv
import datetime
from functools import lru_cache
from pathlib import Path

import holidays as holidays_lib

EXTRA_FILE = Path(__file__).resolve().parent / "data" / "holidays_extra.csv"


@lru_cache(maxsize=64)
def _holidays_for(year: int) -> dict[datetime.date, str]:
    days = dict(holidays_lib.Indonesia(years=year, categories=("public", "government")))
    if EXTRA_FILE.exists():
        with EXTRA_FILE.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                day = datetime.date.fromisoformat(row["date"])
                if day.year != year:
                    continue
                if row["kind"] == "workday":
                    days.pop(day, None)
                else:
                    days[day] = row["name"]
    return days


def holiday_name(day: datetime.date) -> str | None:
    return _holidays_for(day.year).get(day)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and holiday_name(day) is None


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted).

    add_working_days(Fri, 1) is the next Monday unless that is a holiday.
    """
    if days < 0:
        raise ValueError("days must be >= 0")
    current = start
    remaining = days
    while remaining:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    count, current = 0, start
    while current < end:
        current += datetime.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
