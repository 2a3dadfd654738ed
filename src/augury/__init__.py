"""augury: anomaly detection and early warning for multivariate time series.

Public API (see docs/design.md): ``Dataset``, ``load_dataset``, ``load_collection``,
``discover_datasets``, ``read_series``, ``load_example``, ``make_synthetic``,
``create_detector``, ``list_detectors``, ``load_detector``, ``Detector``, the early-warning
``create_predictor``, ``list_predictors``, ``load_predictor``, ``Predictor`` and the typed errors.
Metrics live in :mod:`augury.metrics`.
"""

from __future__ import annotations

from augury._version import __version__
from augury.data.dataset import Dataset
from augury.data.formats import load_example, read_series
from augury.data.loaders import discover_datasets, load_collection, load_dataset
from augury.data.synthetic import make_synthetic
from augury.detectors.base import Detector, load_detector
from augury.detectors.registry import create_detector, list_detectors
from augury.early_warning.base import Predictor, load_predictor
from augury.early_warning.registry import create_predictor, list_predictors
from augury.errors import (
    AuguryError,
    DataError,
    MetricError,
    MissingResourceError,
    ModelFormatError,
    NotFittedError,
    ParameterError,
)

__all__ = [
    "AuguryError",
    "DataError",
    "Dataset",
    "Detector",
    "MetricError",
    "MissingResourceError",
    "ModelFormatError",
    "NotFittedError",
    "ParameterError",
    "Predictor",
    "__version__",
    "create_detector",
    "create_predictor",
    "discover_datasets",
    "list_detectors",
    "list_predictors",
    "load_collection",
    "load_dataset",
    "load_detector",
    "load_example",
    "load_predictor",
    "make_synthetic",
    "read_series",
]
