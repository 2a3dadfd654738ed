"""The ensemble detector: members, nested parameters, combination, persistence, streaming, explain."""

from __future__ import annotations

import numpy as np
import pytest

from augury import create_detector, load_detector
from augury.base.registry import get_entry
from augury.detectors.ensemble.detector import DEFAULT_MEMBERS, parse_member, robust_stats
from augury.errors import ParameterError
from augury.stream import StreamScorer

SMALL = {"members": ["knn", "kmeansad", "pca-tsbad"],
         "member_params": {"kmeansad": {"window": 16}, "pca-tsbad": {"window": 16}}}


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    base = np.stack([np.sin(2 * np.pi * t / 50), np.cos(2 * np.pi * t / 80), np.sin(2 * np.pi * t / 30)], axis=1)
    x = (base + 0.1 * rng.normal(size=base.shape)).astype(np.float32)
    train, test = x[:2000].copy(), x[2000:].copy()
    test[612] += np.array([6.0, -6.0, 6.0], dtype=np.float32)
    return train, test, 612


@pytest.fixture(scope="module")
def fitted(series):
    return create_detector("ensemble", **SMALL).fit(series[0])


@pytest.mark.parametrize("combine", ["mean", "max", "rank"])
def test_planted_spike_ranks_high(series, combine):
    train, test, spike = series
    det = create_detector("ensemble", **SMALL, combine=combine).fit(train)
    scores = det.decision_function(test)
    assert scores.shape == (len(test),) and np.isfinite(scores).all()
    assert scores[spike] >= np.percentile(scores, 99)


def test_default_construction_and_tags():
    det = create_detector("ensemble")
    assert det.members == list(DEFAULT_MEMBERS)
    assert get_entry("detector", "ensemble").tags == type(det).get_tags()


def test_nested_params_round_trip():
    det = create_detector("ensemble", **SMALL)
    params = det.get_params()
    assert params["kmeansad__window"] == 16 and params["knn__n_neighbors"] == 5
    det.set_params(knn__n_neighbors=3)
    assert det.member_params["knn"] == {"n_neighbors": 3}
    assert det.get_params()["knn__n_neighbors"] == 3
    with pytest.raises(ParameterError, match="n_neighbors"):
        det.set_params(knn__n_neighbors=-1)
    assert det.member_params["knn"] == {"n_neighbors": 3}  # unchanged after a refused value


@pytest.mark.parametrize("bad, named", [
    ({"members": ["knn", "nosuch"]}, "nosuch"),
    ({"members": ["knn:turbo"]}, "turbo"),
    ({"members": ["knn", "knn:paper"]}, "twice"),
    ({"members": ["ensemble"]}, "ensemble"),
    ({"member_params": {"lof": {"n_neighbors": 3}}}, "lof"),
    ({"member_params": {"knn": {"bogus": 1}}}, "bogus"),
    ({"combine": "median"}, "combine"),
])
def test_bad_members_name_them(bad, named):
    with pytest.raises(ParameterError, match=named):
        create_detector("ensemble", **{"members": ["knn"], **bad})


def test_save_load_identical(series, fitted, tmp_path):
    _, test, _ = series
    fitted.save(tmp_path / "ens")
    assert sorted(p.name for p in (tmp_path / "ens").iterdir()) == ["config.json", "weights.safetensors"]
    loaded = load_detector(tmp_path / "ens")
    np.testing.assert_array_equal(loaded.decision_function(test), fitted.decision_function(test))
    np.testing.assert_array_equal(loaded.decision_function(test, causal=True), fitted.decision_function(test, causal=True))
    assert loaded.threshold_ == fitted.threshold_


def test_stream_equals_causal_batch(series, fitted):
    _, test, _ = series
    batch = fitted.decision_function(test, causal=True)
    scorer = StreamScorer(fitted)
    rng = np.random.default_rng(1)
    parts, i = [], 0
    while i < len(test):
        n = int(rng.integers(1, 90))
        parts.append(scorer.update(test[i : i + n]))
        i += n
    np.testing.assert_allclose(np.concatenate(parts), batch, rtol=0, atol=1e-9)


def test_explain_members_and_channels(series, fitted):
    _, test, spike = series
    members = fitted.member_scores(test)
    assert members.shape == (len(test), 3)
    np.testing.assert_allclose(members.mean(axis=1), fitted.decision_function(test))
    contrib = fitted.explain(test)
    assert contrib.shape == test.shape and (contrib >= 0).all()
    causal = fitted.explain(test, causal=True)
    assert causal[: fitted.causal_warmup()].sum() == 0 and causal[spike].sum() > 0


def test_helpers():
    assert parse_member("knn") == ("knn", "cpu") and parse_member("lof:paper") == ("lof", "paper")
    assert robust_stats(np.array([1.0, 2.0, 3.0, 4.0, 5.0])) == (3.0, 2.0)
    assert robust_stats(np.ones(5)) == (1.0, 1.0)


def test_runs_in_bench(tmp_path, series):
    from augury.bench.grid import expand_grid, run_grid

    train, test, spike = series
    folder = tmp_path / "ds"
    folder.mkdir()
    np.save(folder / "train.npy", train)
    np.save(folder / "test.npy", test)
    np.save(folder / "test_label.npy", (np.abs(np.arange(len(test)) - spike) < 3).astype(np.uint8))
    specs = expand_grid([str(folder)], ["ensemble"], overrides={"members": ["knn", "iforest"]})
    table = run_grid(specs, tmp_path / "out")
    assert (table["status"] == "ok").all() and table["auc_roc"].iloc[0] > 0.9
