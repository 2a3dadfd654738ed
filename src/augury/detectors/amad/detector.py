"""The ``amad`` detector: AutoMask attention transformer (Huang & Li), following ``specs/amad.md``."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import numpy as np

from augury.data.validation import check_series
from augury.data.windowing import sliding_windows, windows_to_steps
from augury.detectors.amad.model import AMADConfig, AMADModel
from augury.detectors.amad.scoring import window_channel_energy, window_energy
from augury.detectors.amad.train import TrainConfig, TrainHistory, fit_model
from augury.detectors.base import Detector, _map_causal_windows
from augury.detectors.params import Bool, Choice, Float, Int, Rule, Text
from augury.errors import DataError, ParameterError
from augury.nn.precision import AUTOCAST_MODES, check_autocast
from augury.nn.serialization import load_numpy_state, state_to_numpy

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

#: Measured on MSL (2 busy cores): see the class docstring and ``benchmarks/amad_*.py``.
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

    Architecture (spec §2): circular-conv embedding + sinusoidal positions, ``n_layers`` AutoMask
    layers (self-attention S, learnable-frequency rotary AutoMask attention A, value mixing
    ``alpha·A + (1 − alpha)·S``), LayerNorm → Linear reconstruction. Training (spec §3): Max-Min
    on the Cross-Attention Divergence (CAD = JS(A, S) per position, mean over layers and heads)
    with weight ``lambda_cad``, plus the local-global contrastive loss at temperature ``tau``;
    Adam, lr halved each epoch after the second, early stopping with ``patience`` when the two
    validation losses stop improving together, best checkpoint restored.

    Validation (honest default): the last ``val_fraction`` of the training series, cut off
    before windowing and not trained on, scored in non-overlapping windows. ``fit(X,
    validation=V)`` uses the series ``V`` instead and trains on all of ``X``; passing the
    *test* series there reproduces Anomaly Transformer's test-as-validation (AT-compatibility
    only: it leaks test data into model selection).

    Scoring (``decision_function``): non-overlapping windows of ``window`` steps; each position
    gets ``softmax_over_window(−CAD / cad_temperature) · ‖x − x̂‖²`` (Eq. 21). When the length is
    not a multiple of ``window``, one extra window aligned to the end of the series covers the
    tail; steps covered by two windows take the mean of both scores, so every step is scored.
    ``decision_scores_`` follows the AT protocol: every position of every training window at
    stride ``train_score_stride`` (1 = AT), flattened; ``energy(X, stride)`` returns the same raw
    per-window-position energies for any series (for the AT train+test percentile threshold).

    Spec ambiguities as options (defaults = spec): ``ffn`` ``"paper"`` (one GELU layer) | ``"at"``
    (two layers, ``d_ff``); ``attn_scale`` ``"paper"`` (√d_model for S, d_model for A) | ``"head"``
    (√d_head); ``cad_reduction`` ``"mean"`` | ``"sum"`` (over positions); ``con_norm`` ``"layers"`` |
    ``"batch"`` (Fig. 5's /B); ``cad_temperature`` T of the score softmax (1 = Eq. 21, AT ≈ 50);
    ``automask_proj`` per-head W_Q^η/W_K^η on/off; ``theta`` ``"rope"`` | ``"scalar"``;
    ``omega_init`` ``"geometric"`` | ``"ones"``; ``automask_mix`` frequencies per head (k).
    ``ablation="plain"`` is the plain Transformer: no A path (α = 0), no Max-Min, no contrastive
    loss, reconstruction only (the score is then the reconstruction error / window).

    Presets: ``paper`` = Table 3 and §5.1 (d_model 512, 3 layers, 8 heads, λ 3, α 0.9, τ 0.35,
    lr 0.02, batch 256, ≤ 10 epochs, patience 3, train stride 1). It does not fit a 2-core CPU:
    one training step of batch 256 took ≈ 15 s in fp32 and ≈ 7 s with bf16 autocast here
    (``benchmarks/amad_step_time.py``), and an MSL epoch has ≈ 180 such steps.
    ``cpu``: d_model 128, 2 layers, 4 heads (the attention-map work, ∝ heads × layers × N²,
    dominates on CPU); at most 10,000 randomly drawn training windows per epoch, train stride
    still 1 (all ≈ 46,600 MSL windows per epoch cost 4.8× the time for AUC-ROC 0.574 vs 0.580);
    3 epochs; batch 64; lr 1e-4 (AT's value; in our full-MSL runs at this size lr 1e-4, 1e-3 and
    0.02 gave AUC-ROC 0.58, 0.54 and 0.54; 0.02 did not diverge); bf16 autocast (0.25 s instead
    of 0.41 s per step); training energy at stride 10 instead of 1 (each step still enters the
    percentile 10 times; 10× cheaper). Measured: MSL fit + score ≈ 1.5 min, SMD (19 machines)
    ≈ 5 min, peak RSS ≈ 2.2 GB (``benchmarks/amad_real.py``). On an MSL slice with the same
    2 epochs, ``paper`` reached AUC-ROC 0.59 / VUS-PR 0.128 / PA-F1 0.815 against ``cpu``'s
    0.55 / 0.138 / 0.829 at ~8× the wall time (``benchmarks/amad_cpu_preset.py``).
    Note: with AT's early-stopping rule the Max phase keeps raising CAD, so the Min-style
    validation loss often stops improving after the first epoch, and then epoch 1 is kept.

    Causal scoring (``decision_function(X, causal=True)``, :mod:`augury.stream`): step t gets the
    energy of the *last* position of the window ending at t (one window per step, so ≈ ``window``×
    the batch cost); in batch mode it gets its position in a non-overlapping window, whose softmax
    and attention also see later steps. ``explain`` returns the per-channel share of the energy,
    ``softmax(−CAD/T) · (x_c − x̂_c)²``, which sums over channels to the score.

    Extra hyper-parameters: ``max_train_windows`` caps the windows drawn (without replacement,
    re-drawn each epoch) per epoch; ``autocast`` ``"bf16"`` | ``"none"``; ``dropout``;
    ``score_batch_size`` windows per inference batch; ``progress`` shows a progress bar.
    """

    name: ClassVar[str] = "amad"
    tags: ClassVar[dict[str, Any]] = {"multivariate": True, "deep": True, "needs_pretrained_weights": False}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": _CPU, "paper": _PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {
        "window": Int(1, 100_000), "train_stride": Int(1), "d_model": Int(1, 65_536), "n_layers": Int(1, 64),
        "n_heads": Int(1, 1024), "ffn": Choice("paper", "at"), "d_ff": Int(1, 262_144), "alpha": Float(0, 1),
        "attn_scale": Choice("paper", "head"), "automask_proj": Bool(), "theta": Choice("rope", "scalar"),
        "omega_init": Choice("geometric", "ones"), "automask_mix": Int(1, 64), "dropout": Float(0, 1),
        "lambda_cad": Float(), "tau": Float(), "con_norm": Choice("layers", "batch"),
        "cad_reduction": Choice("mean", "sum"), "cad_temperature": Float(0, low_open=True),
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
        attn_scale: str = "paper",
        automask_proj: bool = True,
        theta: str = "rope",
        omega_init: str = "geometric",
        automask_mix: int = 1,
        dropout: float = 0.0,
        lambda_cad: float = 3.0,
        tau: float = 0.35,
        con_norm: str = "layers",
        cad_reduction: str = "mean",
        cad_temperature: float = 1.0,
        ablation: str = "none",
        lr: float = 0.02,
        batch_size: int = 256,
        epochs: int = 10,
        patience: int = 3,
        val_fraction: float = 0.2,
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
        self.cad_temperature = cad_temperature
        self.ablation = ablation
        self.lr = lr
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.val_fraction = val_fraction
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

    def _split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Training part and validation part (scaled) of the series; validation may be None."""
        if self._validation_series is not None:
            self.validation_source_ = "external"
            return X, self.scaler_.transform(self._validation_series)
        n_val = int(round(self.val_fraction * X.shape[0]))
        if n_val < self.window or X.shape[0] - n_val < self.window:
            log.warning(
                "AMAD: series too short for a %g validation split; training without early stopping",
                self.val_fraction,
            )
            self.validation_source_ = "none"
            return X, None
        self.validation_source_ = "train_tail"
        return X[:-n_val], X[-n_val:]

    def _fit(self, X: np.ndarray) -> None:
        train, val = self._split(X)
        train_windows, _ = sliding_windows(train, self.window, self.train_stride)
        val_windows = None if val is None else sliding_windows(val, self.window, self.window)[0]
        self.model_ = AMADModel(self._model_config(X.shape[1]))
        self.history_: TrainHistory = fit_model(self.model_, train_windows, val_windows, self._train_config())

    # ------------------------------------------------------------------ scoring
    def _window_energy(self, windows: np.ndarray) -> np.ndarray:
        return window_energy(
            self.model_,
            windows,
            temperature=self.cad_temperature,
            batch_size=self.score_batch_size,
            autocast_mode=check_autocast(self.autocast),
        )

    def _score(self, X: np.ndarray) -> np.ndarray:
        windows, starts = sliding_windows(X, self.window, self.window)
        return windows_to_steps(self._window_energy(windows), starts, X.shape[0], self.window)

    def _score_windows(self, windows: np.ndarray) -> np.ndarray:
        return self._window_energy(windows)

    def _channel_energy(self, windows: np.ndarray) -> np.ndarray:
        return window_channel_energy(
            self.model_,
            windows,
            temperature=self.cad_temperature,
            batch_size=self.score_batch_size,
            autocast_mode=check_autocast(self.autocast),
        )

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
        }
        return state_to_numpy(self.model_), info

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.model_ = AMADModel(AMADConfig(**info["config"]))
        load_numpy_state(self.model_, arrays)
        self.model_.eval()
        self.history_ = TrainHistory(**info["history"])
        self.validation_source_ = info["validation_source"]
