"""MTS-JEPA pre-training losses with the official code's reductions (docs/methods/mtsjepa.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional as F

from augury.detectors.mtsjepa.model import MTSJEPAModel

CLAMP = 1e-6


@dataclass(frozen=True)
class LossWeights:
    """Loss weights (code values; the paper swaps ``emb`` and ``com``: ``λ_emb = 1``, ``λ_com = 0.25``)."""

    fine: float = 1.0
    coarse: float = 0.5
    mse: float = 0.1
    com: float = 1.0
    emb: float = 0.25
    sample_entropy: float = 0.005
    batch_entropy: float = 0.01
    pred_temperature: float = 0.8


def kl_batchmean(target: torch.Tensor, logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(target ‖ softmax(logits / T)) summed over patches and codes, divided by the batch size."""
    logq = F.log_softmax(logits.float() / temperature, dim=-1)
    return F.kl_div(logq, target.float(), reduction="sum") / target.shape[0]


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Entropy along the last axis of clamped probabilities (nats)."""
    p = p.clamp(CLAMP, 1 - CLAMP)
    return -(p * p.log()).sum(-1)


def batch_losses(model: MTSJEPAModel, v: dict[str, torch.Tensor], w: LossWeights, rec_weight: float
                 ) -> tuple[torch.Tensor, dict[str, float], dict[str, torch.Tensor]]:
    """Total loss of one batch of views (see :func:`augury.detectors.mtsjepa.data.views`).

    Returns ``(total, terms, outputs)``: ``terms`` are the float loss terms for logging,
    ``outputs`` the online ``p`` ``[B, P, K]`` (or None) and ``z`` ``[B, P, D]`` for diagnostics.
    Without the codebook the KL terms become MSEs on the EMA features and the code terms vanish.
    """
    h, p, z = model.encode(v["ctx"])
    with torch.no_grad():
        _, p_f, z_f = model.encode(v["tgt"], target=True)
        _, p_c, z_c = model.encode(v["coarse"], target=True)
    x_in = model.predictor_input(p, h)
    logit_f, zhat = model.fine(x_in)
    logit_c, zhat_c = model.coarse(x_in)
    recon = model.decoder(z).float() * v["ctx_std"][:, :, None] + v["ctx_mean"][:, :, None]
    rec = F.mse_loss(recon, v["ctx_raw"])
    mse_f = F.mse_loss(zhat.float(), z_f.float())
    terms: dict[str, torch.Tensor] = {"mse_f": mse_f, "rec": rec}
    if p is not None:
        kl_f = kl_batchmean(p_f, logit_f, w.pred_temperature)
        kl_c = kl_batchmean(p_c, logit_c, w.pred_temperature)
        com = F.mse_loss(z, h.detach().float())
        emb = F.mse_loss(h.float(), z.detach())
        h_s = entropy(p).mean()
        h_b = entropy(p.reshape(-1, p.shape[-1]).mean(0))
        total = (w.fine * kl_f + w.coarse * kl_c + w.mse * mse_f + w.com * com + w.emb * emb
                 + w.sample_entropy * h_s - w.batch_entropy * h_b + rec_weight * rec)
        terms.update(kl_f=kl_f, kl_c=kl_c, com=com, emb=emb, h_s=h_s, h_b=h_b)
    else:
        mse_c = F.mse_loss(zhat_c.float(), z_c.float())
        total = w.fine * mse_f + w.coarse * mse_c + rec_weight * rec
        terms.update(mse_c=mse_c)
    return total, {k: float(t.detach()) for k, t in terms.items()}, {"p": p, "z": z}


@torch.no_grad()
def val_loss(model: MTSJEPAModel, v: dict[str, torch.Tensor], w: LossWeights) -> tuple[float, int]:
    """Selection loss of one batch, ``KL_f + 0.01·L_rec`` (code ``engine/validate.py``), times its size.

    Without the codebook the fine term is the latent MSE.
    """
    h, p, z = model.encode(v["ctx"])
    _, p_f, z_f = model.encode(v["tgt"], target=True)
    logit_f, zhat = model.fine(model.predictor_input(p, h))
    recon = model.decoder(z).float() * v["ctx_std"][:, :, None] + v["ctx_mean"][:, :, None]
    rec = F.mse_loss(recon, v["ctx_raw"])
    fine = kl_batchmean(p_f, logit_f, w.pred_temperature) if p is not None else F.mse_loss(zhat.float(), z_f.float())
    b = v["ctx"].shape[0]
    return float(fine + 0.01 * rec) * b, b
