"""The detector task's view of the one registry (:mod:`augury.base.registry`, task ``"detector"``).

Each method package registers its classes in its own ``__init__.py`` (e.g.
``augury/detectors/amad/__init__.py``); this module lists, imports and builds them.
"""

from __future__ import annotations

from typing import Any

from augury.base import registry
from augury.base.registry import Entry
from augury.detectors.base import Detector

#: Tags every detector has unless its registration says otherwise.
DEFAULT_TAGS: dict[str, Any] = registry.DEFAULT_TAGS["detector"]
#: Deprecated name of a registry entry (an :class:`augury.base.registry.Entry`).
DetectorInfo = Entry

__all__ = ["DEFAULT_TAGS", "DetectorInfo", "create_detector", "get_detector_class", "list_detectors",
           "register_detector"]


def register_detector(name: str, target: str, summary: str, **tags: Any) -> Entry:
    """Add detector ``name`` (class at ``"module:Class"``) to the registry; ``tags`` override :data:`DEFAULT_TAGS`."""
    return registry.register("detector", name, target, summary, **tags)


def list_detectors(**tag_filter: Any) -> list[Entry]:
    """Registered detectors sorted by name, keeping those whose tags match every ``tag_filter`` item."""
    return registry.entries("detector", **tag_filter)


def get_detector_class(name: str) -> type[Detector]:
    """Import and return the class registered under ``name`` (unknown → ``ParameterError`` listing the names)."""
    return registry.get_class("detector", name)


def create_detector(name: str, preset: str = "cpu", **overrides: Any) -> Detector:
    """Build detector ``name`` with the hyper-parameters of ``preset``, then ``overrides``, validated:
    an unknown name, preset or parameter, or a refused value, raises ``ParameterError`` before any
    data is read (``contamination=c`` is PyOD's spelling of ``threshold="top:<100·c>"``)."""
    from augury.metrics.thresholds import contamination_alias

    return get_detector_class(name).from_preset(preset, **contamination_alias(overrides))
