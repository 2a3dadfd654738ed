"""Deprecated alias of :mod:`augury.base.persistence` (one hardened format for every estimator)."""

from augury.utils.deprecation import moved_module

__getattr__ = moved_module(__name__, "augury.base.persistence")
