"""The ``omnianomaly`` detector: a GRU variational auto-encoder (``docs/methods/omnianomaly.md``)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from augury.base.params import Float, Int, Rule
from augury.detectors.torch_window import COMMON_RULES, TorchWindowDetector

#: TSB-AD's chosen configuration for TSB-AD-M (``HP_list.py``: window 100, lr 0.002; GRU hidden 32 ×
#: 2 layers, latent 8, KL weight 0.01, 50 epochs, batch 128, 20 % validation, patience 3 from
#: ``models/OmniAnomaly.py``), scored at TSB-AD's window-start alignment.
_PAPER: dict[str, Any] = {"window": 100, "hidden": 32, "latent": 8, "kl_weight": 0.01, "lr": 0.002, "epochs": 50,
                          "batch_size": 128, "validation_size": 0.2, "patience": 3, "restore_best": False,
                          "max_train_windows": None, "scaling": "none", "alignment": "start"}
#: 2 cores: the GRU is sequential in the window, so window 50 and ≤ 10,000 windows × 5 epochs.
_CPU: dict[str, Any] = {**_PAPER, "scaling": "minmax", "window": 50, "epochs": 5, "restore_best": True, "max_train_windows": 10_000,
                        "alignment": "end"}


class _Net(nn.Module):
    """GRU over the window → per-step Gaussian latent (mean, log-variance) → decoder to C (sigmoid)."""

    def __init__(self, n_channels: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.latent = latent
        self.gru = nn.GRU(n_channels, hidden, 2, batch_first=True)
        self.encoder = nn.Sequential(nn.Linear(hidden, hidden), nn.PReLU(), nn.Linear(hidden, hidden), nn.PReLU(),
                                     nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.PReLU(), nn.Linear(hidden, hidden), nn.PReLU(),
                                     nn.Linear(hidden, n_channels), nn.Sigmoid())

    def forward(self, x: torch.Tensor, sample: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``x`` ``[B, W, C]`` → (reconstruction ``[B, W, C]``, mean and log-variance ``[B, W, latent]``).

        ``sample``: decode z = mean + ε·std (training); otherwise decode the mean (deterministic scores)."""
        h, _ = self.gru(x)
        mu, logvar = self.encoder(h).split(self.latent, dim=-1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        return self.decoder(z), mu, logvar


class OmniAnomaly(TorchWindowDetector):
    """OmniAnomaly (Su et al., KDD 2019) as TSB-AD simplifies it: a 2-layer GRU, a per-step Gaussian latent
    and an MLP decoder, trained on MSE + ``kl_weight``·KL(q(z|x) ‖ N(0, I)) (KL summed over the window's
    latents), AdamW (weight decay 1e-5), lr × 0.9 every 5 epochs; the score of a window is its mean
    squared reconstruction error (per channel averaged over the window, then mean over channels).

    Deviations from TSB-AD, named: the GRU reads the window along time (TSB-AD reshapes
    ``[B, W, C]`` to ``[W, B, C]`` with ``view``, mixing windows of the batch, and starts it from a
    random hidden state); scores decode the latent mean (TSB-AD samples, so its scores are random);
    ``restore_best`` (``cpu``). The decoder ends in a sigmoid, so input is min–max scaled on training.
    Presets: ``paper`` = TSB-AD's TSB-AD-M choice and its window-start alignment; ``cpu`` = window 50,
    5 epochs × ≤ 10,000 windows, window-end alignment (causal-consistent).
    """

    name: ClassVar[str] = "omnianomaly"
    tags: ClassVar[dict[str, Any]] = {"family": "reconstruction"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": _CPU, "paper": _PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {**COMMON_RULES, "hidden": Int(1, 65_536), "latent": Int(1, 65_536),
                                              "kl_weight": Float(0)}
    _optimizer: ClassVar[str] = "adamw"
    _decay: ClassVar[float] = 0.9

    def __init__(self, *, window: int = 50, hidden: int = 32, latent: int = 8, kl_weight: float = 0.01,
                 epochs: int = 5, batch_size: int = 128, lr: float = 0.002, patience: int = 3,
                 validation_size: float = 0.2, restore_best: bool = True, max_train_windows: int | None = 10_000,
                 alignment: str = "end", autocast: str = "none", score_batch_size: int = 4096,
                 scaling: str = "minmax", threshold: str = "top:1", seed: int = 0, progress: bool = True) -> None:
        self._store(locals())

    def _build(self, n_channels: int) -> nn.Module:
        return _Net(n_channels, self.hidden, self.latent)

    def _loss(self, model: nn.Module, spans: torch.Tensor, epoch: int) -> torch.Tensor:
        rec, mu, logvar = model(spans, sample=True)
        mse = ((rec.float() - spans) ** 2).mean(dim=(1, 2))
        kld = -0.5 * (1 + logvar.float() - mu.float() ** 2 - logvar.float().exp()).sum(dim=(1, 2))
        return (mse + self.kl_weight * kld).mean()

    def _span_errors(self, model: nn.Module, spans: torch.Tensor) -> torch.Tensor:
        rec, _, _ = model(spans, sample=False)
        return ((rec - spans) ** 2).mean(dim=1)
