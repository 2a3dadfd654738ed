"""Classical baselines: PyOD detectors on flattened sliding windows (classes in :mod:`.windowed`).

Documented in docs/methods/classical.md (models: docs/methods/classical.md §4).

This ``__init__`` only registers them (importing PyOD waits until a class is used) and forwards
attribute access, so ``from augury.detectors.classical import KNN`` keeps working.
"""

from __future__ import annotations

from typing import Any

from augury.base.registry import register

_TARGET = "augury.detectors.classical.windowed"
# TSB-AD's Unsupervise_AD_Pool holds all of these but OCSVM (its Semisupervise_AD_Pool); the tag
# must equal each class's get_tags() (windowed.py).

for _name, _cls, _summary in [
    ("iforest", "IForest", "Isolation forest on flattened sliding windows (PyOD)"),
    ("lof", "LOF", "Local outlier factor on flattened sliding windows (PyOD)"),
    ("knn", "KNN", "k-nearest-neighbour distance on flattened sliding windows (PyOD)"),
    ("pca", "PCA", "PCA reconstruction error on flattened sliding windows (PyOD)"),
    ("cblof", "CBLOF", "Cluster-based local outlier factor on flattened sliding windows (PyOD)"),
    ("kmeans", "KMeans", "Distance to the nearest k-means centroid on flattened sliding windows (PyOD)"),
    ("hbos", "HBOS", "Histogram-based outlier score on flattened sliding windows (PyOD)"),
    ("ocsvm", "OCSVM", "One-class SVM on flattened sliding windows (PyOD)"),
]:
    register("detector", _name, f"{_TARGET}:{_cls}", _summary, family="classical",
             supervision="semi-supervised" if _name == "ocsvm" else "unsupervised")


def __getattr__(name: str) -> Any:
    import importlib

    module = importlib.import_module(_TARGET)
    if not hasattr(module, name):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
