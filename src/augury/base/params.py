"""Declarative hyper-parameter rules, checked by :meth:`Estimator.validate_params`.

Every estimator (detector or predictor) lists one rule per constructor parameter in the class
attribute ``param_rules``::

    param_rules = {"window": Int(1), "lr": Float(0, low_open=True), "autocast": Choice("none", "bf16")}

and checks relations between parameters (e.g. ``d_model % n_heads == 0``) in
``_check_param_relations``. ``create_*``, ``set_params``, ``fit`` and ``load_*`` call
``validate_params``, so a bad
value raises :class:`~augury.errors.ParameterError` naming the parameter and the allowed range
instead of failing deep inside training (or hanging, for ``n_estimators=10**9``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

from augury.errors import ParameterError


@dataclass(frozen=True)
class Rule:
    """Base rule: ``none_ok`` lets ``None`` through (e.g. ``max_train_windows=None`` = all)."""

    none_ok: bool = False

    def check(self, owner: str, name: str, value: Any) -> None:
        """Raise ``ParameterError`` unless ``value`` is allowed for parameter ``name`` of ``owner``."""
        if value is None:
            if not self.none_ok:
                raise ParameterError(f"{owner}: {name}=None is not allowed; expected {self.describe()}")
            return
        if not self._ok(value):
            raise ParameterError(f"{owner}: {name}={value!r} is invalid; expected {self.describe()}"
                                 + (" or None" if self.none_ok else ""))

    def _ok(self, value: Any) -> bool:
        raise NotImplementedError

    def describe(self) -> str:
        """The allowed values, in words."""
        raise NotImplementedError


def _num(v: float) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def _range(low: float | None, high: float | None, low_open: bool) -> str:
    lo = "" if low is None else (f" > {_num(low)}" if low_open else f" >= {_num(low)}")
    hi = "" if high is None else f"{' and' if lo else ''} <= {_num(high)}"
    return lo + hi


@dataclass(frozen=True)
class Int(Rule):
    """An integer (not a bool, not 2.5) in ``[low, high]``."""

    low: int | None = None
    high: int | None = None

    def __init__(self, low: int | None = None, high: int | None = None, *, none_ok: bool = False) -> None:
        object.__setattr__(self, "none_ok", none_ok)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

    def _ok(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        return "an integer" + _range(self.low, self.high, False)


@dataclass(frozen=True)
class Float(Rule):
    """A finite real number in ``[low, high]`` (``low_open``: ``> low``)."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 none_ok: bool = False) -> None:
        object.__setattr__(self, "none_ok", none_ok)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)
        object.__setattr__(self, "low_open", low_open)

    def _ok(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def describe(self) -> str:
        return "a finite number" + _range(self.low, self.high, self.low_open)


@dataclass(frozen=True)
class Choice(Rule):
    """One of a fixed set of values."""

    choices: tuple[Any, ...] = ()

    def __init__(self, *choices: Any, none_ok: bool = False) -> None:
        object.__setattr__(self, "none_ok", none_ok)
        object.__setattr__(self, "choices", tuple(choices))

    def _ok(self, value: Any) -> bool:
        return any(value == c and type(value) is type(c) for c in self.choices)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(c) for c in self.choices)


@dataclass(frozen=True)
class Bool(Rule):
    """``True`` or ``False``."""

    def _ok(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Text(Rule):
    """A non-empty string (its meaning is checked where it is parsed, e.g. threshold specs)."""

    def _ok(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def describe(self) -> str:
        return "a non-empty string"


@dataclass(frozen=True)
class IntOrFloat(Rule):
    """Either an integer in ``[1, int_high]`` or a fraction in ``(0, 1)`` (e.g. PCA components)."""

    int_high: int | None = None

    def __init__(self, int_high: int | None = None, *, none_ok: bool = False) -> None:
        object.__setattr__(self, "none_ok", none_ok)
        object.__setattr__(self, "int_high", int_high)

    def _ok(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, numbers.Integral):
            return value >= 1 and (self.int_high is None or value <= self.int_high)
        return isinstance(value, numbers.Real) and math.isfinite(value) and 0 < value < 1

    def describe(self) -> str:
        return "an integer" + _range(1, self.int_high, False) + " or a fraction in (0, 1)"


@dataclass(frozen=True)
class Mapping(Rule):
    """A JSON object (``dict`` with string keys); its fields are checked where it is used."""

    def _ok(self, value: Any) -> bool:
        return isinstance(value, dict) and all(isinstance(k, str) for k in value)

    def describe(self) -> str:
        return "an object with string keys"


@dataclass(frozen=True)
class IntList(Rule):
    """A non-empty list or tuple of integers (e.g. channel indices)."""

    def _ok(self, value: Any) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) > 0
                and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value))

    def describe(self) -> str:
        return "a non-empty list of integers"


@dataclass(frozen=True)
class TextList(Rule):
    """A non-empty list or tuple of non-empty strings (e.g. member names)."""

    def _ok(self, value: Any) -> bool:
        return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) and v for v in value)

    def describe(self) -> str:
        return "a non-empty list of non-empty strings"


@dataclass(frozen=True)
class AnyOf(Rule):
    """A value allowed by at least one of ``rules`` (e.g. a preset name or a dict)."""

    rules: tuple[Rule, ...] = ()

    def __init__(self, *rules: Rule, none_ok: bool = False) -> None:
        object.__setattr__(self, "none_ok", none_ok)
        object.__setattr__(self, "rules", tuple(rules))

    def _ok(self, value: Any) -> bool:
        return any(value is not None and r._ok(value) for r in self.rules)

    def describe(self) -> str:
        return " or ".join(r.describe() for r in self.rules)


def check_params(owner: str, params: dict[str, Any], rules: dict[str, Rule]) -> None:
    """Check every parameter that has a rule; parameters without a rule are left alone."""
    for name, rule in rules.items():
        if name in params:
            rule.check(owner, name, params[name])


#: The rule of every ``seed`` parameter (NumPy and torch accept any 32-bit unsigned seed).
SEED = Int(0, 2**32 - 1)
