"""Shared by the ``mtsjepa`` predictor and detector: hyper-parameters → configs, pre-training on
series, frozen features and prediction surprise."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from augury.base.params import SEED, Bool, Choice, Float, Int, Rule
from augury.data.validation import constant_channels
from augury.detectors.mtsjepa.data import (
    channel_pairs,
    chronological_pretrain_split,
    instance_norm,
    to_windows,
)
from augury.detectors.mtsjepa.losses import LossWeights
from augury.detectors.mtsjepa.model import JEPAConfig, MTSJEPAModel
from augury.detectors.mtsjepa.train import REC_SCHEDULES, PretrainConfig, PretrainHistory, pretrain
from augury.errors import DataError, ParameterError
from augury.nn.precision import AUTOCAST_MODES, autocast, check_autocast
from augury.nn.serialization import load_numpy_state, state_to_numpy

FEATURES = ("probs", "z")

#: Rules of the pre-training hyper-parameters shared by the ``mtsjepa`` detector and predictor.
JEPA_RULES: dict[str, Rule] = {
    "n_patches": Int(1, 1_000), "patch_len": Int(1, 10_000), "d_model": Int(1, 8_192), "n_codes": Int(2, 65_536),
    "tau": Float(0, low_open=True), "tokenizer_hidden": Int(1, 65_536), "n_layers": Int(1, 64),
    "n_heads": Int(1, 256), "d_ff": Int(1, 65_536), "dropout": Float(0, 0.99), "codebook": Bool(),
    "pred_temperature": Float(0, low_open=True), "lambda_com": Float(0), "lambda_emb": Float(0),
    "lr": Float(0, low_open=True), "weight_decay": Float(0), "grad_clip": Float(0, low_open=True, none_ok=True),
    "batch_size": Int(1, 1 << 20), "epochs": Int(1, 100_000), "select_after": Int(0), "patience": Int(1),
    "ema_decay": Float(0, 1), "rec_start": Float(0), "rec_end": Float(0), "rec_schedule": Choice(*REC_SCHEDULES),
    "max_pairs_per_epoch": Int(1, none_ok=True), "val_fraction": Float(0, 0.9, low_open=True),
    "autocast": Choice(*AUTOCAST_MODES), "seed": SEED, "progress": Bool(),
}


def check_jepa_relations(p: Any) -> None:
    """``d_model`` must split over the heads (``ParameterError`` otherwise)."""
    if p.d_model % p.n_heads:
        raise ParameterError(f"{type(p).__name__}: d_model={p.d_model} is not a multiple of n_heads={p.n_heads}")

#: The paper's settings (the official code's values where the paper gives none; docs/methods/mtsjepa.md §8).
PAPER: dict[str, Any] = {
    "n_patches": 5, "patch_len": 20, "d_model": 256, "n_codes": 128, "tau": 0.1, "tokenizer_hidden": 64,
    "n_layers": 6, "n_heads": 8, "d_ff": 1024, "dropout": 0.1, "codebook": True, "pred_temperature": 0.8,
    "lambda_com": 1.0, "lambda_emb": 0.25, "lr": 5e-4, "weight_decay": 1e-5, "grad_clip": 0.5,
    "batch_size": 128, "epochs": 100, "select_after": 50, "patience": 10, "ema_decay": 0.996,
    "rec_start": 0.5, "rec_end": 0.1, "rec_schedule": "global", "max_pairs_per_epoch": None,
    "val_fraction": 0.1, "autocast": "none",
}

#: See the predictor's docstring for the measurements behind these values.
CPU: dict[str, Any] = {
    **PAPER, "d_model": 128, "n_layers": 2, "n_heads": 4, "d_ff": 256, "epochs": 20, "select_after": 5,
    "patience": 5, "max_pairs_per_epoch": 4096, "autocast": "bf16",
}

def model_config(p: Any) -> JEPAConfig:
    """Architecture from an estimator's hyper-parameters."""
    return JEPAConfig(n_patches=p.n_patches, patch_len=p.patch_len, d_model=p.d_model, n_codes=p.n_codes, tau=p.tau,
                      tokenizer_hidden=p.tokenizer_hidden, n_layers=p.n_layers, n_heads=p.n_heads, d_ff=p.d_ff,
                      dropout=p.dropout, codebook=p.codebook)


