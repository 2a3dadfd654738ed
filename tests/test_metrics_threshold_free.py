"""AUC-ROC / AUC-PR: scikit-learn semantics, invariance, degenerate input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, roc_auc_score

from augury.errors import MetricError
from augury.metrics import auc_pr, auc_roc

labels_and_int_scores = st.integers(2, 200).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        st.lists(st.integers(-30, 30), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(data=labels_and_int_scores)
def test_matches_sklearn_and_is_invariant_under_increasing_transforms(
    data: tuple[list[int], list[int]],
) -> None:
    y, s = np.array(data[0]), np.array(data[1], dtype=float)
    assert auc_roc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert auc_pr(y, s) == pytest.approx(average_precision_score(y, s))
    transformed = np.exp(s / 7.0) + 3 * s
    assert auc_roc(y, transformed) == pytest.approx(auc_roc(y, s), abs=1e-12)
    assert auc_pr(y, transformed) == pytest.approx(auc_pr(y, s), abs=1e-12)


def test_perfect_and_reversed_scores() -> None:
    y = np.array([0, 0, 1, 1, 0, 1])
    assert auc_roc(y, y * 2.0) == 1.0 and auc_pr(y, y * 2.0) == 1.0
    assert auc_roc(y, -y * 2.0) == 0.0


def test_constant_scores_give_chance_level() -> None:
    y = np.array([0, 1, 0, 0, 1, 0, 0, 0])
    assert auc_roc(y, np.ones(8)) == 0.5
    assert auc_pr(y, np.ones(8)) == pytest.approx(y.mean())


def test_no_anomaly_raises() -> None:
    with pytest.raises(MetricError, match="no anomaly"):
        auc_roc(np.zeros(10), np.arange(10.0))
    with pytest.raises(MetricError, match="no anomaly"):
        auc_pr(np.zeros(10), np.arange(10.0))


def test_all_anomalies() -> None:
    with pytest.raises(MetricError, match="no normal step"):
        auc_roc(np.ones(10), np.arange(10.0))
    assert auc_pr(np.ones(10), np.arange(10.0)) == 1.0


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 1], [0.1, 0.2, 0.3], "length mismatch"),
        ([0, 1, 0], [0.1, np.inf, 0.3], "non-finite"),
        ([0, 1, -1], [0.1, 0.2, 0.3], "only 0 and 1"),
        ([0.5, 1, 0], [0.1, 0.2, 0.3], "only 0 and 1"),
        (["a", "b"], [0.1, 0.2], "numeric"),
        ([0, 1], [True, False], "real-valued"),
        ([], [], "empty"),
    ],
)
def test_invalid_input_raises(y: list, s: list, match: str) -> None:
    with pytest.raises(MetricError, match=match):
        auc_roc(np.array(y), np.array(s))


def test_accepts_bool_and_float_labels() -> None:
    s = np.array([0.1, 0.9, 0.2, 0.8])
    assert (
        auc_roc(np.array([False, True, False, True]), s) == auc_roc(np.array([0.0, 1.0, 0.0, 1.0]), s) == 1.0
    )
