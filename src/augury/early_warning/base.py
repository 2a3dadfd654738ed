"""The early-warning predictor contract and its safe persistence (safetensors + JSON, no pickle).

A predictor answers, for every non-overlapping window of ``window`` steps, "will the *next*
window contain an anomaly?". Three phases:

- ``fit(X)``: unsupervised preparation on a training series (pre-training for MTS-JEPA);
- ``fit_head(X, labels, validation=...)``: a labelled series; the head is trained on its
  windows and the threshold δ* (``threshold_``) is chosen on the validation part only;
- ``predict_proba(X)``: the risk of every window of ``X`` (:func:`window_index` maps windows to
  steps).

Subclasses implement ``_fit(X)`` (scaled ``[T, C]``), ``_features(windows)`` (``[N, W, C]`` →
``[N, P, F]``) for the shared head, or override ``_fit_head``/``_proba`` (baselines without a
head), and ``_get_state``/``_set_state``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from augury.base.estimator import Estimator
from augury.base.persistence import (
    CONFIG_FILE,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    build_estimator,
    check_array,
    expect,
    format_name,
    load_arrays,
    read_model,
    save_estimator,
)
from augury.base.registry import DEFAULT_TAGS
from augury.data.scaling import Scaler
from augury.data.validation import check_labels, check_series
from augury.early_warning.windows import n_windows, sample_labels, window_index
from augury.errors import AuguryError, DataError, ModelFormatError, NotFittedError
from augury.utils.seed import seed_everything

FORMAT_NAME = format_name("predictor")

__all__ = ["CONFIG_FILE", "FORMAT_NAME", "FORMAT_VERSION", "WEIGHTS_FILE", "Predictor", "load_predictor"]


class Predictor(Estimator):
    """Base class of every early-warning predictor (parameters, presets and tags:
    :class:`~augury.base.estimator.Estimator`).

    Fitted attributes: ``n_features_in_``, ``scaler_`` (after ``fit``); ``threshold_`` (δ*) and
    ``head_history_`` (after ``fit_head``).
    """

    task: ClassVar[str] = "predictor"
    tags: ClassVar[dict[str, Any]] = dict(DEFAULT_TAGS["predictor"])
    #: how ``fit`` scales the input before the method sees it (``"none"``: the method scales itself)
    input_scaling: ClassVar[str] = "standard"
    window: int = 100

    # ------------------------------------------------------------------ hooks
    def _fit(self, X: np.ndarray, extra: list[np.ndarray] | None) -> None:
        raise NotImplementedError

    def _features(self, windows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        raise NotImplementedError

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        raise NotImplementedError

    def _head_config(self) -> Any:
        from augury.early_warning.head import HeadConfig

        return HeadConfig(classifier=getattr(self, "classifier", "attention"),
                          epochs=getattr(self, "head_epochs", 30), patience=getattr(self, "head_patience", 5),
                          restore_best=getattr(self, "restore_best", True))

    def _fit_head(self, w_tr: np.ndarray, y_tr: np.ndarray, w_val: np.ndarray, y_val: np.ndarray, seed: int) -> None:
        from augury.early_warning.head import train_head

        f_tr, f_val = self._features(w_tr), self._features(w_val)
        self.head_, hist = train_head(f_tr, y_tr, f_val, y_val, self._head_config(), seed)
        self.head_shape_ = (int(f_tr.shape[1]), int(f_tr.shape[2]))
        self.head_history_ = hist.to_dict()
        self.threshold_ = float(hist.threshold)

    def _proba(self, windows: np.ndarray) -> np.ndarray:
        from augury.early_warning.head import head_proba

        return head_proba(self.head_, self._features(windows))

    # ------------------------------------------------------------------ public API
    def fit(self, X: Any, pretrain_series: list[Any] | None = None) -> Predictor:
        """Unsupervised preparation on the training series ``X`` ``[T, C]`` (≥ 2 windows).

        ``pretrain_series`` (cross-domain): other series (any channel count) used for pre-training
        *instead of* ``X``, each standardised on itself; ``X`` still fixes the scaling and the
        channels of everything downstream. Methods without pre-training ignore it.
        """
        X = check_series(X, min_length=2 * self.window, source="train")
        seed_everything(int(getattr(self, "seed", 0)))
        self.scaler_ = Scaler(self.input_scaling).fit(X)
        self.n_features_in_ = int(X.shape[1])
        extra = None
        if pretrain_series is not None:
            extra = []
            for i, s in enumerate(pretrain_series):
                s = check_series(s, min_length=2 * self.window, source=f"pretrain_series[{i}]")
                extra.append(Scaler("standard").fit(s).transform(s))
        self._fit(self.scaler_.transform(X), extra)
        return self

    def _windows(self, X: Any, source: str, min_windows: int = 1) -> np.ndarray:
        self._check_fitted()
        X = check_series(X, source=source, min_length=min_windows * self.window)
        if X.shape[1] != self.n_features_in_:
            raise DataError(f"{source} has {X.shape[1]} channels; the predictor was fitted on {self.n_features_in_}")
        Xs = self.scaler_.transform(X)
        n = n_windows(X.shape[0], self.window)
        return np.ascontiguousarray(Xs[: n * self.window].reshape(n, self.window, X.shape[1]), dtype=np.float32)

    def _samples(self, X: Any, labels: Any, source: str, label_mode: str) -> tuple[np.ndarray, np.ndarray]:
        """Windows ``[M, W, C]`` and labels ``[M]`` of the kept samples; ``X``/``labels`` may be lists of
        series (entities), pooled without a sample that crosses from one entity into the next."""
        if isinstance(X, list | tuple):
            if not isinstance(labels, list | tuple) or len(labels) != len(X) or not X:
                raise DataError(f"{source}: give one label series per series ({len(X)} series)")
            parts = [self._samples(x, lab, f"{source}[{i}]", label_mode)
                     for i, (x, lab) in enumerate(zip(X, labels, strict=True))]
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        w = self._windows(X, source, min_windows=2)
        y, keep = sample_labels(check_labels(labels, np.asarray(X).shape[0], source=f"{source} labels"),
                                self.window, label_mode)
        return w[:-1][keep], y[keep]

    def fit_head(self, X: Any, labels: Any, *, validation: tuple[Any, Any] | None = None,
                 seed: int | None = None, label_mode: str = "next") -> Predictor:
        """Train the risk head on the labelled series ``X`` ``[T, C]``, ``labels`` ``[T]`` (0/1 per step).

        Samples are (window i, anomaly in window i+1); ``label_mode="onset"`` keeps only samples whose
        window i is clean (:func:`~augury.early_warning.windows.sample_labels`). ``X`` and ``labels``
        (and the two parts of ``validation``) may be lists of series, one per entity, pooled.
        ``validation=(X_val, labels_val)`` selects the epoch and δ*; without it the last 25 % of the
        samples of ``X`` are held out for that (chronologically; 6:2 as in the protocol). ``seed``
        defaults to the predictor's seed.
        """
        seed = int(getattr(self, "seed", 0) if seed is None else seed)
        w, y = self._samples(X, labels, "head series", label_mode)
        if validation is None:
            n_val = max(1, int(round(0.25 * len(y))))
            if len(y) - n_val < 1:
                raise DataError(f"head series has {len(y) + 1} windows; at least 3 are needed to hold out validation")
            w, w_val, y, y_val = w[:-n_val], w[-n_val:], y[:-n_val], y[-n_val:]
        else:
            w_val, y_val = self._samples(validation[0], validation[1], "validation series", label_mode)
        if y.sum() == 0:
            raise DataError(f"labels: none of the {len(y)} head-training windows is followed by an anomalous window")
        seed_everything(seed)
        self._fit_head(w, y, w_val, y_val, seed)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Risk ``[N]`` float64 that the window *after* each full window of ``X`` contains an anomaly."""
        if not hasattr(self, "threshold_"):
            raise NotFittedError(f"{type(self).__name__} has no head; call fit_head(X, labels) first")
        return np.asarray(self._proba(self._windows(X, "series")), dtype=np.float64)

    def predict(self, X: Any) -> np.ndarray:
        """0/1 warnings ``[N]``: ``predict_proba(X) > threshold_``."""
        return (self.predict_proba(X) > self.threshold_).astype(np.uint8)

    def window_index(self, n_steps: int) -> tuple[np.ndarray, np.ndarray]:
        """``(start, end)`` steps of each window of a series of ``n_steps`` steps; the prediction for
        window i concerns steps ``[end[i], end[i] + window)``."""
        return window_index(n_steps, self.window)

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(X) first")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Save to folder ``path`` in the hardened format of :mod:`augury.base.persistence`
        (``weights.safetensors`` + checksummed ``config.json``; the head too if fitted)."""
        from augury.nn.serialization import state_to_numpy

        self._check_fitted()
        model_arrays, info = self._get_state()
        arrays = {f"model.{k}": v for k, v in model_arrays.items()}
        arrays["base.scaler_offset"] = self.scaler_.offset_
        arrays["base.scaler_scale"] = self.scaler_.scale_
        head: dict[str, Any] | None = None
        if hasattr(self, "threshold_"):
            head = {"threshold": self.threshold_, "history": getattr(self, "head_history_", None)}
            if hasattr(self, "head_"):
                arrays.update({f"head.{k}": v for k, v in state_to_numpy(self.head_).items()})
                head["shape"] = list(self.head_shape_)
        state = {"n_features_in": self.n_features_in_, "model": info, "head": head}
        return save_estimator(path, "predictor", self.name, self.get_params(deep=False), state, arrays)

    def _restore(self, arrays: dict[str, np.ndarray], state: dict[str, Any], where: Path) -> Predictor:
        """Set the fitted state saved by :meth:`save` (``ModelFormatError`` naming ``where`` on any mismatch)."""
        # A NaN weight would load and give NaN risks for every window, silently.
        bad = sorted(k for k, v in arrays.items() if v.dtype.kind in "fc" and not np.all(np.isfinite(v)))
        if bad:
            raise ModelFormatError(f"{where}: arrays {bad[:5]} hold NaN or inf values")
        n = self.n_features_in_ = int(state["n_features_in"])
        self.scaler_ = Scaler(self.input_scaling)
        self.scaler_.offset_ = check_array(arrays, "base.scaler_offset", (n,), where).astype(np.float64)
        self.scaler_.scale_ = check_array(arrays, "base.scaler_scale", (n,), where, positive=True).astype(np.float64)
        try:
            self._set_state({k[6:]: v for k, v in arrays.items() if k.startswith("model.")}, state["model"])
            head = state["head"]
            if head is not None:
                self.threshold_ = float(head["threshold"])
                self.head_history_ = head["history"]
                if "shape" in head:
                    self._restore_head(arrays, head["shape"])
                elif type(self)._fit_head is Predictor._fit_head:  # this class's risk comes from a trained head
                    raise ModelFormatError(f"{where}: the saved head of {type(self).__name__} is missing "
                                           "('state.head.shape')")
        except ModelFormatError:
            raise
        except (AuguryError, KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise ModelFormatError(f"{where}: saved state does not fit {type(self).__name__} "
                                   f"({type(exc).__name__}: {exc})") from exc
        return self

    def _restore_head(self, arrays: dict[str, np.ndarray], shape: list[Any]) -> None:
        from augury.early_warning.head import build_classifier
        from augury.nn.serialization import load_numpy_state

        if len(shape) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1 << 16
                                      for v in shape):
            raise ValueError(f"head shape {shape!r} must be two integers in [1, 65536]")
        self.head_shape_ = (shape[0], shape[1])
        self.head_ = build_classifier(self._head_config().classifier, *self.head_shape_)
        load_numpy_state(self.head_, {k[5:]: v for k, v in arrays.items() if k.startswith("head.")})
        self.head_.eval()


def _check_state(state: dict[str, Any], cfg_path: Path) -> None:
    """The predictor fields of a saved config's ``state``: the head's threshold, history and shape."""
    head = state.get("head")
    expect(head is None or isinstance(head, dict), cfg_path, "'state.head' must be an object or null")
    if head is not None:
        thr = head.get("threshold")
        expect(isinstance(thr, (int, float)) and not isinstance(thr, bool) and math.isfinite(thr), cfg_path,
               "'state.head.threshold' must be a finite number")
        expect("history" in head, cfg_path, "'state.head.history' is missing")
        expect("shape" not in head or isinstance(head["shape"], list), cfg_path, "'state.head.shape' must be a list")


def load_predictor(path: str | Path) -> Predictor:
    """Load a predictor saved by :meth:`Predictor.save`; refuses foreign, corrupted, edited or
    old-format folders with a ``ModelFormatError`` naming the file (old ones: re-save instructions)."""
    path = Path(path)
    config, blob = read_model(path, "predictor", _check_state)
    arrays = load_arrays(blob, path / WEIGHTS_FILE)
    pred = build_estimator("predictor", config, path / CONFIG_FILE)
    return pred._restore(arrays, config["state"], path)
