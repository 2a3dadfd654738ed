"""Scaling is fitted on train only and handles constant channels."""

from __future__ import annotations

import numpy as np
import pytest

from augury.data.scaling import Scaler
from augury.errors import DataError


def test_standard_uses_train_statistics_only():
    train = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    test = np.array([[100.0, 5.0]])
    s = Scaler("standard").fit(train)
    np.testing.assert_allclose(s.transform(train)[:, 0], [-1.2247449, 0.0, 1.2247449], rtol=1e-6)
    # constant channel: scale 1, so it maps to value - mean
    np.testing.assert_allclose(s.transform(test)[0], [(100 - 2) / np.std([0, 2, 4]), 4.0], rtol=1e-6)


def test_minmax_and_none():
    train = np.array([[0.0], [10.0]])
    np.testing.assert_allclose(Scaler("minmax").fit_transform(train)[:, 0], [0.0, 1.0])
    np.testing.assert_allclose(Scaler("none").fit_transform(train)[:, 0], [0.0, 10.0])


def test_errors():
    with pytest.raises(DataError, match="unknown scaling"):
        Scaler("robust")
    s = Scaler().fit(np.zeros((4, 2)))
    with pytest.raises(DataError, match="expected 2 channels"):
        s.transform(np.zeros((4, 3)))
    with pytest.raises(DataError, match="before fit"):
        Scaler().transform(np.zeros((2, 2)))
