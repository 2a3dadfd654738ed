"""MTS-JEPA pre-training (docs/methods/mtsjepa.md §5–6): Adam, clipping, EMA after every step, annealed λ_r,
selection after warm-up with patience, collapse diagnostics every epoch, Ctrl-C keeps the best.
"""

from __future__ import annotations

import copy
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from augury.detectors.mtsjepa.data import views
from augury.detectors.mtsjepa.losses import LossWeights, batch_losses, entropy, val_loss
from augury.detectors.mtsjepa.model import MTSJEPAModel
from augury.nn.precision import autocast

log = logging.getLogger(__name__)

REC_SCHEDULES = ("global", "per_epoch")


@dataclass(frozen=True)
class PretrainConfig:
    """Optimisation settings (paper App. B.2 unless noted; see the predictor's docstring)."""

    lr: float = 5e-4
    weight_decay: float = 1e-5
    grad_clip: float | None = 0.5
    batch_size: int = 128
    epochs: int = 100
    select_after: int = 50
    patience: int = 10
    ema_decay: float = 0.996
    rec_start: float = 0.5
    rec_end: float = 0.1
    rec_schedule: str = "global"
    max_pairs_per_epoch: int | None = None
    autocast: str = "none"
    weights: LossWeights = field(default_factory=LossWeights)
    seed: int = 0
    progress: bool = True


@dataclass
class PretrainHistory:
    """Per-epoch means of every loss term, validation loss, collapse diagnostics and the outcome."""

    train: list[dict[str, float]] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    diagnostics: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = "max_epochs"
    collapsed: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return dict(self.__dict__)


def rec_weight(cfg: PretrainConfig, step: int, total_steps: int, batch: int, batches_per_epoch: int) -> float:
    """λ_r, linear from ``rec_start`` to ``rec_end`` over all steps (``global``) or restarting every epoch
    (``per_epoch``, the official code's sawtooth)."""
    if cfg.rec_schedule not in REC_SCHEDULES:
        raise ValueError(f"rec_schedule must be one of {REC_SCHEDULES}, got {cfg.rec_schedule!r}")
    frac = step / max(total_steps - 1, 1) if cfg.rec_schedule == "global" else batch / max(batches_per_epoch, 1)
    return cfg.rec_start + (cfg.rec_end - cfg.rec_start) * min(frac, 1.0)


@torch.no_grad()
def collapse_diagnostics(model: MTSJEPAModel, ctx: np.ndarray, tgt: np.ndarray, cfg: PretrainConfig,
                         max_pairs: int = 2048) -> dict[str, float]:
    """Diagnostics on up to ``max_pairs`` fixed context windows ``[N, W]`` (eval mode).

    ``batch_entropy``: entropy (nats) of the mean code distribution (max log K); ``sample_entropy``:
    mean per-patch entropy; ``codes_in_use``: distinct arg-max codes; ``trace_cov``: Tr(Cov(z)) over
    patches. Without the codebook the code entries are NaN and ``trace_cov`` is over h.
    """
    was_training = model.training
    model.eval()
    sel = slice(0, min(max_pairs, ctx.shape[0]))
    c = model.cfg
    v = views(torch.from_numpy(ctx[sel]), torch.from_numpy(tgt[sel]), c.n_patches, c.patch_len)
    with autocast(cfg.autocast):
        _, p, z = model.encode(v["ctx"])
    zf = z.float().reshape(-1, z.shape[-1])
    out = {"trace_cov": float(zf.var(dim=0).sum())}
    if p is not None:
        pf = p.reshape(-1, p.shape[-1])
        out.update(batch_entropy=float(entropy(pf.mean(0))), sample_entropy=float(entropy(pf).mean()),
                   codes_in_use=float(pf.argmax(-1).unique().numel()))
    else:
        out.update(batch_entropy=math.nan, sample_entropy=math.nan, codes_in_use=math.nan)
    model.train(was_training)
    return out


def is_collapsed(diag: dict[str, float]) -> bool:
    """Collapse: (almost) no spread of the embeddings, or a single code used."""
    return diag["trace_cov"] < 1e-4 or diag.get("codes_in_use", 2.0) <= 1.0


