"""MatrixProfile (stumpy, per channel): ranking, TSB-AD parity, persistence, causal scores, parameters."""

from __future__ import annotations

import numpy as np
import pytest

import augury
from augury.detectors.matrixprofile.model import place
from augury.errors import DataError, ParameterError
from augury.stream import StreamScorer
from cycle_support import W, planted_test, sine

pytest.importorskip("stumpy")

TRAIN = sine(600, 0)
TEST = planted_test()


def _fitted(**params) -> augury.Detector:
    return augury.create_detector("matrixprofile", "cpu", **{"window": W, **params}).fit(TRAIN)


@pytest.mark.parametrize("join", ["ab", "self"])
@pytest.mark.parametrize("combine", ["mean", "max"])
def test_distorted_cycle_ranks_in_the_top_scores(join: str, combine: str) -> None:
    det = _fitted(join=join, combine=combine)
    scores = det.decision_function(TEST)
    assert scores.shape == (len(TEST),) and np.all(np.isfinite(scores))
    assert 230 <= int(np.argmax(scores)) < 270
    assert scores[240:260].max() >= np.quantile(scores, 0.99)
    contrib = det.explain(TEST)
    assert contrib[240:260, 1].max() > contrib[240:260, 0].max()  # channel 1 explains it
    combined = contrib.mean(axis=1) if combine == "mean" else contrib.max(axis=1)
    np.testing.assert_allclose(combined, scores, rtol=0, atol=1e-12)


def test_ab_join_scores_the_distance_to_the_nearest_training_subsequence() -> None:
    det = _fitted(scaling="none")
    x = TEST[:, 1]
    windows = np.lib.stride_tricks.sliding_window_view(x, W)
    train = np.lib.stride_tricks.sliding_window_view(TRAIN[:, 1], W)

    def z(a: np.ndarray) -> np.ndarray:
        return (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, keepdims=True)

    d = np.sqrt(np.maximum(((z(windows)[:, None, :] - z(train)[None]) ** 2).sum(axis=2), 0)).min(axis=1)
    np.testing.assert_allclose(det._channel_scores(TEST)[:, 1], place(d, len(x), W), rtol=0, atol=1e-6)


def test_training_scores_are_the_self_join_for_both_joins() -> None:
    ab, self_join = _fitted(join="ab"), _fitted(join="self")
    np.testing.assert_array_equal(ab.decision_scores_, self_join.decision_scores_)
    np.testing.assert_array_equal(self_join.decision_function(TRAIN), self_join.decision_scores_)


def test_self_join_equals_tsbad_matrixprofile() -> None:
    pytest.importorskip("TSB_AD")
    from TSB_AD.models.MatrixProfile import MatrixProfile as Reference

    x = TEST[:, 1:]
    for window in (7, W, 25):
        det = augury.create_detector("matrixprofile", "paper", window=window, join="self", scaling="none").fit(TRAIN)
        ref = Reference(window=window).fit(x).decision_scores_
        np.testing.assert_allclose(det._channel_scores(x)[:, 0], ref, rtol=0, atol=1e-6)


def test_save_then_load_gives_identical_scores(tmp_path) -> None:
    for join in ("ab", "self"):
        det = _fitted(join=join)
        loaded = augury.load_detector(det.save(tmp_path / join))
        assert loaded.window_ == det.window_ and loaded.get_params()["join"] == join
        np.testing.assert_array_equal(loaded.decision_function(TEST), det.decision_function(TEST))
        np.testing.assert_array_equal(loaded.explain(TEST), det.explain(TEST))
        if join == "ab":
            np.testing.assert_array_equal(loaded.decision_function(TEST, causal=True),
                                          det.decision_function(TEST, causal=True))


def test_causal_scores_are_the_batch_scores_of_the_window_ending_at_each_step() -> None:
    det = _fitted()
    batch, causal = det.decision_function(TEST), det.decision_function(TEST, causal=True)
    assert det.causal_warmup() == W - 1
    np.testing.assert_array_equal(causal[: W - 1], det.warmup_score_)
    # step t scores the window ending at t; batch puts that window on t − W + 1 + ⌊W/2⌋
    np.testing.assert_allclose(causal[W - 1 :], batch[W // 2 : W // 2 + len(TEST) - W + 1], rtol=0, atol=1e-12)
    scorer = StreamScorer(det, top_k=2)
    streamed = np.concatenate([scorer.update(b) for b in np.split(TEST, [1, 7, 64, 65, 200, 201])])
    np.testing.assert_allclose(streamed, causal, rtol=0, atol=1e-9)


def test_self_join_has_no_causal_scores() -> None:
    with pytest.raises(ParameterError, match="join"):
        _fitted(join="self").decision_function(TEST, causal=True)


def test_window_none_is_the_training_period() -> None:
    det = augury.create_detector("matrixprofile", "paper").fit(TRAIN)
    assert det.window_ == W and det.get_params()["window"] is None


def test_a_channel_constant_over_training_gives_finite_scores() -> None:
    """stumpy's convention: constant vs constant subsequence 0, constant vs non-constant √W."""
    train = np.column_stack([np.zeros(600), TRAIN[:, 1]])
    test = np.column_stack([np.zeros(400), TEST[:, 1]])
    test[100:110, 0] = 2.0  # the constant channel moves
    det = augury.create_detector("matrixprofile", "cpu", window=W).fit(train)
    scores = det.decision_function(test)
    assert np.all(np.isfinite(scores)) and np.all(np.isfinite(det.decision_scores_))
    assert det.explain(test)[100:110, 0].max() == det.explain(test)[:, 0].max()


@pytest.mark.parametrize(("param", "value"), [("window", 2), ("join", "ba"), ("combine", "sum")])
def test_bad_parameters_raise_parameter_error(param: str, value: object) -> None:
    with pytest.raises(ParameterError, match=param):
        augury.create_detector("matrixprofile", "cpu", **{param: value})


def test_series_shorter_than_the_window_is_a_data_error() -> None:
    with pytest.raises(DataError, match="window 50"):
        augury.create_detector("matrixprofile", "cpu", window=50).fit(TRAIN[:60])
    det = _fitted()
    with pytest.raises(DataError):
        det.decision_function(TEST[: W - 1])
    with pytest.raises(DataError):
        _fitted(join="self").decision_function(TEST[: W + 3])


def test_scoring_leaves_the_torch_thread_count_alone():
    """numba's kernels reset OpenMP's thread count; a deep detector fitted next must keep the caller's."""
    import torch

    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 2))
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        augury.create_detector("matrixprofile", "cpu", window=20).fit(x).decision_function(x)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
