"""The ``amad`` detector: AutoMask attention transformer (Huang & Li), documented in docs/methods/amad.md."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from augury.base.params import Bool, Choice, Float, Int, Rule, Text
from augury.data.validation import check_series
from augury.data.windowing import sliding_windows, windows_to_steps
from augury.detectors.amad.model import AMADConfig, AMADModel
from augury.detectors.amad.scoring import channel_errors, window_channel_energy, window_energy
from augury.detectors.amad.split import SPLITS, split_windows
from augury.detectors.amad.train import MAXMIN, SELECT, TrainConfig, TrainHistory, fit_model
from augury.detectors.base import Detector, _map_causal_windows
from augury.errors import DataError, ParameterError
from augury.nn.precision import AUTOCAST_MODES, check_autocast
from augury.nn.serialization import load_numpy_state, state_to_numpy
from augury.nn.threads import core_threads

log = logging.getLogger(__name__)

_PAPER: dict[str, Any] = {
    "window": 100,
    "train_stride": 1,
    "d_model": 512,
    "n_layers": 3,
    "n_heads": 8,
    "lambda_cad": 3.0,
    "alpha": 0.9,
    "tau": 0.35,
    "lr": 0.02,
    "batch_size": 256,
    "epochs": 10,
    "patience": 3,
    "max_train_windows": None,
    "autocast": "none",
    "train_score_stride": 1,
}

#: The paper-literal readings whose defaults were changed (docs/methods/amad.md §7.14).
PAPER_LITERAL: dict[str, Any] = {
    "attn_scale": "paper",
    "val_split": "tail",
    "select": "at",
    "channel_norm": "none",
    "cad_scale": 1.0,
}

#: Chosen from measurements on MSL (2 busy cores): docs/methods/amad.md §8.2, ``benchmarks/amad_*.py``.
_CPU: dict[str, Any] = {
    **_PAPER,
    "d_model": 128,
    "n_layers": 2,
    "n_heads": 4,
    "lr": 1e-4,
    "batch_size": 64,
    "epochs": 3,
    "max_train_windows": 10000,
    "autocast": "bf16",
    "train_score_stride": 10,
}


class AMAD(Detector):
    """AMAD: AutoMask + self-attention reconstruction transformer trained with Max-Min and contrastive losses.

    Full description, presets, deviations and measured numbers: docs/methods/amad.md.

    Model (docs/methods/amad.md §2): circular-conv embedding + sinusoidal positions, ``n_layers``
    AutoMask layers (self-attention S and a rotary AutoMask attention A with a learnable frequency
    per head, values mixed by ``alpha·A + (1 − alpha)·S``), LayerNorm → Linear reconstruction.
    Training (docs/methods/amad.md §3): reconstruction MSE plus a Max-Min game on the
    Cross-Attention Divergence CAD = JS(A, S) per position (weight ``lambda_cad``) and the
    local-global contrastive loss (``tau``); Adam at ``lr`` halved each epoch after the second,
    ``batch_size``, at most ``epochs``, early stopping after ``patience`` epochs without improvement
    (``select``: ``"rec"`` validation reconstruction, ``"at"`` AT's rule, ``"last"``), best
    checkpoint restored. Validation windows are held out of the training series (``val_split``
    ``"blocks"`` | ``"tail"``, ``val_fraction``) unless ``fit(X, validation=V)`` is given.

    Scoring (docs/methods/amad.md §4): non-overlapping windows of ``window`` steps (an end-aligned
    extra window covers the tail; overlapping steps take the mean); position i scores
    ``softmax_over_window(−cad_scale · CAD)_i · Σ_c (x_c − x̂_c)² / m_c`` (Eq. 21; m_c = 1 unless
    ``channel_norm="train"``). ``decision_scores_`` holds every position of the training windows
    at stride ``train_score_stride`` (AT protocol); ``energy(X, stride)`` returns the same raw
    energies for any series. ``decision_function(X, causal=True)`` gives step t the last position
    of the window ending at t. ``explain`` returns each channel's share of the score.

    Options for the paper's ambiguities (docs/methods/amad.md §7): ``ffn``, ``d_ff``,
    ``attn_scale``, ``automask_proj``, ``theta``, ``omega_init``, ``automask_mix``,
    ``cad_reduction``, ``con_norm``, ``maxmin``, ``cad_scale`` (``cad_temperature`` is deprecated,
    k = 1/T), ``ablation="plain"`` (plain transformer, reconstruction only). ``PAPER_LITERAL`` lists
    the literal readings the defaults depart from (docs/methods/amad.md §7.14).

    Presets (docs/methods/amad.md §6): ``paper`` = the paper's Table 3 and §5.1 (d_model 512,
    3 layers, 8 heads, lr 0.02, batch 256, ≤ 10 epochs), too slow for a 2-core CPU; ``cpu`` =
    d_model 128, 2 layers, 4 heads, lr 1e-4, batch 64, 3 epochs of at most 10,000 windows, bf16
    autocast, training energy at stride 10. Other parameters: ``train_stride``, ``max_train_windows``, ``autocast``,
    ``dropout``, ``score_batch_size``, ``scaling``, ``threshold``, ``seed``, ``progress``.
    Training and scoring use as many torch threads as the process has cores in its affinity mask.

    Example (a tiny configuration; ``preset="cpu"`` is the one to use on real data)::

        >>> import augury
        >>> ds = augury.make_synthetic(n_train=600, n_test=400, n_channels=3, seed=0)
        >>> det = augury.create_detector("amad", "cpu", d_model=16, n_heads=2, n_layers=1, epochs=1,
        ...                              max_train_windows=64, window=20, progress=False).fit(ds.train)
        >>> det.decision_function(ds.test).shape
        (400,)
    """

    name: ClassVar[str] = "amad"
    tags: ClassVar[dict[str, Any]] = {"deep": True, "family": "reconstruction"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": _CPU, "paper": _PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {
        "window": Int(1, 100_000), "train_stride": Int(1), "d_model": Int(1, 65_536), "n_layers": Int(1, 64),
        "n_heads": Int(1, 1024), "ffn": Choice("paper", "at"), "d_ff": Int(1, 262_144), "alpha": Float(0, 1),
        "attn_scale": Choice("paper", "head"), "automask_proj": Bool(), "theta": Choice("rope", "scalar"),
        "omega_init": Choice("geometric", "ones"), "automask_mix": Int(1, 64), "dropout": Float(0, 1),
        "lambda_cad": Float(), "tau": Float(), "con_norm": Choice("layers", "batch"),
        "cad_reduction": Choice("mean", "sum"), "cad_scale": Float(0),
        "cad_temperature": Float(0, low_open=True, none_ok=True), "channel_norm": Choice("none", "train"),
        "val_split": Choice(*SPLITS), "select": Choice(*SELECT), "maxmin": Choice(*MAXMIN),
        "ablation": Choice("none", "plain"), "lr": Float(0, 10, low_open=True), "batch_size": Int(1, 1 << 20),
        "epochs": Int(1, 100_000), "patience": Int(0), "val_fraction": Float(0, 1),
        "max_train_windows": Int(1, none_ok=True), "autocast": Choice(*AUTOCAST_MODES),
        "train_score_stride": Int(1), "score_batch_size": Int(1, 1 << 20), "scaling": Text(),
        "threshold": Text(), "seed": Int(0, 2**32 - 1), "progress": Bool(),
    }

    def __init__(
        self,
        *,
        window: int = 100,
        train_stride: int = 1,
        d_model: int = 512,
        n_layers: int = 3,
        n_heads: int = 8,
        ffn: str = "paper",
        d_ff: int = 512,
        alpha: float = 0.9,
        attn_scale: str = "head",
        automask_proj: bool = True,
        theta: str = "rope",
        omega_init: str = "geometric",
        automask_mix: int = 1,
        dropout: float = 0.0,
        lambda_cad: float = 3.0,
        tau: float = 0.35,
        con_norm: str = "layers",
        cad_reduction: str = "mean",
        cad_scale: float = 1.0,
        cad_temperature: float | None = None,
        channel_norm: str = "none",
        ablation: str = "none",
        lr: float = 0.02,
        batch_size: int = 256,
        epochs: int = 10,
        patience: int = 3,
        val_fraction: float = 0.2,
        val_split: str = "blocks",
        select: str = "rec",
        maxmin: str = "eq18",
        max_train_windows: int | None = None,
        autocast: str = "none",
        train_score_stride: int = 1,
        score_batch_size: int = 256,
        scaling: str = "standard",
        threshold: str = "top:1",
        seed: int = 0,
        progress: bool = True,
    ) -> None:
        self.window = window
        self.train_stride = train_stride
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.ffn = ffn
        self.d_ff = d_ff
        self.alpha = alpha
        self.attn_scale = attn_scale
        self.automask_proj = automask_proj
        self.theta = theta
        self.omega_init = omega_init
        self.automask_mix = automask_mix
        self.dropout = dropout
        self.lambda_cad = lambda_cad
        self.tau = tau
        self.con_norm = con_norm
        self.cad_reduction = cad_reduction
        self.cad_scale = cad_scale
        self.cad_temperature = cad_temperature
        self.channel_norm = channel_norm
        self.ablation = ablation
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.val_split = val_split
        self.select = select
        self.maxmin = maxmin
        self.max_train_windows = max_train_windows
        self.autocast = autocast
        self.train_score_stride = train_score_stride
        self.score_batch_size = score_batch_size
        self.scaling = scaling
        self.threshold = threshold
        self.seed = seed
        self.progress = progress

    # ------------------------------------------------------------------ configuration
    def _check_param_relations(self) -> None:
        if self.d_model % self.n_heads:
            raise ParameterError(f"AMAD: d_model={self.d_model} must be divisible by n_heads={self.n_heads}")
        if (self.d_model // self.n_heads) % 2 and self.ablation != "plain":
            raise ParameterError(f"AMAD: d_model / n_heads = {self.d_model // self.n_heads} must be even "
                                 "(the rotary AutoMask pairs features)")

    def _plain(self) -> bool:
        if self.ablation not in ("none", "plain"):
            raise ValueError(f"ablation must be 'none' or 'plain', got {self.ablation!r}")
        return self.ablation == "plain"

    def _cad_scale(self) -> float:
        """Sharpness k of the score softmax; the deprecated ``cad_temperature`` T maps to k = 1/T."""
        if self.cad_temperature is None:
            return float(self.cad_scale)
        warnings.warn(
            "AMAD(cad_temperature=T) is deprecated: it divides CAD, so T = 50 flattens the weights "
            "instead of sharpening them as Anomaly Transformer's ×50 does; use cad_scale=1/T "
            "(or cad_scale=50*n_layers for AT's sharpness)",
            FutureWarning,
            stacklevel=3,
        )
        if self.cad_temperature <= 0:
            raise ValueError(f"cad_temperature must be > 0, got {self.cad_temperature}")
        return 1.0 / float(self.cad_temperature)

    def _model_config(self, n_channels: int) -> AMADConfig:
        plain = self._plain()
        return AMADConfig(
            n_channels=n_channels,
            d_model=self.d_model,
            n_layers=self.n_layers,
            n_heads=self.n_heads,
            ffn=self.ffn,
            d_ff=self.d_ff,
            alpha=0.0 if plain else self.alpha,
            attn_scale=self.attn_scale,
            automask_proj=self.automask_proj,
            theta=self.theta,
            omega_init=self.omega_init,
            automask_mix=self.automask_mix,
            use_automask=not plain,
            dropout=self.dropout,
        )

    def _train_config(self) -> TrainConfig:
        return TrainConfig(
            lambda_cad=self.lambda_cad,
            tau=self.tau,
            con_norm=self.con_norm,
            cad_reduction=self.cad_reduction,
            lr=self.lr,
            batch_size=self.batch_size,
            epochs=self.epochs,
            patience=self.patience,
            max_train_windows=self.max_train_windows,
            autocast=check_autocast(self.autocast),
            plain=self._plain(),
            maxmin=self.maxmin,
            select=self.select,
            seed=self.seed,
            progress=self.progress,
        )

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any = None, *, validation: Any = None) -> AMAD:
        """Fit on the training series ``X`` ``[T, C]``; ``y`` is ignored (unsupervised).

        ``validation`` ``[T_val, C]`` (optional, raw units) replaces the default validation split
        (the last ``val_fraction`` of ``X``) for early stopping; then all of ``X`` is trained on.
        Passing the test series reproduces Anomaly Transformer's protocol (AT-compatibility only).
        """
        self._validation_series = (
            None if validation is None else check_series(validation, min_length=self.window)
        )
        try:
            super().fit(X, y)
        finally:
            del self._validation_series
        return self

    def _split(self, X: np.ndarray) -> tuple[Any, Any]:
        """Training windows and validation windows (scaled) of the series; validation may be None."""
        if self._validation_series is not None:
            self.validation_source_ = "external"
            val = sliding_windows(self.scaler_.transform(self._validation_series), self.window, self.window)[
                0
            ]
            return sliding_windows(X, self.window, self.train_stride)[0], val
        train, val = split_windows(X, self.val_fraction, self.window, self.train_stride, how=self.val_split)
        if val is None:
            log.warning(
                "AMAD: series too short for a %g validation split; training without early stopping",
                self.val_fraction,
            )
            self.validation_source_ = "none"
        else:
            self.validation_source_ = f"train_{self.val_split}"
        return train, val

    def _fit(self, X: np.ndarray) -> None:
        train_windows, val_windows = self._split(X)
        self.model_ = AMADModel(self._model_config(X.shape[1]))
        with core_threads():
            self.history_: TrainHistory = fit_model(
                self.model_, train_windows, val_windows, self._train_config()
            )
            self.channel_scale_ = self._channel_scale(X)

    def _channel_scale(self, X: np.ndarray) -> np.ndarray | None:
        """Typical squared error ``[C]`` per channel on the training series (None: no normalisation).

        Floored at the median over channels: only channels with above-typical error are scaled
        down, so a near-constant channel (error ≈ 0 on train) is not blown up on test.
        """
        if self.channel_norm == "none":
            return None
        if self.channel_norm != "train":
            raise ValueError(f"channel_norm must be 'train' or 'none', got {self.channel_norm!r}")
        windows, _ = sliding_windows(X, self.window, self.window)
        err = channel_errors(
            self.model_,
            windows,
            batch_size=self.score_batch_size,
            autocast_mode=check_autocast(self.autocast),
        )
        return np.maximum(err, max(float(np.median(err)), 1e-12)).astype(np.float32)

    # ------------------------------------------------------------------ scoring
    def _energy(self, fn: Callable[..., np.ndarray], windows: np.ndarray) -> np.ndarray:
        """``fn`` (:func:`window_energy` or :func:`window_channel_energy`) with this model's scoring settings."""
        with core_threads():
            return fn(
                self.model_,
                windows,
                cad_scale=self._cad_scale(),
                batch_size=self.score_batch_size,
                channel_scale=self.channel_scale_,
                autocast_mode=check_autocast(self.autocast),
            )

    def _window_energy(self, windows: np.ndarray) -> np.ndarray:
        return self._energy(window_energy, windows)

    def _score(self, X: np.ndarray) -> np.ndarray:
        windows, starts = sliding_windows(X, self.window, self.window)
        return windows_to_steps(self._window_energy(windows), starts, X.shape[0], self.window)

    def _score_windows(self, windows: np.ndarray) -> np.ndarray:
        return self._window_energy(windows)

    def _channel_energy(self, windows: np.ndarray) -> np.ndarray:
        return self._energy(window_channel_energy, windows)

    def _explain(self, X: np.ndarray) -> np.ndarray:
        windows, starts = sliding_windows(X, self.window, self.window)
        energy = self._channel_energy(windows)
        return np.stack(
            [windows_to_steps(energy[..., c], starts, X.shape[0], self.window) for c in range(X.shape[1])], axis=1
        )

    def _explain_causal(self, X: np.ndarray) -> np.ndarray:
        return _map_causal_windows(X, self.window, lambda w: self._channel_energy(w)[:, -1])

    def _train_scores(self, X: np.ndarray) -> np.ndarray:
        windows, _ = sliding_windows(X, self.window, self.train_score_stride)
        return self._window_energy(windows).ravel()

    def energy(self, X: Any, stride: int) -> tuple[np.ndarray, np.ndarray]:
        """Raw energies of every position of the windows of ``X`` ``[T, C]`` (raw units) at ``stride``.

        Returns ``(energy [N_w, window] float32, starts [N_w])``; the last window is end-aligned.
        AT's threshold uses ``energy(train, 1)`` flattened plus the test scores.
        """
        self._check_fitted()
        X = check_series(X, min_length=self.window)
        if X.shape[1] != self.n_features_in_:
            raise DataError(f"X has {X.shape[1]} channels; the detector was fitted on {self.n_features_in_}")
        windows, starts = sliding_windows(self.scaler_.transform(X), self.window, stride)
        return self._window_energy(windows), starts

    # ------------------------------------------------------------------ persistence
    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        info = {
            "config": self.model_.cfg.to_dict(),
            "history": self.history_.to_dict(),
            "validation_source": self.validation_source_,
            "channel_scale": None if self.channel_scale_ is None else self.channel_scale_.tolist(),
        }
        return state_to_numpy(self.model_), info

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.model_ = AMADModel(AMADConfig(**info["config"]))
        load_numpy_state(self.model_, arrays)
        self.model_.eval()
        self.history_ = TrainHistory(**info["history"])
        self.validation_source_ = info["validation_source"]
        scale = info.get("channel_scale")
        self.channel_scale_ = None if scale is None else np.asarray(scale, dtype=np.float32)
