"""The seeded synthetic generator and anomaly injection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.neighbors import NearestNeighbors

from augury.data.synthetic import ANOMALY_KINDS, inject_anomaly, make_synthetic


def test_same_seed_same_data_and_different_seed_differs():
    a, b, c = make_synthetic(seed=3), make_synthetic(seed=3), make_synthetic(seed=4)
    np.testing.assert_array_equal(a.train, b.train)
    np.testing.assert_array_equal(a.test, b.test)
    np.testing.assert_array_equal(a.test_labels, b.test_labels)
    assert a.meta["anomalies"] == b.meta["anomalies"]
    assert not np.array_equal(a.test, c.test)


def test_shapes_dtypes_and_clean_train():
    ds = make_synthetic(n_train=500, n_test=1200, n_channels=3, seed=1)
    assert ds.train.shape == (500, 3) and ds.test.shape == (1200, 3)
    assert ds.train.dtype == np.float32 and ds.test_labels.dtype == np.uint8
    assert not ds.train_labels.any()
    assert np.isfinite(ds.test).all()


@pytest.mark.parametrize("seed", [0, 1, 2, 7])
def test_labels_cover_exactly_the_planted_segments_which_do_not_overlap(seed):
    ds = make_synthetic(seed=seed)
    expected = np.zeros(len(ds.test), dtype=np.uint8)
    segments = ds.meta["anomalies"]
    for a in segments:
        assert not expected[a["start"] : a["end"]].any(), "anomalies overlap"
        expected[a["start"] : a["end"]] = 1
    np.testing.assert_array_equal(ds.test_labels, expected)
    # Non-touching too, so each label run is exactly one anomaly.
    runs = np.flatnonzero(np.diff(np.r_[0, ds.test_labels, 0]) == 1)
    assert len(runs) == len(segments)


def test_every_kind_is_present_and_changes_the_signal():
    ds = make_synthetic(seed=0)
    assert sorted(a["kind"] for a in ds.meta["anomalies"]) == sorted(ANOMALY_KINDS)
    clean = make_synthetic(seed=0, n_anomalies=0)
    np.testing.assert_array_equal(clean.train, ds.train)
    for a in ds.meta["anomalies"]:
        seg = slice(a["start"], a["end"])
        assert not np.allclose(ds.test[seg][:, a["channels"]], clean.test[seg][:, a["channels"]]), a["kind"]
    outside = ds.test_labels == 0
    np.testing.assert_array_equal(ds.test[outside], clean.test[outside])


@pytest.mark.parametrize("seed", range(5))
def test_spike_is_the_largest_deviation_of_the_series(seed):
    ds = make_synthetic(seed=seed)
    z = np.abs(ds.test - np.median(ds.test, axis=0)) / ds.test.std(axis=0)
    t, _ = np.unravel_index(np.argmax(z), z.shape)
    spikes = [a["start"] for a in ds.meta["anomalies"] if a["kind"] == "spike"]
    assert t in spikes


def test_kinds_subset_and_more_anomalies_than_kinds():
    ds = make_synthetic(anomaly_kinds=("level_shift", "flatline"), n_anomalies=5, seed=2)
    kinds = [a["kind"] for a in ds.meta["anomalies"]]
    assert sorted(set(kinds)) == ["flatline", "level_shift"] and len(kinds) == 5


def test_too_short_test_or_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="too short"):
        make_synthetic(n_test=100, n_anomalies=6)
    with pytest.raises(ValueError, match="unknown anomaly kinds"):
        make_synthetic(anomaly_kinds=("wobble",))


@pytest.mark.parametrize("kind", ANOMALY_KINDS)
def test_inject_anomaly_touches_only_the_segment_and_channels(kind):
    rng = np.random.default_rng(0)
    t = np.arange(400)
    x = np.stack([np.sin(2 * np.pi * t / 40), np.cos(2 * np.pi * t / 40), np.sin(2 * np.pi * t / 90)], axis=1)
    y = inject_anomaly(x, kind, start=100, length=30, channels=[1], rng=rng)
    changed = ~np.isclose(x, y)
    assert changed[100:130, 1].any()
    changed[100:130, 1] = False
    assert not changed.any()
    assert not np.shares_memory(x, y)
    assert inject_anomaly(x.astype(np.float32), kind, 100, 30, [0], rng).dtype == np.float32


def test_inject_anomaly_rejects_bad_segment():
    with pytest.raises(ValueError, match="does not fit"):
        inject_anomaly(np.zeros((10, 1)), "spike", 9, 5, [0], np.random.default_rng(0))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_planted_anomaly_is_clearly_detectable_by_a_simple_detector(seed):
    # Distance of each test window to its nearest training window (z-scored on train).
    ds, w = make_synthetic(seed=seed), 16
    mu, sd = ds.train.mean(axis=0), ds.train.std(axis=0)

    def windows(x):
        return sliding_window_view((x - mu) / sd, w, axis=0).reshape(len(x) - w + 1, -1)

    dist = NearestNeighbors(n_neighbors=1).fit(windows(ds.train)).kneighbors(windows(ds.test))[0][:, 0]
    touches = sliding_window_view(ds.test_labels, w).any(axis=1)
    threshold = np.percentile(dist[~touches], 99.5)
    for a in ds.meta["anomalies"]:
        assert dist[max(0, a["start"] - w + 1) : a["end"]].max() > 2 * threshold, a["kind"]


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_channels=st.integers(1, 6),
    n_anomalies=st.integers(0, 10),
    n_test=st.integers(1500, 3000),
)
def test_labels_equal_the_planted_segments_for_any_configuration(seed, n_channels, n_anomalies, n_test):
    ds = make_synthetic(n_train=300, n_test=n_test, n_channels=n_channels, n_anomalies=n_anomalies, seed=seed)
    expected = np.zeros(n_test, dtype=np.uint8)
    for a in ds.meta["anomalies"]:
        assert not expected[a["start"] : a["end"]].any()
        assert all(0 <= c < n_channels for c in a["channels"])
        expected[a["start"] : a["end"]] = 1
    np.testing.assert_array_equal(ds.test_labels, expected)
    assert len(ds.meta["anomalies"]) == n_anomalies and np.isfinite(ds.test).all()
