"""KMeansAD: distance of z-normalised sliding windows to their nearest k-means centroid (:mod:`.detector`).

Only registers the class; scikit-learn is imported when the detector is used.
"""

from __future__ import annotations

from augury.base.registry import register

register("detector", "kmeansad", "augury.detectors.kmeansad.detector:KMeansAD",
         "Distance of z-normalised windows to the nearest k-means centroid (TSB-AD's KMeansAD)",
         family="clustering", supervision="unsupervised")
