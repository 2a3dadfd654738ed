"""VUS-ROC / VUS-PR: exactness against tsb-ad (golden file + live differential), properties, errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.errors import MetricError
from augury.metrics import vus_pr, vus_roc, vus_roc_pr

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

from vus_cases import digest, make_case  # noqa: E402

GOLDEN = json.loads((FIXTURES / "vus_golden.json").read_text())["cases"]


@pytest.mark.parametrize("row", GOLDEN, ids=[f"{r['spec']['kind']}-{r['spec']['seed']}" for r in GOLDEN])
def test_matches_frozen_tsb_ad_values(row: dict) -> None:
    y, s = make_case(row["spec"])
    assert digest(y, s) == row["digest"], "NumPy's random stream changed: regenerate the golden file"
    roc, pr = vus_roc_pr(y, s, window=row["spec"]["window"], thresholds=row["spec"]["thresholds"])
    assert roc == pytest.approx(row["vus_roc"], abs=1e-9)
    assert pr == pytest.approx(row["vus_pr"], abs=1e-9)


def test_golden_file_covers_the_hard_cases() -> None:
    specs = [r["spec"] for r in GOLDEN]
    assert {0, 1, 100} <= {s["window"] for s in specs}
    assert any(s.get("ends") for s in specs) and any(s["scores"] == "ties" for s in specs)
    assert any(s["kind"] == "single_points" for s in specs) and any(s["scores"] == "constant" for s in specs)
    assert min(s["n"] for s in specs) <= 3 and max(s["n"] for s in specs) >= 5000


labels_and_scores = st.integers(2, 90).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.one_of(
            st.lists(st.integers(0, 4).map(float), min_size=n, max_size=n),
            st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n),
        ),
    )
)


@settings(max_examples=60, deadline=None)
@given(data=labels_and_scores, window=st.integers(0, 14), thresholds=st.sampled_from([1, 2, 9, 40]))
def test_agrees_with_installed_tsb_ad(
    data: tuple[list[int], list[float]], window: int, thresholds: int
) -> None:
    basic_metrics = pytest.importorskip("TSB_AD.evaluation.basic_metrics")
    y, s = np.array(data[0]), np.array(data[1])
    # generate_curve is exactly what get_metrics(..., version='opt') calls for VUS.
    *_, ref_roc, ref_pr = basic_metrics.generate_curve(y, s, window, "opt", thresholds)
    roc, pr = vus_roc_pr(y, s, window, thresholds)
    assert roc == pytest.approx(ref_roc, abs=1e-9)
    assert pr == pytest.approx(ref_pr, abs=1e-9)


int_scores = st.integers(4, 120).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.lists(st.integers(-50, 50), min_size=n, max_size=n),
    )
)


@settings(max_examples=40, deadline=None)
@given(data=int_scores, window=st.integers(0, 30))
def test_invariant_under_strictly_increasing_transform(
    data: tuple[list[int], list[int]], window: int
) -> None:
    # Integer scores keep the transforms exactly order-preserving (no new float ties).
    y, s = np.array(data[0]), np.array(data[1], dtype=float)
    base = vus_roc_pr(y, s, window)
    for transformed in (np.exp(s / 10.0), s**3 + 5 * s, 1.0 / (1.0 + np.exp(-s / 20.0))):
        assert vus_roc_pr(y, transformed, window) == pytest.approx(base, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(data=labels_and_scores, window=st.integers(0, 30))
def test_values_are_in_unit_interval_and_functions_agree(
    data: tuple[list[int], list[float]], window: int
) -> None:
    y, s = np.array(data[0]), np.array(data[1])
    roc, pr = vus_roc_pr(y, s, window)
    assert 0.0 <= roc <= 1.0 and 0.0 <= pr <= 1.0
    assert vus_roc(y, s, window) == roc and vus_pr(y, s, window) == pr


def test_informative_scores_beat_reversed_scores() -> None:
    rng = np.random.default_rng(3)
    y = np.zeros(2000, dtype=int)
    for start in (100, 700, 1500):
        y[start : start + 40] = 1
    s = y + 0.3 * rng.normal(size=y.size)
    good, bad = vus_roc_pr(y, s), vus_roc_pr(y, -s)
    assert good[0] > 0.9 and good[1] > 0.7
    assert bad[0] < 0.5 and bad[1] < 0.2


def test_no_anomaly_raises() -> None:
    with pytest.raises(MetricError, match="no anomaly"):
        vus_roc(np.zeros(50), np.arange(50.0))


def test_all_anomalies_raise() -> None:
    with pytest.raises(MetricError, match="no normal step"):
        vus_pr(np.ones(50), np.arange(50.0))


@pytest.mark.parametrize(
    ("y", "s", "kwargs", "match"),
    [
        ([0, 1, 0], [0.1, 0.2], {}, "length mismatch"),
        ([0, 1, 0], [0.1, np.nan, 0.3], {}, "non-finite"),
        ([0, 2, 0], [0.1, 0.2, 0.3], {}, "only 0 and 1"),
        ([[0, 1, 0]], [[0.1, 0.2, 0.3]], {}, "1-D"),
        ([0, 1, 0], [0.1, 0.2, 0.3], {"window": -1}, "window"),
        ([0, 1, 0], [0.1, 0.2, 0.3], {"thresholds": 0}, "thresholds"),
    ],
)
def test_invalid_input_raises(y: list, s: list, kwargs: dict, match: str) -> None:
    with pytest.raises(MetricError, match=match):
        vus_roc_pr(np.array(y), np.array(s), **kwargs)


def test_constant_scores_are_defined() -> None:
    y = np.zeros(300, dtype=int)
    y[100:130] = 1
    roc, pr = vus_roc_pr(y, np.zeros(300), window=20)
    # One threshold predicts everything: PR is the anomaly share, ROC a single diagonal point.
    assert 0.0 < pr < 0.3 and 0.4 < roc <= 0.6
