"""Self-supervised pre-training of a small MAE on series heatmaps (``backbone="heatmap-mae"``).

This is *not* the paper's configuration: VAN-AD uses Meta's ImageNet ViT-Base MAE. Here a small
ViT-MAE (:data:`HEATMAP_ARCH`: width 192, 4 encoder blocks, 2 decoder blocks of width 128, 224²
input, 16² patches, one grey channel) learns to fill masked patches of the heatmaps VAN-AD
feeds it: each window ``[L, C]`` (globally scaled) is imaged as variables × time and resized
bilinearly to the MAE input, exactly as :func:`augury.detectors.vanad.model.reconstruct` does,
so the channel count of a dataset does not matter and several datasets can be mixed.

Masks: each image gets, with probability ``checkerboard_fraction``, one of the two
complementary checkerboard masks VAN-AD uses at test time, otherwise a uniformly random mask
that hides as many patches (half of them). Loss: mean squared error on the masked patches'
pixels (no per-patch normalisation: VAN-AD compares raw reconstructions). AdamW with a linear
warm-up over the first ``warmup`` fraction of the steps and a cosine decay, gradient clipping by
norm, optional bf16 autocast. Every epoch draws its order and masks from ``(seed, epoch)``, so a
run resumed from the per-epoch state file ends with the same weights as an uninterrupted one.

Files: the final weights are a ``.pth`` in Meta's "visualize" layout (``{"model": state_dict}``,
tensors only, read with ``torch.load(weights_only=True)``) plus ``mae_config`` (the shapes) and
``pretrain`` (settings and losses), so ``mae_checkpoint=`` loads them strictly like any other
checkpoint. Writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import io
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from augury.detectors.vanad.backbone import MAEConfig, MaskedAutoencoder
from augury.detectors.vanad.checkpoint import load_weights_only
from augury.detectors.vanad.imaging import make_imaging, resize
from augury.detectors.vanad.masking import checkerboard_masks, visible_index
from augury.errors import DataError, ModelFormatError
from augury.nn.precision import autocast, check_autocast
from augury.utils.atomic import atomic_open

#: The small MAE chosen for 2 shared CPU cores: a bf16 training step costs ≈ 0.03 s per image on
#: one thread (batch 16, load 4), ≈ 0.15 s with two threads fighting other jobs; depth 4 vs 6 changed
#: little because the element-wise work dominates. ``benchmarks/vanad_heatmae.py`` reports the
#: pre-training time per dataset.
HEATMAP_ARCH = MAEConfig(in_chans=1, embed_dim=192, depth=4, num_heads=3, decoder_embed_dim=128,
                         decoder_depth=2, decoder_num_heads=4)

WEIGHTS_FILE = "heatmap_mae.pth"
STATE_FILE = "pretrain_state.pt"


@dataclass(frozen=True)
class PretrainConfig:
    """Pre-training settings (all of them are checked when a run is resumed)."""

    epochs: int = 2
    batch_size: int = 16
    lr: float = 1.5e-3
    weight_decay: float = 0.05
    warmup: float = 0.1
    clip_norm: float = 1.0
    checkerboard_fraction: float = 0.5
    autocast: str = "none"
    seed: int = 42

    def __post_init__(self) -> None:
        check_autocast(self.autocast)
        if self.epochs < 1 or self.batch_size < 1 or not 0 < self.lr < math.inf:
            raise ValueError("pre-training needs epochs >= 1, batch_size >= 1 and a finite lr > 0")
        if not 0.0 <= self.checkerboard_fraction <= 1.0 or not 0.0 <= self.warmup < 1.0:
            raise ValueError("checkerboard_fraction must be in [0, 1] and warmup in [0, 1)")


@dataclass
class EpochReport:
    """One epoch's mean masked-patch losses (all images, checkerboard-masked, random-masked)."""

    epoch: int
    loss: float
    loss_checkerboard: float
    loss_random: float
    lr: float
    elapsed_s: float


