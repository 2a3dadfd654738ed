"""Training the flow on cached MAE reconstructions (spec §5).

The MAE is frozen and deterministic, so ``X̂`` of every training window is computed once (by
the detector) and the flow is trained on it: Adam, batches of ``batch_size`` windows in order
(no shuffling), gradients clipped by value at ``clip_value``, fixed ``epochs`` (no validation,
last epoch kept), lr ``lr·0.5^(e−1)`` after epoch ``e`` (epochs 1–2 at ``lr``, then halving).
The official loss adds ``λ_rec·MSE(X̃, x)``, which has no trainable path with a frozen MAE; it
is computed once and logged instead of being added to every step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from augury.detectors.vanad.admm import apply_admm
from augury.detectors.vanad.flow import MAF

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
        for group in opt.param_groups:
            group["lr"] = cfg.lr * 0.5 ** (epoch - 1)
    flow.eval()
    return history
