"""Affiliation P/R/F1: hand-computed values and agreement with the reference implementation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augury.errors import MetricError
from augury.metrics import affiliation_prf


def test_hand_computed_one_step_late_prediction() -> None:
    # Event J = [1, 2) in zone [0, 4); prediction [2, 3).
    # Precision: x in [2,3), d = x - 2, survival 1 - (1 + 2d)/4, mean over d in [0,1) = 0.5.
    # Recall: y in [1,2), d = 2 - y <= room y, survival 1 - 2d/4, mean = 0.75.
    got = affiliation_prf(np.array([0, 1, 0, 0]), np.array([0, 0, 1, 0]))
    assert got["precision"] == pytest.approx(0.5)
    assert got["recall"] == pytest.approx(0.75)
    assert got["f1"] == pytest.approx(2 * 0.5 * 0.75 / 1.25)


def test_perfect_prediction_scores_one() -> None:
    y = np.array([0, 1, 1, 0, 0, 0, 1, 0, 0, 1])
    assert affiliation_prf(y, y) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_missed_event_costs_recall_only() -> None:
    y = np.zeros(100, dtype=int)
    y[10:20] = y[70:80] = 1
    p = np.zeros(100, dtype=int)
    p[10:20] = 1
    got = affiliation_prf(y, p)
    assert got["precision"] == 1.0 and got["recall"] == pytest.approx(0.5)


def test_no_prediction_and_no_anomaly() -> None:
    y = np.array([0, 1, 1, 0])
    assert affiliation_prf(y, np.zeros(4, dtype=int)) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    with pytest.raises(MetricError, match="no anomaly"):
        affiliation_prf(np.zeros(4), np.array([0, 1, 0, 0]))


pairs = st.integers(1, 120).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(any),
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(any),
    )
)


@settings(max_examples=150, deadline=None)
@given(data=pairs)
def test_agrees_with_reference_implementation(data: tuple[list[int], list[int]]) -> None:
    generics = pytest.importorskip("TSB_AD.evaluation.affiliation.generics")
    reference = pytest.importorskip("TSB_AD.evaluation.affiliation.metrics")
    y, p = np.array(data[0]), np.array(data[1])
    ref = reference.pr_from_events(
        generics.convert_vector_to_events(p), generics.convert_vector_to_events(y), (0, len(y))
    )
    got = affiliation_prf(y, p)
    assert got["precision"] == pytest.approx(ref["Affiliation_Precision"], abs=1e-9)
    assert got["recall"] == pytest.approx(ref["Affiliation_Recall"], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(data=pairs)
def test_values_in_unit_interval(data: tuple[list[int], list[int]]) -> None:
    got = affiliation_prf(np.array(data[0]), np.array(data[1]))
    assert all(0.0 <= v <= 1.0 for v in got.values())
