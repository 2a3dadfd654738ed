"""The ``ensemble`` detector: robustly standardised member scores, combined (:mod:`.detector`)."""

from __future__ import annotations

from augury.base.registry import register

register("detector", "ensemble", "augury.detectors.ensemble.detector:Ensemble",
         "Mean (or max / rank mean) of member detectors' scores, each standardised on its training scores",
         family="ensemble", supervision="unsupervised")
