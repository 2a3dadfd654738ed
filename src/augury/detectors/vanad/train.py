"""Training the flow on cached MAE reconstructions (docs/methods/vanad.md §5).

The MAE is frozen and deterministic, so ``X̂`` of every training window is computed once (by
the detector) and the flow is trained on it: Adam, batches of ``batch_size`` windows in order
(no shuffling), gradients clipped by value at ``clip_value``, fixed ``epochs`` (no validation,
last epoch kept), lr ``lr·0.5^(e−1)`` after epoch ``e`` (epochs 1–2 at ``lr``, then halving).
The official loss adds ``λ_rec·MSE(X̃, x)``, which has no trainable path with a frozen MAE; it
is computed once and logged instead of being added to every step.

Fine-tuning (Table VII, :func:`train_joint`): the chosen MAE parameters are trained together with
the flow on the official loss ``λ_rec·MSE(X̃, x) + λ_nf·mean(−log p(X̂))`` (one Adam over both,
same schedule and clipping); nothing can be cached then, every step runs the MAE forward and
backward.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from augury.detectors.vanad.admm import apply_admm
from augury.detectors.vanad.backbone import MaskedAutoencoder
from augury.detectors.vanad.flow import MAF
from augury.detectors.vanad.imaging import HeatmapImaging, SegmentImaging
from augury.detectors.vanad.model import reconstruct

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlowTrainConfig:
    """Optimisation settings of the flow."""

    lr: float = 1e-3
    epochs: int = 5
    batch_size: int = 128
    clip_value: float = 1.0
    lambda_nf: float = 1.0
    lambda_rec: float = 1.0
    #: one line per epoch on stderr (losses, elapsed), visible also when the output goes to a file
    progress: bool = True


def _say(cfg: FlowTrainConfig, msg: str, t0: float) -> None:
    if cfg.progress:
        print(f"{msg} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)


@dataclass
class FlowHistory:
    """Mean training loss ``λ_nf·NLL`` per epoch and the constant reconstruction term."""

    nll: list[float] = field(default_factory=list)
    rec_constant: float = 0.0
    lrs: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def reconstruction_constant(x: np.ndarray, x_hat: np.ndarray, admm: str | bool, batch: int = 1024) -> float:
    """``MSE(X̃, x)`` over all training windows ``[N, L, C]`` (the official loss's constant term)."""
    total, count = 0.0, 0
    for i in range(0, x.shape[0], batch):
        xb, hb = torch.from_numpy(np.ascontiguousarray(x[i:i + batch])), torch.from_numpy(x_hat[i:i + batch])
        total += float(((apply_admm(hb, xb, admm) - xb) ** 2).sum())
        count += xb.numel()
    return total / max(count, 1)


def train_flow(flow: MAF, x_hat: np.ndarray, cfg: FlowTrainConfig) -> FlowHistory:
    """Fit ``flow`` on the reconstructions ``x_hat`` ``[N, L, C]`` (each step one C-vector)."""
    history = FlowHistory()
    opt = torch.optim.Adam(flow.parameters(), lr=cfg.lr)
    data = torch.from_numpy(x_hat)
    c = data.shape[-1]
    flow.train()
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        history.lrs.append(opt.param_groups[0]["lr"])
        losses = []
        for i in range(0, data.shape[0], cfg.batch_size):
            v = data[i:i + cfg.batch_size].reshape(-1, c)
            loss = cfg.lambda_nf * -flow.log_prob(v).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_value_(flow.parameters(), cfg.clip_value)
            opt.step()
            losses.append(float(loss.detach()))
        history.nll.append(float(np.mean(losses)))
        log.info("VAN-AD flow epoch %d/%d: λ_nf·NLL %.5f (lr %.2e)", epoch, cfg.epochs, history.nll[-1], history.lrs[-1])
        _say(cfg, f"VAN-AD flow epoch {epoch}/{cfg.epochs}: loss {history.nll[-1]:.5f}", t0)
        for group in opt.param_groups:
            group["lr"] = cfg.lr * 0.5 ** (epoch - 1)
    flow.eval()
    return history


def train_joint(mae: MaskedAutoencoder, flow: MAF | None, imaging: HeatmapImaging | SegmentImaging,
                windows: np.ndarray, params: list[torch.nn.Parameter], cfg: FlowTrainConfig, *,
                admm: str | bool, autocast_mode: str) -> FlowHistory:
    """Fine-tune ``params`` of ``mae`` (and ``flow`` when given) on training ``windows`` ``[N, L, C]``.

    ``history.nll`` holds the mean total loss per epoch; the MAE is left in eval mode, frozen.
    """
    history = FlowHistory()
    trainable = list(params) + (list(flow.parameters()) if flow is not None else [])
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.Adam(trainable, lr=cfg.lr)
    data = torch.from_numpy(windows)
    if flow is not None:
        flow.train()
    t0 = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        history.lrs.append(opt.param_groups[0]["lr"])
        losses = []
        for i in range(0, data.shape[0], cfg.batch_size):
            x = data[i:i + cfg.batch_size]
            x_hat = reconstruct(mae, imaging, x, autocast_mode)
            loss = cfg.lambda_rec * ((apply_admm(x_hat, x, admm) - x) ** 2).mean()
            if flow is not None:
                loss = loss + cfg.lambda_nf * -flow.log_prob(x_hat.reshape(-1, x.shape[-1])).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_value_(trainable, cfg.clip_value)
            opt.step()
            losses.append(float(loss.detach()))
        history.nll.append(float(np.mean(losses)))
        log.info("VAN-AD fine-tune epoch %d/%d: loss %.5f (lr %.2e)", epoch, cfg.epochs, history.nll[-1],
                 history.lrs[-1])
        _say(cfg, f"VAN-AD fine-tune epoch {epoch}/{cfg.epochs}: loss {history.nll[-1]:.5f}", t0)
        for group in opt.param_groups:
            group["lr"] = cfg.lr * 0.5 ** (epoch - 1)
    for p in params:
        p.requires_grad_(False)
    if flow is not None:
        flow.eval()
    return history
