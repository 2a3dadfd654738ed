"""Early-warning baselines, run through the same protocol as MTS-JEPA so its numbers mean something.

- ``random``: uniform random risk (δ* still chosen on validation);
- ``detect-now:<detector>``: any registered detector scores the *current* window (mean per-step
  score) and that score is used as the next window's risk; no labels train it (δ* on validation);
- ``rawfeat``: the shared risk head (the one the MTS-JEPA predictor trains) on simple raw-window
  features instead of JEPA codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from augury.base.params import SEED, Int, Rule, Text
from augury.early_warning.base import Predictor
from augury.early_warning.head_params import HEAD_RULES
from augury.early_warning.thresholds import select_delta
from augury.errors import ParameterError

#: Steps per early-warning window (a window is one sample; 100 000 steps is far beyond any use).
WINDOW = Int(1, 100_000)


class _NoHead(Predictor):
    """A predictor whose risk needs no training: ``fit_head`` only chooses δ* on validation."""

    def _fit_head(self, w_tr: np.ndarray, y_tr: np.ndarray, w_val: np.ndarray, y_val: np.ndarray, seed: int) -> None:
        self.threshold_ = select_delta(y_val, self._proba(w_val))
        self.head_history_ = {"threshold": self.threshold_}


class RandomPredictor(_NoHead):
    """Uniform random risk in [0, 1), reproducible from the head seed and the number of windows."""

    name: ClassVar[str] = "random"
    tags: ClassVar[dict[str, Any]] = {"family": "baseline"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}, "paper": {}}
    param_rules: ClassVar[dict[str, Rule]] = {"window": WINDOW, "seed": SEED}

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
    tags: ClassVar[dict[str, Any]] = {"family": "baseline"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {"detector_preset": "cpu"},
                                                    "paper": {"detector_preset": "paper"}}
    param_rules: ClassVar[dict[str, Rule]] = {"detector": Text(), "detector_preset": Text(), "window": WINDOW,
                                              "seed": SEED}

    input_scaling: ClassVar[str] = "none"  # the wrapped detector scales its input itself

    def __init__(self, *, detector: str = "iforest", detector_preset: str = "cpu", window: int = 100,
                 seed: int = 0) -> None:
        self.detector = detector
        self.detector_preset = detector_preset
        self.window = window
        self.seed = seed

    def _check_param_relations(self) -> None:
        from augury.detectors.registry import get_detector_class

        cls = get_detector_class(self.detector)
        if self.detector_preset not in cls.presets:
            raise ParameterError(f"{type(self).__name__}: detector_preset={self.detector_preset!r} is not a preset "
                                 f"of {self.detector!r}; available: {', '.join(cls.presets)}")

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
        arrays, state = self.detector_._export()
        return {f"det.{k}": v for k, v in arrays.items()}, {"detector": state}

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        sub = {k[4:]: v for k, v in arrays.items() if k.startswith("det.")}
        self.detector_ = self._make_detector()._restore(sub, info["detector"], Path(f"detect-now:{self.detector}"))


def raw_window_features(windows: np.ndarray, n_patches: int) -> np.ndarray:
    """Per patch and channel: mean, std, min, max and last value → ``[N, P, 5·C]``.

    ``windows`` ``[N, W, C]`` (globally standardised); W must be a multiple of ``n_patches``.
    """
    n, w, c = windows.shape
    p = windows.reshape(n, n_patches, w // n_patches, c)
    feats = [p.mean(2), p.std(2), p.min(2), p.max(2), p[:, :, -1]]
    return np.concatenate(feats, axis=2).astype(np.float32)


class RawFeaturePredictor(Predictor):
    """The shared risk head (same classifier, loss, selection and δ* as MTS-JEPA) on raw-window statistics.

    Features: per patch (5 × 20 steps) and channel, mean/std/min/max/last of the series
    standardised on train → ``[P, 5·C]``; this shows what the JEPA pre-training adds.
    """

    name: ClassVar[str] = "rawfeat"
    tags: ClassVar[dict[str, Any]] = {"family": "baseline"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}, "paper": {}}
    param_rules: ClassVar[dict[str, Rule]] = {"window": WINDOW, "n_patches": Int(1, 10_000), "seed": SEED,
                                              **HEAD_RULES}

    def _check_param_relations(self) -> None:
        if self.window % self.n_patches:
            raise ParameterError(f"{type(self).__name__}: window={self.window} is not a multiple of "
                                 f"n_patches={self.n_patches}")

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
