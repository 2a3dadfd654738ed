"""The ``mtsjepa`` early-warning predictor (docs/methods/mtsjepa.md; the task: docs/methods/early_warning.md)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augury.base.params import Choice, Rule
from augury.detectors.mtsjepa.pipeline import (
    CPU,
    FEATURES,
    JEPA_RULES,
    PAPER,
    check_jepa_relations,
    fit_jepa,
    frozen_features,
    jepa_state,
    keep_channels,
    restore_jepa,
)
from augury.early_warning.base import Predictor
from augury.early_warning.head_params import HEAD_RULES
from augury.nn.precision import check_autocast


class MTSJEPAPredictor(Predictor):
    """MTS-JEPA: self-supervised multi-resolution JEPA with a soft codebook, then a risk head.

    ``fit(X)`` pre-trains (docs/methods/mtsjepa.md §2–6): constant channels (train variance ≤ 1e-8)
    are dropped; non-overlapping windows of ``n_patches × patch_len`` (5 × 20) steps;
    channel-independent (window n, window n+1) pairs, windows split 90/10 chronologically
    (``val_fraction``) before pairing; per-window per-variable instance norm; the target's DownAvg
    coarse view re-standardised. Encoder (MLP patch tokenizer, CLS, learned positions, post-norm
    Transformer), soft codebook (cosine / τ, normalised prototypes), fine and coarse predictors,
    decoder, EMA target encoder + codebook after every step. Losses with the code's reductions; λ_r
    from ``rec_start`` to ``rec_end``; Adam with ``weight_decay``, clip ``grad_clip``; the best
    validation loss (KL_f + 0.01·L_rec) after ``select_after`` epochs is kept, ``patience`` epochs
    without improvement stop. ``pretrain_history_`` holds every epoch's loss terms and collapse
    diagnostics (``diagnostics_``: batch code-usage entropy, mean per-sample entropy, codes in use,
    Tr(Cov(z))); a warning is logged on collapse.

    ``fit_head(X, labels)`` (docs/methods/mtsjepa.md §7): frozen online encoder + codebook, features
    = code probabilities (``features="probs"``; ``"z"`` = the code's default) max-pooled over
    variables → ``[5, K]``; classifier ``"attention"`` (the code's attention-pooling MLP with focal
    loss) or ``"mlp_bce"`` (the paper's wording); kept epoch = best val AUC (``restore_best=False``
    tests the last epoch's weights as the code does); δ* = best val F1 on a 200-point grid.

    Paper/code disagreements as options (defaults: docs/methods/mtsjepa.md §9): ``tau`` 0.1 (code
    1.0 / 0.65), saved with the weights; ``lambda_com`` 1.0 / ``lambda_emb`` 0.25 (paper swaps
    them); ``pred_temperature`` 0.8 (code only); ``rec_schedule`` ``"global"`` | ``"per_epoch"``
    (code's sawtooth); ``weight_decay``/``grad_clip``/epochs from the paper (code: 0 / none / 1);
    ``features``; ``classifier``; ``restore_best``. ``codebook=False`` is the paper's "w/o codebook
    module" ablation: predictors read h and regress the EMA h (fine and coarse latents, MSE), no
    code terms; features are h.

    Presets (docs/methods/mtsjepa.md §8): ``paper`` = the paper's values (D 256, K 128, 6 layers / 8
    heads, ≤ 100 epochs, selection after 50, patience 10); one batch-128 step costs ≈ 1.5 s (fp32) /
    1.05 s (bf16) on one busy core here, so 100 MSL epochs (≈ 135 steps each) take hours. ``cpu``: D
    128, 2 layers / 4 heads (the code's ``train.py`` depth), FFN 256, ≤ 20 epochs of 4096 randomly
    drawn pairs, selection after 5, patience 5, bf16 autocast (0.31 s instead of 0.36 s per step at
    this size: the ≈ 2× of bf16 shows only on bigger matrices). Measured on MSL with
    ``benchmarks/mtsjepa_msl.py``, 1 torch thread, load average ≈ 9 on 2 cores: pre-training 192 s
    (stopped after 12 epochs), 5 head seeds 56 s, peak RSS 0.9 GB.

    Cross-domain pre-training: ``fit(X, pretrain_series=[...])``.

    Example (a tiny configuration; use ``preset="cpu"`` on real data)::

        >>> import augury
        >>> ds = augury.make_synthetic(n_train=800, n_test=800, n_channels=2, seed=0)
        >>> pred = augury.create_predictor("mtsjepa", "cpu", n_patches=4, patch_len=5, d_model=16, n_codes=8,
        ...     tokenizer_hidden=8, n_layers=1, n_heads=2, d_ff=32, epochs=1, select_after=0, patience=1,
        ...     max_pairs_per_epoch=128, autocast="none", progress=False, head_epochs=2).fit(ds.train)
        >>> risk = pred.fit_head(ds.test, ds.test_labels).predict_proba(ds.test)
        >>> risk.shape  # one risk per window of 20 steps: that the window after it holds an anomaly
        (40,)
    """

    name: ClassVar[str] = "mtsjepa"
    tags: ClassVar[dict[str, Any]] = {"family": "jepa", "deep": True}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": CPU, "paper": PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {**JEPA_RULES, "features": Choice(*FEATURES), **HEAD_RULES}

    def __init__(
        self, *, n_patches: int = 5, patch_len: int = 20, d_model: int = 256, n_codes: int = 128, tau: float = 0.1,
        tokenizer_hidden: int = 64, n_layers: int = 6, n_heads: int = 8, d_ff: int = 1024, dropout: float = 0.1,
        codebook: bool = True, pred_temperature: float = 0.8, lambda_com: float = 1.0, lambda_emb: float = 0.25,
        lr: float = 5e-4, weight_decay: float = 1e-5, grad_clip: float | None = 0.5, batch_size: int = 128,
        epochs: int = 100, select_after: int = 50, patience: int = 10, ema_decay: float = 0.996,
        rec_start: float = 0.5, rec_end: float = 0.1, rec_schedule: str = "global",
        max_pairs_per_epoch: int | None = None, val_fraction: float = 0.1, autocast: str = "none",
        features: str = "probs", classifier: str = "attention", head_epochs: int = 30, head_patience: int = 5,
        restore_best: bool = True, seed: int = 0, progress: bool = True,
    ) -> None:
        self.n_patches = n_patches
        self.patch_len = patch_len
        self.d_model = d_model
        self.n_codes = n_codes
        self.tau = tau
        self.tokenizer_hidden = tokenizer_hidden
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.d_ff = d_ff
        self.dropout = dropout
        self.codebook = codebook
        self.pred_temperature = pred_temperature
        self.lambda_com = lambda_com
        self.lambda_emb = lambda_emb
        self.lr = lr
        self.weight_decay = weight_decay
        self.grad_clip = grad_clip
        self.batch_size = batch_size
        self.epochs = epochs
        self.select_after = select_after
        self.patience = patience
        self.ema_decay = ema_decay
        self.rec_start = rec_start
        self.rec_end = rec_end
        self.rec_schedule = rec_schedule
        self.max_pairs_per_epoch = max_pairs_per_epoch
        self.val_fraction = val_fraction
        self.autocast = autocast
        self.features = features
        self.classifier = classifier
        self.head_epochs = head_epochs
        self.head_patience = head_patience
        self.restore_best = restore_best
        self.seed = seed
        self.progress = progress

    def _check_param_relations(self) -> None:
        check_jepa_relations(self)

    @property
    def window(self) -> int:  # type: ignore[override]
        """Steps per window (``n_patches · patch_len``)."""
        return self.n_patches * self.patch_len

    @property
    def diagnostics_(self) -> list[dict[str, float]]:
        """Per-epoch collapse diagnostics of the pre-training."""
        return self.pretrain_history_.diagnostics

    def _fit(self, X: np.ndarray, extra: list[np.ndarray] | None) -> None:
        self.keep_ = keep_channels(X)
        self.model_, self.pretrain_history_ = fit_jepa(self, X, self.keep_, extra)

    def _features(self, windows: np.ndarray) -> np.ndarray:
        return frozen_features(self.model_, windows, self.keep_, self.features, check_autocast(self.autocast))

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return jepa_state(self.model_, self.keep_, self.pretrain_history_)

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.model_, self.keep_, self.pretrain_history_ = restore_jepa(arrays, info)
