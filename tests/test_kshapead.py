"""KShapeAD (k-Shape + stumpy, per channel): ranking, TSB-AD parity, persistence, causal scores, parameters."""

from __future__ import annotations

import numpy as np
import pytest

import augury
from augury.detectors.kshapead.model import running_mean, sand_weights
from augury.errors import DataError, ParameterError
from augury.stream import StreamScorer
from cycle_support import W, planted_test, sine

pytest.importorskip("tslearn")
pytest.importorskip("stumpy")

TRAIN = sine(800, 0)
TEST = planted_test()


def _fitted(**params) -> augury.Detector:
    return augury.create_detector("kshapead", "cpu", **{"window": W, **params}).fit(TRAIN)


@pytest.mark.parametrize("combine", ["mean", "max"])
def test_distorted_cycle_ranks_in_the_top_scores(combine: str) -> None:
    det = _fitted(combine=combine)
    scores = det.decision_function(TEST)
    assert scores.shape == (len(TEST),) and np.all(np.isfinite(scores))
    assert 230 <= int(np.argmax(scores)) < 280
    assert scores[240:260].max() >= np.quantile(scores, 0.99)
    contrib = det.explain(TEST)
    assert contrib[240:270, 1].max() > contrib[240:270, 0].max()  # channel 1 explains it
    combined = contrib.mean(axis=1) if combine == "mean" else contrib.max(axis=1)
    np.testing.assert_allclose(combined, scores, rtol=0, atol=1e-12)


def test_scores_equal_tsbad_kshapead_on_the_same_random_start(monkeypatch) -> None:
    """TSB-AD's KShapeAD is SAND in batch mode with an unseeded k-Shape; seeding numpy's global
    generator gives it the random starts of ``seed``. TSB-AD z-scores by the series' own mean and
    deviation, so ours are compared after the same map."""
    pytest.importorskip("TSB_AD")
    monkeypatch.setattr(np, "Inf", np.inf, raising=False)  # tsb-ad 1.5 predates NumPy 2
    from TSB_AD.models.SAND import SAND

    x = TEST[:, 1]
    for seed in (0, 1):
        det = augury.create_detector("kshapead", "paper", window=W, scaling="none", seed=seed).fit(x[:, None])
        np.random.seed(seed)
        ref = SAND(pattern_length=W, subsequence_length=4 * W)
        ref.fit(x, overlaping_rate=int(1.5 * W), verbose=False)
        ours = det._channel_scores(x[:, None])[:, 0]
        np.testing.assert_allclose(det.channel_models_[0]["weights"], ref.nm_current_weight, rtol=1e-6)
        # stumpy's distances near a perfect match carry ~1e-4 of rounding from tiny centroid differences
        np.testing.assert_allclose((ours - ours.mean()) / ours.std(), ref.decision_scores_, rtol=0, atol=2e-3)


def test_weights_follow_size_centrality_and_recency() -> None:
    centroids = np.array([np.sin(np.linspace(0, 6, 80)), np.cos(np.linspace(0, 6, 80)), np.linspace(-1, 1, 80)])
    sizes, last = np.array([10, 1, 5]), np.array([900, 10, 500])
    w = sand_weights(sizes, centroids, last, 1000)
    assert w.shape == (3,) and np.all(w > 0)
    assert w[0] > w[2] > w[1]  # the largest, most recent cluster weighs most
    np.testing.assert_allclose(running_mean(np.arange(6.0), 3), [1, 2, 3, 4])


def test_save_then_load_gives_identical_scores(tmp_path) -> None:
    det = _fitted()
    loaded = augury.load_detector(det.save(tmp_path / "ks"))
    assert loaded.window_ == det.window_
    np.testing.assert_array_equal(loaded.decision_function(TEST), det.decision_function(TEST))
    np.testing.assert_array_equal(loaded.decision_function(TEST, causal=True), det.decision_function(TEST, causal=True))
    np.testing.assert_array_equal(loaded.explain(TEST), det.explain(TEST))