def pretrain_config(p: Any) -> PretrainConfig:
    """Optimisation settings from an estimator's hyper-parameters."""
    w = LossWeights(com=p.lambda_com, emb=p.lambda_emb, pred_temperature=p.pred_temperature)
    return PretrainConfig(lr=p.lr, weight_decay=p.weight_decay, grad_clip=p.grad_clip, batch_size=p.batch_size,
                          epochs=p.epochs, select_after=p.select_after, patience=p.patience,
                          ema_decay=p.ema_decay, rec_start=p.rec_start, rec_end=p.rec_end,
                          rec_schedule=p.rec_schedule, max_pairs_per_epoch=p.max_pairs_per_epoch,
                          autocast=check_autocast(p.autocast), weights=w, seed=p.seed, progress=p.progress)


def keep_channels(x: np.ndarray, source: str = "train") -> np.ndarray:
    """Indices of the non-constant channels of ``x`` ``[T, C]`` (variance > 1e-8, decided on train)."""
    const = set(constant_channels(x).tolist())
    keep = np.array([c for c in range(x.shape[1]) if c not in const], dtype=np.int64)
    if keep.size == 0:
        raise DataError(f"{source}: every channel is constant; MTS-JEPA needs at least one varying channel")
    return keep


def build_pairs(series: list[np.ndarray], window: int, val_fraction: float
                ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Channel-independent (context, target) pairs ``[M, W]`` of every series (non-constant channels),
    split per series chronologically into train / val windows before pairing."""
    tr: list[tuple[np.ndarray, np.ndarray]] = []
    va: list[tuple[np.ndarray, np.ndarray]] = []
    for s in series:
        w = to_windows(s, window)
        a, b = chronological_pretrain_split(w.shape[0], val_fraction)
        if w[a].shape[0] >= 2:
            tr.append(channel_pairs(w[a]))
        if w[b].shape[0] >= 2:
            va.append(channel_pairs(w[b]))
    if not tr:
        raise DataError(f"pre-training data has fewer than two windows of {window} steps")

    def cat(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        if not parts:
            return np.zeros((0, window), np.float32), np.zeros((0, window), np.float32)
        return (np.concatenate([c for c, _ in parts]).astype(np.float32),
                np.concatenate([t for _, t in parts]).astype(np.float32))

    return cat(tr), cat(va)


def fit_jepa(p: Any, x: np.ndarray, keep: np.ndarray, extra: list[np.ndarray] | None
             ) -> tuple[MTSJEPAModel, PretrainHistory]:
    """Pre-train on ``x[:, keep]`` (scaled train) or, cross-domain, on ``extra`` series (their own
    non-constant channels)."""
    series = [x[:, keep]] if extra is None else [s[:, keep_channels(s, f"pretrain_series[{i}]")]
                                                  for i, s in enumerate(extra)]
    torch.manual_seed(p.seed)
    model = MTSJEPAModel(model_config(p))
    train_pairs, val_pairs = build_pairs(series, p.n_patches * p.patch_len, p.val_fraction)
    hist = pretrain(model, train_pairs, val_pairs if val_pairs[0].shape[0] else None, pretrain_config(p))
    return model, hist


def _per_variable(windows: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """``[N, W, C]`` → ``[N·V, W]`` rows (window-major) of the kept channels."""
    w = windows[:, :, keep]
    return np.ascontiguousarray(w.transpose(0, 2, 1).reshape(-1, w.shape[1]), dtype=np.float32)


@torch.no_grad()
def frozen_features(model: MTSJEPAModel, windows: np.ndarray, keep: np.ndarray, kind: str, mode: str,
                    batch: int = 4096) -> np.ndarray:
    """Frozen online features with variable-wise max pooling: ``[N, W, C]`` → ``[N, P, F]``.

    Each kept variable's window is instance-normalised and encoded; ``kind`` ``probs`` (code
    probabilities, F = K; the default, docs/methods/mtsjepa.md §7.3) or ``z`` (soft embeddings,
    F = D); without the codebook both are the encoder features h. Then the element-wise max over
    variables.
    """
    if kind not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {kind!r}")
    model.eval()
    c = model.cfg
    rows = _per_variable(windows, keep)
    outs = []
    for i in range(0, rows.shape[0], batch):
        x, _, _ = instance_norm(torch.from_numpy(rows[i: i + batch]))
        with autocast(mode):
            h, p, z = model.encode(x.reshape(-1, c.n_patches, c.patch_len))
        f = p if (kind == "probs" and p is not None) else z
        outs.append(f.float())
    f = torch.cat(outs).reshape(windows.shape[0], keep.size, c.n_patches, -1)
    return f.amax(dim=1).numpy()


@torch.no_grad()
def surprise(model: MTSJEPAModel, context: np.ndarray, target: np.ndarray, keep: np.ndarray,
             temperature: float, mode: str, batch: int = 4096) -> np.ndarray:
    """Prediction surprise of consecutive windows ``[N, W, C]`` → ``[N]``, mean over kept variables.

    With the codebook: KL(EMA codes of the target ‖ fine-predicted codes from the context), summed
    over codes, mean over patches. Without: the MSE of the predicted latent against the EMA h.
    """
    model.eval()
    c = model.cfg
    ctx, tgt = _per_variable(context, keep), _per_variable(target, keep)
    out = []
    for i in range(0, ctx.shape[0], batch):
        xc, _, _ = instance_norm(torch.from_numpy(ctx[i: i + batch]))
        xt, _, _ = instance_norm(torch.from_numpy(tgt[i: i + batch]))
        with autocast(mode):
            h, p, _ = model.encode(xc.reshape(-1, c.n_patches, c.patch_len))
            _, p_t, z_t = model.encode(xt.reshape(-1, c.n_patches, c.patch_len), target=True)
            logits, zhat = model.fine(model.predictor_input(p, h))
        if p is not None:
            logq = torch.log_softmax(logits.float() / temperature, -1)
            pt = p_t.float().clamp_min(1e-12)
            s = (pt * (pt.log() - logq)).sum(-1).mean(-1)
        else:
            s = ((zhat.float() - z_t.float()) ** 2).mean((-1, -2))
        out.append(s)
    return torch.cat(out).reshape(context.shape[0], keep.size).mean(1).double().numpy()


def jepa_state(
    model: MTSJEPAModel, keep: np.ndarray, history: PretrainHistory
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Arrays and JSON info of a pre-trained model, its kept channels and its history (detector and predictor)."""
    arrays = {f"net.{k}": v for k, v in state_to_numpy(model).items()}
    arrays["keep"] = keep
    return arrays, {"config": model.cfg.to_dict(), "pretrain_history": history.to_dict()}


def restore_jepa(
    arrays: dict[str, np.ndarray], info: dict[str, Any]
) -> tuple[MTSJEPAModel, np.ndarray, PretrainHistory]:
    """Inverse of :func:`jepa_state`: the model in eval mode, kept channels ``[C_kept]`` and history."""
    model = MTSJEPAModel(JEPAConfig(**info["config"]))
    load_numpy_state(model, {k[4:]: v for k, v in arrays.items() if k.startswith("net.")})
    model.eval()
    return model, np.asarray(arrays["keep"], dtype=np.int64), PretrainHistory(**info["pretrain_history"])