def spread_starts(n_steps: int, window: int, max_windows: int) -> np.ndarray:
    """At most ``max_windows`` window starts evenly spread over ``[0, n_steps − window]`` (int64)."""
    if n_steps < window:
        raise DataError(f"series has {n_steps} time steps, shorter than one window of {window} steps")
    n = min(n_steps - window + 1, max_windows)
    return np.unique(np.linspace(0, n_steps - window, n).round().astype(np.int64))


def heatmap_images(windows: np.ndarray, img_size: int, in_chans: int) -> torch.Tensor:
    """Windows ``[B, L, C]`` → MAE input images ``[B, in_chans, S, S]`` (VAN-AD's heatmap imaging)."""
    small = make_imaging("heatmap").encode(torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32)))
    return resize(small, (img_size, img_size)).expand(-1, in_chans, -1, -1)


def patchify(mae: MaskedAutoencoder, imgs: torch.Tensor) -> torch.Tensor:
    """Images ``[B, c, H, W]`` → patches ``[B, N, p²·c]`` (inverse of ``mae.unpatchify``)."""
    p, g, c = mae.cfg.patch_size, mae.cfg.grid, mae.cfg.in_chans
    x = imgs.reshape(imgs.shape[0], c, g, p, g, p)
    return torch.einsum("nchpwq->nhwpqc", x).reshape(imgs.shape[0], g * g, p * p * c)


def draw_masks(grid: int, batch: int, checkerboard_fraction: float,
               rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-image masks: ``(mask [B, N] bool, visible [B, n_vis] int64, is_checkerboard [B] bool)``.

    Random masks keep as many patches as a checkerboard pass (``N − ⌊N/2⌋``), so one batch holds both.
    """
    m1, m2 = checkerboard_masks(grid)
    n = grid * grid
    n_vis = int((~m1).sum())
    masks = torch.empty(batch, n, dtype=torch.bool)
    is_cb = torch.from_numpy(rng.random(batch) < checkerboard_fraction)
    which = rng.integers(0, 2, size=batch)
    for i in range(batch):
        if is_cb[i]:
            masks[i] = m1 if which[i] == 0 else m2
        else:
            mask = torch.ones(n, dtype=torch.bool)
            mask[torch.from_numpy(rng.permutation(n)[:n_vis])] = False
            masks[i] = mask
    visible = torch.stack([visible_index(m) for m in masks])
    return masks, visible, is_cb


def masked_patch_loss(mae: MaskedAutoencoder, imgs: torch.Tensor, masks: torch.Tensor, visible: torch.Tensor,
                      autocast_mode: str = "none") -> torch.Tensor:
    """Per-image mean squared error over the masked patches' pixels ``[B]`` (float32)."""
    with autocast(autocast_mode):
        pred = mae.predict_patches(imgs, visible)
    err = ((pred.float() - patchify(mae, imgs)) ** 2).mean(dim=-1)  # [B, N]
    m = masks.to(err.dtype)
    return (err * m).sum(dim=1) / m.sum(dim=1)


def checkerboard_loss(mae: MaskedAutoencoder, windows: np.ndarray, batch_size: int = 64) -> float:
    """Mean masked-patch loss of both checkerboard passes over ``windows`` ``[B, L, C]`` (no grad)."""
    m1, m2 = checkerboard_masks(mae.cfg.grid)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, windows.shape[0], batch_size):
            imgs = heatmap_images(windows[i:i + batch_size], mae.cfg.img_size, mae.cfg.in_chans)
            for m in (m1, m2):
                masks = m.expand(imgs.shape[0], -1)
                visible = visible_index(m).expand(imgs.shape[0], -1)
                total += float(masked_patch_loss(mae, imgs, masks, visible).sum())
                count += imgs.shape[0]
    return total / count


