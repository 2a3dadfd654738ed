"""The early-warning task's view of the one registry (:mod:`augury.base.registry`, task ``"predictor"``).

``detect-now:<detector>`` names the detect-now baseline around any registered detector.
"""

from __future__ import annotations

from typing import Any

from augury.base import registry
from augury.base.registry import Entry
from augury.early_warning.base import Predictor
from augury.errors import ParameterError

DETECT_NOW = "detect-now"
#: Deprecated name of a registry entry (an :class:`augury.base.registry.Entry`).
PredictorInfo = Entry

__all__ = ["DETECT_NOW", "PredictorInfo", "create_predictor", "get_predictor_class", "is_predictor",
           "list_predictors", "register_predictor"]


def register_predictor(name: str, target: str, summary: str, **tags: Any) -> Entry:
    """Add predictor ``name`` (class at ``"module:Class"``) to the registry."""
    return registry.register("predictor", name, target, summary, **tags)


def list_predictors(**tag_filter: Any) -> list[Entry]:
    """Registered predictors sorted by name, keeping those whose tags match every ``tag_filter`` item."""
    return registry.entries("predictor", **tag_filter)


def _split_name(name: str) -> tuple[str, dict[str, Any]]:
    base, sep, det = name.partition(":")
    if base == DETECT_NOW:
        if not det:
            raise ParameterError("detect-now needs a detector: detect-now:<detector>, e.g. detect-now:iforest")
        from augury.detectors.registry import get_detector_class

        get_detector_class(det)  # unknown detector → ParameterError naming the choices
        return base, {"detector": det}
    if sep:
        raise ParameterError(f"unknown predictor {name!r}; only detect-now takes a ':<detector>' suffix")
    return base, {}


def get_predictor_class(name: str) -> type[Predictor]:
    """Import and return the class registered under ``name`` (``detect-now:x`` → the detect-now class)."""
    base = name.partition(":")[0]
    if base not in {e.name for e in list_predictors()}:
        raise ParameterError(f"unknown predictor {name!r}; available: "
                             f"{', '.join(e.name for e in list_predictors())} (detect-now as detect-now:<detector>)")
    return registry.get_class("predictor", base)


def is_predictor(name: str) -> bool:
    """Whether ``name`` names a registered predictor (including ``detect-now:<detector>``)."""
    return name.partition(":")[0] in {e.name for e in list_predictors()}


def create_predictor(name: str, preset: str = "cpu", **overrides: Any) -> Predictor:
    """Build predictor ``name`` with the hyper-parameters of ``preset``, then ``overrides``, validated
    (an unknown name, preset or parameter, or a refused value → ``ParameterError``)."""
    cls = get_predictor_class(name)
    _, implied = _split_name(name)
    return cls.from_preset(preset, **implied, **overrides)
