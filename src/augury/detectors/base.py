"""The detector contract (scikit-learn / PyOD conventions) and safe persistence.

Subclasses implement three hooks on *scaled* input (the base class validates the raw input and
fits the scaler on train only):

- ``_fit(X)`` trains on ``X`` ``[T, C]`` float32;
- ``_score(X)`` returns one finite score per step ``[T]`` (higher = more anomalous);
- ``_get_state()`` / ``_set_state()`` export and restore the fitted model as NumPy arrays plus
  JSON, so that ``save``/``load_detector`` never pickle and never execute code on load.

``_train_scores(X)`` may be overridden when a method's protocol scores the training series
differently from test data (it defaults to ``_score``).
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from augury.data.scaling import Scaler
from augury.data.validation import check_series
from augury.errors import DataError, ModelFormatError, NotFittedError
from augury.metrics.thresholds import ThresholdStrategy, parse_threshold
from augury.utils.atomic import atomic_write_bytes, atomic_write_text
from augury.utils.seed import seed_everything

FORMAT_NAME = "augury-detector"
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"


class Detector:
    """Base class of every augury detector.

    Fitted attributes (set by :meth:`fit`): ``decision_scores_`` ``[T_train]``, ``threshold_``
    (float), ``n_features_in_`` (C), ``scaler_`` and ``threshold_strategy_``.
    """

    name: ClassVar[str] = ""
    #: capability tags, e.g. ``{"multivariate": True, "needs_pretrained_weights": False}``
    tags: ClassVar[dict[str, Any]] = {}
    #: named hyper-parameter sets; ``cpu`` must train and score a benchmark on 2 cores in minutes
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}, "paper": {}}

    # ------------------------------------------------------------------ parameters
    @classmethod
    def _get_param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        names = []
        for p in sig.parameters.values():
            if p.name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ must list its hyper-parameters explicitly")
            names.append(p.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Hyper-parameters as given to the constructor."""
        return {k: getattr(self, k) for k in self._get_param_names()}

    def set_params(self, **params: Any) -> Detector:
        """Set hyper-parameters; unknown names raise ``ValueError``."""
        valid = set(self._get_param_names())
        for k, v in params.items():
            if k not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {k!r}; valid: {sorted(valid)}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # ------------------------------------------------------------------ hooks
    def _fit(self, X: np.ndarray) -> None:
        raise NotImplementedError

    def _score(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _train_scores(self, X: np.ndarray) -> np.ndarray:
        return self._score(X)

    def _min_length(self) -> int:
        """Shortest series the detector can score (e.g. its window)."""
        return int(getattr(self, "window", 1))

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        raise NotImplementedError

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ public API
    def fit(self, X: Any, y: Any = None) -> Detector:
        """Fit on the training series ``X`` ``[T, C]`` (``y`` is ignored: unsupervised)."""
        X = check_series(X, min_length=self._min_length())
        seed_everything(int(getattr(self, "seed", 0)))
        self.scaler_ = Scaler(getattr(self, "scaling", "standard")).fit(X)
        Xs = self.scaler_.transform(X)
        self.n_features_in_ = int(X.shape[1])
        self._fit(Xs)
        self.decision_scores_ = self._checked(self._train_scores(Xs), None, "training scores")
        self.set_threshold(getattr(self, "threshold", "top:1"))
        return self

    def set_threshold(self, strategy: str | ThresholdStrategy) -> Detector:
        """Fit a threshold strategy (spec string or object) on ``decision_scores_``."""
        self._check_fitted()
        self.threshold_strategy_ = parse_threshold(strategy).fit(self.decision_scores_)
        self.threshold_ = float(self.threshold_strategy_.threshold_)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """One finite anomaly score per time step of ``X`` ``[T, C]`` → float64 ``[T]``."""
        self._check_fitted()
        X = check_series(X, min_length=self._min_length())
        if X.shape[1] != self.n_features_in_:
            raise DataError(f"X has {X.shape[1]} channels; the detector was fitted on {self.n_features_in_}")
        return self._checked(self._score(self.scaler_.transform(X)), X.shape[0], "scores")

    def predict(self, X: Any) -> np.ndarray:
        """0/1 labels ``[T]``: ``decision_function(X)`` compared with the fitted threshold strategy."""
        return self.threshold_strategy_.apply(self.decision_function(X))

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X)`` then 0/1 labels of the training series."""
        self.fit(X, y)
        return self.threshold_strategy_.apply(self.decision_scores_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "decision_scores_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(X) first")

    def _checked(self, scores: np.ndarray, n: int | None, what: str) -> np.ndarray:
        s = np.asarray(scores, dtype=np.float64).ravel()
        if n is not None and s.shape[0] != n:
            raise RuntimeError(f"{type(self).__name__} returned {s.shape[0]} {what} for {n} steps")
        if not np.all(np.isfinite(s)):
            raise RuntimeError(f"{type(self).__name__} returned non-finite {what}")
        return s

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Save the fitted detector to folder ``path`` (safetensors weights + JSON config)."""
        from safetensors.numpy import save as st_save

        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        arrays, info = self._get_state()
        arrays = {f"model.{k}": np.ascontiguousarray(v) for k, v in arrays.items()}
        arrays["base.scaler_offset"] = self.scaler_.offset_
        arrays["base.scaler_scale"] = self.scaler_.scale_
        arrays["base.decision_scores"] = self.decision_scores_
        blob = st_save(arrays)
        from augury import __version__

        config = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "augury_version": __version__,
            "detector": self.name,
            "params": self.get_params(),
            "state": {
                "n_features_in": self.n_features_in_,
                "threshold": self.threshold_,
                "threshold_spec": self.threshold_strategy_.spec(),
                "model": info,
            },
            "weights_sha256": hashlib.sha256(blob).hexdigest(),
        }
        atomic_write_bytes(path / WEIGHTS_FILE, blob)
        atomic_write_text(path / CONFIG_FILE, json.dumps(config, indent=2, default=_json_default))
        return path


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def load_detector(path: str | Path) -> Detector:
    """Load a detector saved by :meth:`Detector.save`; refuses foreign or corrupted folders."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    from augury.detectors.registry import get_detector_class

    path = Path(path)
    cfg_path, w_path = path / CONFIG_FILE, path / WEIGHTS_FILE
    if not cfg_path.is_file() or not w_path.is_file():
        raise ModelFormatError(f"{path}: not a saved augury detector (expected {CONFIG_FILE} and {WEIGHTS_FILE})")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"{cfg_path}: not valid JSON ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT_NAME:
        raise ModelFormatError(f"{cfg_path}: not an augury detector config (format field missing or foreign)")
    if config.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"{cfg_path}: format version {config.get('format_version')!r} is not supported "
            f"(this augury reads version {FORMAT_VERSION})"
        )
    blob = w_path.read_bytes()
    if hashlib.sha256(blob).hexdigest() != config.get("weights_sha256"):
        raise ModelFormatError(f"{w_path}: checksum mismatch; the weights file is corrupted or was replaced")
    try:
        arrays = st_load(blob)
    except (SafetensorError, ValueError) as exc:
        raise ModelFormatError(f"{w_path}: unreadable safetensors file ({exc})") from exc
    cls = get_detector_class(config["detector"])
    det = cls(**config["params"])
    state = config["state"]
    det.n_features_in_ = int(state["n_features_in"])
    det.scaler_ = Scaler(getattr(det, "scaling", "standard"))
    det.scaler_.offset_ = arrays["base.scaler_offset"]
    det.scaler_.scale_ = arrays["base.scaler_scale"]
    det.decision_scores_ = arrays["base.decision_scores"]
    det._set_state({k[6:]: v for k, v in arrays.items() if k.startswith("model.")}, state["model"])
    det.threshold_strategy_ = parse_threshold(state["threshold_spec"])
    det.threshold_strategy_.threshold_ = float(state["threshold"])
    det.threshold_ = float(state["threshold"])
    return det
