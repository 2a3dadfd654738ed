"""Threshold strategies fitted on training scores, their spec strings, and the one 'top q %' convention."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.errors import MetricError
from augury.metrics import (
    SPOT,
    Fixed,
    Percentile,
    TopK,
    TopPercent,
    at_threshold,
    auc_pr,
    auc_roc,
    parse_threshold,
    percentile_threshold,
    vus_roc_pr,
)


def test_top_percent_fixed_fit_and_apply() -> None:
    train = np.arange(1000.0)
    assert TopPercent(1).fit(train).apply(train).sum() == 10
    top = TopPercent(2).fit(np.r_[train, train[::-1]])  # 2 copies of each value
    assert top.apply(train).sum() == 20 and top.apply(np.array([top.threshold_])).tolist() == [0]
    assert Fixed(2.5).fit().apply(np.array([2.5, 2.6])).tolist() == [0, 1]


@pytest.mark.parametrize("spec", ["top:1", "top:0.5", "fixed:3.5", "spot:0.001", "spot:0.001:0.95"])
def test_spec_round_trip(spec: str) -> None:
    strategy = parse_threshold(spec)
    assert strategy.spec() == spec
    assert parse_threshold(strategy) is strategy  # an object passes through unchanged


def test_every_api_says_flag_the_top_q_percent_the_same_way() -> None:
    rng = np.random.default_rng(0)
    train = rng.normal(size=5000)
    want = percentile_threshold(train, 1.0)
    assert TopPercent(1).fit(train).threshold_ == want
    assert parse_threshold("top:1").fit(train).threshold_ == want
    assert at_threshold(train[:2500], train[2500:], 1.0) == want
    assert np.mean(train > want) == pytest.approx(0.01, abs=1e-3)


def test_old_spellings_warn_and_keep_their_meaning() -> None:
    train = np.arange(1000.0)
    new = TopPercent(1).fit(train).threshold_
    with pytest.warns(DeprecationWarning, match="top:1"):
        legacy = parse_threshold("percentile:99")
    assert legacy.fit(train).threshold_ == pytest.approx(new) and legacy.spec() == "top:1"
    with pytest.warns(DeprecationWarning, match="top:1"):
        assert parse_threshold("topk:0.01").fit(train).threshold_ == pytest.approx(new)
    with pytest.warns(DeprecationWarning, match="TopPercent\\(1\\)"):
        assert Percentile(99).fit(train).threshold_ == pytest.approx(new)
    with pytest.warns(DeprecationWarning, match="TopPercent\\(1\\)"):
        assert TopK(0.01).fit(train).threshold_ == pytest.approx(new)


def test_detector_default_threshold_still_flags_the_top_one_percent(spike_series) -> None:
    from augury.detectors.registry import create_detector

    train = spike_series[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # the default uses the new spelling
        det = create_detector("pca").fit(train)
    assert det.threshold_strategy_.spec() == "top:1"
    assert det.threshold_ == percentile_threshold(det.decision_scores_, 1.0)


def _legacy_topk() -> TopK:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return TopK(0.05)


@pytest.mark.parametrize(
    "strategy",
    [
        lambda: TopPercent(5),
        lambda: parse_threshold("top:5"),
        _legacy_topk,
        lambda: Fixed(1.0),
        lambda: SPOT(q=1e-3, level=0.5),
    ],
    ids=["TopPercent", "spec", "TopK", "Fixed", "SPOT"],
)
def test_a_tie_group_at_the_cut_off_is_all_out(strategy) -> None:
    # 990 of 1,000 training scores tie at 1.0 (the 95th percentile); 10 lie above.
    train = np.r_[np.ones(990), np.linspace(2, 3, 10)]
    fitted = strategy().fit(train)
    flagged = fitted.apply(train)
    assert flagged[:990].sum() in (0, 990)  # never a partial tie group
    if fitted.threshold_ == 1.0:
        assert flagged.sum() == 10  # the group sitting on the threshold is out


def test_percentile_threshold_ties_are_all_out() -> None:
    train = np.r_[np.ones(990), np.linspace(2, 3, 10)]
    t = percentile_threshold(train, 5)
    assert t == 1.0 and int((train > t).sum()) == 10  # not 50, not 1,000


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=5, max_size=200).map(np.array),
    st.floats(0.0, 100.0),
)
def test_no_rule_splits_a_tie_group(scores: np.ndarray, q: float) -> None:
    s = scores.astype(np.float64)
    flagged = s > percentile_threshold(s, q)
    for value in np.unique(s):
        group = flagged[s == value]
        assert group.all() or not group.any()


def test_int64_scores_above_2_53_are_ranked_exactly() -> None:
    y = np.array([0, 1, 0, 1])
    s = 2**53 + np.array([0, 1, 2, 3], dtype=np.int64)
    assert auc_roc(y, s) == 0.75  # scikit-learn's value on the int64 array; float64 gives 0.625
    assert auc_pr(y, s) == auc_pr(y, np.arange(4.0))
    assert vus_roc_pr(y, s, window=2) == vus_roc_pr(y, np.arange(4.0), window=2)
    big = np.array([-(2**63), 2**63 - 1, 0, 5], dtype=np.int64)
    assert auc_roc(y, big) == auc_roc(y, np.array([0.0, 3.0, 1.0, 2.0]))


def test_errors() -> None:
    with pytest.raises(MetricError, match="before fit"):
        TopPercent(1).apply(np.arange(3.0))
    with pytest.raises(MetricError, match="unknown threshold spec"):
        parse_threshold("median")
    with pytest.raises(MetricError, match="percentile must be"):
        parse_threshold("percentile:120")
    with pytest.raises(MetricError, match="percentage"):
        parse_threshold("top:120")
    with pytest.raises(MetricError, match="NaN"):
        TopPercent(1).fit(np.array([1.0, np.nan]))
