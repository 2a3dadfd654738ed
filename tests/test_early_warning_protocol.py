"""The early-warning protocol's parts: onset labels, entity-aware splits, persistence, flat risk, lead time."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import augury
from augury.early_warning.baselines import RandomPredictor
from augury.early_warning.protocol import (
    FlatRiskWarning,
    evaluate_predictor,
    persistence_risk,
    split_entities,
    split_series,
)
from augury.early_warning.windows import sample_labels
from augury.errors import DataError
from augury.metrics.early import false_warnings_per_1000, warning_lead_times

W = 10


def test_onset_mode_keeps_only_samples_whose_window_is_clean() -> None:
    labels = np.zeros(60, dtype=np.uint8)
    labels[25:38] = 1  # windows 2 and 3 anomalous
    y, keep = sample_labels(labels, W, "next")
    assert y.tolist() == [0, 1, 1, 0, 0] and keep.all()
    y, keep = sample_labels(labels, W, "onset")
    assert keep.tolist() == [True, True, False, False, True]
    assert y[keep].tolist() == [0, 1, 0]  # window 1 → the onset in window 2; window 3's continuation is left out
    with pytest.raises(DataError, match="label mode 'later'"):
        sample_labels(labels, W, "later")


def test_lead_time_worked_by_hand() -> None:
    y = np.zeros(60, dtype=np.uint8)
    y[3] = 1  # starts in window 0: nothing can warn it
    y[25:28] = 1  # window 2, warned by flags 1 and 2 → first warning issued at step 20, 5 steps ahead
    y[52:55] = 1  # window 5, warned by flag 4 only → issued at step 50, 2 steps ahead
    flags = np.array([0, 1, 1, 0, 1])
    np.testing.assert_array_equal(warning_lead_times(y, flags, W), [np.nan, 5.0, 2.0])
    np.testing.assert_array_equal(warning_lead_times(y, np.zeros(5), W), [np.nan] * 3)
    # next-window labels [0, 1, 0, 0, 1]: flag 2 is the only one before a normal window, 1 of 3
    assert false_warnings_per_1000(np.array([0, 1, 0, 0, 1]), flags) == pytest.approx(1000 / 3)


def test_entity_aware_split_never_mixes_entities() -> None:
    lengths = [230, 95, 400, 55]
    x = np.concatenate([np.full((n, 2), i, dtype=np.float32) for i, n in enumerate(lengths)])
    labels = np.zeros(x.shape[0], dtype=np.uint8)
    starts = np.cumsum([0, *lengths[:-1]])
    sp = split_entities(x, labels, list(zip(starts.tolist(), lengths, strict=True)), W)
    assert sp.entities == [0, 1, 2] and sp.skipped == [3]  # 55 steps = 5 windows: too few for 6:2:2
    for part in (sp.train, sp.val, sp.test):
        assert len(part) == 3
        for (xe, _), ent in zip(part, sp.entities, strict=True):
            assert np.all(xe == ent) and xe.shape[0] % W == 0
    with pytest.raises(DataError, match="outside the series"):
        split_entities(x, labels, [(700, 200)], W)


def _precursor_series(n_windows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noise with anomalies (a level shift on channel 0) announced one window ahead by a bump on channel 1."""
    rng = np.random.default_rng(seed)
    x = 0.1 * rng.normal(size=(n_windows * W, 2)).astype(np.float32)
    labels = np.zeros(n_windows * W, dtype=np.uint8)
    for k in range(3, n_windows - 1, 6):
        k += int(rng.integers(0, 2))
        x[(k - 1) * W + 6: k * W, 1] += 2.0  # the precursor, in the last steps of the window before
        x[k * W: k * W + 4, 0] += 3.0
        labels[k * W: k * W + 4] = 1
    return x, labels


def test_learned_head_beats_persistence_on_onsets_of_a_planted_precursor() -> None:
    x, labels = _precursor_series(420, 0)
    spans = [(0, 1400), (1400, 1400), (2800, 1400)]
    pred = augury.create_predictor("rawfeat", window=W, head_epochs=40, head_patience=40, seed=0)
    pred.fit(_precursor_series(200, 1)[0])
    metrics, arrays = evaluate_predictor(pred, x, labels, seed=0, n_boot=200, label_mode="onset", spans=spans)
    assert metrics["entities"] == 3 and metrics["flat_risk"] == 0
    assert metrics["persistence_win_auc"] == pytest.approx(0.5)  # every kept current window is clean
    assert metrics["win_auc"] > 0.9 and metrics["win_auc_ci_low"] > 0.5
    assert metrics["events_warned"] >= 0.8 * metrics["events"] and metrics["mean_lead_steps"] >= 0
    assert arrays["prob"].shape == arrays["y"].shape == arrays["start"].shape


def test_next_mode_persistence_reads_the_current_window() -> None:
    labels = np.zeros(50, dtype=np.uint8)
    labels[12:15] = 1
    np.testing.assert_allclose(persistence_risk(labels, W), [0.0, 0.3, 0.0, 0.0])


class _Flat(RandomPredictor):
    def _proba(self, windows: np.ndarray) -> np.ndarray:
        return np.full(windows.shape[0], 0.5)


def test_a_flat_risk_is_loud() -> None:
    x, labels = _precursor_series(200, 2)
    pred = _Flat(window=W).fit(x)
    with pytest.warns(FlatRiskWarning, match="flat"):
        metrics, _ = evaluate_predictor(pred, x, labels, n_boot=50)
    assert metrics["flat_risk"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", FlatRiskWarning)
        metrics, _ = evaluate_predictor(RandomPredictor(window=W).fit(x), x, labels, n_boot=50)
    assert metrics["flat_risk"] == 0


def test_flat_rule_is_relative_to_the_size_of_the_risk() -> None:
    from augury.early_warning.protocol import flat_risk_reason

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(40), np.ones(10)].astype(np.int8)
    # a head that answers 0.5752–0.5754 for every window (seen on CalIt2) is flat, though not constant
    assert "flat" in flat_risk_reason(0.5753 + 0.00026 * rng.standard_normal(50), y)
    assert "flat" in flat_risk_reason(0.2 + 0.00037 * rng.standard_normal(50), y)
    assert flat_risk_reason(rng.uniform(size=50), y) is None
    # raw detector scores: judged against their own size
    assert flat_risk_reason(1000 + 5 * rng.standard_normal(50), y) is None
    assert "flat" in flat_risk_reason(1000 + 0.1 * rng.standard_normal(50), y)
    assert "undefined" in flat_risk_reason(rng.uniform(size=50), np.zeros(50))
    assert flat_risk_reason(np.empty(0), np.empty(0)) == "no validation windows"


def test_score_labelled_matches_the_protocol_on_the_same_windows() -> None:
    from augury.early_warning.protocol import score_labelled

    x, labels = _precursor_series(300, 3)
    pred = RandomPredictor(window=W).fit(x)
    metrics, arrays = evaluate_predictor(pred, x, labels, n_boot=50)
    sp = split_series(x, labels, W)
    again, arrays2 = score_labelled(pred, *sp.test, n_boot=50)
    for k in ("win_auc", "win_f1", "events", "events_warned", "false_warnings_per_1000", "persistence_win_auc"):
        assert again[k] == pytest.approx(metrics[k], nan_ok=True), k
    np.testing.assert_array_equal(arrays["prob"], arrays2["prob"])
