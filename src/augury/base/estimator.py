"""What every augury estimator (detector or early-warning predictor) shares: hyper-parameters,
presets, capability tags and their validation, in the scikit-learn style.

- Hyper-parameters are exactly the keyword arguments of ``__init__`` (stored unchanged under the
  same names); :meth:`Estimator.get_params` / :meth:`Estimator.set_params` read and write them.
  ``get_params(deep=True)`` also lists the parameters of nested estimators as
  ``<param>__<name>`` and ``set_params`` accepts that spelling (an ensemble's members, a
  detect-now predictor's detector).
- ``presets`` name complete parameter sets (``cpu`` must finish on 2 cores, ``paper`` is the
  paper's configuration); ``param_rules`` gives one :class:`~augury.base.params.Rule` per
  parameter; ``tags`` are capability flags merged along the class hierarchy, so a subclass only
  states what it changes (:meth:`Estimator.get_tags`).

The task classes (:class:`augury.detectors.base.Detector`, :class:`augury.early_warning.base.Predictor`)
add the fitting and scoring contract of their task on top.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Self

from augury.base.params import Rule, check_params
from augury.errors import ParameterError

__all__ = ["Estimator"]


class Estimator:
    """Base class of every augury estimator (see the module docstring)."""

    #: registry name of the class (e.g. ``"knn"``)
    name: ClassVar[str] = ""
    #: the registry task the class belongs to (``"detector"``, ``"predictor"``)
    task: ClassVar[str] = ""
    #: capability tags this class adds or changes; read the merged view with :meth:`get_tags`
    tags: ClassVar[dict[str, Any]] = {}
    #: named hyper-parameter sets
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}, "paper": {}}
    #: one rule per hyper-parameter (checked by :meth:`validate_params`)
    param_rules: ClassVar[dict[str, Rule]] = {}

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The constructor's keyword arguments, sorted (``*args``/``**kwargs`` are refused)."""
        names = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must list its hyper-parameters explicitly")
            names.append(p.name)
        return sorted(names)

    @classmethod
    def get_tags(cls) -> dict[str, Any]:
        """Capability tags of the class: the ``tags`` of every class in the MRO, the most derived winning."""
        merged: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            merged.update(klass.__dict__.get("tags", {}))
        return merged

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters as given to the constructor; ``deep`` adds ``<param>__<name>`` for nested estimators."""
        params = {k: getattr(self, k) for k in self._get_param_names()}
        if deep:
            for key, value in list(params.items()):
                if isinstance(value, Estimator):
                    params.update({f"{key}__{k}": v for k, v in value.get_params(deep=True).items()})
        return params

    def set_params(self, **params: Any) -> Self:
        """Set hyper-parameters (``<param>__<name>`` reaches a nested estimator) and validate them.

        An unknown name or a value its rule refuses raises ``ParameterError`` naming it, and the
        estimator is left exactly as it was (no partial update)."""
        valid = set(self._get_param_names())
        flat, nested = {}, {}
        for key, value in params.items():
            head, sep, rest = key.partition("__")
            if head not in valid:
                raise ParameterError(f"{type(self).__name__} has no parameter {head!r}; valid: {sorted(valid)}")
            if sep:
                nested.setdefault(head, {})[rest] = value
            else:
                flat[key] = value
        old = {k: getattr(self, k) for k in valid}
        try:
            for key, value in flat.items():
                setattr(self, key, value)
            for head, sub in nested.items():
                self._set_nested_params(head, sub)
            self.validate_params()
        except BaseException:
            for key, value in old.items():
                setattr(self, key, value)
            raise
        return self

    def _set_nested_params(self, param: str, values: dict[str, Any]) -> None:
        """Apply ``<param>__<name>=value`` items; default: ``param`` must hold an estimator."""
        target = getattr(self, param)
        if not isinstance(target, Estimator):
            raise ParameterError(f"{type(self).__name__}: {param!r} holds no estimator, so "
                                 f"{', '.join(f'{param}__{k}' for k in values)} cannot be set")
        target.set_params(**values)

    def validate_params(self) -> Self:
        """Check every hyper-parameter against ``param_rules`` and ``_check_param_relations``;
        a bad value raises ``ParameterError`` naming it and the allowed values."""
        check_params(type(self).__name__, self.get_params(deep=False), self.param_rules)
        self._check_param_relations()
        return self

    def _check_param_relations(self) -> None:
        """Rules that involve several parameters (override; raise ``ParameterError``)."""

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params(deep=False).items())
        return f"{type(self).__name__}({params})"

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_preset(cls, preset: str = "cpu", **overrides: Any) -> Self:
        """Build the class with preset ``preset``'s parameters, then ``overrides``, validated."""
        if preset not in cls.presets:
            raise ParameterError(f"{cls.task or 'estimator'} {cls.name or cls.__name__!r} has no preset "
                                 f"{preset!r}; available: {', '.join(cls.presets)}")
        params = {**cls.presets[preset], **overrides}
        valid = set(cls._get_param_names())
        unknown = sorted(set(params) - valid)
        if unknown:
            raise ParameterError(f"{cls.task or 'estimator'} {cls.name or cls.__name__!r} has no parameter(s) "
                                 f"{unknown}; valid: {sorted(valid)}")
        return cls(**params).validate_params()