def lr_at(step: int, total: int, cfg: PretrainConfig) -> float:
    """Linear warm-up then cosine decay to 0 (``step`` counted from 0)."""
    warm = max(1, int(round(cfg.warmup * total)))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * (step - warm) / max(1, total - warm)))


def stderr_progress(prefix: str) -> Callable[[EpochReport, int], None]:
    """A progress printer: one flushed line per epoch on stderr (works when stderr is not a terminal)."""

    def show(rep: EpochReport, epochs: int) -> None:
        print(f"{prefix} epoch {rep.epoch}/{epochs}: masked-patch loss {rep.loss:.5f} (checkerboard "
              f"{rep.loss_checkerboard:.5f}, random {rep.loss_random:.5f}), lr {rep.lr:.2e}, "
              f"elapsed {rep.elapsed_s:.1f} s", file=sys.stderr, flush=True)

    return show


def _save_torch(path: Path, obj: dict[str, Any]) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    with atomic_open(path, "wb", encoding=None) as fh:
        fh.write(buf.getvalue())


def _settings(cfg: PretrainConfig, mae_cfg: MAEConfig, sources: Sequence[np.ndarray]) -> dict[str, Any]:
    return {"pretrain": asdict(cfg), "mae_config": mae_cfg.to_dict(),
            "sources": [list(s.shape) for s in sources]}


def pretrain_mae(mae: MaskedAutoencoder, sources: Sequence[np.ndarray], cfg: PretrainConfig, *,
                 state_path: Path | None = None,
                 progress: Callable[[EpochReport, int], None] | None = None) -> list[EpochReport]:
    """Train ``mae`` in place on the heatmaps of ``sources`` (a list of window arrays ``[N_i, L_i, C_i]``).

    With ``state_path``, the model, optimizer and history are written there after every epoch
    (atomically), and an existing state with the same settings is resumed from its next epoch;
    a state with other settings raises :class:`~augury.errors.DataError`. ``progress`` is called
    after every epoch (after the state is written). Returns one :class:`EpochReport` per epoch
    (including the resumed ones). The MAE is left in eval mode with gradients off.
    """
    sizes = [int(s.shape[0]) for s in sources]
    if not sizes or min(sizes) < 1:
        raise DataError("pre-training needs at least one window in every source")
    index = np.concatenate([np.stack([np.full(n, k), np.arange(n)], 1) for k, n in enumerate(sizes)])
    steps_per_epoch = -(-len(index) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    settings = _settings(cfg, mae.cfg, sources)
    torch.manual_seed(cfg.seed)
    # The sin-cos position embeddings stay fixed, as in MAE.
    fixed = {id(mae.pos_embed), id(mae.decoder_pos_embed)}
    params = [p for p in mae.parameters() if id(p) not in fixed]
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    history: list[EpochReport] = []
    start_epoch, elapsed0 = 1, 0.0
    if state_path is not None and state_path.is_file():
        state = load_weights_only(state_path)
        if not isinstance(state, dict) or state.get("settings") != settings:
            raise DataError(f"{state_path}: holds a pre-training run with other settings or data; "
                            "use another output folder or delete the file to start over")
        try:
            mae.load_state_dict(state["model"], strict=True)
            opt.load_state_dict(state["optimizer"])
            history = [EpochReport(**h) for h in state["history"]]
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise DataError(f"{state_path}: unreadable resume state ({type(exc).__name__}: {exc}); "
                            "delete the file to start over") from exc
        if not _finite_weights(mae):
            raise DataError(f"{state_path}: resume state holds NaN or inf weights; delete the file to start over")
        start_epoch, elapsed0 = len(history) + 1, history[-1].elapsed_s if history else 0.0
    t0 = time.perf_counter()
    mae.train()
    for epoch in range(start_epoch, cfg.epochs + 1):
        rng = np.random.default_rng([cfg.seed, epoch])
        order = index[rng.permutation(len(index))]
        sums, counts = {True: 0.0, False: 0.0}, {True: 0, False: 0}
        for b in range(steps_per_epoch):
            step = (epoch - 1) * steps_per_epoch + b
            rows = order[b * cfg.batch_size:(b + 1) * cfg.batch_size]
            imgs = torch.cat([heatmap_images(sources[k][[i]], mae.cfg.img_size, mae.cfg.in_chans) for k, i in rows])
            masks, visible, is_cb = draw_masks(mae.cfg.grid, len(rows), cfg.checkerboard_fraction, rng)
            per_image = masked_patch_loss(mae, imgs, masks, visible, cfg.autocast)
            loss = per_image.mean()
            if not torch.isfinite(loss):
                # Stop before the step: a NaN update would be saved as the resume state and the checkpoint.
                raise DataError(f"pre-training diverged: masked-patch loss is {float(loss.detach())} at epoch {epoch}, "
                                f"step {b + 1}; lower the learning rate (lr={cfg.lr:g})")
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, cfg.clip_norm)
            opt.step()
            detached = per_image.detach()
            for flag in (True, False):
                sel = is_cb == flag
                sums[flag] += float(detached[sel].sum())
                counts[flag] += int(sel.sum())
        n_all = counts[True] + counts[False]
        rep = EpochReport(epoch=epoch, loss=(sums[True] + sums[False]) / n_all,
                          loss_checkerboard=sums[True] / max(counts[True], 1),
                          loss_random=sums[False] / max(counts[False], 1),
                          lr=lr_at(epoch * steps_per_epoch - 1, total, cfg),
                          elapsed_s=elapsed0 + time.perf_counter() - t0)
        history.append(rep)
        if not _finite_weights(mae):
            # A finite loss can still take a step to inf weights: never save those as a resume state.
            raise DataError(f"pre-training diverged: the weights hold NaN or inf after epoch {epoch}; "
                            f"lower the learning rate (lr={cfg.lr:g})")
        if state_path is not None:
            _save_torch(state_path, {"model": mae.state_dict(), "optimizer": opt.state_dict(),
                                     "history": [asdict(h) for h in history], "settings": settings})
        if progress is not None:
            progress(rep, cfg.epochs)
    mae.requires_grad_(False)
    mae.eval()
    return history


