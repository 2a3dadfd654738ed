"""Threshold strategies fitted on training scores, and their spec strings."""

from __future__ import annotations

import numpy as np
import pytest

from augury.errors import MetricError
from augury.metrics import Fixed, Percentile, TopK, parse_threshold


def test_percentile_topk_fixed_fit_and_apply() -> None:
    train = np.arange(1000.0)
    assert Percentile(99).fit(train).apply(train).sum() == 10
    top = TopK(0.02).fit(np.r_[train, train[::-1]])  # ties: 2 copies of each value
    assert top.apply(train).sum() == 20 and top.apply(np.array([top.threshold_])).tolist() == [0]
    assert Fixed(2.5).fit().apply(np.array([2.5, 2.6])).tolist() == [0, 1]


@pytest.mark.parametrize(
    "spec", ["percentile:99.5", "fixed:3.5", "topk:0.01", "spot:0.001", "spot:0.001:0.95"]
)
def test_spec_round_trip(spec: str) -> None:
    strategy = parse_threshold(spec)
    assert strategy.spec() == spec
    assert parse_threshold(strategy) is strategy  # an object passes through unchanged


def test_errors() -> None:
    with pytest.raises(MetricError, match="before fit"):
        Percentile(99).apply(np.arange(3.0))
    with pytest.raises(MetricError, match="unknown threshold spec"):
        parse_threshold("median")
    with pytest.raises(MetricError, match="percentile must be"):
        parse_threshold("percentile:120")
    with pytest.raises(MetricError, match="NaN"):
        Percentile(99).fit(np.array([1.0, np.nan]))
