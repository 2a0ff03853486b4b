"""Time buckets of the canonical config, mapped onto simulation days (day 1 = start date).

Accepted forms: ``D12`` (day 12), ``W3`` (days 15..21), ``M2`` (the second month of the horizon:
start date plus one month up to plus two), ``2025-01`` (a calendar month), ``2025-W03`` (an ISO week),
``2025-01-15`` (a date), and ``A..B`` (from the first day of bucket A to the last of bucket B, e.g.
``2025-02-10..2025-02-20``; what a scenario's overrides write). A bucket is a closed range of days
and may reach past the horizon; ``clip`` cuts it to the horizon.
"""

import re
from datetime import date, timedelta
from typing import NamedTuple

DEFAULT_START = date(2025, 1, 1)

_DAY = re.compile(r"^D(\d+)$")
_WEEK = re.compile(r"^W(\d+)$")
_MONTH = re.compile(r"^M(\d+)$")
_CAL_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BucketError(ValueError):
    """A bucket string that names no range of days."""


class DayRange(NamedTuple):
    first: int
    last: int

    @property
    def days(self) -> int:
        return max(0, self.last - self.first + 1)

    def clip(self, horizon: int) -> "DayRange":
        return DayRange(max(self.first, 1), min(self.last, horizon))


def _add_months(day: date, months: int) -> date:
    year, month = day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1
    last_day = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


def _month_range(year: int, month: int, start: date) -> DayRange:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return DayRange((first - start).days + 1, (nxt - start).days)


def day_range(bucket: str, start: date = DEFAULT_START) -> DayRange:
    """The days (1-based, inclusive) a bucket covers, relative to ``start`` (day 1)."""
    text = bucket.strip()
    if ".." in text:
        return _range(text, start)
    if m := _DAY.match(text):
        n = int(m[1])
        return DayRange(n, n)
    if m := _WEEK.match(text):
        n = int(m[1])
        return DayRange(7 * (n - 1) + 1, 7 * n)
    if m := _MONTH.match(text):
        n = int(m[1])
        if n < 1:
            raise BucketError(f"months count from M1, not {bucket!r}")
        return DayRange((_add_months(start, n - 1) - start).days + 1, (_add_months(start, n) - start).days)
    if m := _CAL_MONTH.match(text):
        if not 1 <= int(m[2]) <= 12:
            raise BucketError(f"month out of range in bucket {bucket!r}")
        return _month_range(int(m[1]), int(m[2]), start)
    if m := _ISO_WEEK.match(text):
        try:
            monday = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError as exc:
            raise BucketError(f"no such ISO week {bucket!r}") from exc
        first = (monday - start).days + 1
        return DayRange(first, first + 6)
    if _DATE.match(text):
        try:
            n = (date.fromisoformat(text) - start).days + 1
        except ValueError as exc:
            raise BucketError(f"no such date {bucket!r}") from exc
        return DayRange(n, n)
    raise BucketError(f"unknown bucket {bucket!r}: use D<n>, W<n>, M<n>, YYYY-MM, YYYY-Www or YYYY-MM-DD")


def _range(text: str, start: date) -> DayRange:
    first, _, last = text.partition("..")
    if ".." in last:
        raise BucketError(f"a range names two buckets, not more: {text!r}")
    span = DayRange(day_range(first, start).first, day_range(last, start).last)
    if span.last < span.first:
        raise BucketError(f"range {text!r} ends before it starts")
    return span


def range_bucket(first: int, last: int, start: date = DEFAULT_START) -> str:
    """The bucket of days ``first``..``last`` (1-based, may lie outside the horizon) as a date range."""
    return f"{date_of_day(first, start).isoformat()}..{date_of_day(last, start).isoformat()}"


def shift_bucket(bucket: str, periods: int, start: date = DEFAULT_START) -> str:
    """The bucket ``periods`` of its own length later (earlier when negative): D3 → D4, W2 → W3,
    M1 → M2, 2025-01 → 2025-02, 2025-W03 → 2025-W04, a date → the next day, a range → the range
    as many days later as it is long. Before day 1, the result is a date range."""
    text = bucket.strip()
    span = day_range(text, start)
    for pattern, label in ((_DAY, "D"), (_WEEK, "W"), (_MONTH, "M")):
        if (m := pattern.match(text)) and int(m[1]) + periods >= 1:
            return f"{label}{int(m[1]) + periods}"
    if m := _MONTH.match(text):
        n = int(m[1]) + periods
        return range_bucket((_add_months(start, n - 1) - start).days + 1, (_add_months(start, n) - start).days, start)
    if m := _CAL_MONTH.match(text):
        moved = _add_months(date(int(m[1]), int(m[2]), 1), periods)
        return f"{moved.year:04d}-{moved.month:02d}"
    if _ISO_WEEK.match(text):
        year, week, _ = (date_of_day(span.first, start) + timedelta(weeks=periods)).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if _DATE.match(text):
        return (date.fromisoformat(text) + timedelta(days=periods)).isoformat()
    length = span.days if ".." in text else (7 if _WEEK.match(text) else 1)
    return range_bucket(span.first + periods * length, span.last + periods * length, start)


def start_date_of(attributes: dict) -> date:
    """Day 1 of a config: meta.attributes.start_date, else 2025-01-01."""
    raw = attributes.get("start_date")
    return date.fromisoformat(raw) if raw else DEFAULT_START


def date_of_day(day: int, start: date = DEFAULT_START) -> date:
    return start + timedelta(days=day - 1)
