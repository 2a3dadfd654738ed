"""KShapeAD: distance to k-Shape centroids of the training subsequences (TSB-AD's ``KShapeAD``), per channel.

This ``__init__`` only registers the detector (tslearn and stumpy are imported when the class
fits or scores); the class is in :mod:`.model`. Method page: ``docs/methods/kshapead.md``.
"""

from __future__ import annotations

from augury.base.registry import register

register("detector", "kshapead", "augury.detectors.kshapead.model:KShapeAD",
         "Weighted distance of each channel's subsequences to k-Shape centroids of training (TSB-AD KShapeAD)",
         family="univariate", per_channel=True, supervision="unsupervised")
