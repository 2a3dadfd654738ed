"""Noisy sine channels with one distorted cycle, shared by the subsequence detectors' tests."""

from __future__ import annotations

import numpy as np

#: period of every channel, in steps
W = 20
#: the distorted cycle of the test series: channel 1, steps 240..259 at twice the frequency
PLANTED = slice(240, 260)


def sine(n: int, seed: int, channels: int = 2) -> np.ndarray:
    """``[n, channels]`` sines of period W, channel c shifted by c radians, plus 0.05 noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)[:, None]
    return np.sin(2 * np.pi * t / W + np.arange(channels)) + 0.05 * rng.normal(size=(n, channels))


def planted_test() -> np.ndarray:
    """A 400-step test series whose channel 1 has one cycle at twice the frequency (:data:`PLANTED`)."""
    test = sine(400, 1)
    test[PLANTED, 1] = np.sin(4 * np.pi * np.arange(W) / W + 1.0)
    return test
