"""Fuzz: any hyper-parameter value either fits and scores finitely or raises a typed error."""

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


def _params(draw, method: str, max_size: int) -> tuple[dict, dict]:
    """(hostile parameters, the well-formed twin: the same names at the cpu preset's values)."""
    names = draw(st.lists(st.sampled_from(get_detector_class(method)._get_param_names()), min_size=1,
                          max_size=max_size, unique=True))
    preset = create_detector(method).get_params(deep=False)
    return {n: draw(VALUES) for n in names}, {n: preset[n] for n in names}


@st.composite
def classical_case(draw, methods: tuple[str, ...] = tuple(CLASSICAL)) -> tuple[str, dict, dict]:
    method = draw(st.sampled_from(methods))
    return (method, *_params(draw, method, 3))


def _classical_body(case: tuple[str, dict, dict]) -> None:
    method, hostile, clean = case
    for params, well_formed in ((hostile, False), (clean, True)):
        _classical_run(method, params, well_formed)


def _classical_run(method: str, params: dict, well_formed: bool) -> None:
    def run() -> np.ndarray:
        det = create_detector(method, **params).fit(TRAIN)
        return det.decision_function(TEST)

    outcome(f"params {method}", run, _finite_scores, well_formed=well_formed)


test_fuzz_classical_params, test_fuzz_classical_params_large = both(
    _classical_body, {"case": classical_case()}, given,
    quick_strategies={"case": classical_case(("knn", "pca", "kmeans", "iforest"))})


@st.composite
def amad_case(draw) -> tuple[dict, dict]:
    return _params(draw, "amad", 4)


def _amad_body(case: tuple[dict, dict]) -> None:
    # Fitting AMAD takes seconds, so the fuzz checks the parameter gate that fit runs first.
    for params, well_formed in zip(case, (False, True), strict=True):
        outcome("params amad (validate_params)", lambda p=params: create_detector("amad", **p).validate_params(),
                well_formed=well_formed)


test_fuzz_amad_params, test_fuzz_amad_params_large = both(_amad_body, {"case": amad_case()}, given)
