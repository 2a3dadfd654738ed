"""Choosing the VUS window: TAB's label rule and TSB-AD's ACF period estimate."""

from __future__ import annotations

import numpy as np
import pytest

from augury.errors import MetricError
from augury.metrics import estimate_period, suggest_vus_window
from augury.metrics.vus_window import PERIOD_FALLBACK, acf


def test_suggest_vus_window_by_hand() -> None:
    y = np.zeros(100, dtype=int)
    y[5:8] = 1  # length 3
    y[20:30] = 1  # length 10
    assert suggest_vus_window(y) == 13  # 2 x median(3, 10) = 2 x 6.5
    y[50] = 1  # lengths 3, 10, 1 -> median 3
    assert suggest_vus_window(y) == 6
    with pytest.raises(MetricError, match="no anomaly"):
        suggest_vus_window(np.zeros(5))


def test_acf_matches_the_direct_formula() -> None:
    x = np.random.default_rng(0).normal(size=300)
    d = x - x.mean()
    direct = np.array([np.dot(d[: d.size - k], d[k:]) for k in range(21)]) / np.dot(d, d)
    np.testing.assert_allclose(acf(x, 20), direct, atol=1e-12)


@pytest.mark.parametrize("period", [24, 50, 100, 288])
def test_estimate_period_finds_a_sine_period(period: int) -> None:
    t = np.arange(5000)
    x = np.sin(2 * np.pi * t / period) + 0.1 * np.random.default_rng(period).normal(size=t.size)
    assert abs(estimate_period(x) - period) <= 1


def test_estimate_period_fallbacks_and_errors() -> None:
    t = np.arange(3000)
    # A period of 350 puts the peak beyond lag 300: TSB-AD's fallback.
    assert estimate_period(np.sin(2 * np.pi * t / 350)) == PERIOD_FALLBACK
    assert estimate_period(np.arange(50.0)) == PERIOD_FALLBACK  # monotone ACF: no peak
    assert estimate_period(np.sin(2 * np.pi * t / 40)[:, None]) == 40  # one column is fine
    with pytest.raises(MetricError, match="one channel"):
        estimate_period(np.zeros((100, 3)))
    with pytest.raises(MetricError, match="constant"):
        estimate_period(np.ones(100))
