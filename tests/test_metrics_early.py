"""Early detection: per-event delays, latency statistics and NAB scoring, against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.errors import MetricError
from augury.metrics import detection_delays, latency_stats, nab_score, nab_scores


def _series(n: int, events: list[tuple[int, int]], flags: list[int]) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    for a, b in events:
        y[a : b + 1] = 1
    p[flags] = 1
    return y, p


def test_delays_by_hand() -> None:
    # Events [3, 6] and [10, 11] and [15, 15]; flags at 5 (delay 2), 9 (before event 2), 15 (delay 0).
    y, p = _series(20, [(3, 6), (10, 11), (15, 15)], [5, 9, 15])
    np.testing.assert_array_equal(detection_delays(y, p), [2.0, np.nan, 0.0])
    # With early=1 the flag at 9 counts for event 2 as one step early; it never reaches event 1.
    np.testing.assert_array_equal(detection_delays(y, p, early=1), [2.0, -1.0, 0.0])
    # early reaches back no further than the previous event's end: the flag at 5 is inside event 1.
    y2, p2 = _series(12, [(2, 5), (7, 8)], [4])
    np.testing.assert_array_equal(detection_delays(y2, p2, early=5), [2.0, np.nan])


def test_latency_stats_by_hand() -> None:
    stats = latency_stats([2.0, np.nan, 0.0, 7.0])
    assert stats == {
        "n_events": 4,
        "events_detected": 3,
        "detection_rate": 0.75,
        "mean_delay": 3.0,
        "median_delay": 2.0,
        "min_delay": 0.0,
        "max_delay": 7.0,
    }
    none = latency_stats([np.nan])
    assert none["events_detected"] == 0 and none["mean_delay"] is None and none["median_delay"] is None


def _sig(y: float) -> float:
    # NAB's scaledSigmoid written as tanh: 2 / (1 + e^{5y}) - 1 = tanh(-5y / 2).
    return -1.0 if y > 3 else math.tanh(-2.5 * y)


def test_nab_standard_by_hand() -> None:
    # One window [5, 9] (W = 5) in 20 steps; flags at 2 (before any window), 7 and 8 (in window), 12.
    y, p = _series(20, [(5, 9)], [2, 7, 8, 12])
    tp = _sig(-(9 - 7 + 1) / 5) / _sig(-1.0)  # first flag in the window: position -0.6
    fp_before = -0.11  # no preceding window: -1 x A_fp
    fp_after = 0.11 * _sig(abs(9 - 12) / (5 - 1))  # 3 steps past the window end: position 0.75
    raw = tp + fp_before + fp_after
    got = nab_score(y, p, "standard")
    assert got["raw"] == pytest.approx(raw, abs=1e-12)
    assert (got["null"], got["perfect"]) == (-1.0, 1.0)
    assert got["normalized"] == pytest.approx(100 * (raw + 1) / 2, abs=1e-10)
    assert tp == pytest.approx(0.917429, abs=1e-6) and fp_after == pytest.approx(-0.104945, abs=1e-6)


def test_nab_profiles_by_hand() -> None:
    # Two windows [2, 3] and [8, 11]; the first is flagged on its onset, the second missed; one false
    # alarm at 6, three steps after window 1 (W = 2, so its position is 3 / (2 - 1) = 3 -> sigma = tanh(-7.5)).
    y, p = _series(14, [(2, 3), (8, 11)], [2, 6])
    fp_unit = _sig(3.0)
    for name, (a_tp, a_fp, a_fn) in {
        "standard": (1.0, 0.11, 1.0),
        "reward_low_fp": (1.0, 0.22, 1.0),
        "reward_low_fn": (1.0, 0.11, 2.0),
    }.items():
        raw = a_tp * 1.0 - a_fn + a_fp * fp_unit  # onset flag earns exactly A_tp
        null, perfect = -2 * a_fn, 2 * a_tp
        got = nab_score(y, p, name)
        assert got["raw"] == pytest.approx(raw, abs=1e-12), name
        assert got["normalized"] == pytest.approx(100 * (raw - null) / (perfect - null), abs=1e-10), name
    assert set(nab_scores(y, p)) == {"nab_standard", "nab_reward_low_fp", "nab_reward_low_fn"}


def test_nab_edge_cases() -> None:
    y, _ = _series(10, [(4, 6)], [])
    perfect = np.zeros(10, dtype=int)
    perfect[4] = 1
    assert nab_score(y, perfect)["normalized"] == pytest.approx(100.0)
    assert nab_score(y, np.zeros(10, dtype=int))["normalized"] == 0.0
    # A single-step window: NAB would divide by W - 1 = 0 for a later false alarm; we score it -A_fp.
    y1, p1 = _series(10, [(3, 3)], [3, 8])
    assert nab_score(y1, p1)["raw"] == pytest.approx(1.0 - 0.11)
    with pytest.raises(MetricError, match="profile"):
        nab_score(y, perfect, "lenient")
    with pytest.raises(MetricError, match="early"):
        detection_delays(y, perfect, early=-1)


@settings(max_examples=60, deadline=None)
@given(st.integers(5, 80).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(any),
    st.lists(st.integers(0, 1), min_size=n, max_size=n),
)))
def test_delay_properties(data: tuple[list[int], list[int]]) -> None:
    y, p = np.array(data[0]), np.array(data[1])
    d = detection_delays(y, p)
    starts = np.flatnonzero(np.diff(np.r_[0, y]) == 1)
    for start, delay in zip(starts, d, strict=True):
        if not np.isnan(delay):
            i = start + int(delay)
            assert delay >= 0 and y[i] == 1 and p[i] == 1 and not p[start:i].any()
    # Flagging more never makes a detection later.
    more = detection_delays(y, np.ones_like(p))
    assert np.all(more == 0)
    # No detector beats flagging every event on its onset without a false alarm.
    assert nab_score(y, p)["normalized"] <= 100 + 1e-9
