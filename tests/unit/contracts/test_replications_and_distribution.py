"""Replication seeds derived from the plan's seed, and the percentile method of a plan's
distributions (contracts/replications.py, contracts/distribution.py)."""

import hashlib
import statistics

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.distribution import fan, kpi_distributions, percentile
from contracts.envelope import INT64_MAX
from contracts.replications import replication_seed, replication_seeds


def test_replication_zero_is_the_plans_seed_and_the_others_follow_the_documented_hash():
    assert replication_seed(42, 0) == 42
    expected = int.from_bytes(hashlib.sha256(b"scpln-replication/42/3").digest()[:8], "big") & INT64_MAX
    assert replication_seed(42, 3) == expected
    assert replication_seed(42, 3) == replication_seed(42, 3) != replication_seed(43, 3)
    with pytest.raises(ValueError):
        replication_seed(42, -1)


@pytest.mark.parametrize("base", [0, 1, 42, INT64_MAX])
def test_a_thousand_replications_have_a_thousand_distinct_seeds_within_int64(base):
    seeds = [seed for _, seed in replication_seeds(base, 0, 1000)]
    assert len(set(seeds)) == 1000 and all(0 <= s <= INT64_MAX for s in seeds)
    assert replication_seeds(base, 0, 1000)[:5] == [(i, replication_seed(base, i)) for i in range(5)]


def test_later_replications_continue_the_stream_with_seeds_not_used_before():
    first, later = replication_seeds(7, 0, 4), replication_seeds(7, 4, 3)
    assert [i for i, _ in later] == [4, 5, 6]
    assert not {s for _, s in first} & {s for _, s in later}


def test_percentiles_interpolate_linearly_between_the_closest_ranks():
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert percentile(values, 0.1) == pytest.approx(1.9)
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0  # any order
    assert percentile([5.0], 0.1) == percentile([5.0], 0.9) == 5.0
    assert (percentile(values, 0), percentile(values, 1)) == (1.0, 10.0)
    with pytest.raises(ValueError):
        percentile([], 0.5)


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=60),
       st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.9, 1.0]))
def test_percentiles_are_numpys_default_and_p50_is_the_median(values, p):
    assert percentile(values, p) == pytest.approx(float(np.percentile(values, p * 100)), rel=1e-9, abs=1e-6)
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values), rel=1e-9, abs=1e-6)


def test_a_kpis_distribution_leaves_out_runs_without_a_number():
    summaries = [{"fill_rate": 0.9, "network_shortage_total": None, "currency": "EUR", "stub": True},
                 {"fill_rate": 0.7, "network_shortage_total": 4.0},
                 {"fill_rate": 0.8, "network_shortage_total": 2.0}]
    fill, network = kpi_distributions(summaries, ["fill_rate", "network_shortage_total", "profit_total"])
    assert (fill.key, fill.count, fill.p50, fill.min, fill.max) == ("fill_rate", 3, 0.8, 0.7, 0.9)
    assert fill.mean == pytest.approx(0.8)
    assert (network.count, network.p50) == (2, 3.0)
    assert [d.key for d in kpi_distributions(summaries)] == ["fill_rate", "network_shortage_total"]


def test_a_fan_gives_each_days_percentiles_across_runs():
    runs = [[0.0, 10.0, 5.0], [10.0, 20.0], [20.0, 30.0, 15.0]]
    band = fan(runs)
    assert band["p50"] == [10.0, 20.0, 10.0]
    assert band["p10"][0] == pytest.approx(2.0) and band["p90"][0] == pytest.approx(18.0)
    assert fan([]) == {"p10": [], "p50": [], "p90": []}


def test_the_readme_shows_the_plan_kpi_table_and_every_plan_kpi_has_a_unit():
    from pathlib import Path

    from contracts.kpis import PLAN_KPIS, plan_markdown_table

    assert plan_markdown_table() in (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert all(k.unit in {"fraction", "units", "flag", "count"} for k in PLAN_KPIS)
