"""augury: anomaly detection and early warning for multivariate time series.

Public API (see docs/design.md): ``Dataset``, ``load_dataset``, ``load_collection``,
``discover_datasets``, ``read_series``, ``load_example``, ``make_synthetic``,
``create_detector``, ``list_detectors``, ``load_detector``, ``Detector``, the early-warning
``create_predictor``, ``list_predictors``, ``load_predictor``, ``Predictor`` and the typed errors.
Metrics live in :mod:`augury.metrics`.
"""

from __future__ import annotations

import importlib
from typing import Any

from augury._version import __version__

# Public names and the module each lives in, imported on first use (PEP 562) so that
# ``import augury`` and ``augury --help`` do not pay for torch, pandas and the detectors.
_LAZY = {
    "Dataset": "augury.data.dataset",
    "load_example": "augury.data.formats",
    "read_series": "augury.data.formats",
    "discover_datasets": "augury.data.loaders",
    "load_collection": "augury.data.loaders",
    "load_dataset": "augury.data.loaders",
    "make_synthetic": "augury.data.synthetic",
    "Detector": "augury.detectors.base",
    "load_detector": "augury.detectors.base",
    "create_detector": "augury.detectors.registry",
    "list_detectors": "augury.detectors.registry",
    "Predictor": "augury.early_warning.base",
    "load_predictor": "augury.early_warning.base",
    "create_predictor": "augury.early_warning.registry",
    "list_predictors": "augury.early_warning.registry",
    **{name: "augury.errors" for name in ("AuguryError", "DataError", "MetricError", "MissingResourceError",
                                          "ModelFormatError", "NotFittedError", "ParameterError")},
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'augury' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


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
