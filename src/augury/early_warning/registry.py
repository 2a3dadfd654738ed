"""Name → early-warning predictor class, parallel to the detector registry.

``detect-now:<detector>`` names the detect-now baseline around any registered detector.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from augury.errors import AuguryError

DETECT_NOW = "detect-now"


@dataclass(frozen=True)
class PredictorInfo:
    """Registry entry: ``name``, import ``target`` (``"module:Class"``), one-line ``summary``, ``tags``."""

    name: str
    target: str
    summary: str
    tags: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, PredictorInfo] = {}


def register_predictor(name: str, target: str, summary: str, **tags: Any) -> None:
    """Add a predictor to the registry."""
    _REGISTRY[name] = PredictorInfo(name, target, summary, {"task": "predict", **tags})


register_predictor("mtsjepa", "augury.detectors.mtsjepa.predictor:MTSJEPAPredictor",
                   "MTS-JEPA: multi-resolution JEPA + soft codebook pre-training, frozen-feature risk head",
                   deep=True, family="jepa")
register_predictor("random", "augury.early_warning.baselines:RandomPredictor",
                   "Baseline: uniform random risk", family="baseline")
register_predictor(DETECT_NOW, "augury.early_warning.baselines:DetectNowPredictor",
                   "Baseline detect-now:<detector>: the current window's anomaly score as next-window risk",
                   family="baseline")
register_predictor("rawfeat", "augury.early_warning.baselines:RawFeaturePredictor",
                   "Baseline: the MTS-JEPA head on raw-window mean/std/min/max/last features", family="baseline")


def list_predictors() -> list[PredictorInfo]:
    """Registered predictors sorted by name."""
    return [info for _, info in sorted(_REGISTRY.items())]


def _split_name(name: str) -> tuple[str, dict[str, Any]]:
    base, sep, det = name.partition(":")
    if base == DETECT_NOW:
        if not det:
            raise AuguryError("detect-now needs a detector: detect-now:<detector>, e.g. detect-now:iforest")
        from augury.detectors.registry import get_detector_class

        get_detector_class(det)  # unknown detector → AuguryError naming the choices
        return base, {"detector": det}
    if sep:
        raise AuguryError(f"unknown predictor {name!r}; only detect-now takes a ':<detector>' suffix")
    return base, {}


def get_predictor_class(name: str) -> type:
    """Import and return the class registered under ``name`` (``detect-now:x`` → the detect-now class)."""
    base = name.partition(":")[0]
    if base not in _REGISTRY:
        raise AuguryError(f"unknown predictor {name!r}; available: {', '.join(sorted(_REGISTRY))} "
                          "(detect-now as detect-now:<detector>)")
    module, _, attr = _REGISTRY[base].target.partition(":")
    return getattr(importlib.import_module(module), attr)


def is_predictor(name: str) -> bool:
    """Whether ``name`` names a registered predictor (including ``detect-now:<detector>``)."""
    return name.partition(":")[0] in _REGISTRY


def create_predictor(name: str, preset: str = "cpu", **overrides: Any):
    """Build predictor ``name`` with the hyper-parameters of ``preset``, then ``overrides``."""
    cls = get_predictor_class(name)
    _, implied = _split_name(name)
    presets = getattr(cls, "presets", {})
    if preset not in presets:
        raise AuguryError(f"predictor {name!r} has no preset {preset!r}; available: {', '.join(presets)}")
    params = {**presets[preset], **implied, **overrides}
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise AuguryError(f"predictor {name!r} has no parameter(s) {unknown}; valid: {sorted(cls._get_param_names())}")
    return cls(**params)
