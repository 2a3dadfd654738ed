"""The estimator contract, checked for every registered detector and predictor.

Parametrised over the registry, so a newly registered estimator is covered without editing this
file (with its ``cpu`` preset unless ``tests/contract_configs.py`` gives a tiny configuration).
Each estimator is fitted once per module and the fitted copy is shared by the checks.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import augury
from augury.base.registry import entries, get_class
from augury.errors import ParameterError
from augury.stream import StreamScorer
from contract_configs import TINY

DETECTORS = [e.name for e in entries("detector")]
PREDICTORS = [e.name for e in entries("predictor")]
PREDICTOR_WINDOWS = 60  # 1,200 steps / the window of 20 every tiny predictor uses


def _series(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.stack([np.sin(t / 5.0), np.cos(t / 9.0), 0.3 * np.sin(t / 3.0)], axis=1)
    return (x + 0.05 * rng.normal(size=x.shape)).astype(np.float32)


TRAIN = _series(400, 0)
TEST = _series(300, 1)
# A burst of noise: a change of pattern that survives per-window normalisation, so every family sees it.
TEST[150:170] += np.random.default_rng(5).normal(0.0, 1.0, size=(20, 3)).astype(np.float32)
EW_X = _series(1200, 2)
EW_Y = np.zeros(1200, dtype=np.uint8)
EW_Y[np.random.default_rng(3).choice(1200, 40, replace=False)] = 1


def _make(task: str, name: str) -> Any:
    params = TINY.get(task, {}).get(name, {})
    if task == "detector":
        return augury.create_detector(name, "cpu", **params)
    name = f"{name}:{params['detector']}" if name == "detect-now" else name
    return augury.create_predictor(name, "cpu", **{k: v for k, v in params.items() if k != "detector"})


def _fit(task: str, est: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        if task == "detector":
            return est.fit(TRAIN)
        return est.fit(EW_X).fit_head(EW_X, EW_Y, seed=1)


def _output(task: str, est: Any) -> np.ndarray:
    return est.decision_function(TEST) if task == "detector" else est.predict_proba(EW_X)


_FITTED: dict[tuple[str, str], Any] = {}


def _fitted(task: str, name: str) -> Any:
    key = (task, name)
    if key not in _FITTED:
        _FITTED[key] = _fit(task, _make(task, name))
    return _FITTED[key]


CASES = [("detector", n) for n in DETECTORS] + [("predictor", n) for n in PREDICTORS]
IDS = [f"{t}-{n}" for t, n in CASES]


@pytest.mark.parametrize(("task", "name"), CASES, ids=IDS)
def test_registry_tags_are_the_class_tags(task: str, name: str) -> None:
    entry = next(e for e in entries(task) if e.name == name)
    cls = get_class(task, name)
    assert entry.tags == cls.get_tags()
    assert cls.task == task and cls.name == name


@pytest.mark.parametrize(("task", "name"), CASES, ids=IDS)
def test_every_parameter_has_a_rule_and_presets_are_valid(task: str, name: str) -> None:
    cls = get_class(task, name)
    missing = set(cls._get_param_names()) - set(cls.param_rules)
    assert not missing, f"{name}: parameters without a rule in param_rules: {sorted(missing)}"
    assert {"cpu", "paper"} <= set(cls.presets)
    for preset in cls.presets:
        _make_preset(task, name, preset).validate_params()


def _make_preset(task: str, name: str, preset: str) -> Any:
    if task == "detector":
        return augury.create_detector(name, preset)
    return augury.create_predictor("detect-now:iforest" if name == "detect-now" else name, preset)


@pytest.mark.parametrize(("task", "name"), CASES, ids=IDS)
def test_bad_parameters_raise_parameter_error_and_change_nothing(task: str, name: str) -> None:
    est = _make(task, name)
    with pytest.raises(ParameterError, match="no_such_parameter"):
        est.set_params(no_such_parameter=1)
    before = est.get_params(deep=False)
    for param in before:
        with pytest.raises(ParameterError, match=param):
            est.set_params(**{param: object()})
        assert est.get_params(deep=False) == before
    with pytest.raises(ParameterError):
        _make_preset(task, name, "no-such-preset")


@pytest.mark.parametrize(("task", "name"), CASES, ids=IDS)
def test_output_shape_and_finiteness(task: str, name: str) -> None:
    out = _output(task, _fitted(task, name))
    assert out.shape == ((len(TEST),) if task == "detector" else (PREDICTOR_WINDOWS,))
    assert out.dtype == np.float64 and np.all(np.isfinite(out))


@pytest.mark.parametrize(("task", "name"), CASES, ids=IDS)
def test_same_seed_gives_identical_output(task: str, name: str) -> None:
    again = _fit(task, _make(task, name))
    np.testing.assert_array_equal(_output(task, again), _output(task, _fitted(task, name)))


@pytest.mark.parametrize(("task", "name"), CASES, ids=IDS)
def test_save_then_load_gives_identical_output(task: str, name: str, tmp_path) -> None:
    est = _fitted(task, name)
    path = est.save(tmp_path / "model")
    loaded = augury.load_detector(path) if task == "detector" else augury.load_predictor(path)
    assert type(loaded) is type(est)
    assert loaded.get_params() == est.get_params()
    np.testing.assert_array_equal(_output(task, loaded), _output(task, est))


@pytest.mark.parametrize("name", DETECTORS)
def test_stream_equals_causal_batch(name: str) -> None:
    det = _fitted("detector", name)
    causal = det.decision_function(TEST, causal=True)
    scorer = StreamScorer(det, top_k=0)
    bursts = np.split(TEST, [1, 7, 64, 65, 200])
    streamed = np.concatenate([scorer.update(b) for b in bursts])
    np.testing.assert_allclose(streamed, causal, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", DETECTORS)
def test_planted_anomaly_ranks_in_the_top_five_percent(name: str) -> None:
    scores = _fitted("detector", name).decision_function(TEST)
    assert scores[150:170].max() >= np.quantile(scores, 0.95), name
