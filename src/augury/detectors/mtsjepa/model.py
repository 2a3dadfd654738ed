"""The MTS-JEPA network: online encoder/codebook/predictors/decoder and the EMA target branch.

See docs/methods/mtsjepa.md §4.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass

import torch
from torch import nn

from augury.detectors.mtsjepa.codebook import SoftCodebook
from augury.detectors.mtsjepa.decoder import Decoder
from augury.detectors.mtsjepa.encoder import Encoder
from augury.detectors.mtsjepa.predictors import CoarsePredictor, FinePredictor


@dataclass(frozen=True)
class JEPAConfig:
    """Architecture. ``codebook=False`` is the "w/o codebook module" ablation (predict h directly)."""

    n_patches: int = 5
    patch_len: int = 20
    d_model: int = 256
    n_codes: int = 128
    tau: float = 0.1
    tokenizer_hidden: int = 64
    n_layers: int = 6
    n_heads: int = 8
    d_ff: int = 1024
    dropout: float = 0.1
    pred_hidden: int = 128
    pred_layers: int = 2
    pred_heads: int = 4
    pred_ff: int = 256
    codebook: bool = True

    def to_dict(self) -> dict:
        """Plain dict for JSON."""
        return asdict(self)


class MTSJEPAModel(nn.Module):
    """Online branch (trained) and the EMA target encoder + codebook (no gradients).

    ``encode(x, target=False)`` maps patches ``[B, n, L]`` to ``(h, p, z)``; without the codebook
    ``p`` is None and ``z = h``.
    """

    def __init__(self, cfg: JEPAConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg.patch_len, cfg.n_patches, cfg.d_model, cfg.tokenizer_hidden, cfg.n_layers,
                               cfg.n_heads, cfg.d_ff, cfg.dropout)
        self.codebook = SoftCodebook(cfg.n_codes, cfg.d_model, cfg.tau) if cfg.codebook else None
        d_in, k = (cfg.n_codes, cfg.n_codes) if cfg.codebook else (cfg.d_model, 0)
        pred = dict(hidden=cfg.pred_hidden, n_layers=cfg.pred_layers, n_heads=cfg.pred_heads, d_ff=cfg.pred_ff,
                    dropout=cfg.dropout)
        self.fine = FinePredictor(d_in, k, cfg.d_model, cfg.n_patches, **pred)
        self.coarse = CoarsePredictor(d_in, k, cfg.d_model, cfg.n_patches, **pred)
        self.decoder = Decoder(cfg.d_model, cfg.patch_len, cfg.dropout)
        self.target_encoder = copy.deepcopy(self.encoder)
        self.target_codebook = copy.deepcopy(self.codebook) if self.codebook is not None else None
        for p in self._target_params():
            p.requires_grad_(False)

    def _target_params(self) -> list[nn.Parameter]:
        mods = [self.target_encoder] + ([self.target_codebook] if self.target_codebook is not None else [])
        return [p for m in mods for p in m.parameters()]

    def _online_params(self) -> list[nn.Parameter]:
        mods = [self.encoder] + ([self.codebook] if self.codebook is not None else [])
        return [p for m in mods for p in m.parameters()]

    def encode(self, x: torch.Tensor, target: bool = False) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """Patches ``[B, n, L]`` → ``(h [B, n, D], p [B, n, K] | None, z [B, n, D])``."""
        enc, cb = (self.target_encoder, self.target_codebook) if target else (self.encoder, self.codebook)
        h = enc(x)
        if cb is None:
            return h, None, h
        p, z = cb(h)
        return h, p, z

    def predictor_input(self, p: torch.Tensor | None, h: torch.Tensor) -> torch.Tensor:
        """What the predictors read: the code probabilities, or h without the codebook."""
        return p if p is not None else h

    @torch.no_grad()
    def ema_update(self, decay: float) -> None:
        """ξ ← decay·ξ + (1 − decay)·θ over the encoder and codebook parameters (buffers such as τ are copied)."""
        for t, o in zip(self._target_params(), self._online_params(), strict=True):
            t.mul_(decay).add_(o.detach(), alpha=1.0 - decay)

    def trainable_parameters(self) -> list[nn.Parameter]:
        """Every parameter except the EMA target branch."""
        target = {id(p) for p in self._target_params()}
        return [p for p in self.parameters() if id(p) not in target]
