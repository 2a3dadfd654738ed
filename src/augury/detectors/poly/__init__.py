"""POLY: residual of a local polynomial fit, per block of steps (TSB-AD's ``POLY``), run per channel.

This ``__init__`` only registers the detector; the class is in :mod:`.model`.
Method page: ``docs/methods/poly.md``.
"""

from __future__ import annotations

from augury.base.registry import register

register("detector", "poly", "augury.detectors.poly.model:POLY",
         "Residual of a polynomial fitted around each block of steps, per channel (TSB-AD POLY)",
         family="univariate", per_channel=True, supervision="unsupervised")
