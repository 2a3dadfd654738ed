"""Early-warning baselines, run through the same protocol as MTS-JEPA so its numbers mean something.

- ``random``: uniform random risk (δ* still chosen on validation);
- ``detect-now:<detector>``: any registered detector scores the *current* window (mean per-step
  score) and that score is used as the next window's risk; no labels train it (δ* on validation);
- ``rawfeat``: the MTS-JEPA head on simple raw-window features instead of JEPA codes.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augury.early_warning.base import Predictor
from augury.early_warning.thresholds import select_delta


class _NoHead(Predictor):
    """A predictor whose risk needs no training: ``fit_head`` only chooses δ* on validation."""

    def _fit_head(self, w_tr: np.ndarray, y_tr: np.ndarray, w_val: np.ndarray, y_val: np.ndarray, seed: int) -> None:
        self.threshold_ = select_delta(y_val, self._proba(w_val))
        self.head_history_ = {"threshold": self.threshold_}


class RandomPredictor(_NoHead):
    """Uniform random risk in [0, 1), reproducible from the head seed and the number of windows."""

    name: ClassVar[str] = "random"
    tags: ClassVar[dict[str, Any]] = {"family": "baseline", "pretrained": False}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}, "paper": {}}

    def __init__(self, *, window: int = 100, seed: int = 0) -> None:
        self.window = window
        self.seed = seed

    def _fit(self, X: np.ndarray, extra: list[np.ndarray] | None) -> None:
        return None

    def _fit_head(self, w_tr: np.ndarray, y_tr: np.ndarray, w_val: np.ndarray, y_val: np.ndarray, seed: int) -> None:
        self.draw_seed_ = seed
        super()._fit_head(w_tr, y_tr, w_val, y_val, seed)

    def _proba(self, windows: np.ndarray) -> np.ndarray:
        seed = getattr(self, "draw_seed_", self.seed)
        return np.random.default_rng([seed, windows.shape[0]]).random(windows.shape[0])

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {"draw_seed": getattr(self, "draw_seed_", self.seed)}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.draw_seed_ = int(info["draw_seed"])


class DetectNowPredictor(_NoHead):
    """Detection as early warning: the current window's mean anomaly score is the next window's risk.

    ``detector`` is any registered detector name, built with ``detector_preset`` (and ``seed``
    when it has one) and fitted on the raw training series (it scales the data itself). The
    "probability" is the raw detector score, a monotone risk; AUC and δ* only need its order.
    """

    name: ClassVar[str] = "detect-now"
    tags: ClassVar[dict[str, Any]] = {"family": "baseline", "pretrained": False}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {"detector_preset": "cpu"},
                                                    "paper": {"detector_preset": "paper"}}

    def __init__(self, *, detector: str = "iforest", detector_preset: str = "cpu", window: int = 100,
                 seed: int = 0) -> None:
        self.detector = detector
        self.detector_preset = detector_preset
        self.window = window
        self.seed = seed
        self.scaling = "none"

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return ["detector", "detector_preset", "seed", "window"]

    def _make_detector(self) -> Any:
        from augury.detectors.registry import create_detector, get_detector_class

        extra = {"seed": self.seed} if "seed" in get_detector_class(self.detector)._get_param_names() else {}
        return create_detector(self.detector, self.detector_preset, **extra)

    def _fit(self, X: np.ndarray, extra: list[np.ndarray] | None) -> None:
        self.detector_ = self._make_detector().fit(X)

    def _proba(self, windows: np.ndarray) -> np.ndarray:
        n, w, c = windows.shape
        steps = self.detector_.decision_function(windows.reshape(n * w, c))
        return steps.reshape(n, w).mean(axis=1)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        d = self.detector_
        arrays, info = d._get_state()
        out = {f"det.{k}": v for k, v in arrays.items()}
        out.update({"det_base.scaler_offset": d.scaler_.offset_, "det_base.scaler_scale": d.scaler_.scale_,
                    "det_base.decision_scores": d.decision_scores_})
        return out, {"detector_state": info, "n_features_in": d.n_features_in_}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        from augury.data.scaling import Scaler

        d = self._make_detector()
        d.n_features_in_ = int(info["n_features_in"])
        d.scaler_ = Scaler(getattr(d, "scaling", "standard"))
        d.scaler_.offset_ = arrays["det_base.scaler_offset"]
        d.scaler_.scale_ = arrays["det_base.scaler_scale"]
        d.decision_scores_ = arrays["det_base.decision_scores"]
        d._set_state({k[4:]: v for k, v in arrays.items() if k.startswith("det.")}, info["detector_state"])
        self.detector_ = d


def raw_window_features(windows: np.ndarray, n_patches: int) -> np.ndarray:
    """Per patch and channel: mean, std, min, max and last value → ``[N, P, 5·C]``.

    ``windows`` ``[N, W, C]`` (globally standardised); W must be a multiple of ``n_patches``.
    """
    n, w, c = windows.shape
    p = windows.reshape(n, n_patches, w // n_patches, c)
    feats = [p.mean(2), p.std(2), p.min(2), p.max(2), p[:, :, -1]]
    return np.concatenate(feats, axis=2).astype(np.float32)


class RawFeaturePredictor(Predictor):
    """The MTS-JEPA head (same classifier, loss, selection and δ*) on raw-window statistics.

    Features: per patch (5 × 20 steps) and channel, mean/std/min/max/last of the series
    standardised on train → ``[P, 5·C]``; this shows what the JEPA pre-training adds.
    """

    name: ClassVar[str] = "rawfeat"
    tags: ClassVar[dict[str, Any]] = {"family": "baseline", "pretrained": False}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}, "paper": {}}

    def __init__(self, *, window: int = 100, n_patches: int = 5, classifier: str = "attention",
                 head_epochs: int = 30, head_patience: int = 5, restore_best: bool = True, seed: int = 0) -> None:
        self.window = window
        self.n_patches = n_patches
        self.classifier = classifier
        self.head_epochs = head_epochs
        self.head_patience = head_patience
        self.restore_best = restore_best
        self.seed = seed

    def _fit(self, X: np.ndarray, extra: list[np.ndarray] | None) -> None:
        return None

    def _features(self, windows: np.ndarray) -> np.ndarray:
        return raw_window_features(windows, self.n_patches)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return {}, {}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        return None
