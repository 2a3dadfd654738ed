"""Sub-PCA: PCA of a single channel's sliding windows (TSB-AD's ``Sub_PCA``), run per channel.

This ``__init__`` only registers the detector (scikit-learn is imported when the class is used);
the class is in :mod:`.model`. Method page: ``docs/methods/subpca.md``.
"""

from __future__ import annotations

from augury.base.registry import register

register("detector", "subpca", "augury.detectors.subpca.model:SubPCA",
         "PCA of each channel's sliding windows, distance to every principal axis (TSB-AD Sub-PCA)",
         family="univariate", per_channel=True, supervision="unsupervised")
