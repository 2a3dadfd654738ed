"""The ``usad`` detector: UnSupervised Anomaly Detection's twin auto-encoders (``docs/methods/usad.md``)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from augury.base.params import Float, Int, Rule
from augury.detectors.torch_window import COMMON_RULES, TorchWindowDetector

#: TSB-AD's chosen configuration for TSB-AD-M (``HP_list.py``: window 100, lr 0.001; hidden 16,
#: latent 5, 10 epochs, batch 128, 20 % validation, patience 3 from ``models/USAD.py``), scored at
#: TSB-AD's window-start alignment.
_PAPER: dict[str, Any] = {"window": 100, "hidden": 16, "latent": 5, "lr": 0.001, "epochs": 10, "batch_size": 128,
                          "validation_size": 0.2, "patience": 3, "restore_best": False, "max_train_windows": None, "scaling": "none",
                          "alignment": "start"}
#: The model is tiny; the cost is the number of windows: ≤ 20,000 per epoch.
_CPU: dict[str, Any] = {**_PAPER, "scaling": "minmax", "restore_best": True, "max_train_windows": 20_000, "alignment": "end"}


class _Net(nn.Module):
    """Shared encoder (W·C → h → h → latent, ReLU) and two decoders (latent → h → h → W·C, sigmoid output)."""

    def __init__(self, n_in: int, hidden: int, latent: int) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                     nn.Linear(hidden, latent), nn.ReLU())
        self.decoder1 = self._decoder(n_in, hidden, latent)
        self.decoder2 = self._decoder(n_in, hidden, latent)

    @staticmethod
    def _decoder(n_in: int, hidden: int, latent: int) -> nn.Module:
        return nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                             nn.Linear(hidden, n_in), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Flattened windows ``[B, W·C]`` → (AE1(x), AE2(x), AE2(AE1(x))), each ``[B, W·C]``."""
        z = self.encoder(x)
        ae1 = self.decoder1(z)
        return ae1, self.decoder2(z), self.decoder2(self.encoder(ae1))


class USAD(TorchWindowDetector):
    """USAD (Audibert et al., KDD 2020) as TSB-AD runs it: one encoder, two decoders, on flattened windows.

    Training loss at epoch n (TSB-AD's single-optimiser form of the paper's Eqs. 7–8):
    ``(1/n)·e(AE1) + (1−1/n)·e(AE2∘AE1)`` + ``(1/n)·e(AE2) − (1−1/n)·e(AE2∘AE1)``, AdamW (weight decay
    1e-5), lr × 0.9 every 5 epochs. Summed in one optimiser, the adversarial terms cancel, so the
    effective objective is ``(e(AE1) + e(AE2))/n``; we keep that form because the published rows come
    from it. Score of a window: ``alpha·e(AE1) + beta·e(AE2∘AE1)`` (TSB-AD: 0.1 / 0.9), per channel
    averaged over the window, mean over channels.
    The decoders end in a sigmoid, so the input is min–max scaled on the training series (``scaling``).
    Presets: ``paper`` = TSB-AD's TSB-AD-M choice and its window-start alignment; ``cpu`` = ≤ 20,000
    windows per epoch, best validation epoch kept, window-end alignment (causal-consistent).
    """

    name: ClassVar[str] = "usad"
    tags: ClassVar[dict[str, Any]] = {"family": "reconstruction"}
    presets: ClassVar[dict[str, dict[str, Any]]] = {"cpu": _CPU, "paper": _PAPER}
    param_rules: ClassVar[dict[str, Rule]] = {**COMMON_RULES, "hidden": Int(1, 65_536), "latent": Int(1, 65_536),
                                              "alpha": Float(0, 1), "beta": Float(0, 1)}
    _optimizer: ClassVar[str] = "adamw"
    _decay: ClassVar[float] = 0.9

    def __init__(self, *, window: int = 100, hidden: int = 16, latent: int = 5, alpha: float = 0.1,
                 beta: float = 0.9, epochs: int = 10, batch_size: int = 128, lr: float = 0.001, patience: int = 3,
                 validation_size: float = 0.2, restore_best: bool = True, max_train_windows: int | None = 20_000,
                 alignment: str = "end", autocast: str = "none", score_batch_size: int = 4096,
                 scaling: str = "minmax", threshold: str = "top:1", seed: int = 0, progress: bool = True) -> None:
        self._store(locals())

    def _build(self, n_channels: int) -> nn.Module:
        return _Net(self.window * n_channels, self.hidden, self.latent)

    def _loss(self, model: nn.Module, spans: torch.Tensor, epoch: int) -> torch.Tensor:
        x = spans.flatten(1)
        ae1, ae2, ae21 = model(x)
        e1, e2, e21 = (((a.float() - x) ** 2).mean() for a in (ae1, ae2, ae21))
        w = 1.0 / (epoch + 1)  # TSB-AD's n = epoch + 1 with 1-based epochs
        return (w * e1 + (1 - w) * e21) + (w * e2 - (1 - w) * e21)

    def _span_errors(self, model: nn.Module, spans: torch.Tensor) -> torch.Tensor:
        x = spans.flatten(1)
        ae1, _, ae21 = model(x)
        err = self.alpha * (ae1 - x) ** 2 + self.beta * (ae21 - x) ** 2
        return err.view(spans.shape).mean(dim=1)