def _batches(n: int, size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    idx = rng.permutation(n) if rng is not None else np.arange(n)
    return [idx[i: i + size] for i in range(0, n, size)]


def _view_batch(model: MTSJEPAModel, ctx: np.ndarray, tgt: np.ndarray, idx: np.ndarray) -> dict[str, torch.Tensor]:
    c = model.cfg
    return views(torch.from_numpy(ctx[idx]), torch.from_numpy(tgt[idx]), c.n_patches, c.patch_len)


def _validate(model: MTSJEPAModel, ctx: np.ndarray, tgt: np.ndarray, cfg: PretrainConfig) -> float:
    model.eval()
    total, count = 0.0, 0
    with autocast(cfg.autocast):
        for idx in _batches(ctx.shape[0], 512, None):
            s, b = val_loss(model, _view_batch(model, ctx, tgt, idx), cfg.weights)
            total, count = total + s, count + b
    model.train()
    return total / max(count, 1)


def _say(msg: str) -> None:
    # One line per epoch on stderr, visible when the output is redirected to a file.
    print(msg, file=sys.stderr, flush=True)


def pretrain(model: MTSJEPAModel, train_pairs: tuple[np.ndarray, np.ndarray],
             val_pairs: tuple[np.ndarray, np.ndarray] | None, cfg: PretrainConfig) -> PretrainHistory:
    """Train ``model`` in place on raw (context, target) windows ``[N, W]`` float32; returns the history.

    With validation pairs, the weights of the best validation epoch after ``select_after`` warm-up
    epochs are restored; training stops after ``patience`` epochs without improvement. Ctrl-C
    stops training and keeps the best weights so far (or the current ones during warm-up).
    """
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    ctx, tgt = train_pairs
    opt = torch.optim.Adam(model.trainable_parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n_epoch = ctx.shape[0] if cfg.max_pairs_per_epoch is None else min(ctx.shape[0], cfg.max_pairs_per_epoch)
    per_epoch = math.ceil(n_epoch / cfg.batch_size)
    total = per_epoch * cfg.epochs
    hist = PretrainHistory()
    diag_ctx, diag_tgt = val_pairs if val_pairs is not None and val_pairs[0].shape[0] else train_pairs
    best_state: dict[str, torch.Tensor] | None = None
    best, since_best, step = math.inf, 0, 0
    t0 = time.perf_counter()
    has_val = val_pairs is not None and val_pairs[0].shape[0] > 0
    if cfg.progress and not has_val:
        _say("mtsjepa: no pre-training validation windows (the training series is too short for its val_fraction "
             "to hold 2 windows); no epoch selection or early stopping, the last epoch is kept")
    model.train()
    try:
        for epoch in range(1, cfg.epochs + 1):
            sums: dict[str, float] = {}
            order = rng.permutation(ctx.shape[0])[:n_epoch]
            for b, i in enumerate(range(0, n_epoch, cfg.batch_size)):
                idx = order[i: i + cfg.batch_size]
                lam = rec_weight(cfg, step, total, b, per_epoch)
                with autocast(cfg.autocast):
                    loss, terms, _ = batch_losses(model, _view_batch(model, ctx, tgt, idx), cfg.weights, lam)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if cfg.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.trainable_parameters(), cfg.grad_clip)
                opt.step()
                model.ema_update(cfg.ema_decay)
                step += 1
                terms["loss"] = float(loss.detach())
                for k, val in terms.items():
                    sums[k] = sums.get(k, 0.0) + val
            hist.train.append({k: s / per_epoch for k, s in sums.items()})
            diag = collapse_diagnostics(model, diag_ctx, diag_tgt, cfg)
            hist.diagnostics.append(diag)
            vl = _validate(model, *val_pairs, cfg) if has_val else math.nan
            hist.val_loss.append(vl)
            mark = ""
            if epoch > cfg.select_after and math.isfinite(vl):
                if vl < best:
                    best, since_best, hist.best_epoch = vl, 0, epoch
                    best_state = copy.deepcopy(model.state_dict())
                    mark = " *"
                else:
                    since_best += 1
            if cfg.progress:
                terms_txt = " ".join(f"{k}={v:.4g}" for k, v in hist.train[-1].items())
                val_txt = f" val={vl:.4g}{mark}" if has_val else ""
                _say(f"mtsjepa epoch {epoch}/{cfg.epochs} {terms_txt}{val_txt} "
                     f"H_batch={diag['batch_entropy']:.3f} H_sample={diag['sample_entropy']:.3f} "
                     f"codes={diag['codes_in_use']:.0f} trcov={diag['trace_cov']:.4g} "
                     f"({time.perf_counter() - t0:.0f} s)")
            if since_best >= cfg.patience:
                hist.stop_reason = "early_stopping"
                break
    except KeyboardInterrupt:
        hist.stop_reason = "interrupted"
        log.warning("MTS-JEPA pre-training interrupted; keeping the best weights so far")
    if best_state is not None:
        model.load_state_dict(best_state)
    else:
        hist.best_epoch = len(hist.train)
    model.eval()
    hist.seconds = time.perf_counter() - t0
    if hist.diagnostics:
        hist.collapsed = is_collapsed(hist.diagnostics[-1])
        if hist.collapsed:
            log.warning("MTS-JEPA representation collapse: %s", hist.diagnostics[-1])
            if cfg.progress:
                _say(f"mtsjepa WARNING: representation collapse {hist.diagnostics[-1]}")
    return hist
