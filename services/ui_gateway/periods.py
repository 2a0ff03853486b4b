"""Periods of a plan shown as dates: day 1 is the config's start date (``meta.attributes.start_date``,
which the planning artifacts repeat as ``start_date``), so M2 of a plan starting on 1 Jan 2025 is
"Feb 2025" and W3 is "15–21 Jan 2025"."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from contracts.buckets import DEFAULT_START, date_of_day


@dataclass(frozen=True)
class Period:
    """A span of days (1-based, inclusive) with its label in the plan (``M2``, ``W3``, ``2025-02``)."""

    code: str
    first: int
    last: int
    start: date

    @property
    def first_date(self) -> date:
        return date_of_day(self.first, self.start)

    @property
    def last_date(self) -> date:
        return date_of_day(self.last, self.start)

    def label(self, year: bool = True) -> str:
        return span_label(self.first_date, self.last_date, year)

    @property
    def title(self) -> str:
        days = f"day {self.first}" if self.first == self.last else f"days {self.first}–{self.last}"
        return f"{self.code}: {self.first_date.isoformat()} – {self.last_date.isoformat()} ({days})"


def start_of(*documents: Any) -> date:
    """The plan's day 1: the first ``start_date`` its artifacts give, else the configs' default."""
    for doc in documents:
        raw = doc.get("start_date") if isinstance(doc, dict) else None
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw)
            except ValueError:
                continue
    return DEFAULT_START


def whole_month(first: date, last: date) -> bool:
    return first.day == 1 and first.month == last.month and first.year == last.year \
        and (last + timedelta(days=1)).day == 1


def span_label(first: date, last: date, year: bool = True) -> str:
    """"Feb 2025" for a calendar month, "5 Jan 2025" for a day, "15–21 Jan 2025" or "29 Jan – 4 Feb 2025"
    for other spans; ``year=False`` leaves the year out where it is the one shown before."""
    suffix = f" {last.year}" if year else ""
    if whole_month(first, last):
        return f"{first:%b}{suffix}"
    if first == last:
        return f"{first.day} {first:%b}{suffix}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b}{suffix}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b}{suffix}"
    return f"{first.day} {first:%b} {first.year} – {last.day} {last:%b} {last.year}"


def periods(spans: Any, start: date) -> list[Period] | None:
    """The artifact's ``periods`` or ``weeks`` (dicts of label, first_day, last_day) as periods; None when
    they are not that shape."""
    if not isinstance(spans, list):
        return None
    out = []
    for span in spans:
        if not isinstance(span, dict) or not isinstance(span.get("first_day"), int) \
                or not isinstance(span.get("last_day"), int):
            return None
        out.append(Period(str(span.get("label", "")), span["first_day"], span["last_day"], start))
    return out


def horizon(start: date, days: int) -> str:
    """"1 Jan – 31 Mar 2025 (90 days)"."""
    if days < 1:
        return "no days"
    return f"{span_label(start, date_of_day(days, start))} ({days} day{'s' if days != 1 else ''})"