def _finite_weights(mae: MaskedAutoencoder) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in mae.state_dict().values())


def save_heatmap_mae(path: Path, mae: MaskedAutoencoder, meta: dict[str, Any]) -> None:
    """Write ``mae`` as ``{"model": state_dict, "mae_config": ..., "pretrain": meta}`` (atomic; tensors,
    numbers and strings only, so ``torch.load(weights_only=True)`` reads it)."""
    _save_torch(path, {"model": mae.state_dict(), "mae_config": mae.cfg.to_dict(), "pretrain": meta})


def read_mae_config(path: str | Path) -> MAEConfig:
    """The MAE shapes stored in a heatmap-MAE checkpoint (written by :func:`save_heatmap_mae`)."""
    path = Path(path)
    if path.is_dir():
        path = path / WEIGHTS_FILE
    obj = load_weights_only(path)
    cfg = obj.get("mae_config") if isinstance(obj, dict) else None
    if not isinstance(cfg, dict):
        raise ModelFormatError(f"{path}: no 'mae_config' entry (not a heatmap-MAE checkpoint); pass arch= "
                               "with the checkpoint's shapes")
    try:
        return MAEConfig(**cfg)
    except (TypeError, ValueError) as exc:
        raise ModelFormatError(f"{path}: unreadable 'mae_config' ({exc})") from exc


def resolve_weights_file(source: str | Path) -> Path:
    """``source`` itself, or ``source/heatmap_mae.pth`` when it is a ``pretrain-mae`` output folder."""
    path = Path(source).expanduser()
    return path / WEIGHTS_FILE if path.is_dir() and (path / WEIGHTS_FILE).is_file() else path
