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

import inspect
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from augury.data.scaling import Scaler
from augury.data.validation import check_series
from augury.detectors.model_format import (
    CONFIG_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    check_array,
    read_model,
    write_model,
)
from augury.detectors.params import Rule, check_params
from augury.errors import AuguryError, DataError, ModelFormatError, NotFittedError, ParameterError
from augury.metrics.thresholds import ThresholdStrategy, parse_threshold
from augury.utils.seed import seed_everything

__all__ = ["CONFIG_FILE", "FORMAT_NAME", "FORMAT_VERSION", "WEIGHTS_FILE", "Detector", "load_detector"]


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
    #: allowed values per hyper-parameter (see :mod:`augury.detectors.params`); checked by fit and load
    param_rules: ClassVar[dict[str, Rule]] = {}

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
                raise ParameterError(f"{type(self).__name__} has no parameter {k!r}; valid: {sorted(valid)}")
            setattr(self, k, v)
        return self

    def validate_params(self) -> Detector:
        """Check every hyper-parameter against ``param_rules`` and ``_check_param_relations``;
        a bad value raises ``ParameterError`` naming it and the allowed range."""
        check_params(type(self).__name__, self.get_params(), self.param_rules)
        self._check_param_relations()
        return self

    def _check_param_relations(self) -> None:
        """Rules that involve several parameters (override; raise ``ParameterError``)."""

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
        self.validate_params()
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
        self._check_fitted()
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
            # Typed: the input drove the model beyond float range (e.g. values ~1e30 std from the
            # training data); never hand non-finite scores to the caller.
            raise DataError(f"{type(self).__name__} returned non-finite {what}: the input is too far "
                            "outside the training data's range for this detector; check for corrupt values")
        return s

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Save the fitted detector to folder ``path`` (safetensors weights + checksummed JSON config,
        see :mod:`augury.detectors.model_format`)."""
        from safetensors.numpy import save as st_save

        self._check_fitted()
        arrays, info = self._get_state()
        arrays = {f"model.{k}": np.ascontiguousarray(v) for k, v in arrays.items()}
        arrays["base.scaler_offset"] = self.scaler_.offset_
        arrays["base.scaler_scale"] = self.scaler_.scale_
        arrays["base.decision_scores"] = self.decision_scores_
        from augury import __version__

        body = {
            "augury_version": __version__,
            "detector": self.name,
            "params": _json_safe(self.get_params()),
            "state": _json_safe({
                "n_features_in": self.n_features_in_,
                "threshold": self.threshold_,
                "threshold_spec": self.threshold_strategy_.spec(),
                "model": info,
            }),
        }
        return write_model(Path(path), body, st_save(arrays))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (tuple, set)):
        return list(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _json_safe(obj: Any) -> Any:
    """Plain JSON types (NumPy scalars → Python, tuples → lists) so the checksum is reproducible."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [_json_safe(v) for v in obj]
    return _json_default(obj) if isinstance(obj, np.generic) else obj


def load_detector(path: str | Path) -> Detector:
    """Load a detector saved by :meth:`Detector.save`; refuses foreign, corrupted or edited folders
    (``ModelFormatError``). Nothing is refitted: every fitted quantity comes from the files."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as st_load

    from augury.detectors.registry import get_detector_class

    path = Path(path)
    config, blob = read_model(path)
    cfg_path, w_path = path / CONFIG_FILE, path / WEIGHTS_FILE
    try:
        arrays = st_load(blob)
    except (SafetensorError, ValueError) as exc:
        raise ModelFormatError(f"{w_path}: unreadable safetensors file ({exc})") from exc
    try:
        cls = get_detector_class(config["detector"])
        det = cls(**config["params"])
        det.validate_params()
    except (AuguryError, TypeError) as exc:
        raise ModelFormatError(f"{cfg_path}: invalid detector or parameters ({exc})") from exc
    state = config["state"]
    n = det.n_features_in_ = state["n_features_in"]
    det.scaler_ = Scaler(getattr(det, "scaling", "standard"))
    det.scaler_.offset_ = check_array(arrays, "base.scaler_offset", (n,), w_path).astype(np.float64)
    det.scaler_.scale_ = check_array(arrays, "base.scaler_scale", (n,), w_path, positive=True).astype(np.float64)
    det.decision_scores_ = check_array(arrays, "base.decision_scores", (None,), w_path).astype(np.float64)
    try:
        det._set_state({k[6:]: v for k, v in arrays.items() if k.startswith("model.")}, state["model"])
        det.threshold_strategy_ = parse_threshold(state["threshold_spec"])
    except ModelFormatError:
        raise
    except (AuguryError, KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
        raise ModelFormatError(f"{path}: saved state does not fit {type(det).__name__} ({type(exc).__name__}: {exc})") from exc
    det.threshold_strategy_.threshold_ = float(state["threshold"])
    det.threshold_ = float(state["threshold"])
    return det
