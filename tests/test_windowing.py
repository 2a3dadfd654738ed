"""Windowing: windows cover every step, the inverse map preserves length and constants, any stride."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.data.windowing import sliding_windows, window_starts, windows_to_steps
from augury.errors import DataError

shapes = st.integers(1, 40).flatmap(
    lambda w: st.tuples(st.just(w), st.integers(w, w + 300), st.integers(1, 2 * w + 3))
)


@settings(max_examples=200, deadline=None)
@given(shapes)
def test_every_step_covered_and_last_window_ends_at_end(args):
    window, n, stride = args
    starts = window_starts(n, window, stride)
    covered = np.zeros(n, dtype=bool)
    for s in starts:
        covered[s : s + window] = True
    assert covered.all() or stride > window
    assert starts[0] == 0 and starts[-1] == n - window
    assert np.all(np.diff(starts) > 0)


@settings(max_examples=200, deadline=None)
@given(shapes, st.floats(-1e6, 1e6, allow_nan=False))
def test_constant_window_scores_map_to_constant_steps(args, value):
    window, n, stride = args
    starts = window_starts(n, window, stride)
    for scores in (np.full(len(starts), value), np.full((len(starts), window), value)):
        steps = windows_to_steps(scores, starts, n, window)
        assert steps.shape == (n,)
        np.testing.assert_allclose(steps, value, rtol=1e-9, atol=1e-9 * abs(value) + 1e-12)


@settings(max_examples=100, deadline=None)
@given(shapes, st.integers(1, 4), st.integers(0, 2**31 - 1))
def test_per_position_scores_equal_bruteforce_mean(args, channels, seed):
    window, n, stride = args
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, channels))
    win, starts = sliding_windows(x, window, stride)
    assert win.shape == (len(starts), window, channels)
    np.testing.assert_array_equal(win[-1], x[n - window :])
    for scores in (rng.normal(size=(len(starts), window)), rng.normal(size=len(starts))):
        total, count = np.zeros(n), np.zeros(n)
        for i, s in enumerate(starts):
            total[s : s + window] += scores[i]
            count[s : s + window] += 1
        expected = [0.0] * n
        for t in range(n):  # uncovered steps (stride > window) repeat the last covered step
            expected[t] = total[t] / count[t] if count[t] else expected[t - 1]
        got = windows_to_steps(scores, starts, n, window)
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_non_overlapping_is_concatenation_with_tail_window():
    scores = np.arange(3 * 4, dtype=float).reshape(3, 4)
    starts = window_starts(10, 4, 4)
    np.testing.assert_array_equal(starts, [0, 4, 6])
    steps = windows_to_steps(scores, starts, 10, 4)
    # windows [0..3], [4..7] and the end-aligned [6..9]: plain concatenation except the overlap
    np.testing.assert_allclose(steps, [0, 1, 2, 3, 4, 5, (6 + 8) / 2, (7 + 9) / 2, 10, 11])


def test_one_dimensional_series_windows():
    win, starts = sliding_windows(np.arange(7.0), 3, 2)
    np.testing.assert_array_equal(starts, [0, 2, 4])
    np.testing.assert_array_equal(win[1], [2.0, 3.0, 4.0])


@pytest.mark.parametrize("n,window,stride", [(5, 6, 1), (10, 0, 1), (10, 3, 0)])
def test_bad_windowing_raises_data_error(n, window, stride):
    with pytest.raises(DataError):
        window_starts(n, window, stride)


def test_bad_score_shape_raises():
    starts = window_starts(10, 4, 2)
    with pytest.raises(DataError, match="window scores"):
        windows_to_steps(np.zeros((len(starts), 3)), starts, 10, 4)
    with pytest.raises(DataError, match="window scores for"):
        windows_to_steps(np.zeros(len(starts) + 1), starts, 10, 4)
