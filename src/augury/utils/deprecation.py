"""Deprecated aliases: a renamed public name keeps working, with a ``DeprecationWarning`` saying where it went."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def moved_module(old: str, new: str, since: str = "0.2") -> Callable[[str], Any]:
    """A module ``__getattr__`` for the alias module ``old`` that forwards to ``new`` with a warning."""

    def __getattr__(name: str) -> Any:
        target = importlib.import_module(new)
        if name.startswith("__") or not hasattr(target, name):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(f"{old} is deprecated since augury {since}; import {name} from {new}",
                      DeprecationWarning, stacklevel=2)
        return getattr(target, name)

    return __getattr__
