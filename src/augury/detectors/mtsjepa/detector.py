"""The ``mtsjepa`` *detector*: a per-step score from MTS-JEPA's prediction surprise.

This detection mode is ours, not the paper's (MTS-JEPA only predicts next-window risk);
see docs/methods/mtsjepa.md §11.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from augury.base.params import Rule, Text
from augury.data.windowing import window_starts, windows_to_steps
from augury.detectors.base import Detector
from augury.detectors.mtsjepa.pipeline import (
    CPU,
    JEPA_RULES,
    PAPER,
    check_jepa_relations,
    fit_jepa,
    jepa_state,
    keep_channels,
    restore_jepa,
    surprise,
)
from augury.nn.precision import check_autocast


class MTSJEPADetector(Detector):
    """MTS-JEPA pre-training (as the ``mtsjepa`` predictor) with a surprise score — **our** detection mode.

    Score of window k (``W = n_patches · patch_len`` steps): the KL between the EMA target codes
    of window k and the codes the fine predictor forecast from window k−1 (summed over codes,
    mean over patches and variables); without the codebook, the latent MSE. Steps get their
    window's score; a tail shorter than W is covered by one extra end-aligned window (whose
    context is the W steps before it), and overlapping steps take the mean. Window 0 has no
    predecessor and takes window 1's score. Needs at least 2·W steps.

    Hyper-parameters and presets: as :class:`augury.predictors.mtsjepa.predictor.MTSJEPAPredictor`
    (pre-training only), plus ``threshold``.

    Example (a tiny configuration; use ``preset="cpu"`` on real data)::

        >>> import augury
        >>> ds = augury.make_synthetic(n_train=800, n_test=400, n_channels=2, n_anomalies=2, seed=0)
        >>> det = augury.create_detector("mtsjepa", "cpu", n_patches=4, patch_len=5, d_model=16, n_codes=8,
        ...     tokenizer_hidden=8, n_layers=1, n_heads=2, d_ff=32, epochs=1, select_after=0, patience=1,
        ...     max_pairs_per_epoch=128, autocast="none", progress=False).fit(ds.train)
        >>> det.decision_function(ds.test).shape
        (400,)
    """

    name: ClassVar[str] = "mtsjepa"
    tags: ClassVar[dict[str, Any]] = {"deep": True, "family": "jepa", "supports_early_warning": True}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": CPU, "paper": PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {**JEPA_RULES, "scaling": Text(), "threshold": Text()}

    def __init__(
        self, *, n_patches: int = 5, patch_len: int = 20, d_model: int = 256, n_codes: int = 128, tau: float = 0.1,
        tokenizer_hidden: int = 64, n_layers: int = 6, n_heads: int = 8, d_ff: int = 1024, dropout: float = 0.1,
        codebook: bool = True, pred_temperature: float = 0.8, lambda_com: float = 1.0, lambda_emb: float = 0.25,
        lr: float = 5e-4, weight_decay: float = 1e-5, grad_clip: float | None = 0.5, batch_size: int = 128,
        epochs: int = 100, select_after: int = 50, patience: int = 10, ema_decay: float = 0.996,
        rec_start: float = 0.5, rec_end: float = 0.1, rec_schedule: str = "global",
        max_pairs_per_epoch: int | None = None, val_fraction: float = 0.1, autocast: str = "none",
        scaling: str = "standard", threshold: str = "top:1", seed: int = 0, progress: bool = True,
    ) -> None:
        for k, v in list(locals().items()):
            if k not in ("self", "__class__"):
                setattr(self, k, v)

    def _check_param_relations(self) -> None:
        check_jepa_relations(self)

    def _min_length(self) -> int:
        return 2 * self.n_patches * self.patch_len

    def _fit(self, X: np.ndarray) -> None:
        self.keep_ = keep_channels(X)
        self.model_, self.pretrain_history_ = fit_jepa(self, X, self.keep_, None)

    def _score(self, X: np.ndarray) -> np.ndarray:
        w = self.n_patches * self.patch_len
        starts = window_starts(X.shape[0], w, w)
        later = starts[starts >= w]
        ctx = np.stack([X[s - w: s] for s in later])
        tgt = np.stack([X[s: s + w] for s in later])
        s = surprise(self.model_, ctx, tgt, self.keep_, self.pred_temperature, check_autocast(self.autocast))
        scores = np.concatenate([s[:1], s]) if starts[0] < w else s
        return windows_to_steps(scores, starts, X.shape[0], w)

    def _get_state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return jepa_state(self.model_, self.keep_, self.pretrain_history_)

    def _set_state(self, arrays: dict[str, np.ndarray], info: dict[str, Any]) -> None:
        self.model_, self.keep_, self.pretrain_history_ = restore_jepa(arrays, info)
