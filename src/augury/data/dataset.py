"""The ``Dataset`` record every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Dataset:
    """A train/test pair of multivariate series with test labels.

    ``train`` is float32 ``[T_train, C]``, ``test`` float32 ``[T_test, C]``, ``test_labels``
    uint8 ``[T_test]`` (1 = anomalous step), ``train_labels`` uint8 ``[T_train]`` or ``None``
    (never used for fitting), ``channels`` the C channel names, ``meta`` provenance such as the
    source path, format and, for collections, ``entities`` with their offsets.
    """

    name: str
    train: np.ndarray
    test: np.ndarray
    test_labels: np.ndarray
    train_labels: np.ndarray | None = None
    channels: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.channels:
            self.channels = [f"ch{i}" for i in range(self.train.shape[1])]

    @property
    def n_channels(self) -> int:
        """Number of channels C."""
        return int(self.train.shape[1])

    @property
    def anomaly_ratio(self) -> float:
        """Fraction of anomalous test steps."""
        return float(np.mean(self.test_labels)) if self.test_labels.size else 0.0

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, train={self.train.shape}, test={self.test.shape}, "
            f"anomaly_ratio={self.anomaly_ratio:.4f})"
        )
