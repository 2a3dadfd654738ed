"""End to end on a planted precursor: MTS-JEPA warns one window ahead; detect-now cannot."""

from __future__ import annotations

import numpy as np
import pytest

import augury
from augury.early_warning.protocol import evaluate_predictor

W = 20  # 4 patches x 5 steps keep the test fast


def precursor_series(n_windows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """3-channel sine (period W, aligned with the windows) with events: a precursor window (the sine
    a quarter period ahead), then an anomalous window (half a period ahead). Every window holds the
    same 20 values in a different order, so a point-wise detector sees nothing; only the shape does."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_windows * W)
    phase = np.array([0.0, 1.0, 2.0])
    x = np.sin(2 * np.pi * t[:, None] / W + phase)
    labels = np.zeros(t.size, dtype=np.uint8)
    k = 3
    while k < n_windows - 2:
        pre, anom = slice(k * W, (k + 1) * W), slice((k + 1) * W, (k + 2) * W)
        x[pre] = np.sin(2 * np.pi * t[pre, None] / W + np.pi / 2 + phase)
        x[anom] = -x[anom]
        labels[anom] = 1
        k += int(rng.integers(5, 10))
    return (x + 0.05 * rng.normal(size=x.shape)).astype(np.float32), labels


TINY = dict(n_patches=4, patch_len=5, d_model=32, n_codes=16, tokenizer_hidden=16, n_layers=1, n_heads=2, d_ff=64,
            epochs=3, select_after=1, patience=3, max_pairs_per_epoch=512, autocast="none", progress=False)


@pytest.mark.slow  # ~10 s of CPU (pre-training + two heads); minutes on a loaded machine
def test_mtsjepa_warns_before_planted_anomalies_and_detect_now_does_not():
    train, _ = precursor_series(200, seed=0)
    test, labels = precursor_series(600, seed=1)
    jepa = augury.create_predictor("mtsjepa", "cpu", **TINY).fit(train)
    m_jepa, arrays = evaluate_predictor(jepa, test, labels, seed=0)
    assert m_jepa["win_auc"] > 0.8
    assert m_jepa["win_auc_ci_low"] <= m_jepa["win_auc"] <= m_jepa["win_auc_ci_high"]
    assert arrays["prob"].shape == arrays["y"].shape == (m_jepa["n_test"],)
    now = augury.create_predictor("detect-now:iforest", "cpu", window=W).fit(train)
    m_now, _ = evaluate_predictor(now, test, labels, seed=0)
    assert abs(m_now["win_auc"] - 0.5) < 0.15, m_now