def test_same_seed_same_model_and_other_seed_runs() -> None:
    a, b = _fitted(seed=4), _fitted(seed=4)
    np.testing.assert_array_equal(a.decision_function(TEST), b.decision_function(TEST))
    assert np.all(np.isfinite(_fitted(seed=5).decision_function(TEST)))


def test_causal_scores_are_the_batch_scores_shifted_and_stream_equally() -> None:
    det = _fitted()
    batch, causal = det.decision_function(TEST), det.decision_function(TEST, causal=True)
    warm = det.causal_warmup()
    assert warm == 2 * W - 2
    np.testing.assert_array_equal(causal[:warm], det.warmup_score_)
    np.testing.assert_allclose(causal[warm:], batch[W - 1 : W - 1 + len(TEST) - warm], rtol=0, atol=1e-12)
    scorer = StreamScorer(det, top_k=2)
    streamed = np.concatenate([scorer.update(b) for b in np.split(TEST, [1, 7, 64, 65, 200, 201])])
    np.testing.assert_allclose(streamed, causal, rtol=0, atol=1e-9)


def test_window_none_is_the_training_period() -> None:
    det = augury.create_detector("kshapead", "paper").fit(TRAIN)
    assert det.window_ == W and det.get_params()["window"] is None


def test_few_distinct_shapes_use_fewer_clusters() -> None:
    """A pure sine cut every 1.5 periods has one shape up to a shift: k-Shape cannot fill 6 clusters."""
    x = np.sin(2 * np.pi * np.arange(1200) / W)[:, None]
    det = augury.create_detector("kshapead", "cpu", window=W).fit(x)
    k = det.channel_models_[0]["centroids"].shape[0]
    assert 1 <= k < 6
    assert np.all(np.isfinite(det.decision_function(x)))


def test_a_channel_constant_over_training_scores_its_departures() -> None:
    train = np.column_stack([np.zeros(800), TRAIN[:, 1]])
    test = np.column_stack([np.zeros(400), TEST[:, 1]])
    test[100:110, 0] = 2.0  # the constant channel moves
    det = augury.create_detector("kshapead", "cpu", window=W).fit(train)
    assert det.channel_models_[0]["centroids"].shape == (1, 4 * W)
    scores = det.decision_function(test)
    assert np.all(np.isfinite(scores)) and np.all(np.isfinite(det.decision_scores_))
    contrib = det.explain(test)[:, 0]
    assert contrib[100:120].max() == contrib.max() > contrib[300:].max()


@pytest.mark.parametrize(("param", "value"), [("window", 2), ("n_clusters", 0), ("max_iter", 0),
                                              ("combine", "sum")])
def test_bad_parameters_raise_parameter_error(param: str, value: object) -> None:
    with pytest.raises(ParameterError, match=param):
        augury.create_detector("kshapead", "cpu", **{param: value})


def test_fewer_subsequences_than_clusters_use_one_cluster_each_at_most() -> None:
    # L = 80, stride 30: T = 200 has the starts 0, 30, 60, 90 below T − L
    det = augury.create_detector("kshapead", "cpu", window=W).fit(TRAIN[:200])
    assert all(1 <= m["centroids"].shape[0] <= 4 for m in det.channel_models_)
    assert np.all(np.isfinite(det.decision_function(TEST)))


def test_training_series_shorter_than_one_subsequence_is_a_data_error() -> None:
    with pytest.raises(DataError, match="window 20 needs at least 81"):
        augury.create_detector("kshapead", "cpu", window=W).fit(TRAIN[:80])
    augury.create_detector("kshapead", "cpu", window=W).fit(TRAIN[:81])
    with pytest.raises(DataError):
        _fitted().decision_function(TEST[: W - 1])


def test_fitting_and_scoring_leave_the_torch_thread_count_alone() -> None:
    """tslearn's numba kernels reset OpenMP's thread count once torch has run: a deep detector
    fitted next (an ensemble member, the next test) would change threads and its float sums."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.ones(64, 64) @ torch.ones(64, 64)  # torch's OpenMP pool is live, as after any deep fit
        det = augury.create_detector("kshapead", "cpu", window=W, seed=2).fit(sine(600, 3))
        assert torch.get_num_threads() == 1
        det.decision_function(TEST)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
