"""One registry of estimators, keyed by task (``"detector"``, ``"predictor"``) and name.

An entry points at its class as a ``"module:Class"`` string and carries the class's tags, so
listing estimators or using a classical one never imports torch. Registration sits next to the
class: each method package's (light) ``__init__.py`` calls :func:`register` for the classes it
holds; the contract tests check that an entry's tags equal its class's
:meth:`~augury.base.estimator.Estimator.get_tags`.

The built-in entries are found by importing every sub-package of each task's *discovery roots*
(:data:`DISCOVERY_ROOTS`) the first time the registry is read, so a new method package is
registered (and covered by the contract tests) without editing a central list. Another package
can add estimators by calling :func:`register` itself.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any

from augury.errors import ParameterError

#: Tags every entry of a task has unless its registration says otherwise.
DEFAULT_TAGS: dict[str, dict[str, Any]] = {
    # supervision: what a detector is fitted on under TSB-AD's protocol (docs/benchmarks/tsbad_protocol.md):
    # "unsupervised" ones on the whole series, "semi-supervised" ones on the normal training prefix.
    "detector": {"multivariate": True, "needs_pretrained_weights": False, "supports_early_warning": False,
                 "deep": False, "supervision": "semi-supervised"},
    "predictor": {"deep": False},
}
#: Packages whose ``__init__`` and sub-packages register the built-in estimators of each task.
DISCOVERY_ROOTS: dict[str, tuple[str, ...]] = {
    "detector": ("augury.detectors",),
    "predictor": ("augury.early_warning", "augury.predictors"),
}


@dataclass(frozen=True)
class Entry:
    """Registry entry: ``task``, ``name``, import ``target`` (``"module:Class"``), one-line ``summary``, ``tags``."""

    name: str
    target: str
    summary: str
    tags: dict[str, Any] = field(default_factory=dict)
    task: str = "detector"


_ENTRIES: dict[str, dict[str, Entry]] = {task: {} for task in DEFAULT_TAGS}
_discovered: set[str] = set()


def _check_task(task: str) -> None:
    if task not in _ENTRIES:
        raise ParameterError(f"unknown task {task!r}; tasks: {', '.join(_ENTRIES)}")


def register(task: str, name: str, target: str, summary: str, **tags: Any) -> Entry:
    """Add (or replace) estimator ``name`` of ``task``; ``tags`` override the task's :data:`DEFAULT_TAGS`."""
    _check_task(task)
    if not name or ":" in name or "/" in name or name != name.strip():
        raise ParameterError(f"estimator name {name!r} must be non-empty, without ':', '/' or surrounding spaces")
    entry = Entry(name, target, summary, {**DEFAULT_TAGS[task], **tags}, task)
    _ENTRIES[task][name] = entry
    return entry


def _discover(task: str) -> None:
    """Import the discovery roots of ``task`` and their sub-packages once (each registers its classes)."""
    if task in _discovered:
        return
    _discovered.add(task)
    for root in DISCOVERY_ROOTS[task]:
        pkg = importlib.import_module(root)
        for info in pkgutil.iter_modules(pkg.__path__, prefix=f"{root}."):
            if info.ispkg:
                importlib.import_module(info.name)


def entries(task: str, **tag_filter: Any) -> list[Entry]:
    """Entries of ``task`` sorted by name, keeping those whose tags match every ``tag_filter`` item."""
    _check_task(task)
    _discover(task)
    return [e for _, e in sorted(_ENTRIES[task].items()) if all(e.tags.get(k) == v for k, v in tag_filter.items())]


def get_entry(task: str, name: str) -> Entry:
    """The entry of ``name``; an unknown name raises ``ParameterError`` listing the available ones."""
    _check_task(task)
    _discover(task)
    if name not in _ENTRIES[task]:
        raise ParameterError(f"unknown {task} {name!r}; available: {', '.join(sorted(_ENTRIES[task]))}")
    return _ENTRIES[task][name]


def get_class(task: str, name: str) -> type:
    """Import and return the class registered as ``name`` of ``task``."""
    module, _, attr = get_entry(task, name).target.partition(":")
    return getattr(importlib.import_module(module), attr)
