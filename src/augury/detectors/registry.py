"""Name → detector class, with capability tags readable without importing the (heavy) class.

Entries point at ``"module:Class"`` strings and are imported on first use, so listing the
detectors or using a classical one never imports torch.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from augury.errors import AuguryError

DEFAULT_TAGS: dict[str, Any] = {
    "multivariate": True,
    "needs_pretrained_weights": False,
    "supports_early_warning": False,
    "deep": False,
}


@dataclass(frozen=True)
class DetectorInfo:
    """Registry entry: ``name``, import ``target`` (``"module:Class"``), ``tags``, one-line ``summary``."""

    name: str
    target: str
    summary: str
    tags: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, DetectorInfo] = {}


def register_detector(name: str, target: str, summary: str, **tags: Any) -> None:
    """Add a detector to the registry (tags override :data:`DEFAULT_TAGS`)."""
    _REGISTRY[name] = DetectorInfo(name, target, summary, {**DEFAULT_TAGS, **tags})


_CLASSICAL = "augury.detectors.classical"
for _name, _cls, _summary in [
    ("iforest", "IForest", "Isolation forest on flattened sliding windows (PyOD)"),
    ("lof", "LOF", "Local outlier factor on flattened sliding windows (PyOD)"),
    ("knn", "KNN", "k-nearest-neighbour distance on flattened sliding windows (PyOD)"),
    ("pca", "PCA", "PCA reconstruction error on flattened sliding windows (PyOD)"),
    ("cblof", "CBLOF", "Cluster-based local outlier factor on flattened sliding windows (PyOD)"),
    ("kmeans", "KMeans", "Distance to the nearest k-means centroid on flattened sliding windows (PyOD)"),
    ("hbos", "HBOS", "Histogram-based outlier score on flattened sliding windows (PyOD)"),
    ("ocsvm", "OCSVM", "One-class SVM on flattened sliding windows (PyOD)"),
]:
    register_detector(_name, f"{_CLASSICAL}:{_cls}", _summary, family="classical")

register_detector(
    "amad",
    "augury.detectors.amad.detector:AMAD",
    "AMAD: AutoMask attention transformer with Max-Min and contrastive training (Huang & Li)",
    deep=True,
    family="reconstruction",
)

register_detector(
    "vanad",
    "augury.detectors.vanad.detector:VANAD",
    "VAN-AD: frozen ImageNet MAE reconstruction of a series heatmap + masked autoregressive flow (Chen et al.)",
    deep=True,
    needs_pretrained_weights=True,
    family="reconstruction",
)

register_detector(
    "mtsjepa",
    "augury.detectors.mtsjepa.detector:MTSJEPADetector",
    "MTS-JEPA prediction surprise (ours: KL of predicted vs EMA next-window codes); early warning: augury predict",
    deep=True,
    family="jepa",
    supports_early_warning=True,
)


def list_detectors(**tag_filter: Any) -> list[DetectorInfo]:
    """Registered detectors sorted by name, keeping those whose tags match every ``tag_filter`` item."""
    return [
        info
        for name, info in sorted(_REGISTRY.items())
        if all(info.tags.get(k) == v for k, v in tag_filter.items())
    ]


def get_detector_class(name: str) -> type:
    """Import and return the class registered under ``name``."""
    if name not in _REGISTRY:
        raise AuguryError(f"unknown detector {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    module, _, attr = _REGISTRY[name].target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create_detector(name: str, preset: str = "cpu", **overrides: Any):
    """Build detector ``name`` with the hyper-parameters of ``preset``, then ``overrides``
    (``contamination=c`` is PyOD's spelling of ``threshold="top:<100·c>"``)."""
    from augury.metrics.thresholds import contamination_alias

    overrides = contamination_alias(overrides)
    cls = get_detector_class(name)
    presets = getattr(cls, "presets", {})
    if preset not in presets:
        raise AuguryError(f"detector {name!r} has no preset {preset!r}; available: {', '.join(presets)}")
    params = {**presets[preset], **overrides}
    valid = set(cls._get_param_names())
    unknown = sorted(set(params) - valid)
    if unknown:
        raise AuguryError(f"detector {name!r} has no parameter(s) {unknown}; valid: {sorted(valid)}")
    return cls(**params)
