"""Fuzz: any hyper-parameter value either fits and scores finitely or raises a typed error (issue 10)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from augury import create_detector
from augury.detectors.registry import get_detector_class
from fuzz_support import _report_counts, both, outcome  # noqa: F401  (fixture used by pytest)

CLASSICAL = ["iforest", "lof", "knn", "pca", "cblof", "kmeans", "hbos", "ocsvm"]
RNG = np.random.default_rng(0)
TRAIN = RNG.normal(size=(120, 2))
TEST = np.vstack([RNG.normal(size=(40, 2)), [[1e20, -3.0]], RNG.normal(size=(30, 2))])

# Small integers exercise real fits; huge and odd values must be refused, not run.
VALUES = st.one_of(
    st.integers(-3, 24), st.integers(10**5, 10**12), st.just(-(2**63)), st.just(0),
    st.floats(allow_nan=True, allow_infinity=True), st.floats(0, 1),
    st.booleans(), st.none(), st.text(max_size=5),
    st.sampled_from(["standard", "minmax", "none", "percentile:99", "fixed:nan", "topk:2", "spot:1e-3", "bf16",
                     "fp8", "paper", "rope"]),
    st.lists(st.integers(0, 3), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
)


def _finite_scores(scores: np.ndarray) -> None:
    assert scores.shape == (TEST.shape[0],) and np.all(np.isfinite(scores)), "silent non-finite scores"


@st.composite
def classical_case(draw, methods: tuple[str, ...] = tuple(CLASSICAL)) -> tuple[str, dict]:
    method = draw(st.sampled_from(methods))
    names = get_detector_class(method)._get_param_names()
    params = {n: draw(VALUES) for n in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))}
    return method, params


def _classical_body(case: tuple[str, dict]) -> None:
    method, params = case

    def run() -> np.ndarray:
        det = create_detector(method, **params).fit(TRAIN)
        return det.decision_function(TEST)

    outcome(f"params {method}", run, _finite_scores)


test_fuzz_classical_params, test_fuzz_classical_params_large = both(
    _classical_body, {"case": classical_case()}, given,
    quick_strategies={"case": classical_case(("knn", "pca", "kmeans", "iforest"))})


@st.composite
def amad_case(draw) -> dict:
    names = get_detector_class("amad")._get_param_names()
    return {n: draw(VALUES) for n in draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))}


def _amad_body(params: dict) -> None:
    # Fitting AMAD takes seconds, so the fuzz checks the parameter gate that fit runs first.
    outcome("params amad (validate_params)", lambda: create_detector("amad", **params).validate_params())


test_fuzz_amad_params, test_fuzz_amad_params_large = both(_amad_body, {"params": amad_case()}, given)
