"""TSB-AD's windowed PCA as its own detector, ``pca-tsbad`` (:mod:`.detector`).

A separate name rather than an option of ``pca``: its score (the summed, variance-weighted
distances of a standardised window to the principal axes taken as points) and its centre-aligned
step mapping differ from ``pca``'s distance to the principal subspace; see ``docs/methods/kmeansad.md``.
"""

from __future__ import annotations

from augury.base.registry import register

register("detector", "pca-tsbad", "augury.detectors.pca_tsbad.detector:WindowedPCA",
         "TSB-AD's windowed PCA: weighted distances of standardised windows to the principal axes",
         family="projection", supervision="unsupervised")
