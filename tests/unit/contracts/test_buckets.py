from datetime import date

import pytest

from contracts.buckets import BucketError, DayRange, day_range


@pytest.mark.parametrize("bucket, expected", [
    ("D1", (1, 1)), ("D45", (45, 45)), ("W1", (1, 7)), ("W3", (15, 21)), ("M1", (1, 31)), ("M2", (32, 59)),
    ("2025-02", (32, 59)), ("2025-W02", (6, 12)), ("2025-01-05", (5, 5)), ("2024-12", (-30, 0)),
])
def test_buckets_map_to_days_from_the_default_start(bucket, expected):
    assert tuple(day_range(bucket)) == expected


def test_months_follow_the_start_date():
    assert tuple(day_range("M1", date(2025, 1, 15))) == (1, 31)
    assert tuple(day_range("M2", date(2025, 1, 15))) == (32, 59)


def test_clip_cuts_to_the_horizon():
    assert day_range("M2").clip(40) == DayRange(32, 40)
    assert day_range("2024-12").clip(40).days == 0


@pytest.mark.parametrize("bad", ["", "X1", "M0", "2025-13", "2025-W60", "2025-02-30"])
def test_bad_buckets_raise_a_clear_error(bad):
    with pytest.raises(BucketError):
        day_range(bad)
