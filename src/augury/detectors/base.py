"""The detector contract (scikit-learn / PyOD conventions) and safe persistence.

Subclasses implement three hooks on *scaled* input (the base class validates the raw input and
fits the scaler on train only):

- ``_fit(X)`` trains on ``X`` ``[T, C]`` float32;
- ``_score(X)`` returns one finite score per step ``[T]`` (higher = more anomalous);
- ``_get_state()`` / ``_set_state()`` export and restore the fitted model as NumPy arrays plus
  JSON, so that ``save``/``load_detector`` never pickle and never execute code on load.

``_train_scores(X)`` may be overridden when a method's protocol scores the training series
differently from test data (it defaults to ``_score``).

Online (causal) scoring and attribution have generic defaults that every detector inherits
(see :mod:`augury.stream`): ``_score_windows`` (per-position scores of windows scored on their
own), ``_score_causal`` (the last position of the window ending at each step) and
``_explain`` / ``_explain_causal`` (per-channel contributions; default |z| against the training
statistics). Window models override them with batched versions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from augury.base.estimator import Estimator
from augury.base.persistence import (
    CONFIG_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    WEIGHTS_FILE,
    build_estimator,
    check_array,
    expect,
    load_arrays,
    read_model,
    save_estimator,
)
from augury.base.registry import DEFAULT_TAGS
from augury.calibration import LOGISTIC_SD, Calibration
from augury.data.scaling import Scaler
from augury.data.validation import check_series
from augury.errors import (
    AuguryError,
    DataError,
    MetricError,
    ModelFormatError,
    NotFittedError,
    ParameterError,
)
from augury.metrics.thresholds import ThresholdStrategy, contamination_alias, parse_threshold
from augury.utils.seed import seed_everything

__all__ = ["CONFIG_FILE", "FORMAT_NAME", "FORMAT_VERSION", "WEIGHTS_FILE", "Detector", "load_detector"]


class Detector(Estimator):
    """Base class of every augury detector (parameters, presets and tags: :class:`~augury.base.estimator.Estimator`).

    Fitted attributes (set by :meth:`fit`): ``decision_scores_`` ``[T_train]``, ``threshold_``
    (float), ``n_features_in_`` (C), ``scaler_`` and ``threshold_strategy_``.
    """

    task: ClassVar[str] = "detector"
    tags: ClassVar[dict[str, Any]] = dict(DEFAULT_TAGS["detector"])

    def set_params(self, **params: Any) -> Detector:
        """Set hyper-parameters (validated; unknown names or refused values raise ``ParameterError``).

        ``contamination`` (PyOD's name, a fraction in (0, 0.5]) is accepted as an alias of
        ``threshold="top:<100·contamination>"``."""
        return super().set_params(**contamination_alias(params))

    def validate_params(self) -> Detector:
        """As :meth:`Estimator.validate_params`, and the ``threshold`` spec must parse."""
        super().validate_params()
        if isinstance(getattr(self, "threshold", None), str):
            try:
                parse_threshold(self.threshold)
            except MetricError as exc:
                raise ParameterError(f"{type(self).__name__}: threshold={self.threshold!r} is invalid ({exc})") from exc
        return self

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
        self.channel_mean_, self.channel_std_ = _channel_stats(Xs)
        self.decision_scores_ = self._checked(self._train_scores(Xs), None, "training scores")
        self.set_threshold(getattr(self, "threshold", "top:1"))
        return self

    def set_threshold(self, strategy: str | ThresholdStrategy) -> Detector:
        """Fit a threshold strategy (spec string or object) on ``decision_scores_``."""
        self._check_fitted()
        self.threshold_strategy_ = parse_threshold(strategy).fit(self.decision_scores_)
        self.threshold_ = float(self.threshold_strategy_.threshold_)
        self.labels_ = self.threshold_strategy_.apply(self.decision_scores_)
        return self

    # ------------------------------------------------------------------ calibrated scores
    def calibrate(self, scores: Any) -> np.ndarray:
        """Raw scores ``[T]`` of this detector → calibrated scores ``[T]`` on one scale for every method.

        The map is fitted on ``decision_scores_`` (see :mod:`augury.calibration`): training scores
        become unit-variance logistic, so ``fixed:3`` flags the top 0.43 % of training steps for any
        detector. A saved model stores its training scores, so a loaded one calibrates identically.
        """
        self._check_fitted()
        cached = getattr(self, "_calibration", None)
        if cached is None or cached[0] is not self.decision_scores_:
            cached = self._calibration = (self.decision_scores_, Calibration.fit(self.decision_scores_))
        return cached[1].transform(scores)

    def predict_proba(self, X: Any) -> np.ndarray:
        """PyOD-style ``[T, 2]`` (normal, outlier) probabilities whose outlier column crosses 0.5 exactly
        at the fitted threshold, so ``predict_proba(X)[:, 1] > 0.5`` equals ``predict(X) == 1``.

        On the calibrated scale (docs/operators_loop.md): ``p = expit((z(s) − z(threshold)) / σ)``
        with σ the logistic scale, i.e. the odds of a step are its training-tail odds divided by the
        threshold's. With ``top:1`` a step as unusual as the top 1 % of training steps gets 0.5, the
        median training step about 0.01.
        """
        from scipy.special import expit  # lazy: loading a detector should not pay for scipy

        scores = self.decision_function(X)
        z = self.calibrate(scores)
        z_thr = float(self.calibrate(np.array([self.threshold_]))[0])
        p = expit((z - z_thr) / LOGISTIC_SD)
        # the calibration is strictly increasing, but rounding may land a score a hair above the
        # threshold on exactly 0.5; the decision is the raw comparison, as in predict
        flagged = scores > self.threshold_
        p = np.where(flagged, np.maximum(p, np.nextafter(0.5, 1.0)), np.minimum(p, 0.5))
        return np.stack([1.0 - p, p], axis=1)

    def decision_function(self, X: Any, causal: bool = False, calibrated: bool = False) -> np.ndarray:
        """One finite anomaly score per time step of ``X`` ``[T, C]`` → float64 ``[T]``.

        ``calibrated=True`` returns :meth:`calibrate` of the raw scores (one scale for every method).

        ``causal=True``: the score of step t uses only steps ≤ t (the window ending at t). The
        first :meth:`causal_warmup` steps have no full window yet; they get the documented
        sentinel :attr:`warmup_score_` (the lowest training score, so they never alarm) instead of
        a score that would peek ahead. Any length ≥ 1 is accepted in causal mode.
        """
        if calibrated:
            return self.calibrate(self.decision_function(X, causal=causal))
        Xs = self._scaled_input(X, causal)
        if not causal:
            return self._checked(self._score(Xs), Xs.shape[0], "scores")
        out = np.full(Xs.shape[0], self.warmup_score_, dtype=np.float64)
        warm = self.causal_warmup()
        if Xs.shape[0] > warm:
            out[warm:] = self._checked(self._score_causal(Xs), Xs.shape[0] - warm, "causal scores")
        return out

    def threshold_strategy(self, calibrated: bool = False) -> ThresholdStrategy:
        """The fitted threshold rule: ``threshold_strategy_`` (on raw training scores) or, with
        ``calibrated``, the same spec refitted on the calibrated training scores, so that
        ``fixed:3`` means 3 calibrated units (the top 0.43 % of training steps) for every method."""
        self._check_fitted()
        if not calibrated:
            return self.threshold_strategy_
        return parse_threshold(self.threshold_strategy_.spec()).fit(self.calibrate(self.decision_scores_))

    def predict(self, X: Any, calibrated: bool = False) -> np.ndarray:
        """0/1 labels ``[T]``: ``decision_function(X, calibrated=...)`` against :meth:`threshold_strategy`."""
        rule = self.threshold_strategy(calibrated)
        return rule.apply(self.decision_function(X, calibrated=calibrated))

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X)`` then 0/1 labels of the training series."""
        self.fit(X, y)
        return self.threshold_strategy_.apply(self.decision_scores_)

    # ------------------------------------------------------------------ online scoring
    def causal_warmup(self) -> int:
        """Steps at the start of a series without a complete causal window (``window − 1``)."""
        return self._min_length() - 1

    @property
    def warmup_score_(self) -> float:
        """Score given to warm-up steps in causal mode: the lowest training score."""
        self._check_fitted()
        return float(np.min(self.decision_scores_))

    def explain(self, X: Any, causal: bool = False) -> np.ndarray:
        """Per-channel contribution to the anomaly score of each step: ``X`` ``[T, C]`` → float64 ``[T, C]``.

        Higher = the channel explains more of the score. Reconstruction models return their
        per-channel reconstruction errors, PCA its per-channel weighted residuals, the other
        detectors |z| of each value against the training statistics. ``causal=True`` uses only
        steps ≤ t (warm-up rows are 0).
        """
        Xs = self._scaled_input(X, causal)
        if not causal:
            return self._checked_matrix(self._explain(Xs), Xs.shape[0])
        out = np.zeros(Xs.shape, dtype=np.float64)
        warm = self.causal_warmup()
        if Xs.shape[0] > warm:
            out[warm:] = self._checked_matrix(self._explain_causal(Xs), Xs.shape[0] - warm)
        return out

    def _scaled_input(self, X: Any, causal: bool) -> np.ndarray:
        self._check_fitted()
        X = check_series(X, min_length=1 if causal else self._min_length())
        if X.shape[1] != self.n_features_in_:
            raise DataError(f"X has {X.shape[1]} channels; the detector was fitted on {self.n_features_in_}")
        return self.scaler_.transform(X)

    def _score_windows(self, windows: np.ndarray) -> np.ndarray:
        """Per-position scores ``[N, W]`` of windows ``[N, W, C]`` (scaled), each scored on its own.

        Generic fallback: one ``_score`` call per window. Window models override it batched.
        """
        return np.stack([np.asarray(self._score(w), dtype=np.float64) for w in windows])

    def _score_causal(self, X: np.ndarray) -> np.ndarray:
        """Causal scores of the steps ``causal_warmup()..T−1`` of ``X`` ``[T, C]`` (scaled) → ``[T − warmup]``.

        Default: the last position of the window ending at each step, from ``_score_windows``.
        """
        return _map_causal_windows(X, self._min_length(), lambda w: self._score_windows(w)[:, -1])

    def _explain(self, X: np.ndarray) -> np.ndarray:
        """Per-channel contributions ``[T, C]`` of ``X`` (scaled); default |z| against training statistics."""
        if not hasattr(self, "channel_mean_"):
            raise ModelFormatError(
                f"{type(self).__name__}: this model was saved without training channel statistics; refit it to explain"
            )
        return np.abs((X - self.channel_mean_) / self.channel_std_)

    def _explain_causal(self, X: np.ndarray) -> np.ndarray:
        """Causal per-channel contributions of the steps ``causal_warmup()..T−1`` → ``[T − warmup, C]``."""
        return self._explain(X)[self.causal_warmup():]

    def _checked_matrix(self, values: np.ndarray, n: int) -> np.ndarray:
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (n, self.n_features_in_) or not np.all(np.isfinite(v)):
            raise RuntimeError(f"{type(self).__name__} returned invalid contributions {v.shape} for {n} steps")
        return v

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
        see :mod:`augury.base.persistence`)."""
        arrays, state = self._export()
        return save_estimator(path, "detector", self.name, self.get_params(deep=False), state, arrays)

    def _export(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The fitted detector as ``(arrays, JSON state)``: what :meth:`save` writes and what a model
        that holds detectors (an ensemble, the detect-now predictor) stores for each of them."""
        self._check_fitted()
        model_arrays, info = self._get_state()
        arrays = {f"model.{k}": v for k, v in model_arrays.items()}
        arrays["base.scaler_offset"] = self.scaler_.offset_
        arrays["base.scaler_scale"] = self.scaler_.scale_
        arrays["base.decision_scores"] = self.decision_scores_
        if hasattr(self, "channel_mean_"):
            arrays["base.channel_mean"] = self.channel_mean_
            arrays["base.channel_std"] = self.channel_std_
        state = {"n_features_in": self.n_features_in_, "threshold": self.threshold_,
                 "threshold_spec": self.threshold_strategy_.spec(), "model": info}
        # optional: channel names (so a feed is matched by name) and the causal training scores
        # with their threshold (so streaming alarms like batch detection; see augury.stream)
        if getattr(self, "channels_", None) is not None:
            state["channels"] = list(self.channels_)
        if getattr(self, "causal_scores_", None) is not None:
            arrays["base.causal_scores"] = self.causal_scores_
            state["causal_threshold"] = self.causal_threshold_
        return arrays, state

    def _restore(self, arrays: dict[str, np.ndarray], state: dict[str, Any], where: Path) -> Detector:
        """Inverse of :meth:`_export` on a detector built with the saved parameters; every check
        failure is a ``ModelFormatError`` naming ``where``. Nothing is refitted."""
        try:
            n = int(state["n_features_in"])
            threshold = float(state["threshold"])
            spec = state["threshold_spec"]
            info = state["model"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFormatError(f"{where}: saved detector state is incomplete ({type(exc).__name__}: {exc})") from exc
        if n < 1 or not math.isfinite(threshold) or not isinstance(spec, str) or not isinstance(info, dict):
            raise ModelFormatError(f"{where}: saved detector state has invalid n_features_in, threshold or spec")
        self.n_features_in_ = n
        self.scaler_ = Scaler(getattr(self, "scaling", "standard"))
        self.scaler_.offset_ = check_array(arrays, "base.scaler_offset", (n,), where).astype(np.float64)
        self.scaler_.scale_ = check_array(arrays, "base.scaler_scale", (n,), where, positive=True).astype(np.float64)
        self.decision_scores_ = check_array(arrays, "base.decision_scores", (None,), where).astype(np.float64)
        if "base.channel_mean" in arrays:
            self.channel_mean_ = check_array(arrays, "base.channel_mean", (n,), where).astype(np.float64)
            self.channel_std_ = check_array(arrays, "base.channel_std", (n,), where, positive=True).astype(np.float64)
        try:
            self._set_state({k[6:]: v for k, v in arrays.items() if k.startswith("model.")}, info)
            self.threshold_strategy_ = parse_threshold(spec)
        except ModelFormatError:
            raise
        except (AuguryError, KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise ModelFormatError(f"{where}: saved state does not fit {type(self).__name__} "
                                   f"({type(exc).__name__}: {exc})") from exc
        self.threshold_strategy_.threshold_ = threshold
        self.threshold_ = threshold
        self.labels_ = self.threshold_strategy_.apply(self.decision_scores_)
        self._restore_stream_state(arrays, state, where)
        return self

    def _restore_stream_state(self, arrays: dict[str, np.ndarray], state: dict[str, Any], where: Path) -> None:
        channels = state.get("channels")
        if channels is not None and (not isinstance(channels, list) or len(channels) != self.n_features_in_
                                     or not all(isinstance(c, str) for c in channels)
                                     or len(set(channels)) != len(channels)):
            raise ModelFormatError(f"{where}: saved channel names must be {self.n_features_in_} distinct strings")
        self.channels_ = channels
        causal = state.get("causal_threshold")
        if ("base.causal_scores" in arrays) != (causal is not None):
            raise ModelFormatError(f"{where}: saved causal scores and causal threshold must come together")
        if causal is not None:
            if isinstance(causal, bool) or not isinstance(causal, (int, float)) or not math.isfinite(causal):
                raise ModelFormatError(f"{where}: saved causal threshold must be a finite number")
            self.causal_scores_ = check_array(arrays, "base.causal_scores", (None,), where).astype(np.float64)
            self.causal_threshold_ = float(causal)


#: windows materialised at once by the causal window scorers (bounds memory on long series)
CAUSAL_CHUNK = 4096


def _map_causal_windows(X: np.ndarray, window: int, fn: Any) -> np.ndarray:
    """``fn`` applied to the windows ``[n, window, C]`` ending at steps ``window−1..T−1`` of ``X``, in chunks.

    ``fn`` returns one value (``[n]``) or one row (``[n, C]``) per window; results are concatenated.
    A lone window is passed twice (result taken once): BLAS and PyOD take another code path for a
    single row, whose result differs in the last bits (PyOD PCA: ~1e-4) from the same window in a
    larger batch, and streaming must equal batch exactly whatever the burst sizes.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    view = sliding_window_view(X, window, axis=0).transpose(0, 2, 1)  # [T-W+1, W, C]
    parts = []
    for i in range(0, len(view), CAUSAL_CHUNK):
        chunk = np.ascontiguousarray(view[i : i + CAUSAL_CHUNK])
        if len(chunk) == 1:
            parts.append(np.asarray(fn(np.concatenate([chunk, chunk])))[:1])
        else:
            parts.append(np.asarray(fn(chunk)))
    return np.concatenate(parts)


def _channel_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std (constant channels: 1) of the scaled training series, for z-scores."""
    x = np.asarray(X, dtype=np.float64)
    std = x.std(axis=0)
    return x.mean(axis=0), np.where(std > 1e-12, std, 1.0)


def _check_state(state: dict[str, Any], cfg_path: Path) -> None:
    """The detector fields of a saved config's ``state``: the fitted threshold and its strategy."""
    thr = state.get("threshold")
    expect(isinstance(thr, (int, float)) and not isinstance(thr, bool) and math.isfinite(thr), cfg_path,
           "'state.threshold' must be a finite number")
    expect(isinstance(state.get("threshold_spec"), str), cfg_path, "'state.threshold_spec' must be a string")


def load_detector(path: str | Path) -> Detector:
    """Load a detector saved by :meth:`Detector.save`; refuses foreign, corrupted or edited folders
    (``ModelFormatError``). Nothing is refitted: every fitted quantity comes from the files."""
    path = Path(path)
    config, blob = read_model(path, "detector", _check_state)
    arrays = load_arrays(blob, path / WEIGHTS_FILE)
    det = build_estimator("detector", config, path / CONFIG_FILE)
    return det._restore(arrays, config["state"], path)
