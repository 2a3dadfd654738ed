"""Deprecated alias of :mod:`augury.base.params` (the rules are shared by every estimator)."""

from augury.utils.deprecation import moved_module

__getattr__ = moved_module(__name__, "augury.base.params")
