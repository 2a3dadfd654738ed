"""MatrixProfile: z-normalised nearest-neighbour distance of each subsequence (TSB-AD's ``MatrixProfile``), per channel.

This ``__init__`` only registers the detector (stumpy and its numba kernels are imported when the
class scores); the class is in :mod:`.model`. Method page: ``docs/methods/matrixprofile.md``.
"""

from __future__ import annotations

from augury.base.registry import register

register("detector", "matrixprofile", "augury.detectors.matrixprofile.model:MatrixProfile",
         "Distance of each channel's subsequences to their nearest training subsequence (TSB-AD MatrixProfile)",
         family="univariate", per_channel=True, supervision="unsupervised")
